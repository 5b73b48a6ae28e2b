#include <atomic>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include <cairn/base/watch.h>

namespace cairn::base {
namespace {

TEST_CASE("Key waiters wake only for their key and a newer index", "[unit]") {
  WatchHub hub;
  std::vector<uint64_t> woke;
  auto h = hub.WaitKey("a/b", 10, [&](uint64_t i) { woke.push_back(i); });
  hub.Notify("a/c", 20);
  hub.Notify("a/b", 10);  // not past min_index
  hub.Notify("a/bc", 20);
  CHECK(woke.empty());
  CHECK(h.active());
  hub.Notify("a/b", 11);
  CHECK(woke == std::vector<uint64_t>{11});
  CHECK_FALSE(h.active());
  hub.Notify("a/b", 12);  // fires at most once
  CHECK(woke.size() == 1);
  CHECK(hub.size() == 0);
}

TEST_CASE("Prefix waiters wake for every key under the prefix", "[unit]") {
  WatchHub hub;
  int all = 0, web = 0, web_exact = 0, other = 0;
  auto h1 = hub.WaitPrefix("", 0, [&](uint64_t) { ++all; });
  auto h2 = hub.WaitPrefix("web/", 0, [&](uint64_t) { ++web; });
  auto h3 = hub.WaitPrefix("web/config", 0, [&](uint64_t) { ++web_exact; });
  auto h4 = hub.WaitPrefix("db/", 0, [&](uint64_t) { ++other; });
  hub.Notify("web/config", 5);
  CHECK(all == 1);
  CHECK(web == 1);
  CHECK(web_exact == 1);
  CHECK(other == 0);
  CHECK(hub.size() == 1);
}

TEST_CASE("Cancelled, moved and destroyed handles behave", "[unit]") {
  WatchHub hub;
  int fired = 0;
  auto a = hub.WaitKey("k", 0, [&](uint64_t) { ++fired; });
  {
    auto b = hub.WaitKey("k", 0, [&](uint64_t) { fired += 10; });
  }
  WatchHub::Handle moved = std::move(a);
  CHECK(moved.active());
  CHECK_FALSE(a.active());
  moved.Cancel();
  hub.Notify("k", 1);
  CHECK(fired == 0);
  CHECK(hub.size() == 0);
}

TEST_CASE("A handle may outlive its hub", "[unit]") {
  WatchHub::Handle h;
  {
    WatchHub hub;
    h = hub.WaitKey("k", 0, [](uint64_t) {});
  }
  CHECK_FALSE(h.active());
  h.Cancel();
}

TEST_CASE("Callbacks may register new waiters, NotifyAll wakes everyone", "[unit]") {
  WatchHub hub;
  std::vector<WatchHub::Handle> keep;
  int second = 0;
  auto h = hub.WaitKey("k", 0, [&](uint64_t i) {
    keep.push_back(hub.WaitKey("k", i, [&](uint64_t) { ++second; }));
  });
  hub.Notify("k", 1);
  CHECK(second == 0);
  CHECK(hub.size() == 1);
  hub.NotifyAll(2);
  CHECK(second == 1);
}

TEST_CASE("Ten thousand waiters: unrelated writes wake nobody", "[unit]") {
  WatchHub hub;
  std::atomic<int> woke{0};
  std::vector<WatchHub::Handle> hs;
  for (int i = 0; i < 10000; ++i) {
    hs.push_back(hub.WaitKey("key/" + std::to_string(i), 1, [&](uint64_t) { ++woke; }));
    hs.push_back(hub.WaitKey("hot", 1, [&](uint64_t) { ++woke; }));
  }
  hub.Notify("key/x", 2);
  hub.Notify("ho", 2);
  CHECK(woke == 0);
  hub.Notify("key/42", 2);
  CHECK(woke == 1);
  hub.Notify("hot", 2);
  CHECK(woke == 10001);
  CHECK(hub.size() == 9999);
}

TEST_CASE("Concurrent registration, cancellation and notification", "[unit]") {
  WatchHub hub;
  std::atomic<int> fired{0};
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (uint64_t i = 1; !stop; ++i) hub.Notify("k" + std::to_string(i % 4), i);
  });
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        auto h = hub.WaitKey("k" + std::to_string((i + t) % 4), 0, [&](uint64_t) { ++fired; });
        if (i % 2 == 0) h.Cancel();
      }
    });
  }
  for (auto& r : readers) r.join();
  stop = true;
  writer.join();
  CHECK(hub.size() == 0);
  CHECK(fired <= 3000);
}

}  // namespace
}  // namespace cairn::base
