// KV transactions: every verb, Consul's error texts with op indexes, all-or-nothing, limits.
#include <catch2/catch.hpp>

#include "test_util.h"

namespace cairn::kv {
namespace {

using testing::Harness;
using testing::T0;
using V = TxnVerb;

TxnOp Op(V verb, std::string key, std::string value = "", uint64_t index = 0,
         std::string session = "") {
  TxnOp op;
  op.verb = verb;
  op.key = std::move(key);
  op.value = std::move(value);
  op.index = index;
  op.session = std::move(session);
  return op;
}

TxnOutcome Run(Harness& h, const std::vector<TxnOp>& ops) {
  return h.Apply([&](WriteTxn& t) { return *t.ApplyTxn(ops, T0()); });
}

TEST_CASE("verb names round-trip", "[unit]") {
  for (V v : {V::kSet, V::kCas, V::kLock, V::kUnlock, V::kGet, V::kGetOrEmpty, V::kGetTree,
              V::kCheckIndex, V::kCheckSession, V::kCheckNotExists, V::kDelete, V::kDeleteCas,
              V::kDeleteTree}) {
    CHECK(*ParseTxnVerb(TxnVerbName(v)) == v);
  }
  CHECK(ParseTxnVerb("frob").status().message() == "unknown KV verb \"frob\"");
}

TEST_CASE("a successful transaction applies every op and reports results", "[unit]") {
  Harness h;
  REQUIRE(h.CreateSession("s1").ok());  // 1
  REQUIRE(*h.Set("old", "x"));          // 2
  auto out =
      Run(h, {Op(V::kSet, "a", "1"), Op(V::kCas, "b", "2", 0), Op(V::kLock, "l", "3", 0, "s1"),
              Op(V::kGet, "a"), Op(V::kCheckIndex, "old", "", 2), Op(V::kCheckNotExists, "zz"),
              Op(V::kDelete, "old"), Op(V::kGetTree, ""), Op(V::kCheckSession, "l", "", 0, "s1"),
              Op(V::kUnlock, "l", "4", 0, "s1"), Op(V::kGetOrEmpty, "nope")});
  REQUIRE(out.errors.empty());
  // set, cas, lock, get, check-index, 3 x get-tree (a, b, l), check-session, unlock,
  // get-or-empty. delete and check-not-exists yield nothing.
  REQUIRE(out.results.size() == 11);
  CHECK(out.results[0].entry.key() == "a");
  CHECK_FALSE(out.results[0].include_value);
  CHECK(out.results[3].entry.value() == "1");
  CHECK(out.results[3].include_value);
  CHECK(out.results[4].entry.key() == "old");
  CHECK(out.results[5].entry.key() == "a");  // get-tree sees the txn's own writes...
  CHECK(out.results[7].entry.key() == "l");  // ...and not the deleted "old"
  CHECK(out.results[9].entry.session().empty());
  CHECK(out.results[10].entry.key() == "nope");
  CHECK(out.results[10].entry.value().empty());
  auto v = h.view();
  CHECK(v.Get("a")->modify_index() == 3);
  CHECK(v.Get("l")->value() == "4");
  CHECK(v.Get("l")->lock_index() == 1);
  CHECK_FALSE(v.Get("old"));
}

TEST_CASE("a failing transaction changes nothing and lists every failure", "[unit]") {
  Harness h;
  REQUIRE(h.CreateSession("s1").ok());                                                  // 1
  REQUIRE(h.CreateSession("s2").ok());                                                  // 2
  REQUIRE(*h.Set("k", "v"));                                                            // 3
  REQUIRE(*h.Apply([](WriteTxn& t) { return t.Acquire("held", "", 0, "s1", T0()); }));  // 4
  int watched = 0;
  auto handle = h.store().WatchPrefix("", 4, [&](uint64_t) { ++watched; });
  auto out =
      Run(h, {Op(V::kSet, "new", "x"), Op(V::kCas, "k", "y", 99), Op(V::kLock, "held", "", 0, "s2"),
              Op(V::kLock, "held", "", 0, "ghost"), Op(V::kUnlock, "held", "", 0, "s2"),
              Op(V::kGet, "missing"), Op(V::kCheckIndex, "k", "", 7),
              Op(V::kCheckIndex, "missing", "", 7), Op(V::kCheckSession, "held", "", 0, "s2"),
              Op(V::kCheckSession, "missing", "", 0, "s2"), Op(V::kCheckNotExists, "k"),
              Op(V::kDeleteCas, "k", "", 1), Op(V::kDelete, "k")});
  REQUIRE(out.results.empty());
  std::vector<TxnError> want = {
      {1, "failed to set key \"k\", index is stale"},
      {2, "failed to lock key \"held\", lock is already held"},
      {3, "invalid session \"ghost\""},
      {4, "failed to unlock key \"held\", lock isn't held, or is held by another session"},
      {5, "key \"missing\" doesn't exist"},
      {6, "failed index check for key \"k\", current modify index 3 != 7"},
      {7, "failed to check index, key \"missing\" doesn't exist"},
      {8, "failed session check for key \"held\", current session \"s1\" != \"s2\""},
      {9, "failed to check session, key \"missing\" doesn't exist"},
      {10, "key \"k\" exists"},
      {11, "failed to delete key \"k\", index is stale"},
  };
  CHECK(out.errors == want);
  auto v = h.view();
  CHECK_FALSE(v.Get("new"));
  CHECK(v.Get("k"));
  CHECK(v.kv_index() == 4);
  CHECK(watched == 0);  // a rolled-back txn wakes nobody
}

TEST_CASE("later ops see earlier ones inside a transaction", "[unit]") {
  Harness h;
  auto out = Run(h, {Op(V::kSet, "a", "1"), Op(V::kCheckIndex, "a", "", 1),
                     Op(V::kDeleteCas, "a", "", 1), Op(V::kCheckNotExists, "a")});
  CHECK(out.errors.empty());
  CHECK_FALSE(h.view().Get("a"));
  CHECK(h.view().tombstone_count() == 1);
}

TEST_CASE("transaction size limits", "[unit]") {
  Harness h;
  std::vector<TxnOp> ops(129, Op(V::kSet, "k", "v"));
  auto too_many = h.Apply([&](WriteTxn& t) { return t.ApplyTxn(ops, T0()); });
  REQUIRE_FALSE(too_many.ok());
  CHECK(too_many.status().message() == "Transaction contains too many operations (129 > 128)");
  ops.pop_back();
  CHECK(h.Apply([&](WriteTxn& t) { return t.ApplyTxn(ops, T0()); })->errors.empty());
  CHECK_FALSE(h.Apply([&](WriteTxn& t) { return t.ApplyTxn({}, T0()); }).ok());
  Options o;
  o.max_value_bytes = 2;
  Harness small(o);
  auto out = Run(small, {Op(V::kSet, "k", "abc")});
  REQUIRE(out.errors.size() == 1);
  CHECK(out.errors[0].what == "Value for key \"k\" is too large (3 > 2 bytes)");
}

TEST_CASE("read-only transactions run on a view", "[unit]") {
  Harness h;
  REQUIRE(*h.Set("a", "1"));
  auto v = h.view();
  auto out = v.ReadTxn({Op(V::kGet, "a"), Op(V::kCheckIndex, "a", "", 1)});
  REQUIRE(out.ok());
  CHECK(out->errors.empty());
  CHECK(out->results.size() == 2);
  auto failing = v.ReadTxn({Op(V::kGet, "b")});
  REQUIRE(failing.ok());
  CHECK(failing->errors.size() == 1);
  CHECK_FALSE(v.ReadTxn({Op(V::kSet, "a", "2")}).ok());
}

}  // namespace
}  // namespace cairn::kv
