// cairn/agent/raft_backend.h — the production StateBackend over a raft::Node and the Fsm,
// and the dev-mode single server (`cairn agent -dev`).
//
// RaftBackend routes every request by leadership:
//   * this server leads: writes are Node::Propose of an encoded Command (the typed result
//     is what Fsm::Apply returned); default/consistent reads wait for Node::ReadIndex and
//     then read the local stores; session renew resets the leader's TTL timer;
//   * no leader is known: the request is held until one appears, for at most
//     `hold_timeout` (Consul's RPCHoldTimeout, 7 s), then fails Unavailable
//     "No cluster leader";
//   * another server leads: the request fails Unavailable "not leader (leader is <id> at
//     <address>)". Request forwarding over server RPC plugs in exactly here (one private
//     routing function, RaftBackend::Impl::Route): it will send the Command, or the read,
//     to the leader instead of failing.
// Stale reads never wait: they read the local stores on any server.
//
// On the leader the backend also runs Consul's leader duties for this state:
//   * session TTLs: a timer per TTL session, 2 x TTL from its creation or last renew
//     (Consul's SessionTTLMultiplier); expiry proposes a session destroy. Timers are
//     rebuilt from the store whenever this server becomes leader, and after a restore;
//   * tombstone GC: every `tombstone_granularity` the leader notes the KV index, and
//     reaps tombstones at or below the index it noted `tombstone_ttl` ago (Consul's
//     tombstone_ttl 15 min, granularity 30 s), so a blocking prefix query never misses a
//     delete for less than the TTL;
//   * self registration (optional): the leader makes sure its own node and a passing
//     serfHealth check are in the catalog (so sessions on the agent's node can be
//     created), as Consul's leader reconciles its members. Cluster-wide member
//     reconciliation from gossip is the cluster-formation layer's job.
//
// Example (a dev agent):
//
//   cairn::base::EventLoop loop(2);
//   cairn::base::RealClock clock(loop.executor());
//   auto dev = cairn::agent::DevServer::Start(loop.executor(), clock, {.node_name = "dev"});
//   StateBackend& backend = (*dev)->backend();   // hand to the HTTP handlers
//
// Thread-safety: as StateBackend. Lifetime: the Node, the Fsm and the Clock must outlive
// the RaftBackend; destroy the backend before shutting the Node down (in-flight callbacks
// hold only shared state and become no-ops).
#ifndef CAIRN_AGENT_RAFT_BACKEND_H_
#define CAIRN_AGENT_RAFT_BACKEND_H_

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <absl/status/statusor.h>
#include <boost/asio/any_io_executor.hpp>

#include <cairn/agent/fsm.h>
#include <cairn/agent/state_backend.h>
#include <cairn/base/clock.h>
#include <cairn/base/log.h>
#include <cairn/catalog/types.h>
#include <cairn/raft/node.h>

namespace cairn::raft {
class MemoryNetwork;
class Transport;
}  // namespace cairn::raft

namespace cairn::agent {

struct RaftBackendOptions {
  // This agent's node name: the default node of new sessions.
  std::string node_name{};
  // How long requests wait for a leader before "No cluster leader".
  base::Duration hold_timeout = std::chrono::seconds(7);
  // Tombstone GC (Consul's tombstone_ttl / tombstone_ttl_granularity).
  base::Duration tombstone_ttl = std::chrono::minutes(15);
  base::Duration tombstone_granularity = std::chrono::seconds(30);
  // When set, the leader keeps this node + its checks registered (see above).
  std::optional<catalog::RegisterRequest> self_registration{};
  // Receives leader-duty errors (a failed TTL expiry proposal, ...). Optional.
  std::optional<base::Logger> log{};
};

class RaftBackend final : public StateBackend {
 public:
  // Borrows `node` (whose state machine is `fsm`), `fsm` and `clock` (timers: TTLs, hold,
  // GC). Installs the Fsm's session observer and a leader observer on the node.
  RaftBackend(raft::Node& node, Fsm& fsm, base::Clock& clock, RaftBackendOptions options);
  // Fails held requests with Unavailable, stops timers and observers.
  ~RaftBackend() override;
  RaftBackend(const RaftBackend&) = delete;
  RaftBackend& operator=(const RaftBackend&) = delete;

