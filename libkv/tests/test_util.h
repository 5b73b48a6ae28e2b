// Shared helpers for libkv tests: a store plus a Raft-index counter.
#ifndef CAIRN_KV_TESTS_TEST_UTIL_H_
#define CAIRN_KV_TESTS_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <utility>

#include <absl/time/time.h>

#include <cairn/kv/store.h>

namespace cairn::kv::testing {

// A wall-clock origin for lock-delay arithmetic.
inline absl::Time T0() { return absl::FromUnixSeconds(1700000000); }

class Harness {
 public:
  explicit Harness(Options o = {}) : store_(o) {}
  Store& store() { return store_; }
  ReadView view() { return store_.Snapshot(); }
  uint64_t next_index() const { return index_ + 1; }

  // Runs `fn(txn)` in one write at the next index and commits it; returns fn's result.
  template <typename Fn>
  auto Apply(Fn fn) {
    WriteTxn txn = store_.BeginWrite(++index_);
    auto result = fn(txn);
    txn.Commit();
    return result;
  }
  absl::StatusOr<bool> Set(std::string key, std::string value, uint64_t flags = 0) {
    return Apply([&](WriteTxn& t) { return t.Set(key, value, flags); });
  }
  absl::StatusOr<Session> CreateSession(std::string id, std::string node = "node1",
                                        SessionBehavior b = SessionBehavior::kRelease,
                                        base::Duration lock_delay = std::chrono::seconds(15)) {
    Session s;
    s.id = std::move(id);
    s.node = std::move(node);
    s.node_checks = {"serfHealth"};
    s.behavior = b;
    s.lock_delay = lock_delay;
    return Apply([&](WriteTxn& t) { return t.CreateSession(s); });
  }

 private:
  Store store_;
  uint64_t index_ = 0;
};

}  // namespace cairn::kv::testing

#endif  // CAIRN_KV_TESTS_TEST_UTIL_H_
