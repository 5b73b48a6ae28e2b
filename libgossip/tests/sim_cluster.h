// Test harness: N Memberlists on one SimNetwork and one SimulatedClock, with an event
// recorder per node and the invariants the simulation tests check.
#ifndef CAIRN_GOSSIP_TESTS_SIM_CLUSTER_H_
#define CAIRN_GOSSIP_TESTS_SIM_CLUSTER_H_

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <cairn/base/clock.h>
#include <cairn/base/log.h>
#include <cairn/gossip/memberlist.h>
#include <cairn/gossip/sim_network.h>

namespace cairn::gossip::testing {

// Records membership events and checks "incarnations never decrease".
class Recorder : public EventDelegate {
 public:
  void NotifyJoin(const Node& n) override {
    ++joins;
    Check(n);
  }
  void NotifyLeave(const Node& n) override {
    if (n.state == NodeState::kDead) failed.push_back(n.name);
    if (n.state == NodeState::kLeft) left.push_back(n.name);
    Check(n);
  }
  void NotifyUpdate(const Node& n) override {
    ++updates;
    Check(n);
  }
  void Check(const Node& n) {
    uint32_t& last = incarnations[n.name];
    if (n.incarnation < last) incarnation_went_back = true;
    last = n.incarnation;
  }
  int joins = 0, updates = 0;
  std::vector<std::string> failed, left;
  std::map<std::string, uint32_t> incarnations;
  bool incarnation_went_back = false;
};

inline std::string SimAddress(int i) {
  const int j = i + 1;
  return fmt::format("10.{}.{}.{}:7946", (j >> 16) & 255, (j >> 8) & 255, j & 255);
}

class SimCluster {
 public:
  struct Member {
    std::string name, address;
    SimNetwork::Endpoint* endpoint = nullptr;
    std::unique_ptr<Recorder> events;
    std::unique_ptr<Memberlist> ml;
  };

  SimCluster(int n, uint64_t seed, double loss,
             std::function<void(Memberlist::Options&)> tweak = nullptr)
      : net_(clock_, {.seed = seed, .loss = loss}), seed_(seed), tweak_(std::move(tweak)) {
    base::LogSystem::Default().SetLevel(base::LogLevel::kOff);
    for (int i = 0; i < n; ++i) Add();
  }
  ~SimCluster() {
    for (Member& m : members_) m.ml.reset();
  }

  int Add() {
    const int i = static_cast<int>(members_.size());
    Member m;
    m.name = fmt::format("node-{}", i);
    m.address = SimAddress(i);
    m.endpoint = &net_.AddNode(m.address);
    m.events = std::make_unique<Recorder>();
    members_.push_back(std::move(m));
    Start(i);
    return i;
  }

  void Start(int i) {
    Member& m = members_[i];
    Memberlist::Options o = Memberlist::Options::LAN(m.name);
    o.random_seed = seed_ * 1000003 + i + 1;
    if (tweak_) tweak_(o);
    auto ml = Memberlist::Create(std::move(o), m.endpoint->transport(), m.endpoint->clock(),
                                 {.events = m.events.get()});
    if (!ml.ok()) throw std::runtime_error(std::string(ml.status().message()));
    m.ml = std::move(*ml);
  }

  // Node i joins node `via`; the result is stored in *joined when given.
  void Join(int i, int via, int* joined = nullptr) {
    members_[i].ml->Join({members_[via].address}, [joined](absl::StatusOr<int> r) {
      if (joined != nullptr) *joined = r.ok() ? *r : -1;
    });
  }

  void Crash(int i) {
    net_.Crash(members_[i].address);
    members_[i].ml.reset();
  }

  void Run(absl::Duration d) { clock_.Advance(absl::ToChronoNanoseconds(d)); }

  // Runs until pred() or `limit`, checking every `step`. Returns the time it took, or
  // InfiniteDuration if the limit passed first.
  absl::Duration RunUntil(const std::function<bool()>& pred, absl::Duration limit,
                          absl::Duration step = absl::Milliseconds(100)) {
    absl::Duration elapsed;
    while (elapsed <= limit) {
      if (pred()) return elapsed;
      Run(step);
      elapsed += step;
    }
    return absl::InfiniteDuration();
  }

  // Every live member lists exactly the live set (`live`, or all with an ml) as alive.
  bool Converged(const std::set<std::string>& live) const {
    for (const Member& m : members_) {
      if (!m.ml || !live.contains(m.name)) continue;
      if (m.ml->NumMembers() != static_cast<int>(live.size())) return false;
      for (const Node& n : m.ml->Members()) {
        if (!live.contains(n.name) || n.state != NodeState::kAlive) return false;
      }
    }
    return true;
  }
  std::set<std::string> LiveNames() const {
    std::set<std::string> s;
    for (const Member& m : members_)
      if (m.ml) s.insert(m.name);
    return s;
  }

  // Members (live) that consider `name` dead or left (or have reaped it).
  int CountSeeingGone(const std::string& name) const {
    int n = 0;
    for (const Member& m : members_) {
      if (!m.ml || m.name == name) continue;
      std::optional<Node> node = m.ml->Find(name);
      if (!node || node->state == NodeState::kDead || node->state == NodeState::kLeft) ++n;
    }
    return n;
  }
  int LiveCount() const { return static_cast<int>(LiveNames().size()); }

  // Falsely failed: a live node that some other live member marked dead.
  int FalseFailures(const std::set<std::string>& exclude = {}) const {
    std::set<std::string> live = LiveNames();
    int n = 0;
    for (const Member& m : members_) {
      if (!m.ml) continue;
      for (const std::string& f : m.events->failed) {
        if (live.contains(f) && !exclude.contains(f)) ++n;
      }
    }
    return n;
  }

  bool AnyIncarnationWentBack() const {
    for (const Member& m : members_)
      if (m.events->incarnation_went_back) return true;
    return false;
  }

  base::SimulatedClock& clock() { return clock_; }
  SimNetwork& net() { return net_; }
  Member& operator[](int i) { return members_[i]; }
  int size() const { return static_cast<int>(members_.size()); }

 private:
  base::SimulatedClock clock_;
  SimNetwork net_;
  uint64_t seed_;
  std::function<void(Memberlist::Options&)> tweak_;
  std::vector<Member> members_;
};

}  // namespace cairn::gossip::testing

#endif  // CAIRN_GOSSIP_TESTS_SIM_CLUSTER_H_
