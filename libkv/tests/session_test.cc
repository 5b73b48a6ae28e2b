// Sessions: validation, destroy/invalidation with release and delete, lock-delay, the
// lookups the FSM uses for check/node invalidation, renew deadlines.
#include <catch2/catch.hpp>

#include "test_util.h"

namespace cairn::kv {
namespace {

using namespace std::chrono_literals;
using testing::Harness;
using testing::T0;

Session MakeSession(std::string id, std::string node = "n1") {
  Session s;
  s.id = std::move(id);
  s.node = std::move(node);
  return s;
}

TEST_CASE("session create validates its fields", "[unit]") {
  Harness h;
  auto create = [&](Session s) { return h.Apply([&](WriteTxn& t) { return t.CreateSession(s); }); };
  Session s = MakeSession("s1");
  s.ttl = 5s;
  auto r = create(s);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() == "Invalid Session TTL '5000000000', must be between [10s=24h0m0s]");
  s.ttl = 86401s;
  CHECK_FALSE(create(s).ok());
  s.ttl = 10s;
  CHECK(create(s).ok());
  CHECK(create(MakeSession("s1")).status().code() == absl::StatusCode::kAlreadyExists);
  CHECK_FALSE(create(MakeSession("")).ok());
  CHECK_FALSE(create(MakeSession("s2", "")).ok());
  Session nul = MakeSession(std::string("s\0x", 3));
  CHECK_FALSE(create(nul).ok());
  Session neg = MakeSession("s3");
  neg.lock_delay = -1s;
  CHECK_FALSE(create(neg).ok());
  Session capped = MakeSession("s4");
  capped.lock_delay = 5min;
  REQUIRE(create(capped).ok());
  CHECK(h.view().GetSession("s4")->lock_delay == 60s);
  CHECK(h.view().ListSessions().size() == 2);
}

TEST_CASE("session behavior names parse as Consul's", "[unit]") {
  CHECK(*ParseSessionBehavior("") == SessionBehavior::kRelease);
  CHECK(*ParseSessionBehavior("release") == SessionBehavior::kRelease);
  CHECK(*ParseSessionBehavior("delete") == SessionBehavior::kDelete);
  auto bad = ParseSessionBehavior("Delete");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() == "Invalid Behavior setting 'Delete'");
  CHECK(SessionBehaviorName(SessionBehavior::kDelete) == "delete");
}

TEST_CASE("session indexes and list by node", "[unit]") {
  Harness h;
  REQUIRE(h.CreateSession("a", "n1").ok());  // 1
  REQUIRE(h.CreateSession("b", "n2").ok());  // 2
  REQUIRE(h.CreateSession("c", "n1").ok());  // 3
  auto v = h.view();
  CHECK(v.sessions_index() == 3);
  CHECK(v.GetSession("b")->create_index == 2);
  CHECK(v.SessionsForNode("n1") == std::vector<std::string>{"a", "c"});
  CHECK(v.ListNodeSessions("n2").size() == 1);
  CHECK(v.ListNodeSessions("n3").empty());
  CHECK(v.SessionsForNode("n").empty());  // no prefix confusion between node names
}

TEST_CASE("destroy with release clears locks and starts lock-delay", "[unit]") {
  Harness h;
  REQUIRE(h.CreateSession("s1", "n1", SessionBehavior::kRelease, 15s).ok());
  REQUIRE(h.CreateSession("s2").ok());
  REQUIRE(*h.Apply([](WriteTxn& t) { return t.Acquire("k", "v", 3, "s1", T0()); }));
  CHECK(*h.Apply([](WriteTxn& t) { return t.DestroySession("s1", T0()); }));
  auto e = h.view().Get("k");
  REQUIRE(e);
  CHECK(e->session().empty());
  CHECK(e->lock_index() == 1);
  CHECK(e->value() == "v");
  CHECK(e->flags() == 3);
  CHECK_FALSE(h.view().GetSession("s1"));
  CHECK(h.view().LockDelayUntil("k") == T0() + absl::Seconds(15));
  // Inside the delay: refused (false, not an error); after it: granted.
  CHECK_FALSE(
      *h.Apply([](WriteTxn& t) { return t.Acquire("k", "w", 0, "s2", T0() + absl::Seconds(14)); }));
  CHECK(
      *h.Apply([](WriteTxn& t) { return t.Acquire("k", "w", 0, "s2", T0() + absl::Seconds(15)); }));
  CHECK(h.view().Get("k")->lock_index() == 2);
  CHECK_FALSE(h.view().LockDelayUntil("k"));
  // Unknown id: no error, no change.
  CHECK_FALSE(*h.Apply([](WriteTxn& t) { return t.DestroySession("s1", T0()); }));
}

