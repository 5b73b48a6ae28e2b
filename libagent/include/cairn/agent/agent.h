// cairn/agent/agent.h — a whole Cairn agent, embeddable: what `cairn agent` runs.
//
// An Agent owns its event loop, the replicated server state (StateBackend), the HTTP API
// on client_addr:ports.http and the DNS interface on client_addr:ports.dns. A C++ program
// can start one in-process exactly as the binary does:
//
//   absl::StatusOr<cairn::agent::LoadResult> loaded =
//       cairn::agent::LoadConfigFromArgs({"-dev", "-client", "127.0.0.9"});
//   CAIRN_CHECK(loaded.ok());
//   absl::StatusOr<std::unique_ptr<cairn::agent::Agent>> agent =
//       cairn::agent::Agent::Start(std::move(loaded->config), {});
//   ...                      // HTTP on 127.0.0.9:8500, DNS on 127.0.0.9:8600
//   int code = (*agent)->Wait();  // until Leave(), Shutdown() or PUT /v1/agent/leave
//
// Modes supported today:
//   * -dev: one in-memory server that bootstraps itself (DevServer in raft_backend.h);
//     leader within milliseconds, nothing on disk.
// Server and client agents that form clusters over gossip (-server -bootstrap-expect N,
// -join, -retry-join) need the cluster-formation layer; until it lands Start refuses them
// with an error that says so, rather than running a server that cannot form a cluster.
//
// Thread-safety: Leave, Shutdown, Reload and the accessors may be called from any thread
// (not from an agent callback); Wait from one thread at a time.
#ifndef CAIRN_AGENT_AGENT_H_
#define CAIRN_AGENT_AGENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include <cairn/agent/config.h>
#include <cairn/agent/state_backend.h>

namespace cairn::agent {

struct AgentOptions {
  // Reported by /v1/agent/self and the banner.
  std::string version = "0.1.0";
  std::string revision;
  // Event loop threads (HTTP, DNS, Raft, timers).
  int threads = 2;
  // Re-reads the configuration sources for PUT /v1/agent/reload (and the command's
  // SIGHUP). Empty: reload answers 500 "reload is not available".
  std::function<absl::StatusOr<Config>()> load_config;
};

// Where the agent actually listens (ports as bound).
struct AgentEndpoints {
  std::vector<std::string> http;  // "127.0.0.1:8500"
  std::vector<std::string> dns;   // "127.0.0.1:8600" (UDP and TCP)
};

// The cluster address the agent advertises: -advertise, else -bind unless that is the
// ANY address (then 127.0.0.1 until address discovery lands).
std::string AdvertiseAddress(const Config& config);

class Agent {
 public:
  // Starts everything; returns once the HTTP and DNS listeners are bound (the server may
  // still be electing itself: requests wait for a leader, see state_backend.h). `config`
  // must be validated (LoadConfig) and have its node ID (EnsureNodeId; done here if empty).
  // Errors: InvalidArgument for modes not supported yet, the listener's error naming the
  // address ("listen tcp 127.0.0.1:8500: address in use"), storage errors.
  static absl::StatusOr<std::unique_ptr<Agent>> Start(Config config, AgentOptions options);
  // Shuts down (without leaving) if still running.
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Graceful leave (spec A10): a dev or single server has no peers to tell, so this stops
  // serving and shuts down; Wait then returns 0.
  void Leave();
  // Stops without leaving; Wait then returns `exit_code`.
  void Shutdown(int exit_code = 1);
  // Blocks until the agent has stopped; returns the process exit code.
  int Wait();

  // SIGHUP: applies the reloadable settings of `fresh` (ApplyReload); returns the
  // warnings about settings that need a restart.
  std::vector<std::string> Reload(const Config& fresh);

  Config config() const;  // a copy: Reload may replace it
  AgentEndpoints endpoints() const;
  StateBackend& backend();

  class Impl;

 private:
  explicit Agent(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cairn::agent

#endif  // CAIRN_AGENT_AGENT_H_
