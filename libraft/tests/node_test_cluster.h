// A cluster of raft Nodes in one process for the node_*_test.cc process tests: real
// executors and timers, a MemoryNetwork, MemoryLogStore or LevelDB in temp dirs, and a
// small key/value state machine. Every wait polls with a generous timeout; nothing
// asserts on timing.
#ifndef CAIRN_RAFT_TESTS_NODE_TEST_CLUSTER_H_
#define CAIRN_RAFT_TESTS_NODE_TEST_CLUSTER_H_

#include <any>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include <cairn/base/event_loop.h>
#include <cairn/base/log.h>
#include <cairn/raft/memory_transport.h>
#include <cairn/raft/node.h>

#include <stdlib.h>

namespace cairn::raft::testing {

using namespace std::chrono_literals;

inline constexpr auto kWait = 30s;

// Polls `pred` every few milliseconds for up to `timeout`.
inline bool WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout = kWait) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

// Commands are "key=value"; Apply returns the previous value (a std::string).
class KvMachine : public StateMachine {
 public:
  std::any Apply(const Entry& entry) override {
    std::lock_guard<std::mutex> l(mu_);
    size_t eq = entry.data.find('=');
    std::string key = entry.data.substr(0, eq);
    std::string value = eq == std::string::npos ? "" : entry.data.substr(eq + 1);
    std::string prev = data_[key];
    data_[key] = value;
    applied_ = entry.index;
    return prev;
  }
  void ApplyConfiguration(Index index, const Configuration& configuration) override {
    std::lock_guard<std::mutex> l(mu_);
    configurations_++;
  }
  absl::StatusOr<std::unique_ptr<StateMachineSnapshot>> Snapshot() override {
    std::lock_guard<std::mutex> l(mu_);
    return std::unique_ptr<StateMachineSnapshot>(new Snap(data_));
  }
  absl::Status Restore(std::istream& in) override {
    if (fail_restore_) return absl::InternalError("kv: restore failure injected by the test");
    std::map<std::string, std::string> data;
    std::string line;
    while (std::getline(in, line)) {
      size_t eq = line.find('=');
      if (eq == std::string::npos) return absl::DataLossError("kv snapshot: bad line");
      data[line.substr(0, eq)] = line.substr(eq + 1);
    }
    std::lock_guard<std::mutex> l(mu_);
    data_ = std::move(data);
    ++restores_;
    return absl::OkStatus();
  }

  std::map<std::string, std::string> data() const {
    std::lock_guard<std::mutex> l(mu_);
    return data_;
  }
  size_t size() const {
    std::lock_guard<std::mutex> l(mu_);
    return data_.size();
  }
  std::string Get(const std::string& key) const {
    std::lock_guard<std::mutex> l(mu_);
    auto it = data_.find(key);
    return it == data_.end() ? "" : it->second;
  }
  void FailRestores() { fail_restore_ = true; }
  int restores() const {
    std::lock_guard<std::mutex> l(mu_);
    return restores_;
  }

 private:
  class Snap : public StateMachineSnapshot {
   public:
    explicit Snap(std::map<std::string, std::string> data) : data_(std::move(data)) {}
    absl::Status WriteTo(std::ostream& out) override {
      for (const auto& [k, v] : data_) out << k << '=' << v << '\n';
      return out ? absl::OkStatus() : absl::InternalError("kv snapshot: write failed");
    }

   private:
    std::map<std::string, std::string> data_;
  };

  std::atomic<bool> fail_restore_{false};
  mutable std::mutex mu_;
  std::map<std::string, std::string> data_;
  Index applied_ = 0;
  int restores_ = 0;
  int configurations_ = 0;
};

struct ClusterOptions {
  bool durable = false;
  uint64_t snapshot_threshold = 1000;
  uint64_t trailing_logs = 100;
  std::chrono::milliseconds tick{10};
  int election_ticks = 15;
  int heartbeat_ticks = 2;
};

struct TestServer {
  ServerId id = 0;
  std::string address;
  std::string dir;
  std::unique_ptr<KvMachine> sm;
  std::unique_ptr<Transport> transport;
  std::unique_ptr<Node> node;
};

class Cluster {
 public:
  explicit Cluster(ClusterOptions options = {}) : options_(options), logs_(stderr) {
    // CAIRN_RAFT_NODE_TEST_LOG=debug shows what the nodes do.
    const char* level = getenv("CAIRN_RAFT_NODE_TEST_LOG");
    absl::StatusOr<base::LogLevel> parsed = base::ParseLogLevel(level ? level : "warn");
    logs_.SetLevel(parsed.ok() ? *parsed : base::LogLevel::kWarn);
    std::string tmpl = (std::filesystem::temp_directory_path() / "cairn-raft-node-XXXXXX").string();
    root_ = mkdtemp(tmpl.data()) ? tmpl : "";
    loop_.Start();
  }
  ~Cluster() {
    for (auto& [id, s] : servers_) Stop(id);
    loop_.Stop();
    loop_.Wait();
    std::error_code ec;
    if (!root_.empty()) std::filesystem::remove_all(root_, ec);
  }

  MemoryNetwork& net() { return net_; }
  TestServer& server(ServerId id) { return *servers_.at(id); }
  Node& node(ServerId id) { return *servers_.at(id)->node; }
  KvMachine& sm(ServerId id) { return *servers_.at(id)->sm; }

  static std::string Address(ServerId id) { return "mem-" + std::to_string(id); }

  static Configuration Voters(std::initializer_list<ServerId> ids) {
    Configuration c;
    for (ServerId id : ids) c.servers.push_back({id, Address(id), Suffrage::kVoter});
    return c;
  }

