// Watches: writes wake exactly the waiters whose data changed.
#include <catch2/catch.hpp>

#include "test_util.h"

namespace cairn::kv {
namespace {

using testing::Harness;
using testing::T0;

TEST_CASE("key and prefix waiters wake only for their data", "[unit]") {
  Harness h;
  std::vector<std::string> woke;
  auto w = [&woke](std::string name) { return [&woke, name](uint64_t) { woke.push_back(name); }; };
  auto k1 = h.store().WatchKey("web/a", 0, w("key web/a"));
  auto k2 = h.store().WatchKey("web/b", 0, w("key web/b"));
  auto p1 = h.store().WatchPrefix("web/", 0, w("prefix web/"));
  auto p2 = h.store().WatchPrefix("db/", 0, w("prefix db/"));
  auto all = h.store().WatchPrefix("", 0, w("prefix all"));
  REQUIRE(*h.Set("web/a", "1"));
  std::sort(woke.begin(), woke.end());
  CHECK(woke == std::vector<std::string>{"key web/a", "prefix all", "prefix web/"});
  CHECK(k2.active());
  CHECK(p2.active());
  CHECK_FALSE(k1.active());
}

TEST_CASE("identical writes, reads and failed ops wake nobody", "[unit]") {
  Harness h;
  REQUIRE(h.CreateSession("s1").ok());
  REQUIRE(h.CreateSession("s2").ok());
  REQUIRE(*h.Set("k", "v"));
  REQUIRE(*h.Apply([](WriteTxn& t) { return t.Acquire("l", "", 0, "s1", T0()); }));
  int woken = 0;
  auto handle = h.store().WatchPrefix("", h.view().kv_index(), [&](uint64_t) { ++woken; });
  REQUIRE(*h.Set("k", "v"));  // identical
  CHECK_FALSE(*h.Apply([](WriteTxn& t) { return t.Cas("k", "x", 0, 1); }));
  CHECK_FALSE(*h.Apply([](WriteTxn& t) { return t.Acquire("l", "", 0, "s2", T0()); }));
  CHECK(*h.Apply([](WriteTxn& t) { return t.Delete("absent"); }));
  CHECK(woken == 0);
  CHECK(handle.active());
  REQUIRE(*h.Apply([](WriteTxn& t) { return t.Delete("k"); }));  // a delete does wake
  CHECK(woken == 1);
}

TEST_CASE("waiters already past the write's index stay registered", "[unit]") {
  Harness h;
  int woken = 0;
  auto handle = h.store().WatchKey("k", 5, [&](uint64_t) { ++woken; });
  REQUIRE(*h.Set("k", "1"));  // index 1 <= 5
  CHECK(woken == 0);
  CHECK(handle.active());
}

TEST_CASE("session watches: by id, by node, any", "[unit]") {
  Harness h;
  int by_id = 0, by_node = 0, other_node = 0, any = 0;
  auto a = h.store().WatchSession("s1", 0, [&](uint64_t) { ++by_id; });
  auto b = h.store().WatchNodeSessions("n1", 0, [&](uint64_t) { ++by_node; });
  auto c = h.store().WatchNodeSessions("n2", 0, [&](uint64_t) { ++other_node; });
  auto d = h.store().WatchSessions(0, [&](uint64_t) { ++any; });
  REQUIRE(h.CreateSession("s1", "n1").ok());
  CHECK(by_id == 1);
  CHECK(by_node == 1);
  CHECK(other_node == 0);
  CHECK(any == 1);
}

TEST_CASE("invalidation wakes watchers of released keys", "[unit]") {
  Harness h;
  REQUIRE(h.CreateSession("s1").ok());
  REQUIRE(*h.Apply([](WriteTxn& t) { return t.Acquire("leader", "me", 0, "s1", T0()); }));
  uint64_t seen = h.view().KeyIndex("leader");
  uint64_t woke_at = 0;
  auto handle = h.store().WatchKey("leader", seen, [&](uint64_t i) { woke_at = i; });
  REQUIRE(*h.Apply([](WriteTxn& t) { return t.DestroySession("s1", T0()); }));
  CHECK(woke_at == 3);
  CHECK(h.view().KeyIndex("leader") == 3);
}

TEST_CASE("ten thousand waiters: one key wakes all of its own, none of the others", "[unit]") {
  Harness h;
  int same = 0, distinct = 0;
  std::vector<base::WatchHub::Handle> handles;
  for (int i = 0; i < 10000; ++i) {
    handles.push_back(h.store().WatchKey("hot", 0, [&](uint64_t) { ++same; }));
    handles.push_back(
        h.store().WatchKey("cold/" + std::to_string(i), 0, [&](uint64_t) { ++distinct; }));
  }
  CHECK(h.store().kv_waiters() == 20000);
  REQUIRE(*h.Set("hot", "1"));
  CHECK(same == 10000);
  CHECK(distinct == 0);
  REQUIRE(*h.Set("cold/42", "1"));
  CHECK(distinct == 1);
  CHECK(h.store().kv_waiters() == 9999);
  handles.clear();
  CHECK(h.store().kv_waiters() == 0);
}

TEST_CASE("restore wakes every waiter", "[unit]") {
  Harness src;
  REQUIRE(*src.Set("x", "1"));
  std::string bytes;
  REQUIRE(src.view()
              .WriteSnapshot([&](std::string_view s) {
                bytes.append(s);
                return absl::OkStatus();
              })
              .ok());
  Harness h;
  int woken = 0;
  auto a = h.store().WatchKey("unrelated", 0, [&](uint64_t) { ++woken; });
  auto b = h.store().WatchSessions(0, [&](uint64_t) { ++woken; });
  std::size_t pos = 0;
  REQUIRE(h.store()
              .Restore([&](char* buf, std::size_t n) -> absl::StatusOr<std::size_t> {
                std::size_t m = std::min(n, bytes.size() - pos);
                std::copy_n(bytes.data() + pos, m, buf);
                pos += m;
                return m;
              })
              .ok());
  CHECK(woken == 2);
}

}  // namespace
}  // namespace cairn::kv
