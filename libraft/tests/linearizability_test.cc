// The checker itself, on small histories whose verdict is known by hand.
#include "sim/linearizability.h"

#include <catch2/catch.hpp>

namespace cairn::raft::sim {
namespace {

KvOp Put(int client, int64_t call, int64_t ret, std::string value, std::string key = "k") {
  KvOp op;
  op.client = client;
  op.kind = KvOp::Kind::kPut;
  op.key = std::move(key);
  op.value = std::move(value);
  op.call = call;
  op.ret = ret;
  return op;
}

KvOp Get(int client, int64_t call, int64_t ret, std::optional<std::string> got,
         std::string key = "k") {
  KvOp op;
  op.client = client;
  op.kind = KvOp::Kind::kGet;
  op.key = std::move(key);
  op.got = std::move(got);
  op.call = call;
  op.ret = ret;
  return op;
}

KvOp Cas(int client, int64_t call, int64_t ret, std::string expected, std::string value, bool ok,
         std::string key = "k") {
  KvOp op;
  op.client = client;
  op.kind = KvOp::Kind::kCas;
  op.key = std::move(key);
  op.expected = std::move(expected);
  op.value = std::move(value);
  op.ok = ok;
  op.call = call;
  op.ret = ret;
  return op;
}

KvOp Unknown(KvOp op) {
  op.unknown = true;
  op.ret = KvOp::kNever;
  return op;
}

TEST_CASE("linearizability: sequential histories that follow the model pass", "[unit]") {
  REQUIRE(CheckKvHistory({Put(1, 0, 1, "a"), Get(1, 2, 3, "a"), Cas(1, 4, 5, "a", "b", true),
                          Get(2, 6, 7, "b"), Cas(2, 8, 9, "a", "c", false)})
              .linearizable);
  REQUIRE(CheckKvHistory({Get(1, 0, 1, std::nullopt)}).linearizable);
}

TEST_CASE("linearizability: a stale read after a completed write fails", "[unit]") {
  CheckResult r = CheckKvHistory({Put(1, 0, 10, "a"), Put(1, 11, 20, "b"), Get(2, 21, 30, "a")});
  REQUIRE_FALSE(r.linearizable);
  REQUIRE(r.bad_key == "k");
}

TEST_CASE("linearizability: concurrent operations may take effect in either order", "[unit]") {
  // The read overlaps both writes and sees the first one: "b" then "a".
  REQUIRE(CheckKvHistory(
              {Put(1, 0, 10, "a"), Put(2, 0, 10, "b"), Get(3, 5, 15, "a"), Get(3, 16, 20, "a")})
              .linearizable);
  // Two later reads disagree about which write came last: impossible.
  REQUIRE_FALSE(CheckKvHistory({Put(1, 0, 10, "a"), Put(2, 0, 10, "b"), Get(3, 11, 12, "a"),
                                Get(3, 13, 14, "b"), Get(4, 15, 16, "a")})
                    .linearizable);
}

TEST_CASE("linearizability: two successful CAS from the same value is not linearizable", "[unit]") {
  REQUIRE_FALSE(CheckKvHistory({Put(1, 0, 1, "x"), Cas(1, 2, 10, "x", "y", true),
                                Cas(2, 2, 10, "x", "z", true)})
                    .linearizable);
  REQUIRE(CheckKvHistory({Put(1, 0, 1, "x"), Cas(1, 2, 10, "x", "y", true),
                          Cas(2, 2, 10, "x", "z", false), Get(1, 11, 12, "y")})
              .linearizable);
}

TEST_CASE("linearizability: operations with unknown outcome may or may not have happened",
          "[unit]") {
  // The write was never acknowledged but a later read sees it: fine.
  REQUIRE(CheckKvHistory({Unknown(Put(1, 0, 0, "a")), Get(2, 5, 6, "a")}).linearizable);
  // Or it never took effect: also fine.
  REQUIRE(CheckKvHistory({Unknown(Put(1, 0, 0, "a")), Get(2, 5, 6, std::nullopt)}).linearizable);
  // But it cannot take effect before it was invoked.
  REQUIRE_FALSE(CheckKvHistory({Get(2, 0, 1, "a"), Unknown(Put(1, 5, 0, "a"))}).linearizable);
  // Nor be undone once observed.
  REQUIRE_FALSE(CheckKvHistory({Put(3, 0, 1, "z"), Unknown(Put(1, 2, 0, "a")), Get(2, 5, 6, "a"),
                                Get(2, 7, 8, "z")})
                    .linearizable);
}

TEST_CASE("linearizability: keys are checked independently", "[unit]") {
  CheckResult r = CheckKvHistory({Put(1, 0, 1, "a", "x"), Put(1, 0, 1, "a", "y"),
                                  Get(2, 2, 3, "a", "x"), Get(2, 2, 3, std::nullopt, "y")});
  REQUIRE_FALSE(r.linearizable);
  REQUIRE(r.bad_key == "y");
}

TEST_CASE("linearizability: a long concurrent history is checked quickly", "[unit]") {
  // Five clients, each incrementing through CAS in overlapping windows; every read sees
  // the value of the last completed CAS or one that overlaps it.
  std::vector<KvOp> h{Put(0, 0, 1, "0")};
  int64_t t = 2;
  for (int i = 0; i < 400; ++i) {
    std::string from = std::to_string(i), to = std::to_string(i + 1);
    h.push_back(Cas(i % 5, t, t + 3, from, to, true));
    h.push_back(Cas((i + 1) % 5, t + 1, t + 4, from, "never", false));
    h.push_back(Get((i + 2) % 5, t + 2, t + 5, i % 2 ? from : to));
    t += 4;
  }
  CheckResult r = CheckKvHistory(h);
  REQUIRE(r.linearizable);
  REQUIRE_FALSE(r.gave_up);
}

}  // namespace
}  // namespace cairn::raft::sim