  // Creates (or re-creates, over the same data dir) and starts server `id`.
  absl::Status Start(ServerId id) {
    if (absl::Status s = Create(id); !s.ok()) return s;
    return node(id).Start();
  }
  // Creates server `id` without starting it.
  absl::Status Create(ServerId id, NodeOptions* tweak = nullptr) {
    auto& slot = servers_[id];
    if (slot == nullptr) slot = std::make_unique<TestServer>();
    TestServer& s = *slot;
    s.id = id;
    s.address = Address(id);
    s.dir = options_.durable ? root_ + "/" + std::to_string(id) : "";
    s.sm = std::make_unique<KvMachine>();
    s.transport = net_.CreateTransport(id, s.address);
    NodeOptions o = tweak ? *tweak : NodeOptions{};
    o.id = id;
    o.data_dir = s.dir;
    o.transport = s.transport.get();
    o.state_machine = s.sm.get();
    o.tick = options_.tick;
    o.core.election_ticks = options_.election_ticks;
    o.core.heartbeat_ticks = options_.heartbeat_ticks;
    o.snapshot_threshold = options_.snapshot_threshold;
    o.trailing_logs = options_.trailing_logs;
    o.log_system = &logs_;
    // Every test server's address, as an application knows its servers: a server being
    // added has to answer the leader before its log names anyone.
    for (ServerId peer = 1; peer <= 9; ++peer) o.peers[peer] = Address(peer);
    absl::StatusOr<std::unique_ptr<Node>> node = Node::Create(loop_.executor(), o);
    if (!node.ok()) return node.status();
    s.node = std::move(*node);
    return absl::OkStatus();
  }

  // Starts servers `ids`, bootstrapped with all of them as voters.
  absl::Status StartBootstrapped(std::initializer_list<ServerId> ids) {
    Configuration c = Voters(ids);
    for (ServerId id : ids) {
      if (absl::Status s = Start(id); !s.ok()) return s;
      if (absl::Status s = node(id).BootstrapCluster(c); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  void Stop(ServerId id) {
    auto it = servers_.find(id);
    if (it == servers_.end() || it->second->node == nullptr) return;
    it->second->node.reset();
    it->second->transport.reset();
  }
  bool Running(ServerId id) const {
    auto it = servers_.find(id);
    return it != servers_.end() && it->second->node != nullptr;
  }

  // The leader every running server among `among` (all when empty) that knows a leader
  // agrees on.
  ServerId Leader(std::vector<ServerId> among = {}) {
    if (among.empty()) {
      for (auto& [id, s] : servers_) {
        if (s->node) among.push_back(id);
      }
    }
    ServerId leader = kNoServer;
    Term term = 0;
    for (ServerId id : among) {
      if (!Running(id)) continue;
      NodeStats st = node(id).Stats();
      if (st.role == Role::kLeader && st.term >= term) leader = id, term = st.term;
    }
    if (leader == kNoServer) return kNoServer;
    // Servers that know of no leader (a new, empty server) do not count.
    for (ServerId id : among) {
      if (!Running(id)) continue;
      ServerId known = node(id).leader().id;
      if (known != kNoServer && known != leader) return kNoServer;
    }
    return leader;
  }
  ServerId WaitLeader(std::vector<ServerId> among = {}) {
    ServerId leader = kNoServer;
    WaitFor([&] { return (leader = Leader(among)) != kNoServer; });
    return leader;
  }

  // Proposes at `id` and waits for the result.
  absl::StatusOr<std::any> Propose(ServerId id, std::string data) {
    auto p = std::make_shared<std::promise<absl::StatusOr<std::any>>>();
    auto f = p->get_future();
    node(id).Propose(std::move(data), [p](absl::StatusOr<std::any> r) { p->set_value(r); });
    if (f.wait_for(kWait) != std::future_status::ready) {
      return absl::DeadlineExceededError("test: no result");
    }
    return f.get();
  }
  // Proposes at whichever server leads until one accepts and applies it.
  std::string ProposeRetry(const std::string& data) {
    auto deadline = std::chrono::steady_clock::now() + kWait;
    while (std::chrono::steady_clock::now() < deadline) {
      ServerId leader = WaitLeader();
      if (leader == kNoServer) continue;
      absl::StatusOr<std::any> r = Propose(leader, data);
      if (r.ok()) return std::any_cast<std::string>(*r);
      std::this_thread::sleep_for(10ms);
    }
    return "<timed out>";
  }

  // Calls `call(node, done)` and waits for `done`.
  absl::Status Call(ServerId id, const std::function<void(Node&, Node::Done)>& call) {
    auto p = std::make_shared<std::promise<absl::Status>>();
    auto f = p->get_future();
    call(node(id), [p](absl::Status s) { p->set_value(s); });
    if (f.wait_for(kWait) != std::future_status::ready) {
      return absl::DeadlineExceededError("test: no result");
    }
    return f.get();
  }

  // True once every running server among `ids` has applied the same data as `like`.
  bool WaitSameData(ServerId like, std::vector<ServerId> ids, size_t at_least) {
    return WaitFor([&] {
      auto want = sm(like).data();
      if (want.size() < at_least) return false;
      for (ServerId id : ids) {
        if (sm(id).data() != want) return false;
      }
      return true;
    });
  }

  base::EventLoop& loop() { return loop_; }

 private:
  ClusterOptions options_;
  base::LogSystem logs_;
  base::EventLoop loop_{2};
  MemoryNetwork net_{loop_.executor()};
  std::string root_;
  std::map<ServerId, std::unique_ptr<TestServer>> servers_;
};

}  // namespace cairn::raft::testing

#endif  // CAIRN_RAFT_TESTS_NODE_TEST_CLUSTER_H_
