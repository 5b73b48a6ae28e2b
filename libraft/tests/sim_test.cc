// Deterministic simulation of 3- and 5-node clusters under faults (see sim/simulation.h).
//
// Environment:
//   CAIRN_RAFT_SIM_SEEDS=N   run seeds 1..N per cluster size (default: CI budget, or the
//                            larger default of the "slow" build of this file)
//   CAIRN_RAFT_SIM_SEED=S    run only seed S, tracing faults and leaders to stderr: a
//                            failing seed prints itself and replays exactly this way
//   CAIRN_RAFT_SIM_MS=T      length of the faulty phase in simulated milliseconds
#include <cstdlib>
#include <string>

#include <catch2/catch.hpp>

#include "sim/simulation.h"

#ifndef CAIRN_RAFT_SIM_DEFAULT_SEEDS
#define CAIRN_RAFT_SIM_DEFAULT_SEEDS 200
#endif
#ifndef CAIRN_RAFT_SIM_DEFAULT_MS
#define CAIRN_RAFT_SIM_DEFAULT_MS 10000
#endif

namespace cairn::raft::sim {
namespace {

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::stoll(v) : fallback;
}

void RunSeeds(int nodes) {
  const int64_t only = EnvInt("CAIRN_RAFT_SIM_SEED", 0);
  const int64_t seeds = EnvInt("CAIRN_RAFT_SIM_SEEDS", CAIRN_RAFT_SIM_DEFAULT_SEEDS);
  const int64_t ms = EnvInt("CAIRN_RAFT_SIM_MS", CAIRN_RAFT_SIM_DEFAULT_MS);
  SimResult total;
  int64_t first = only != 0 ? only : 1, last = only != 0 ? only : seeds;
  for (int64_t seed = first; seed <= last; ++seed) {
    SimOptions o;
    o.seed = static_cast<uint64_t>(seed) * 1000 + static_cast<uint64_t>(nodes);
    o.nodes = nodes;
    o.duration_ms = ms;
    o.verbose = only != 0;
    SimResult r = RunSimulation(o);
    if (!r.ok) {
      FAIL(r.failure << "\nreplay: CAIRN_RAFT_SIM_SEED=" << seed
                     << " ./raft_sim_test \"simulation: " << nodes << " nodes*\"");
    }
    total.ops_completed += r.ops_completed;
    total.ops_unknown += r.ops_unknown;
    total.reads_completed += r.reads_completed;
    total.elections += r.elections;
    total.crashes += r.crashes;
    total.config_changes += r.config_changes;
    total.snapshots_installed += r.snapshots_installed;
    total.messages += r.messages;
    total.checker_gave_up |= r.checker_gave_up;
  }
  WARN(nodes << " nodes, seeds " << first << ".." << last << ": " << total.ops_completed
             << " writes, " << total.reads_completed << " reads, " << total.ops_unknown
             << " unknown, " << total.elections << " elections, " << total.crashes << " crashes, "
             << total.config_changes << " membership changes, " << total.snapshots_installed
             << " snapshots installed, " << total.messages << " messages");
  // The workload must actually exercise the cluster.
  REQUIRE(total.ops_completed + total.reads_completed > (last - first + 1) * 100);
  REQUIRE(total.elections > 0);
  REQUIRE_FALSE(total.checker_gave_up);
}

TEST_CASE("simulation: 3 nodes keep Raft's invariants and linearizability under faults", "[sim]") {
  RunSeeds(3);
}

TEST_CASE("simulation: 5 nodes keep Raft's invariants and linearizability under faults", "[sim]") {
  RunSeeds(5);
}

}  // namespace
}  // namespace cairn::raft::sim
