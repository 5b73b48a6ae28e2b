// Simulated gossip pool: join convergence, failure detection and message rates of the
// memberlist core on a seeded SimNetwork (no sockets; virtual time).
//
//   gossip_sim_bench [--nodes N] [--seeds K] [--loss P] [--steady S] [--memberlist-join]
//                    [--join-window-ms W]
//
// For each seed: N nodes join node 0 within W ms (default 1000); prints the virtual time until
// every node lists all N alive, then the UDP packets and bytes per node per second over S
// seconds of steady state, then the time until every node sees a crashed node as failed.
// --memberlist-join turns off Cairn's join-time push/pulls (Options::join_followup_push_pulls,
// growth_push_pull_interval) to compare with memberlist's own behaviour.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <cairn/base/clock.h>
#include <cairn/base/log.h>
#include <cairn/gossip/memberlist.h>
#include <cairn/gossip/sim_network.h>

using cairn::gossip::Memberlist;
using cairn::gossip::NodeState;
using cairn::gossip::SimNetwork;

namespace {

struct Result {
  double converge_s = -1, detect_s = -1, pkts_per_node_s = 0, bytes_per_node_s = 0;
};

Result RunOnce(int n, uint64_t seed, double loss, int steady_s, bool memberlist_join,
               int window_ms) {
  cairn::base::SimulatedClock clock;
  SimNetwork net(clock, {.seed = seed, .loss = loss});
  std::vector<SimNetwork::Endpoint*> eps;
  std::vector<std::unique_ptr<Memberlist>> mls;
  for (int i = 0; i < n; ++i) {
    eps.push_back(&net.AddNode(fmt::format("10.{}.{}.{}:7946", ((i + 1) >> 16) & 255,
                                           ((i + 1) >> 8) & 255, (i + 1) & 255)));
    Memberlist::Options o = Memberlist::Options::LAN(fmt::format("n{}", i));
    o.random_seed = seed * 7919 + i + 1;
    if (memberlist_join) {
      o.join_followup_push_pulls.clear();
      o.growth_push_pull_interval = absl::ZeroDuration();
    }
    auto ml = Memberlist::Create(std::move(o), eps[i]->transport(), eps[i]->clock(), {});
    if (!ml.ok()) std::abort();
    mls.push_back(std::move(*ml));
  }
  auto all_see = [&](int expect) {
    for (auto& m : mls)
      if (m && m->NumMembers() != expect) return false;
    return true;
  };
  Result r;
  for (int i = 1; i < n; ++i) {
    clock.Advance(std::chrono::microseconds(int64_t{window_ms} * 1000 / n));
    mls[i]->Join({eps[0]->address()}, [](absl::StatusOr<int>) {});
  }
  const auto start = clock.Now();
  for (int step = 0; step < 3000 && !all_see(n); ++step)
    clock.Advance(std::chrono::milliseconds(100));
  if (all_see(n))
    r.converge_s = std::chrono::duration<double>(clock.Now() - start).count() + window_ms / 1000.0;

  const auto before = net.counters();
  clock.Advance(std::chrono::seconds(steady_s));
  const auto after = net.counters();
  r.pkts_per_node_s = double(after.packets_sent - before.packets_sent) / n / steady_s;
  r.bytes_per_node_s = double(after.bytes_sent - before.bytes_sent) / n / steady_s;

  const int victim = n / 2;
  net.Crash(eps[victim]->address());
  mls[victim].reset();
  const auto crash = clock.Now();
  auto all_failed = [&] {
    for (int i = 0; i < n; ++i) {
      if (!mls[i]) continue;
      auto node = mls[i]->Find(fmt::format("n{}", victim));
      if (node && node->state != NodeState::kDead && node->state != NodeState::kLeft) return false;
    }
    return true;
  };
  for (int step = 0; step < 3000 && !all_failed(); ++step)
    clock.Advance(std::chrono::milliseconds(100));
  if (all_failed()) r.detect_s = std::chrono::duration<double>(clock.Now() - crash).count();
  mls.clear();
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  int nodes = 50, seeds = 5, steady = 60, window_ms = 1000;
  double loss = 0.0;
  bool memberlist_join = false;
  for (int i = 1; i < argc; ++i) {
    auto next = [&] { return i + 1 < argc ? argv[++i] : ""; };
    if (!std::strcmp(argv[i], "--nodes"))
      nodes = std::atoi(next());
    else if (!std::strcmp(argv[i], "--seeds"))
      seeds = std::atoi(next());
    else if (!std::strcmp(argv[i], "--loss"))
      loss = std::atof(next());
    else if (!std::strcmp(argv[i], "--steady"))
      steady = std::atoi(next());
    else if (!std::strcmp(argv[i], "--memberlist-join"))
      memberlist_join = true;
    else if (!std::strcmp(argv[i], "--join-window-ms"))
      window_ms = std::atoi(next());
    else {
      std::fprintf(stderr,
                   "usage: %s [--nodes N] [--seeds K] [--loss P] [--steady S] [--memberlist-join] "
                   "[--join-window-ms W]\n",
                   argv[0]);
      return 2;
    }
  }
  if (nodes < 2 || seeds < 1 || steady < 1 || window_ms < 0) return 2;
  cairn::base::LogSystem::Default().SetLevel(cairn::base::LogLevel::kOff);
  std::printf("nodes=%d loss=%.3f join=%s\n", nodes, loss,
              memberlist_join ? "memberlist" : "cairn");
  std::vector<double> conv;
  for (int s = 1; s <= seeds; ++s) {
    const auto wall = std::chrono::steady_clock::now();
    Result r = RunOnce(nodes, s, loss, steady, memberlist_join, window_ms);
    const double wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count();
    std::printf(
        "seed=%d converge=%.1fs detect=%.1fs udp_pkts/node/s=%.2f udp_bytes/node/s=%.0f "
        "wall=%.1fs\n",
        s, r.converge_s, r.detect_s, r.pkts_per_node_s, r.bytes_per_node_s, wall_s);
    std::fflush(stdout);
    conv.push_back(r.converge_s < 0 ? 1e9 : r.converge_s);
  }
  std::sort(conv.begin(), conv.end());
  std::printf("convergence median=%.1fs max=%.1fs\n", conv[conv.size() / 2], conv.back());
  return 0;
}