TEST_CASE("destroy with delete removes locked keys, zero lock-delay", "[unit]") {
  Harness h;
  REQUIRE(h.CreateSession("s1", "n1", SessionBehavior::kDelete, 0s).ok());
  REQUIRE(h.CreateSession("s2").ok());
  REQUIRE(*h.Apply([](WriteTxn& t) { return t.Acquire("a", "v", 0, "s1", T0()); }));
  REQUIRE(*h.Apply([](WriteTxn& t) { return t.Acquire("b", "v", 0, "s1", T0()); }));
  REQUIRE(*h.Set("c", "unlocked"));
  REQUIRE(h.Apply([](WriteTxn& t) { return t.DestroySession("s1", T0()); }).ok());
  CHECK_FALSE(h.view().Get("a"));
  CHECK_FALSE(h.view().Get("b"));
  CHECK(h.view().Get("c"));
  CHECK(h.view().tombstone_count() == 2);
  CHECK_FALSE(h.view().LockDelayUntil("a"));
  CHECK(*h.Apply([](WriteTxn& t) { return t.Acquire("a", "v", 0, "s2", T0()); }));
}

TEST_CASE("invalidation cascade from a failing check", "[unit]") {
  // The FSM's part: a check on n1 turns critical; it asks which sessions depend on it and
  // destroys them, all in the same write.
  Harness h;
  Session s = MakeSession("s1", "n1");
  s.node_checks = {"serfHealth"};
  s.service_checks = {{"service:web", ""}};
  s.behavior = SessionBehavior::kRelease;
  REQUIRE(h.Apply([&](WriteTxn& t) { return t.CreateSession(s); }).ok());
  REQUIRE(h.CreateSession("s2", "n1").ok());  // watches serfHealth only
  REQUIRE(h.CreateSession("s3", "n2").ok());  // another node
  REQUIRE(*h.Apply([](WriteTxn& t) { return t.Acquire("web/leader", "me", 0, "s1", T0()); }));
  REQUIRE(*h.Apply([](WriteTxn& t) { return t.Acquire("web/other", "me", 0, "s2", T0()); }));

  auto v = h.view();
  CHECK(v.SessionsForCheck("n1", "service:web") == std::vector<std::string>{"s1"});
  CHECK(v.SessionsForCheck("n1", "serfHealth") == std::vector<std::string>{"s1", "s2"});
  CHECK(v.SessionsForCheck("n2", "service:web").empty());

  h.Apply([&](WriteTxn& t) {
    for (const std::string& id : t.View().SessionsForCheck("n1", "service:web")) {
      REQUIRE(*t.DestroySession(id, T0()));
    }
    return 0;
  });
  v = h.view();
  CHECK_FALSE(v.GetSession("s1"));
  CHECK(v.GetSession("s2"));
  CHECK(v.Get("web/leader")->session().empty());
  CHECK(v.Get("web/other")->session() == "s2");
  CHECK(v.SessionsForCheck("n1", "service:web").empty());
  CHECK(v.SessionsForCheck("n1", "serfHealth") == std::vector<std::string>{"s2"});
  // Node deregistration: every session of n1 goes.
  h.Apply([&](WriteTxn& t) {
    for (const std::string& id : t.View().SessionsForNode("n1")) {
      REQUIRE(*t.DestroySession(id, T0()));
    }
    return 0;
  });
  CHECK(h.view().SessionsForNode("n1").empty());
  CHECK(h.view().Get("web/other")->session().empty());
  CHECK(h.view().ListSessions().size() == 1);
}

TEST_CASE("renew reports the leader's deadline", "[unit]") {
  Harness h;
  Session s = MakeSession("s1");
  s.ttl = 30s;
  s.ttl_text = "30s";
  REQUIRE(h.Apply([&](WriteTxn& t) { return t.CreateSession(s); }).ok());
  REQUIRE(h.CreateSession("nottl").ok());
  base::TimePoint now(std::chrono::hours(5));
  auto r = h.view().Renew("s1", now);
  REQUIRE(r.ok());
  CHECK(r->deadline == now + 60s);
  CHECK(r->session.ttl_text == "30s");
  CHECK(h.view().Renew("nottl", now)->deadline == base::TimePoint::max());
  auto missing = h.view().Renew("gone", now);
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
  CHECK(missing.status().message() == "Session id 'gone' not found");
}

TEST_CASE("all check ids merge the three lists without duplicates", "[unit]") {
  Session s;
  s.checks = {"a", "serfHealth"};
  s.node_checks = {"serfHealth", "b"};
  s.service_checks = {{"c", ""}, {"a", ""}};
  CHECK(s.AllCheckIds() == std::vector<std::string>{"a", "serfHealth", "b", "c"});
}

}  // namespace
}  // namespace cairn::kv
