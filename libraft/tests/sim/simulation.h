// Deterministic simulation of a Raft cluster (test-only).
//
// One seeded std::mt19937_64 drives everything: a simulated network that loses,
// duplicates, delays (and so reorders) messages and partitions links in either direction;
// crashes that lose whatever a node had not persisted (an Output is persisted atomically
// or not at all, as the core's contract requires; a snapshot may survive alone); restarts
// from the durable MemoryLogStore; membership changes (add a non-voter, promote it,
// remove a voter, possibly the leader) and leadership transfers while all of that goes
// on. Time is simulated milliseconds; each node ticks every 10 ms with its own phase.
//
// Clients run a register/CAS workload over a few keys: writes go through Propose and
// complete when the proposing node applies them; reads go through ReadIndex. The history
// is checked for linearizability at the end (sim/linearizability.h).
//
// After every simulated millisecond the invariants of Raft Figure 3 are checked:
//   election safety     at most one leader per term;
//   log matching        an (index, term) pair identifies one entry and its whole prefix
//                       (checked incrementally: same entry, same predecessor term);
//   leader completeness a newly elected leader holds every entry applied anywhere;
//   state machine safety no two nodes apply different entries at one index.
// A violation stops the run with a message naming the seed and simulated time.
#ifndef CAIRN_RAFT_TESTS_SIM_SIMULATION_H_
#define CAIRN_RAFT_TESTS_SIM_SIMULATION_H_

#include <cstdint>
#include <string>

namespace cairn::raft::sim {

struct SimOptions {
  uint64_t seed = 1;
  int nodes = 3;
  int clients = 4;
  int keys = 3;
  int64_t duration_ms = 10'000;  // Faulty phase; then a healed phase of 3 s.
  bool membership_changes = true;
  bool verbose = false;  // Trace every fault to stderr.
};

struct SimResult {
  bool ok = true;
  std::string failure;  // Empty when ok.
  int64_t ops_completed = 0;
  int64_t ops_unknown = 0;
  int64_t reads_completed = 0;
  int64_t elections = 0;
  int64_t crashes = 0;
  int64_t config_changes = 0;
  int64_t snapshots_installed = 0;
  int64_t messages = 0;
  bool checker_gave_up = false;
};

// Runs one seed to completion and checks the history.
SimResult RunSimulation(const SimOptions& options);

}  // namespace cairn::raft::sim

#endif  // CAIRN_RAFT_TESTS_SIM_SIMULATION_H_
