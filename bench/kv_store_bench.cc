// kv_store_bench — libkv state-store figures (issue 5 item 10). A plain program, not a test.
//
//   kv_store_bench [keys=1000000] [value_bytes=256]
//
// Prints one line per figure:
//   * load:      sets of `keys` distinct keys in random order, one WriteTxn per set (as the
//                FSM applies one Raft entry per write)
//   * set:       overwrites of random resident keys with `keys` resident, one commit each
//   * memory:    heap bytes per entry beyond key + value bytes (glibc mallinfo2), and RSS
//   * get:       latency of single-key Get() on the resident store (p50/p99)
//   * recurse:   latency of List(prefix) returning 10,000 entries, and of PrefixIndex()
//   * snapshot:  time to write a snapshot of all keys (CRC'd stream into memory-less sink)
//                and the longest single write (set + commit) while it runs on another
//                thread, against the longest without it
//   * restore:   time to validate and rebuild from the stream
//   * watch:     cost of one commit waking 10,000 waiters on one key, and of one commit
//                touching one of 10,000 keys that each have a waiter
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <cairn/kv/store.h>

#include <malloc.h>
#include <time.h>

namespace {

using Clock = std::chrono::steady_clock;

// CPU time of this thread: on a shared, overloaded machine it shows the work done, where
// wall time also shows the wait for a core.
double ThreadCpuMs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }
double Us(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

std::size_t HeapBytes() {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

long RssKb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

// 100 groups of equal size: "bench/042/0001234".
std::string KeyOf(std::size_t i, std::size_t per_group) {
  char buf[64];  // room for any two size_t values, so nothing is ever cut
  std::snprintf(buf, sizeof buf, "bench/%03zu/%07zu", i / per_group, i % per_group);
  return buf;
}

struct Percentiles {
  double p50, p99, max;
};
Percentiles Summarize(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v[v.size() * 99 / 100], v.back()};
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  std::size_t value_bytes = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 256;
  std::size_t per_group = std::max<std::size_t>(n / 100, 1);
  std::printf("kv_store_bench: %zu keys, %zu-byte values\n", n, value_bytes);

  std::mt19937_64 rng(42);
  std::vector<std::string> keys(n);
  std::size_t key_bytes = 0;
  for (std::size_t i = 0; i < n; ++i) {
    keys[i] = KeyOf(i, per_group);
    key_bytes += keys[i].size();
  }
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  std::string value(value_bytes, 'v');

  cairn::kv::Store store;
  uint64_t index = 0;
  auto set = [&](const std::string& key, const std::string& v) {
    cairn::kv::WriteTxn txn = store.BeginWrite(++index);
    if (!txn.Set(key, v, 0).ok()) std::abort();
    txn.Commit();
  };

  // ---- load + memory ----
  std::size_t heap0 = HeapBytes();
  long rss0 = RssKb();
  double cpu0 = ThreadCpuMs();
  auto t0 = Clock::now();
  for (std::size_t i : order) set(keys[i], value);
  auto load = Clock::now() - t0;
  double load_cpu = ThreadCpuMs() - cpu0;
  std::size_t heap1 = HeapBytes();
  long rss1 = RssKb();
  double payload = static_cast<double>(key_bytes + n * value_bytes);
  std::printf("load: %zu sets in %.0f ms = %.0f sets/s (thread CPU %.2f us/set)\n", n, Ms(load),
              n / (Ms(load) / 1000), load_cpu * 1000 / n);
  std::printf("memory: %.1f bytes/entry beyond key+value (heap %+.1f MiB, RSS %+.1f MiB)\n",
              (static_cast<double>(heap1 - heap0) - payload) / n, (heap1 - heap0) / 1048576.0,
              (rss1 - rss0) / 1024.0);

  // ---- set throughput with n resident ----
  std::size_t sets = std::min<std::size_t>(n, 200000);
  std::string value2(value_bytes, 'w');
  cpu0 = ThreadCpuMs();
  t0 = Clock::now();
  for (std::size_t i = 0; i < sets; ++i) set(keys[rng() % n], (i & 1) ? value : value2);
  auto dt = Clock::now() - t0;
  double set_cpu = ThreadCpuMs() - cpu0;
  std::printf(
      "set: %zu overwrites with %zu resident in %.0f ms = %.0f sets/s (wall %.2f us/set,"
      " thread CPU %.2f us/set = %.0f sets/s per core)\n",
      sets, n, Ms(dt), sets / (Ms(dt) / 1000), Us(dt) / sets, set_cpu * 1000 / sets,
      sets / (set_cpu / 1000));

  // ---- get latency ----
  {
    cairn::kv::ReadView view = store.Snapshot();
    std::vector<double> lat;
    lat.reserve(100000);
    std::size_t found = 0;
    double c0 = ThreadCpuMs();
    for (int i = 0; i < 100000; ++i) {
      const std::string& k = keys[rng() % n];
      auto a = Clock::now();
      auto e = view.Get(k);
      lat.push_back(std::chrono::duration<double, std::nano>(Clock::now() - a).count());
      found += e.has_value();
    }
    double cpu_ns = (ThreadCpuMs() - c0) * 1e6 / 100000;
    Percentiles p = Summarize(lat);
    std::printf(
        "get: p50 %.0f ns, p99 %.0f ns, max %.0f ns; thread CPU %.0f ns/get incl. timing"
        " (found %zu/100000)\n",
        p.p50, p.p99, p.max, cpu_ns, found);
  }

  // ---- recurse latency over a 10k-key prefix ----
  {
    cairn::kv::ReadView view = store.Snapshot();
    std::vector<double> lat, idx_lat;
    std::size_t listed = 0;
    double list_cpu = 0;
    for (int i = 0; i < 200; ++i) {
      char prefix[16];
      std::snprintf(prefix, sizeof prefix, "bench/%03d/", static_cast<int>(rng() % 100));
      double c0 = ThreadCpuMs();
      auto a = Clock::now();
      auto list = view.List(prefix);
      lat.push_back(Us(Clock::now() - a));
      list_cpu += ThreadCpuMs() - c0;
      listed = list.size();
      a = Clock::now();
      volatile uint64_t pi = view.PrefixIndex(prefix);
      (void)pi;
      idx_lat.push_back(std::chrono::duration<double, std::nano>(Clock::now() - a).count());
    }
    Percentiles p = Summarize(lat), q = Summarize(idx_lat);
    std::printf(
        "recurse: %zu entries per List: p50 %.0f us, p99 %.0f us, thread CPU %.0f us "
        "per List; PrefixIndex p50 %.0f ns, p99 %.0f ns\n",
        listed, p.p50, p.p99, list_cpu * 1000 / 200, q.p50, q.p99);
  }

  // ---- snapshot time and writer stall ----
  std::string stream;
  {
    // Baseline: longest single write without a snapshot running.
    std::vector<double> base_lat;
    for (int i = 0; i < 20000; ++i) {
      auto a = Clock::now();
      set(keys[rng() % n], (i & 1) ? value : value2);
      base_lat.push_back(Ms(Clock::now() - a));
    }
    Percentiles base = Summarize(base_lat);
    std::atomic<bool> done{false};
    double snap_ms = 0;
    std::size_t bytes = 0;
    cairn::kv::ReadView view = store.Snapshot();
    double snap_cpu = 0;
    // The stream goes to a file, as an FSM snapshot goes to the snapshot store. (Appending
    // 311 MiB to one growing string instead makes the kernel's page-fault lock the
    // bottleneck and stalls the writer for reasons no store could avoid.)
    std::FILE* file = std::tmpfile();
    if (file == nullptr) std::abort();
    std::thread snapper([&] {
      double c0 = ThreadCpuMs();
      auto a = Clock::now();
      absl::Status s = view.WriteSnapshot([&](std::string_view chunk) {
        bytes += chunk.size();
        if (std::fwrite(chunk.data(), 1, chunk.size(), file) != chunk.size()) {
          return absl::DataLossError("short write to the snapshot file");
        }
        return absl::OkStatus();
      });
      snap_ms = Ms(Clock::now() - a);
      snap_cpu = ThreadCpuMs() - c0;
      if (!s.ok()) std::abort();
      done.store(true);
    });
    std::vector<double> lat;
    lat.reserve(4'000'000);
    std::size_t writes = 0;
    double max_cpu = 0;
    while (!done.load()) {
      double c0 = ThreadCpuMs();
      auto a = Clock::now();
      set(keys[rng() % n], (writes & 1) ? value : value2);
      lat.push_back(Ms(Clock::now() - a));
      max_cpu = std::max(max_cpu, ThreadCpuMs() - c0);
      ++writes;
    }
    snapper.join();
    // Read the stream back for the restore measurement below (not timed).
    stream.resize(bytes);
    std::rewind(file);
    if (std::fread(stream.data(), 1, bytes, file) != bytes) std::abort();
    std::fclose(file);
    Percentiles during = Summarize(lat);
    std::printf(
        "snapshot: %zu entries, %.1f MiB in %.0f ms (thread CPU %.0f ms); %zu writes "
        "meanwhile: p99 %.3f ms, longest %.3f ms (without a snapshot: p99 %.3f ms, "
        "longest %.3f ms); most CPU one write used during it: %.3f ms\n",
        view.entry_count(), bytes / 1048576.0, snap_ms, snap_cpu, writes, during.p99, during.max,
        base.p99, base.max, max_cpu);
  }

  // ---- restore ----
  {
    cairn::kv::Store fresh;
    std::size_t pos = 0;
    auto a = Clock::now();
    absl::Status s = fresh.Restore([&](char* buf, std::size_t len) -> absl::StatusOr<std::size_t> {
      std::size_t m = std::min(len, stream.size() - pos);
      std::copy_n(stream.data() + pos, m, buf);
      pos += m;
      return m;
    });
    if (!s.ok()) std::abort();
    std::printf("restore: %zu entries validated and rebuilt in %.0f ms\n",
                fresh.Snapshot().entry_count(), Ms(Clock::now() - a));
  }
  stream.clear();
  stream.shrink_to_fit();

  // ---- watch wake-up cost ----
  {
    std::atomic<std::size_t> woken{0};
    std::vector<cairn::base::WatchHub::Handle> handles;
    handles.reserve(10000);
    uint64_t seen = store.Snapshot().applied_index();
    auto a = Clock::now();
    for (int i = 0; i < 10000; ++i) {
      handles.push_back(store.WatchKey("hot/key", seen, [&](uint64_t) { woken.fetch_add(1); }));
    }
    double reg_us = Us(Clock::now() - a);
    a = Clock::now();
    set("hot/key", value);
    double wake_ms = Ms(Clock::now() - a);
    std::printf(
        "watch: 10000 waiters on one key: register %.2f us each; one commit woke %zu in "
        "%.2f ms (%.0f ns per waiter)\n",
        reg_us / 10000, woken.load(), wake_ms, wake_ms * 1e6 / 10000);
    handles.clear();
    woken = 0;
    seen = store.Snapshot().applied_index();
    for (int i = 0; i < 10000; ++i) {
      handles.push_back(store.WatchKey(keys[i], seen, [&](uint64_t) { woken.fetch_add(1); }));
    }
    a = Clock::now();
    set(keys[1234], value2);
    double one_ms = Ms(Clock::now() - a);
    a = Clock::now();
    set("unwatched/key", value);
    double none_ms = Ms(Clock::now() - a);
    std::printf(
        "watch: 10000 waiters on distinct keys: commit waking 1 took %.3f ms (woke %zu), "
        "a commit waking none %.3f ms\n",
        one_ms, woken.load(), none_ms);
  }
  return 0;
}
