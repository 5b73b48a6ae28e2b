// A linearizability checker for key/value register histories (test-only).
//
// The search is Wing & Gong's, with Lowe's memoization as in Porcupine (anishathalye/
// porcupine, checker.go): walk the history's call/return events in time order, try to
// linearize a pending call at its current position, and backtrack when a return is reached
// whose call could not be placed; a cache of (set of linearized operations, model state)
// prunes states already explored. Histories are partitioned per key first (operations on
// different keys commute), which keeps each search small.
//
// The model: each key holds an optional string value.
//   kPut(key, value)                 -> always succeeds
//   kGet(key)                        -> returns the value (or absent)
//   kCas(key, expected, value)       -> succeeds iff the current value equals `expected`
// An operation whose outcome the client never learned (its node crashed, it lost
// leadership) has `unknown = true` and return time kNever: it may have taken effect at any
// point after its call, or not at all... as Porcupine, it is linearized somewhere before
// the end, with any output accepted. (A write that never took effect is equivalent to one
// linearized after every read of its key, so this is not weaker.)
#ifndef CAIRN_RAFT_TESTS_SIM_LINEARIZABILITY_H_
#define CAIRN_RAFT_TESTS_SIM_LINEARIZABILITY_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace cairn::raft::sim {

struct KvOp {
  enum class Kind { kPut, kGet, kCas };
  static constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

  int client = 0;
  Kind kind = Kind::kGet;
  std::string key;
  std::string value;     // kPut, kCas: the new value.
  std::string expected;  // kCas.
  int64_t call = 0;      // Invocation time.
  int64_t ret = kNever;  // Response time; kNever when unknown.
  // Output.
  bool unknown = false;            // Outcome never observed: any output is accepted.
  std::optional<std::string> got;  // kGet.
  bool ok = true;                  // kCas: whether it swapped.

  std::string DebugString() const;
};

struct CheckResult {
  bool linearizable = true;
  // When not linearizable: the key whose history failed.
  std::string bad_key;
  // The search gave up after `max_steps` (counted as linearizable: no verdict).
  bool gave_up = false;
};

// Checks every key's sub-history. `max_steps` bounds the search per key.
CheckResult CheckKvHistory(const std::vector<KvOp>& history, int64_t max_steps = 50'000'000);

}  // namespace cairn::raft::sim

#endif  // CAIRN_RAFT_TESTS_SIM_LINEARIZABILITY_H_
