// Snapshot streams: round trips, and corrupted or truncated streams refused without
// changing the store.
#include <catch2/catch.hpp>

#include "test_util.h"

namespace cairn::kv {
namespace {

using namespace std::chrono_literals;
using testing::Harness;
using testing::T0;

std::string Dump(const ReadView& v) {
  std::string out;
  REQUIRE(v.WriteSnapshot([&](std::string_view s) {
             out.append(s);
             return absl::OkStatus();
           }).ok());
  return out;
}

// Feeds `bytes` in small uneven chunks, as a file or socket would.
absl::Status RestoreFrom(Store& store, const std::string& bytes) {
  std::size_t pos = 0;
  return store.Restore([&](char* buf, std::size_t n) -> absl::StatusOr<std::size_t> {
    std::size_t m = std::min({n, bytes.size() - pos, std::size_t{7}});
    std::copy_n(bytes.data() + pos, m, buf);
    pos += m;
    return m;
  });
}

void Populate(Harness& h) {
  Session s;
  s.id = "sess-1";
  s.name = "lock holder";
  s.node = "n1";
  s.node_checks = {"serfHealth"};
  s.service_checks = {{"service:web", ""}};
  s.checks = {"legacy"};
  s.ttl = 20s;
  s.ttl_text = "20s";
  s.behavior = SessionBehavior::kDelete;
  REQUIRE(h.Apply([&](WriteTxn& t) { return t.CreateSession(s); }).ok());
  REQUIRE(h.CreateSession("sess-2", "n2").ok());
  for (int i = 0; i < 500; ++i) {
    REQUIRE(*h.Set("k/" + std::to_string(i), std::string(i % 37, 'x'), i));
  }
  REQUIRE(*h.Set("bin", std::string("\0\xff\n", 3)));
  REQUIRE(*h.Apply([](WriteTxn& t) { return t.Acquire("k/7", "held", 0, "sess-1", T0()); }));
  REQUIRE(*h.Apply([](WriteTxn& t) { return t.DeleteTree("k/1"); }));
}

void ExpectSameState(const ReadView& a, const ReadView& b) {
  CHECK(a.applied_index() == b.applied_index());
  CHECK(a.kv_index() == b.kv_index());
  CHECK(a.sessions_index() == b.sessions_index());
  auto la = a.List(""), lb = b.List("");
  REQUIRE(la.size() == lb.size());
  for (std::size_t i = 0; i < la.size(); ++i) CHECK(la[i] == lb[i]);
  CHECK(a.ListSessions() == b.ListSessions());
  CHECK(a.tombstone_count() == b.tombstone_count());
  CHECK(a.PrefixIndex("k/1") == b.PrefixIndex("k/1"));
  CHECK(a.LockedKeys("sess-1") == b.LockedKeys("sess-1"));
  CHECK(a.SessionsForCheck("n1", "service:web") == b.SessionsForCheck("n1", "service:web"));
  CHECK(a.SessionsForNode("n2") == b.SessionsForNode("n2"));
}

TEST_CASE("snapshot round trip restores everything", "[unit]") {
  Harness h;
  Populate(h);
  std::string bytes = Dump(h.view());
  Store restored;
  absl::Status st = RestoreFrom(restored, bytes);
  INFO(st.ToString());
  REQUIRE(st.ok());
  ExpectSameState(h.view(), restored.Snapshot());
  // The restored store is writable at later indexes and its secondary indexes work.
  WriteTxn txn = restored.BeginWrite(h.view().applied_index() + 1);
  REQUIRE(*txn.DestroySession("sess-1", T0()));
  txn.Commit();
  CHECK_FALSE(restored.Snapshot().Get("k/7"));  // behavior delete survived the trip
}

TEST_CASE("an empty store round-trips", "[unit]") {
  Store a, b;
  REQUIRE(RestoreFrom(b, Dump(a.Snapshot())).ok());
  CHECK(b.Snapshot().entry_count() == 0);
}

TEST_CASE("a corrupted stream is refused and changes nothing", "[unit]") {
  Harness h;
  Populate(h);
  std::string good = Dump(h.view());
  Harness target;
  REQUIRE(*target.Set("keep", "me"));
  auto unchanged = [&] {
    auto v = target.view();
    CHECK(v.entry_count() == 1);
    CHECK(v.Get("keep"));
    CHECK(v.applied_index() == 1);
  };
  SECTION("flipped bytes anywhere") {
    for (std::size_t pos : {std::size_t{0}, std::size_t{9}, std::size_t{13}, good.size() / 3,
                            good.size() / 2, good.size() - 5, good.size() - 1}) {
      std::string bad = good;
      bad[pos] ^= 0x20;
      INFO("flipped byte " << pos);
      absl::Status s = RestoreFrom(target.store(), bad);
      CHECK_FALSE(s.ok());
      unchanged();
    }
  }
  SECTION("truncated") {
    for (std::size_t len :
         {std::size_t{0}, std::size_t{5}, std::size_t{12}, good.size() / 2, good.size() - 1}) {
      absl::Status s = RestoreFrom(target.store(), good.substr(0, len));
      CHECK(s.code() == absl::StatusCode::kDataLoss);
      unchanged();
    }
  }
  SECTION("trailing garbage") {
    CHECK_FALSE(RestoreFrom(target.store(), good + "x").ok());
    unchanged();
  }
  SECTION("a source error is passed on") {
    absl::Status s = target.store().Restore([](char*, std::size_t) -> absl::StatusOr<std::size_t> {
      return absl::UnavailableError("disk gone");
    });
    CHECK(s.code() == absl::StatusCode::kUnavailable);
    unchanged();
  }
}

TEST_CASE("snapshot sink errors stop the writer", "[unit]") {
  Harness h;
  Populate(h);
  int calls = 0;
  absl::Status s = h.view().WriteSnapshot([&](std::string_view) {
    ++calls;
    return absl::ResourceExhaustedError("full");
  });
  CHECK(s.code() == absl::StatusCode::kResourceExhausted);
  CHECK(calls == 1);
}

TEST_CASE("taking a snapshot does not hold up writes", "[unit]") {
  // The snapshot is a ReadView: writes continue while it is being written out, and the
  // stream shows the version at the time it was taken.
  Harness h;
  Populate(h);
  ReadView snap = h.view();
  std::size_t writes = 0;
  std::string bytes;
  REQUIRE(snap.WriteSnapshot([&](std::string_view s) {
                bytes.append(s);
                REQUIRE(*h.Set("during/" + std::to_string(writes++), "v"));
                return absl::OkStatus();
              })
              .ok());
  CHECK(writes >= 1);
  Store restored;
  REQUIRE(RestoreFrom(restored, bytes).ok());
  ExpectSameState(snap, restored.Snapshot());
  CHECK(restored.Snapshot().List("during/").empty());
}

}  // namespace
}  // namespace cairn::kv
