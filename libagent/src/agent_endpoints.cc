// The agent's own endpoints: /v1/agent/self, /members, /leave, /reload (spec §7).
//
// Membership comes from the gossip layer once cluster formation lands; a -dev agent is
// its only member, so /v1/agent/members lists this agent alone, with Consul's server tags.
#include <thread>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "agent_internal.h"

namespace cairn::agent {
namespace {

namespace json = boost::json;

std::string RaftStateName(raft::Role role) {
  switch (role) {
    case raft::Role::kLeader:
      return "Leader";
    case raft::Role::kCandidate:
    case raft::Role::kPreCandidate:
      return "Candidate";
    case raft::Role::kFollower:
      break;
  }
  return "Follower";
}

// hashicorp/raft's Configuration String(): [{Suffrage:Voter ID:x Address:y} ...]
std::string ConfigurationText(const raft::Configuration& c) {
  std::vector<std::string> parts;
  for (const raft::Server& s : c.servers) {
    parts.push_back(fmt::format("{{Suffrage:{} ID:{} Address:{}}}",
                                s.suffrage == raft::Suffrage::kVoter ? "Voter" : "Nonvoter", s.id,
                                s.address));
  }
  return fmt::format("[{}]", fmt::join(parts, " "));
}

std::string LastContactText(std::chrono::milliseconds d, raft::Role role) {
  if (role == raft::Role::kLeader) return "0";
  if (d.count() < 0) return "never";
  return fmt::format("{}ms", d.count());
}

}  // namespace

void Agent::Impl::RegisterAgentEndpoints(Router& router) {
  auto member = [this](const Config& c) {
    json::object tags;
    tags["role"] = "consul";
    tags["dc"] = c.datacenter;
    tags["segment"] = "";
    tags["id"] = c.node_id;
    tags["port"] = std::to_string(c.ports.server);
    tags["vsn"] = "2";
    tags["vsn_min"] = "2";
    tags["vsn_max"] = "3";
    tags["raft_vsn"] = "3";
    tags["build"] = fmt::format("{}:{}", options.version, options.revision);
    if (c.bootstrap || c.dev_mode) tags["bootstrap"] = "1";
    if (c.bootstrap_expect > 0) tags["expect"] = std::to_string(c.bootstrap_expect);
    json::object m;
    m["Name"] = c.node_name;
    m["Addr"] = AdvertiseAddress(c);
    m["Port"] = c.ports.serf_lan;
    m["Tags"] = std::move(tags);
    m["Status"] = 1;  // alive
    m["ProtocolMin"] = 1;
    m["ProtocolMax"] = 5;
    m["ProtocolCur"] = 2;
    m["DelegateMin"] = 2;
    m["DelegateMax"] = 5;
    m["DelegateCur"] = 4;
    return m;
  };

  router.Handle("/v1/agent/self", {Method::get},
                [this, member](const HttpRequest& req, std::shared_ptr<HttpExchange> ex) {
                  Config c = ConfigCopy();
                  json::object config;
                  config["Datacenter"] = c.datacenter;
                  config["PrimaryDatacenter"] =
                      c.primary_datacenter.empty() ? c.datacenter : c.primary_datacenter;
                  config["NodeName"] = c.node_name;
                  config["NodeID"] = c.node_id;
                  config["Revision"] = options.revision;
                  config["Server"] = c.server;
                  config["Version"] = options.version;
                  config["BuildDate"] = "";
                  // Patroni reads SessionTTLMin (nanoseconds); Consul 1.x leaves it out.
                  config["SessionTTLMin"] = 10'000'000'000LL;

                  raft::NodeStats rs = dev->node().Stats();
                  // Other voters: hashicorp/raft counts the configuration's voters but itself.
                  std::size_t voters = rs.configuration.Voters().size();
                  std::size_t peers = voters > 0 ? voters - 1 : 0;
                  json::object raft_stats;
                  raft_stats["applied_index"] = std::to_string(rs.applied_index);
                  raft_stats["commit_index"] = std::to_string(rs.commit_index);
                  raft_stats["fsm_pending"] = "0";
                  raft_stats["last_contact"] = LastContactText(rs.last_contact, rs.role);
                  raft_stats["last_log_index"] = std::to_string(rs.last_log_index);
                  raft_stats["last_log_term"] = std::to_string(rs.last_log_term);
                  raft_stats["last_snapshot_index"] = std::to_string(rs.last_snapshot_index);
                  raft_stats["last_snapshot_term"] = std::to_string(rs.last_snapshot_term);
                  raft_stats["latest_configuration"] = ConfigurationText(rs.configuration);
                  raft_stats["latest_configuration_index"] = std::to_string(rs.configuration_index);
                  raft_stats["num_peers"] = std::to_string(peers);
                  raft_stats["protocol_version"] = "3";
                  raft_stats["protocol_version_max"] = "3";
                  raft_stats["protocol_version_min"] = "0";
                  raft_stats["snapshot_version"] = "1";
                  raft_stats["snapshot_version_max"] = "1";
                  raft_stats["snapshot_version_min"] = "0";
                  raft_stats["state"] = RaftStateName(rs.role);
                  raft_stats["term"] = std::to_string(rs.term);

                  json::object consul;
                  consul["acl"] = c.acl.enabled ? "enabled" : "disabled";
                  consul["bootstrap"] = (c.bootstrap || c.dev_mode) ? "true" : "false";
                  consul["known_datacenters"] = "1";
                  consul["leader"] = rs.role == raft::Role::kLeader ? "true" : "false";
                  consul["leader_addr"] = rs.leader.address;
                  consul["server"] = c.server ? "true" : "false";

                  json::object build;
                  build["prerelease"] = "";
                  build["revision"] = options.revision;
                  build["version"] = options.version;

                  json::object runtime;
                  runtime["arch"] = "amd64";
                  runtime["os"] = "linux";
                  runtime["cpu_count"] = std::to_string(std::thread::hardware_concurrency());
                  runtime["max_procs"] = std::to_string(options.threads);

                  json::object agent_stats;
                  agent_stats["checks"] = "0";
                  agent_stats["services"] = "0";
                  agent_stats["check_monitors"] = "0";
                  agent_stats["check_ttls"] = "0";

                  json::object stats;
                  stats["agent"] = std::move(agent_stats);
                  stats["build"] = std::move(build);
                  stats["consul"] = std::move(consul);
                  stats["raft"] = std::move(raft_stats);
                  stats["runtime"] = std::move(runtime);

                  json::object coord;
                  coord["Vec"] = json::array{0, 0, 0, 0, 0, 0, 0, 0};
                  coord["Error"] = 1.5;
                  coord["Adjustment"] = 0;
                  coord["Height"] = 1e-05;

                  json::object meta;
                  for (const auto& [k, v] : c.node_meta) meta[k] = v;

                  json::object self;
                  self["Config"] = std::move(config);
                  self["DebugConfig"] = json::object{{"Datacenter", c.datacenter},
                                                     {"NodeName", c.node_name},
                                                     {"DevMode", c.dev_mode},
                                                     {"Server", c.server}};
                  self["Coord"] = std::move(coord);
                  self["Member"] = member(c);
                  self["Stats"] = std::move(stats);
                  self["Meta"] = std::move(meta);
                  ex->Reply(HttpResponse::Json(self, req.pretty()));
                });

  router.Handle(
      "/v1/agent/members", {Method::get},
      [this, member](const HttpRequest& req, std::shared_ptr<HttpExchange> ex) {
        std::optional<std::string> wan = req.Query("wan");
        std::optional<std::string> segment = req.Query("segment");
        bool want_wan = wan.has_value() && !wan->empty();
        if (want_wan && segment.has_value()) {
          return ex->Reply(HttpResponse::Text(400, "Cannot provide a segment with wan=true"));
        }
        Config c = ConfigCopy();
        json::object m = member(c);
        if (want_wan) {
          // The WAN pool names servers <node>.<dc>.
          m["Name"] = fmt::format("{}.{}", c.node_name, c.datacenter);
          m["Port"] = c.ports.serf_wan;
        }
        ex->Reply(HttpResponse::Json(json::array{std::move(m)}, req.pretty()));
      });

  router.Handle("/v1/agent/leave", {Method::put},
                [this](const HttpRequest&, std::shared_ptr<HttpExchange> ex) {
                  ex->Reply(HttpResponse::Empty());
                  log.Info("Gracefully shutting down agent... (PUT /v1/agent/leave)");
                  Finish(0);
                });

  router.Handle("/v1/agent/reload", {Method::put},
                [this](const HttpRequest&, std::shared_ptr<HttpExchange> ex) {
                  if (!options.load_config) {
                    return ex->Reply(HttpResponse::Text(500, "reload is not available"));
                  }
                  absl::StatusOr<Config> fresh = options.load_config();
                  if (!fresh.ok()) {
                    return ex->Reply(HttpResponse::Text(
                        500, fmt::format("Failed reloading config: {}",
                                         std::string(fresh.status().message()))));
                  }
                  for (const std::string& w : self->Reload(*fresh)) log.Warn("{}", w);
                  ex->Reply(HttpResponse::Empty());
                });
}

}  // namespace cairn::agent
