// cairn/gossip/sim_network.h — a simulated network (and per-node clocks) for running many
// Memberlists in one process, deterministically from a seed.
//
// Every node gets a Transport and a Clock from the network. Datagrams are delivered after
// a random delay, or lost; streams are simulated as in-order byte pipes with the same
// delay per write. Faults: packet loss, partitions (sets of addresses that cannot reach
// each other), crashes (a node's traffic vanishes), and stalls — a node's CPU pauses for
// a while: nothing it would do (timers, received packets, stream data) happens until the
// stall ends, and then everything pending runs at once, as after a GC pause or a frozen VM.
//
// Example:
//
//   cairn::base::SimulatedClock clock;
//   cairn::gossip::SimNetwork net(clock, {.seed = 42, .loss = 0.01});
//   SimNetwork::Endpoint& a = net.AddNode("10.0.0.1:7946");
//   auto ml = Memberlist::Create(opts, a.transport(), a.clock(), {});
//   net.Stall("10.0.0.1:7946", absl::Seconds(5));
//   clock.Advance(std::chrono::seconds(60));
//
// Determinism: all randomness comes from one generator seeded with `seed`, and all events
// are timers on the one SimulatedClock, so a run replays exactly.
//
// Threading: not thread-safe. Everything runs on the thread that drives the
// SimulatedClock, which is also the executor of every transport and node clock handed out.
#ifndef CAIRN_GOSSIP_SIM_NETWORK_H_
#define CAIRN_GOSSIP_SIM_NETWORK_H_

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <absl/time/time.h>

#include <cairn/base/clock.h>
#include <cairn/gossip/transport.h>

namespace cairn::gossip {

class SimNetwork {
 public:
  struct Options {
    uint64_t seed = 1;
    double loss = 0.0;  // probability each datagram is dropped
    absl::Duration min_delay = absl::Microseconds(500);
    absl::Duration max_delay = absl::Milliseconds(5);
  };

  struct Counters {
    uint64_t packets_sent = 0, packets_delivered = 0, packets_lost = 0;
    uint64_t bytes_sent = 0;
    uint64_t streams_opened = 0;
  };

  // A node's attachment to the network: its transport and its clock (which honours
  // stalls). Owned by the network; valid until the network is destroyed.
  class Endpoint {
   public:
    virtual ~Endpoint() = default;
    virtual Transport& transport() = 0;
    virtual base::Clock& clock() = 0;
    virtual const std::string& address() const = 0;
  };

  // `clock` is borrowed and must outlive the network and everything using it. Destroy
  // every Memberlist using the network before the network.
  SimNetwork(base::SimulatedClock& clock, Options options);
  ~SimNetwork();
  SimNetwork(const SimNetwork&) = delete;
  SimNetwork& operator=(const SimNetwork&) = delete;

  // Adds a node listening on `address` ("ip:port"). CHECK-fails on a duplicate.
  Endpoint& AddNode(std::string address);

  void SetLoss(double loss);
  // Nodes in different groups cannot exchange anything (packets are dropped, dials fail)
  // until Heal(). Nodes not listed form one more group.
  void Partition(const std::vector<std::vector<std::string>>& groups);
  void Heal();
  // The node's traffic disappears from now on (sent and received); its timers keep
  // running (destroy its Memberlist to stop them). Restart() undoes it.
  void Crash(std::string_view address);
  void Restart(std::string_view address);
  // Pauses the node for `d` from now (see the file comment). Overlapping stalls extend.
  void Stall(std::string_view address, absl::Duration d);

  const Counters& counters() const { return counters_; }
  base::SimulatedClock& sim_clock() { return clock_; }

  class NodeImpl;  // private; defined in src/sim_network.cc

 private:
  friend class NodeImpl;
  friend class SimStream;
  struct Pending;
  // Runs `fn` after `d` on the simulated clock (deliveries; cancelled by ~SimNetwork).
  void Schedule(absl::Duration d, absl::AnyInvocable<void() &&> fn);
  bool Reachable(const NodeImpl& from, const NodeImpl& to) const;
  absl::Duration RandomDelay();
  bool Lose();

  base::SimulatedClock& clock_;
  Options options_;
  std::mt19937_64 rng_;
  Counters counters_;
  std::unique_ptr<Pending> pending_;
  std::map<std::string, std::unique_ptr<NodeImpl>, std::less<>> nodes_;
};

}  // namespace cairn::gossip

#endif  // CAIRN_GOSSIP_SIM_NETWORK_H_