  void KvWrite(KvWriteRequest request, ResultCallback<bool> done) override;
  void Txn(std::vector<kv::TxnOp> ops, ResultCallback<kv::TxnOutcome> done) override;
  void CreateSession(SessionCreateRequest request, ResultCallback<kv::Session> done) override;
  void DestroySession(std::string id, ResultCallback<bool> done) override;
  void RenewSession(std::string id, ResultCallback<kv::Session> done) override;
  void Register(catalog::RegisterRequest request, ResultCallback<CatalogWriteResult> done) override;
  void Deregister(catalog::DeregisterRequest request,
                  ResultCallback<CatalogWriteResult> done) override;
  void Read(Consistency consistency, ResultCallback<ReadContext> done) override;
  kv::Store& kv() override;
  catalog::Catalog& catalog() override;
  QueryMeta Meta() const override;
  std::string LeaderAddress() const override;
  std::vector<std::string> Peers() const override;
  RaftInfo RaftConfiguration() const override;
  void RemovePeer(uint64_t id, ResultCallback<bool> done) override;
  void RemovePeerByAddress(std::string address, ResultCallback<bool> done) override;
  void TransferLeader(uint64_t id, ResultCallback<bool> done) override;
  void SaveSnapshot(Consistency consistency, ResultCallback<SnapshotData> done) override;
  void RestoreSnapshot(std::string state, ResultCallback<uint64_t> done) override;

  // Sessions with a running TTL timer (leader only; 0 elsewhere). For tests and metrics.
  std::size_t session_timers() const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

struct DevServerOptions {
  std::string node_name = "dev";
  std::string node_id{};  // UUID for the catalog; empty: none
  std::string datacenter = "dc1";
  // The advertised server address ("ip:port"): /v1/status/leader and peers show it.
  std::string server_address = "127.0.0.1:8300";
  // The node's address in the catalog (Consul's advertise address).
  std::string advertise_address = "127.0.0.1";
  // Raft tick; elections take 3-6 ticks (the node is alone, so it wins the first).
  std::chrono::milliseconds tick{10};
  base::Duration hold_timeout = std::chrono::seconds(7);
  base::Duration tombstone_ttl = std::chrono::minutes(15);
  base::Duration tombstone_granularity = std::chrono::seconds(30);
  kv::Options kv_options{};
  std::optional<base::Logger> log{};
};

// `cairn agent -dev`: one in-memory Raft server (nothing on disk, no network: an
// in-process transport) bootstrapped as a one-server cluster, with its Fsm and a
// RaftBackend that registers the node (with a passing serfHealth check) once it leads.
// Leadership comes within a few ticks of Start; until then requests are held as usual.
class DevServer {
 public:
  // `executor` runs the node, the in-memory network and nothing blocking; `clock` must
  // outlive the server and run its timers on an executor that keeps running.
  static absl::StatusOr<std::unique_ptr<DevServer>> Start(boost::asio::any_io_executor executor,
                                                          base::Clock& clock,
                                                          DevServerOptions options);
  // Destroys the backend, shuts the node down.
  ~DevServer();
  DevServer(const DevServer&) = delete;
  DevServer& operator=(const DevServer&) = delete;

  RaftBackend& backend() { return *backend_; }
  Fsm& fsm() { return *fsm_; }
  raft::Node& node() { return *node_; }

 private:
  DevServer() = default;
  std::unique_ptr<raft::MemoryNetwork> network_;
  std::unique_ptr<raft::Transport> transport_;
  std::unique_ptr<Fsm> fsm_;
  std::unique_ptr<raft::Node> node_;
  std::unique_ptr<RaftBackend> backend_;
};

}  // namespace cairn::agent

#endif  // CAIRN_AGENT_RAFT_BACKEND_H_
