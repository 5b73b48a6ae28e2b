// A synchronous in-process cluster of Cores for unit tests (etcd's raft_test.go
// "network"): messages are queued and delivered in order by Stabilize(); links can be cut
// in either direction; every node persists to a MemoryLogStore and records what it applied.
#ifndef CAIRN_RAFT_TESTS_CLUSTER_H_
#define CAIRN_RAFT_TESTS_CLUSTER_H_

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <vector>

#include <cairn/base/status.h>
#include <cairn/raft/core.h>
#include <cairn/raft/memory_log_store.h>

namespace cairn::raft::testing {

struct TestNode {
  MemoryLogStore store;
  std::mt19937_64 rng;
  std::unique_ptr<Core> core;
  std::vector<Entry> applied;  // Normal entries applied, in order.
  std::vector<ReadState> reads;
  std::vector<Snapshot> installed;
};

class Cluster {
 public:
  // Servers 1..n, all voters, bootstrapped with the same configuration.
  explicit Cluster(int n, std::function<void(CoreConfig&)> tweak = {}, int learners = 0)
      : tweak_(std::move(tweak)) {
    Configuration config;
    for (int i = 1; i <= n; ++i) {
      config.servers.push_back({ServerId(i), "n" + std::to_string(i), Suffrage::kVoter});
    }
    for (int i = 1; i <= n + learners; ++i) {
      AddNode(ServerId(i));
      if (i <= n) CAIRN_CHECK(node(i).core->Bootstrap(config).ok());
    }
    Stabilize();
  }

  // A fresh server with no state (to be added by a configuration change).
  void AddNode(ServerId id) {
    auto n = std::make_unique<TestNode>();
    n->rng.seed(id * 7919);
    CoreConfig cfg;
    cfg.id = id;
    if (tweak_) tweak_(cfg);
    n->core = Core::Create(cfg, n->store, n->rng).value();
    nodes_[id] = std::move(n);
  }

  // Simulates a crash and restart: state not persisted is lost, the core is rebuilt from
  // the store (the state machine restarts from the snapshot).
  void Restart(ServerId id) {
    TestNode& n = node(id);
    CoreConfig cfg;
    cfg.id = id;
    if (tweak_) tweak_(cfg);
    n.core.reset();
    n.applied.clear();
    n.core = Core::Create(cfg, n.store, n.rng).value();
  }

  TestNode& node(ServerId id) { return *nodes_.at(id); }
  Core& core(ServerId id) { return *nodes_.at(id)->core; }
  std::vector<ServerId> ids() const {
    std::vector<ServerId> out;
    for (auto& [id, n] : nodes_) out.push_back(id);
    return out;
  }

  void Cut(ServerId from, ServerId to) { cut_.insert({from, to}); }
  void Isolate(ServerId id) {
    for (auto& [other, n] : nodes_) {
      if (other != id) {
        Cut(id, other);
        Cut(other, id);
      }
    }
  }
  void Heal() { cut_.clear(); }
  void Down(ServerId id) { down_.insert(id); }
  void Up(ServerId id) { down_.erase(id); }

  // Drops messages for which `drop` returns true (on top of cut links).
  std::function<bool(const Message&)> drop;

  // Handles one node's pending output.
  void Process(ServerId id) {
    TestNode& n = node(id);
    while (n.core->HasOutput()) {
      Output out = n.core->TakeOutput();
      n.store.Persist(out);
      if (out.snapshot) {
        n.installed.push_back(*out.snapshot);
        n.applied.clear();
      }
      for (Message& m : out.messages) {
        sent_.push_back(m);
        if (cut_.contains({m.from, m.to}) || down_.contains(m.to)) continue;
        if (drop && drop(m)) continue;
        queue_.push_back(std::move(m));
      }
      for (const Entry& e : out.committed) {
        if (e.type == EntryType::kNormal) n.applied.push_back(e);
      }
      for (ReadState& r : out.reads) n.reads.push_back(std::move(r));
      n.core->Advance(out);
    }
  }

  // Delivers messages until nothing is left to do. Returns the Step errors seen.
  std::vector<absl::Status> Stabilize() {
    std::vector<absl::Status> errors;
    for (int rounds = 0; rounds < 100000; ++rounds) {
      for (auto& [id, n] : nodes_) {
        if (!down_.contains(id)) Process(id);
      }
      if (queue_.empty()) return errors;
      std::deque<Message> batch;
      batch.swap(queue_);
      for (Message& m : batch) {
        if (!nodes_.contains(m.to) || down_.contains(m.to)) continue;
        absl::Status s = node(m.to).core->Step(m);
        if (!s.ok()) errors.push_back(s);
      }
    }
    CAIRN_CHECK_MSG(false, "cluster did not stabilize");
    return errors;
  }

  // Ticks every live node `n` times, stabilizing after each tick.
  void TickAll(int n) {
    for (int i = 0; i < n; ++i) {
      for (auto& [id, node] : nodes_) {
        if (!down_.contains(id)) node->core->Tick();
      }
      Stabilize();
    }
  }

  void Elect(ServerId id) {
    CAIRN_CHECK(core(id).Campaign().ok());
    Stabilize();
  }

  ServerId Leader() {
    for (auto& [id, n] : nodes_) {
      if (!down_.contains(id) && n->core->role() == Role::kLeader) return id;
    }
    return kNoServer;
  }

  // Messages handed out since the last call (delivered or not).
  std::vector<Message> TakeSent() { return std::exchange(sent_, {}); }

 private:
  std::function<void(CoreConfig&)> tweak_;
  std::map<ServerId, std::unique_ptr<TestNode>> nodes_;
  std::set<std::pair<ServerId, ServerId>> cut_;
  std::set<ServerId> down_;
  std::deque<Message> queue_;
  std::vector<Message> sent_;
};

}  // namespace cairn::raft::testing

#endif  // CAIRN_RAFT_TESTS_CLUSTER_H_
