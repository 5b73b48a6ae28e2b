// KV operations: Consul's set/cas/acquire/release/delete semantics, tombstones and indexes.
#include <catch2/catch.hpp>

#include "test_util.h"

namespace cairn::kv {
namespace {

using testing::Harness;
using testing::T0;

TEST_CASE("set creates then updates, keeping CreateIndex", "[unit]") {
  Harness h;
  REQUIRE(*h.Set("a", "1", 7));
  auto e = h.view().Get("a");
  REQUIRE(e);
  CHECK(e->value() == "1");
  CHECK(e->flags() == 7);
  CHECK(e->create_index() == 1);
  CHECK(e->modify_index() == 1);
  CHECK(e->lock_index() == 0);
  CHECK(e->session().empty());
  REQUIRE(*h.Set("a", "2"));
  e = h.view().Get("a");
  CHECK(e->value() == "2");
  CHECK(e->flags() == 0);  // a PUT without flags writes 0
  CHECK(e->create_index() == 1);
  CHECK(e->modify_index() == 2);
  CHECK(h.view().kv_index() == 2);
  CHECK(h.view().applied_index() == 2);
}

TEST_CASE("an identical write changes no index", "[unit]") {
  Harness h;
  REQUIRE(*h.Set("a", "v", 3));
  REQUIRE(*h.Set("a", "v", 3));
  CHECK(h.view().Get("a")->modify_index() == 1);
  CHECK(h.view().kv_index() == 1);
  CHECK(h.view().applied_index() == 2);
}

TEST_CASE("empty values, empty and slash-leading keys", "[unit]") {
  Harness h;
  REQUIRE(*h.Set("/lead", ""));
  CHECK(h.view().Get("/lead")->value().empty());
  CHECK(h.view().Get("lead") == std::nullopt);  // '/' is part of the key
  auto empty = h.Set("", "x");
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(empty.status().message() == "Must provide key");
  CHECK_FALSE(h.Apply([](WriteTxn& t) { return t.Delete(""); }).ok());
  CHECK(h.view().entry_count() == 1);
}

TEST_CASE("limits on value and key size", "[unit]") {
  Options o;
  o.max_value_bytes = 4;
  o.max_key_bytes = 8;
  Harness h(o);
  auto big = h.Set("k", "12345");
  REQUIRE_FALSE(big.ok());
  CHECK(big.status().message() == "Value for key \"k\" is too large (5 > 4 bytes)");
  CHECK(h.Set("k", "1234").ok());
  CHECK_FALSE(h.Set("123456789", "").ok());
  CHECK(h.view().entry_count() == 1);
}

TEST_CASE("cas: 0 creates only, N must match ModifyIndex", "[unit]") {
  Harness h;
  auto cas = [&](std::string v, uint64_t idx) {
    return *h.Apply([&](WriteTxn& t) { return t.Cas("k", v, 0, idx); });
  };
  CHECK_FALSE(cas("x", 5));  // index on a missing key
  CHECK(cas("a", 0));        // create (index 2)
  CHECK_FALSE(cas("b", 0));  // exists
  CHECK_FALSE(cas("b", 1));  // wrong index
  CHECK(h.view().Get("k")->value() == "a");
  CHECK(cas("b", 2));
  CHECK(h.view().Get("k")->value() == "b");
  CHECK(h.view().Get("k")->modify_index() == 5);
}

TEST_CASE("acquire and release follow Consul's rules", "[unit]") {
  Harness h;
  REQUIRE(h.CreateSession("s1").ok());
  REQUIRE(h.CreateSession("s2").ok());
  auto acquire = [&](std::string key, std::string s, std::string v = "v") {
    return h.Apply([&](WriteTxn& t) { return t.Acquire(key, v, 0, s, T0()); });
  };
  auto release = [&](std::string key, std::string s) {
    return h.Apply([&](WriteTxn& t) { return t.Release(key, "r", 0, s); });
  };
  // Key need not exist.
  CHECK(*acquire("lock", "s1"));
  auto e = h.view().Get("lock");
  CHECK(e->session() == "s1");
  CHECK(e->lock_index() == 1);
  // Same session again: value written, LockIndex unchanged.
  CHECK(*acquire("lock", "s1", "v2"));
  CHECK(h.view().Get("lock")->lock_index() == 1);
  CHECK(h.view().Get("lock")->value() == "v2");
  // Held by another session.
  uint64_t before = h.view().Get("lock")->modify_index();
  CHECK_FALSE(*acquire("lock", "s2"));
  CHECK(h.view().Get("lock")->modify_index() == before);
  // Unknown session is an error with Consul's text.
  auto bad = acquire("lock", "nope");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() == "invalid session \"nope\"");
  // A plain set keeps the lock.
  REQUIRE(*h.Set("lock", "plain"));
  CHECK(h.view().Get("lock")->session() == "s1");
  // Release by a non-holder fails; by the holder clears Session, keeps LockIndex.
  CHECK_FALSE(*release("lock", "s2"));
  CHECK_FALSE(*release("missing", "s1"));
  CHECK(*release("lock", "s1"));
  e = h.view().Get("lock");
  CHECK(e->session().empty());
  CHECK(e->lock_index() == 1);
  CHECK(e->value() == "r");
  CHECK(h.view().LockedKeys("s1").empty());
  // Next acquisition increments LockIndex.
  CHECK(*acquire("lock", "s2"));
  CHECK(h.view().Get("lock")->lock_index() == 2);
  CHECK(h.view().LockedKeys("s2") == std::vector<std::string>{"lock"});
}

TEST_CASE("delete, delete-cas and tombstones", "[unit]") {
  Harness h;
  REQUIRE(*h.Set("a/1", "x"));  // 1
  REQUIRE(*h.Set("a/2", "x"));  // 2
  REQUIRE(*h.Set("b", "x"));    // 3
  CHECK(*h.Apply([](WriteTxn& t) { return t.Delete("missing"); }));
  CHECK(h.view().kv_index() == 3);  // nothing deleted, no index change
  CHECK(*h.Apply([](WriteTxn& t) { return t.DeleteCas("missing", 99); }));
  CHECK_FALSE(*h.Apply([](WriteTxn& t) { return t.DeleteCas("a/1", 0); }));
  CHECK_FALSE(*h.Apply([](WriteTxn& t) { return t.DeleteCas("a/1", 2); }));
  CHECK(*h.Apply([](WriteTxn& t) { return t.DeleteCas("a/1", 1); }));  // index 8
  CHECK(h.view().Get("a/1") == std::nullopt);
  CHECK(h.view().tombstone_count() == 1);
  // The prefix index counts the tombstone, so a blocking query on a/ sees the delete.
  CHECK(h.view().PrefixIndex("a/") == 8);
  CHECK(h.view().PrefixIndex("a/2") == 2);
  CHECK(h.view().PrefixIndex("b") == 3);
  CHECK(h.view().PrefixIndex("") == 8);
  CHECK(h.view().PrefixIndex("zzz") == 8);  // nothing there: the table index
  CHECK(h.view().KeyIndex("a/1") == 8);     // missing key: the table index
  CHECK(h.view().KeyIndex("a/2") == 2);
  // Re-creating the key drops its tombstone.
  REQUIRE(*h.Set("a/1", "again"));
  CHECK(h.view().tombstone_count() == 0);
  CHECK(h.view().PrefixIndex("a/") == 9);
}

TEST_CASE("tombstones are reaped only up to the GC point", "[unit]") {
  Harness h;
  for (int i = 0; i < 4; ++i) REQUIRE(*h.Set("k" + std::to_string(i), "v"));  // 1..4
  for (int i = 0; i < 4; ++i) {
    REQUIRE(*h.Apply([&](WriteTxn& t) { return t.Delete("k" + std::to_string(i)); }));  // 5..8
  }
  CHECK(h.view().tombstone_count() == 4);
  CHECK(h.Apply([](WriteTxn& t) { return t.ReapTombstones(6); }) == 2);
  CHECK(h.view().tombstone_count() == 2);
  CHECK(h.view().PrefixIndex("k0") == h.view().kv_index());  // reaped: falls back
  CHECK(h.view().PrefixIndex("k3") == 8);
  CHECK(h.Apply([](WriteTxn& t) { return t.ReapTombstones(6); }) == 0);
}

TEST_CASE("delete-tree removes locked keys and leaves tombstones", "[unit]") {
  Harness h;
  REQUIRE(h.CreateSession("s1").ok());
  REQUIRE(*h.Set("svc/a", "1"));
  REQUIRE(*h.Apply([](WriteTxn& t) { return t.Acquire("svc/leader", "me", 0, "s1", T0()); }));
  REQUIRE(*h.Set("svcx", "outside"));
  REQUIRE(*h.Apply([](WriteTxn& t) { return t.DeleteTree("svc/"); }));
  CHECK(h.view().List("svc/").empty());
  CHECK(h.view().Get("svcx"));
  CHECK(h.view().tombstone_count() == 2);
  CHECK(h.view().LockedKeys("s1").empty());
  CHECK(h.view().GetSession("s1"));  // the session itself survives
  // Empty prefix: everything.
  REQUIRE(*h.Apply([](WriteTxn& t) { return t.DeleteTree(""); }));
  CHECK(h.view().entry_count() == 0);
}

TEST_CASE("list and keys with a separator, including boundaries", "[unit]") {
  Harness h;
  for (const char* k : {"web/", "web/bar", "web/sub/a", "web/sub/b", "web/sub//c", "web//x",
                        "web/zed/", "webby", "other"}) {
    REQUIRE(*h.Set(k, "v"));
  }
  auto v = h.view();
  CHECK(v.List("web/").size() == 7);
  CHECK(v.List("web").size() == 8);  // recurse is not segment-aware
  CHECK(v.List("nothing").empty());
  using S = std::vector<std::string>;
  CHECK(v.Keys("web/", "/") == S{"web/", "web//", "web/bar", "web/sub/", "web/zed/"});
  CHECK(v.Keys("web/sub/", "/") == S{"web/sub//", "web/sub/a", "web/sub/b"});
  CHECK(v.Keys("web", "/") == S{"web/", "webby"});
  CHECK(v.Keys("", "/") == S{"other", "web/", "webby"});
  CHECK(v.Keys("web/s", "") == S{"web/sub//c", "web/sub/a", "web/sub/b"});
  CHECK(v.Keys("web/", "sub") == S{"web/", "web//x", "web/bar", "web/sub", "web/zed/"});
}

TEST_CASE("keys at the top of the byte range", "[unit]") {
  Harness h;
  std::string hi = "\xff\xff";
  REQUIRE(*h.Set(hi + "a", "v"));
  REQUIRE(*h.Set(hi + "/b/c", "v"));
  CHECK(h.view().Keys(hi, "/") == std::vector<std::string>{hi + "/", hi + "a"});
  CHECK(h.view().PrefixIndex(hi) == 2);
  CHECK(h.view().Keys(hi + "/", "/") == std::vector<std::string>{hi + "/b/"});
}

TEST_CASE("a write that is not committed is discarded", "[unit]") {
  Harness h;
  REQUIRE(*h.Set("a", "1"));
  {
    WriteTxn txn = h.store().BeginWrite(10);
    REQUIRE(*txn.Set("a", "2", 0));
    REQUIRE(*txn.Set("b", "2", 0));
    CHECK(txn.View().Get("b"));      // the txn sees its own writes
    CHECK_FALSE(h.view().Get("b"));  // readers do not
  }
  CHECK(h.view().Get("a")->value() == "1");
  CHECK_FALSE(h.view().Get("b"));
  // The store accepts the next writer after a discard.
  WriteTxn txn = h.store().BeginWrite(11);
  REQUIRE(*txn.Set("c", "3", 0));
  txn.Commit();
  CHECK(h.view().Get("c"));
}

TEST_CASE("a reader's view does not move with later writes", "[unit]") {
  Harness h;
  REQUIRE(*h.Set("a", "1"));
  ReadView old = h.view();
  REQUIRE(*h.Set("a", "2"));
  REQUIRE(*h.Apply([](WriteTxn& t) { return t.Delete("a"); }));
  CHECK(old.Get("a")->value() == "1");
  CHECK_FALSE(h.view().Get("a"));
}

}  // namespace
}  // namespace cairn::kv
