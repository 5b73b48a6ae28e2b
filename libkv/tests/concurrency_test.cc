// One writer and several readers at once. Bounded iterations; run under ThreadSanitizer too.
#include <atomic>
#include <thread>

#include <catch2/catch.hpp>

#include "test_util.h"

namespace cairn::kv {
namespace {

TEST_CASE("readers see consistent versions while the writer commits", "[unit]") {
  // Invariant written by every commit: keys a/0..a/63 all hold the same value, the commit's
  // index; a reader must never see a mix (a torn version).
  Store store;
  std::atomic<bool> stop{false};
  std::atomic<long> reads{0};
  std::atomic<int> wakeups{0};
  // Catch2's assertions are not thread-safe: threads count violations, the main thread
  // checks the counts.
  std::atomic<int> torn{0}, backwards{0}, bad_index{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      uint64_t last = 0;
      do {
        ReadView v = store.Snapshot();
        if (v.applied_index() < last) backwards.fetch_add(1);  // versions never go back
        last = v.applied_index();
        std::vector<Entry> all = v.List("a/");
        if (!all.empty()) {
          bool same = all.size() == 64;
          for (const Entry& e : all) same = same && e.value() == all[0].value();
          if (!same) torn.fetch_add(1);
          if (v.PrefixIndex("a/") != v.applied_index()) bad_index.fetch_add(1);
        }
        reads.fetch_add(1);
      } while (!stop.load());
    });
  }
  // A waiter registered from another thread, the way a blocking query does.
  std::thread watcher([&] {
    for (int i = 0; i < 200; ++i) {
      uint64_t seen = store.Snapshot().PrefixIndex("a/");
      auto h = store.WatchPrefix("a/", seen, [&](uint64_t) { wakeups.fetch_add(1); });
      if (store.Snapshot().PrefixIndex("a/") > seen) wakeups.fetch_add(1);
    }
  });
  for (uint64_t index = 1; index <= 400; ++index) {
    WriteTxn txn = store.BeginWrite(index);
    for (int k = 0; k < 64; ++k) {
      REQUIRE(*txn.Set("a/" + std::to_string(k), std::to_string(index), 0));
    }
    txn.Commit();
  }
  watcher.join();
  stop.store(true);
  for (auto& t : readers) t.join();
  CHECK(reads.load() >= 3);
  CHECK(torn.load() == 0);
  CHECK(backwards.load() == 0);
  CHECK(bad_index.load() == 0);
  CHECK(store.Snapshot().applied_index() == 400);
}

}  // namespace
}  // namespace cairn::kv
