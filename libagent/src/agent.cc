// The Agent: assembles the event loop, the server state, the HTTP API and DNS.
//
// Start order: loop → state (DevServer) → router → HTTP listeners → resolver → DNS
// listeners. Stop order is the reverse, so that nothing a listener calls into is gone
// while a listener still runs: listeners stop first, then the state, then the loop.
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>

#include <fmt/format.h>

#include <cairn/agent/agent.h>
#include <cairn/agent/config_loader.h>
#include <cairn/agent/http_api.h>
#include <cairn/agent/http_server.h>
#include <cairn/agent/raft_backend.h>
#include <cairn/base/event_loop.h>
#include <cairn/base/log.h>
#include <cairn/base/real_clock.h>
#include <cairn/dns/resolver.h>
#include <cairn/dns/server.h>

#include "agent_internal.h"

namespace cairn::agent {
namespace {

// The addresses an interface listens on: its own list, else client_addr's.
const std::vector<std::string>& InterfaceAddresses(const std::vector<std::string>& own,
                                                   const Config& config) {
  return own.empty() ? config.client_addr : own;
}

absl::StatusOr<dns::DnsConfig> ToDnsConfig(const Config& c) {
  dns::DnsConfig d;
  d.domain = c.domain;
  d.alt_domain = c.alt_domain;
  d.recursors = c.recursors;
  d.port = c.ports.dns;
  const DnsConfig& in = c.dns_config;
  d.allow_stale = in.allow_stale;
  auto ms = [](Duration v) { return std::chrono::duration_cast<std::chrono::milliseconds>(v); };
  d.max_stale = ms(in.max_stale);
  d.node_ttl = ms(in.node_ttl);
  for (const auto& [service, ttl] : in.service_ttl) d.service_ttl[service] = ms(ttl);
  d.enable_truncate = in.enable_truncate;
  d.only_passing = in.only_passing;
  if (in.recursor_strategy == "sequential" || in.recursor_strategy.empty()) {
    d.recursor_strategy = dns::RecursorStrategy::kSequential;
  } else if (in.recursor_strategy == "random") {
    d.recursor_strategy = dns::RecursorStrategy::kRandom;
  } else {
    return absl::InvalidArgumentError(
        fmt::format("dns_config.recursor_strategy: unknown strategy \"{}\"", in.recursor_strategy));
  }
  d.recursor_timeout = ms(in.recursor_timeout);
  d.disable_compression = in.disable_compression;
  d.udp_answer_limit = in.udp_answer_limit;
  d.a_record_limit = in.a_record_limit;
  d.enable_additional_node_meta_txt = in.enable_additional_node_meta_txt;
  d.soa = {in.soa_refresh, in.soa_retry, in.soa_expire, in.soa_min_ttl};
  d.use_cache = in.use_cache;
  d.cache_max_age = ms(in.cache_max_age);
  return d;
}

}  // namespace

// The advertised cluster address: -advertise, else -bind unless it is the ANY address.
std::string AdvertiseAddress(const Config& config) {
  if (!config.advertise_addr.empty()) return config.advertise_addr;
  if (config.bind_addr != "0.0.0.0" && config.bind_addr != "::") return config.bind_addr;
  return "127.0.0.1";
}

Agent::Impl::Impl(Config c, AgentOptions o)
    : config(std::move(c)),
      options(std::move(o)),
      loop(std::max(1, options.threads)),
      clock(loop.executor()),
      log(base::LogSystem::Default().Get("agent")) {}

Agent::Impl::~Impl() { Stop(); }

absl::Status Agent::Impl::StartAll() {
  if (!config.dev_mode) {
    return absl::InvalidArgumentError(
        "only -dev agents can run yet: servers and clients that form a cluster over gossip "
        "(-server, -bootstrap-expect, -join, -retry-join) need the cluster-formation layer, "
        "which has not landed");
  }
  loop.Start();

  DevServerOptions dev_options;
  dev_options.node_name = config.node_name;
  dev_options.node_id = config.node_id;
  dev_options.datacenter = config.datacenter;
  dev_options.advertise_address = AdvertiseAddress(config);
  dev_options.server_address =
      fmt::format("{}:{}", dev_options.advertise_address, config.ports.server);
  dev_options.hold_timeout = config.performance.rpc_hold_timeout;
  dev_options.kv_options.max_value_bytes = config.kv_max_value_size;
  dev_options.log = base::LogSystem::Default().Get("agent.server");
  absl::StatusOr<std::unique_ptr<DevServer>> dev_server =
      DevServer::Start(loop.executor(), clock, dev_options);
  if (!dev_server.ok()) return dev_server.status();
  dev = std::move(*dev_server);

  // HTTP.
  auto router = std::make_shared<Router>();
  HttpApiOptions api_options;
  api_options.datacenter = config.datacenter;
  api_options.kv_max_value_size = config.kv_max_value_size;
  api_options.txn_max_req_len = static_cast<std::size_t>(config.txn_max_req_len);
  RegisterStateApi(*router, dev->backend(), loop.executor(), clock, api_options);
  RegisterAgentEndpoints(*router);
  if (config.ports.http > 0) {
    std::vector<ListenAddress> listen;
    for (const std::string& a : InterfaceAddresses(config.addresses.http, config)) {
      if (a.rfind("unix://", 0) == 0) {
        return absl::InvalidArgumentError(
            fmt::format("addresses.http: unix sockets are not supported yet: {}", a));
      }
      listen.push_back({a, static_cast<uint16_t>(config.ports.http)});
    }
    absl::StatusOr<std::unique_ptr<HttpServer>> server =
        HttpServer::Start(loop.context(), listen, router, {});
    if (!server.ok()) return server.status();
    http = std::move(*server);
    std::vector<uint16_t> ports = http->ports();
    for (std::size_t i = 0; i < listen.size(); ++i) {
      endpoints.http.push_back(fmt::format("{}:{}", listen[i].host, ports[i]));
    }
  }

  // DNS.
  if (config.ports.dns > 0) {
    absl::StatusOr<dns::DnsConfig> dns_config = ToDnsConfig(config);
    if (!dns_config.ok()) return dns_config.status();
    dns::ResolverOptions resolver_options;
    resolver_options.config = *dns_config;
    resolver_options.datacenter = config.datacenter;
    resolver_options.node_name = config.node_name;
    absl::StatusOr<std::unique_ptr<dns::Resolver>> r =
        dns::Resolver::Create(dev->backend().catalog(), loop.context(), resolver_options);
    if (!r.ok()) return r.status();
    resolver = std::move(*r);
    for (const std::string& a : InterfaceAddresses(config.addresses.dns, config)) {
      dns::ServerOptions server_options;
      server_options.address = a;
      server_options.port = static_cast<uint16_t>(config.ports.dns);
      server_options.recursion_available = resolver->recursion_available();
      absl::StatusOr<std::unique_ptr<dns::Server>> server =
          dns::Server::Start(loop.context(), server_options, *resolver);
      if (!server.ok()) {
        return absl::Status(server.status().code(),
                            fmt::format("DNS on {}:{}: {}", a, config.ports.dns,
                                        std::string(server.status().message())));
      }
      endpoints.dns.push_back(fmt::format("{}:{}", a, (*server)->port()));
      dns_servers.push_back(std::move(*server));
    }
  }
  log.Info("Consul agent running! node={} datacenter={}", config.node_name, config.datacenter);
  return absl::OkStatus();
}

void Agent::Impl::Stop() {
  std::call_once(stop_once, [this] {
    for (auto& s : dns_servers) s->Stop();
    http.reset();
    dns_servers.clear();
    dev.reset();
    resolver.reset();
    loop.Stop();
    loop.Wait();
  });
}

void Agent::Impl::Finish(int code) {
  {
    std::lock_guard<std::mutex> lock(mu);
    if (finished) return;
    finished = true;
    exit_code = code;
  }
  cv.notify_all();
}

absl::StatusOr<std::unique_ptr<Agent>> Agent::Start(Config config, AgentOptions options) {
  if (config.node_id.empty()) {
    absl::Status s = EnsureNodeId(config);
    if (!s.ok()) return s;
  }
  auto impl = std::make_unique<Impl>(std::move(config), std::move(options));
  absl::Status s = impl->StartAll();
  if (!s.ok()) {
    impl->Stop();
    return s;
  }
  return std::unique_ptr<Agent>(new Agent(std::move(impl)));
}

Agent::Agent(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) { impl_->self = this; }

Agent::~Agent() {
  impl_->Finish(1);
  impl_->Stop();
}

void Agent::Leave() {
  impl_->log.Info("Gracefully shutting down agent...");
  impl_->Finish(0);
}

void Agent::Shutdown(int exit_code) { impl_->Finish(exit_code); }

int Agent::Wait() {
  int code;
  {
    std::unique_lock<std::mutex> lock(impl_->mu);
    impl_->cv.wait(lock, [this] { return impl_->finished; });
    code = impl_->exit_code;
  }
  impl_->Stop();
  return code;
}

std::vector<std::string> Agent::Reload(const Config& fresh) {
  LoadResult result = ApplyReload(impl_->config, fresh);
  base::LogSystem::Default().SetLevel(result.config.log_level);
  if (impl_->resolver != nullptr) {
    absl::StatusOr<dns::DnsConfig> dns_config = ToDnsConfig(result.config);
    absl::Status s =
        dns_config.ok() ? impl_->resolver->Reconfigure(*dns_config) : dns_config.status();
    if (!s.ok()) {
      result.warnings.push_back(
          fmt::format("dns_config not reloaded: {}", std::string(s.message())));
    }
  }
  std::lock_guard<std::mutex> lock(impl_->config_mu);
  impl_->config = std::move(result.config);
  return result.warnings;
}

Config Agent::config() const { return impl_->ConfigCopy(); }
AgentEndpoints Agent::endpoints() const { return impl_->endpoints; }
StateBackend& Agent::backend() { return impl_->dev->backend(); }

}  // namespace cairn::agent
