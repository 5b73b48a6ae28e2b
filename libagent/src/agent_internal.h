// Agent's private state, shared by agent.cc and agent_endpoints.cc.
#ifndef CAIRN_AGENT_SRC_AGENT_INTERNAL_H_
#define CAIRN_AGENT_SRC_AGENT_INTERNAL_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <absl/status/status.h>

#include <cairn/agent/agent.h>
#include <cairn/agent/http_server.h>
#include <cairn/agent/raft_backend.h>
#include <cairn/base/event_loop.h>
#include <cairn/base/log.h>
#include <cairn/base/real_clock.h>
#include <cairn/dns/resolver.h>
#include <cairn/dns/server.h>

namespace cairn::agent {

class Agent::Impl {
 public:
  Impl(Config config, AgentOptions options);
  ~Impl();

  absl::Status StartAll();
  // Stops listeners, state and loop, once. Not from a loop thread.
  void Stop();
  // Ends Wait() with `code` (the first call wins).
  void Finish(int code);
  // /v1/agent/self, /members, /leave, /reload.
  void RegisterAgentEndpoints(Router& router);
  Config ConfigCopy() const {
    std::lock_guard<std::mutex> lock(config_mu);
    return config;
  }

  Agent* self = nullptr;
  mutable std::mutex config_mu;
  Config config;  // replaced by Reload under config_mu
  const AgentOptions options;
  base::EventLoop loop;
  base::RealClock clock;
  base::Logger log;
  AgentEndpoints endpoints;

  std::unique_ptr<DevServer> dev;
  std::unique_ptr<HttpServer> http;
  std::unique_ptr<dns::Resolver> resolver;
  std::vector<std::unique_ptr<dns::Server>> dns_servers;

  std::once_flag stop_once;
  std::mutex mu;
  std::condition_variable cv;
  bool finished = false;  // guarded by mu
  int exit_code = 0;      // guarded by mu
};

}  // namespace cairn::agent

#endif  // CAIRN_AGENT_SRC_AGENT_INTERNAL_H_
