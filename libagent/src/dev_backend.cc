// DevServer: `cairn agent -dev`'s single in-memory Raft server.
//
// The server is alone in its configuration, so its first election wins; the election
// timeout is kept to a few short ticks so the agent leads within tens of milliseconds of
// starting instead of Raft's usual second.
#include <cairn/raft/memory_transport.h>

#include "raft_backend_impl.h"

namespace cairn::agent {

absl::StatusOr<std::unique_ptr<DevServer>> DevServer::Start(boost::asio::any_io_executor executor,
                                                            base::Clock& clock,
                                                            DevServerOptions options) {
  constexpr raft::ServerId kId = 1;
  std::unique_ptr<DevServer> dev(new DevServer());
  dev->network_ = std::make_unique<raft::MemoryNetwork>(executor);
  dev->transport_ = dev->network_->CreateTransport(kId, options.server_address);
  dev->fsm_ = std::make_unique<Fsm>(options.kv_options, options.log);

  raft::NodeOptions node_options;
  node_options.id = kId;
  node_options.transport = dev->transport_.get();
  node_options.state_machine = dev->fsm_.get();
  node_options.tick = options.tick;
  node_options.core.election_ticks = 3;
  node_options.core.heartbeat_ticks = 1;
  node_options.log_module = "agent.raft";
  absl::StatusOr<std::unique_ptr<raft::Node>> node =
      raft::Node::Create(executor, std::move(node_options));
  if (!node.ok()) return node.status();
  dev->node_ = *std::move(node);

  raft::Configuration config;
  config.servers.push_back({kId, options.server_address, raft::Suffrage::kVoter});
  if (absl::Status s = dev->node_->BootstrapCluster(config); !s.ok()) return s;

  RaftBackendOptions backend_options;
  backend_options.node_name = options.node_name;
  backend_options.hold_timeout = options.hold_timeout;
  backend_options.tombstone_ttl = options.tombstone_ttl;
  backend_options.tombstone_granularity = options.tombstone_granularity;
  backend_options.log = options.log;
  catalog::RegisterRequest self;
  self.node.id = options.node_id;
  self.node.name = options.node_name;
  self.node.address = options.advertise_address;
  self.node.datacenter = options.datacenter;
  self.node.tagged_addresses = {{"lan", options.advertise_address},
                                {"wan", options.advertise_address}};
  catalog::Check serf;
  serf.check_id = "serfHealth";
  serf.name = "Serf Health Status";
  serf.status = std::string(catalog::kStatusPassing);
  serf.output = "Agent alive and reachable";
  self.checks.push_back(std::move(serf));
  backend_options.self_registration = std::move(self);
  // The backend observes leadership from before the first election.
  dev->backend_ =
      std::make_unique<RaftBackend>(*dev->node_, *dev->fsm_, clock, std::move(backend_options));
  if (absl::Status s = dev->node_->Start(); !s.ok()) return s;
  return dev;
}

DevServer::~DevServer() {
  backend_.reset();
  if (node_) node_->Shutdown();
  node_.reset();
  transport_.reset();
  network_.reset();
}

}  // namespace cairn::agent
