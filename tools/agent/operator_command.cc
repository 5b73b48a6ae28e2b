// `cairn operator raft list-peers|remove-peer|transfer-leader` over /v1/operator/*.
#include <map>

#include <fmt/format.h>

#include "cli.h"
#include "command_util.h"

namespace cairn::cli {
namespace {

constexpr std::string_view kOperatorHelp = R"(Usage: cairn operator <subcommand> [options]

  Provides cluster-level tools for operators, such as interacting with
  the Raft subsystem.

Subcommands:
    raft    Provides cluster-level tools for Raft operations)";

constexpr std::string_view kRaftHelp = R"(Usage: cairn operator raft <subcommand> [options]

  The Raft operator command is used to interact with the Raft subsystem. The
  command can be used to verify Raft peers or in rare cases to recover quorum by
  removing invalid peers.

Subcommands:
    list-peers         Display the current Raft peer configuration
    remove-peer        Remove a server from the Raft configuration
    transfer-leader    Transfer raft leadership to another node)";

constexpr std::string_view kListPeersHelp = R"(Usage: cairn operator raft list-peers [options]

  Displays the current Raft peer configuration.)";

constexpr std::string_view kRemovePeerHelp = R"(Usage: cairn operator raft remove-peer [options]

  Remove the server with given -address from the Raft configuration.

  There are rare cases where a peer may be left behind in the Raft quorum even
  though the server is no longer present and known to the cluster. This command
  can be used to remove the failed server so that it is no longer affects the Raft
  quorum. If the server still shows in the output of the "cairn members" command,
  it is preferable to clean up by simply running "cairn force-leave" instead of
  this command.)";

constexpr std::string_view kTransferLeaderHelp =
    R"(Usage: cairn operator raft transfer-leader [options]

  Transfer raft leadership to another node.)";

// Go's %q for the plain strings these messages quote.
std::string Quote(std::string_view s) { return GoJsonQuote(s); }

// Parses flags the way Consul's operator commands do: a parse error prints
// "Failed to parse args: ..." and exits 1.
std::optional<int> ParseOperatorFlags(const Context& ctx, base::FlagSet& flags,
                                      const std::vector<std::string>& args, std::string_view help) {
  absl::StatusOr<base::FlagSet::Result> parsed = flags.Parse(args);
  if (!parsed.ok()) {
    ctx.Err(fmt::format("Failed to parse args: {}", Msg(parsed.status())));
    return 1;
  }
  if (parsed->help) {
    ctx.Out(HelpText(help, flags));
    return 0;
  }
  return std::nullopt;
}

std::optional<HttpClient> Connect(const Context& ctx, const ClientFlags& http) {
  absl::StatusOr<HttpClient> client = http.Client(ctx);
  if (!client.ok()) {
    ctx.Err(fmt::format("Error initializing client: {}", Msg(client.status())));
    return std::nullopt;
  }
  return *std::move(client);
}

// The list-peers table. Autopilot's per-server LastIndex fills "Commit Index" and "Trails
// Leader By"; a server autopilot does not report (or an agent without the autopilot
// endpoint, which answers 404) gets "_" there, as Consul prints servers it has no health
// data for.
absl::StatusOr<std::string> ListPeers(const HttpClient& client, bool stale) {
  HttpRequest req("GET", "/v1/operator/raft/configuration");
  if (stale) req.query.emplace_back("stale", "");
  absl::StatusOr<HttpResponse> res = client.CallOk(req);
  absl::StatusOr<boost::json::value> config =
      res.ok() ? ParseJson(res->body) : absl::StatusOr<boost::json::value>(res.status());
  if (!config.ok()) {
    return absl::UnknownError(
        fmt::format("Failed to retrieve raft configuration: {}", Msg(config.status())));
  }
  HttpRequest health_req("GET", "/v1/operator/autopilot/health");
  if (stale) health_req.query.emplace_back("stale", "");
  absl::StatusOr<HttpResponse> health_res = client.Call(health_req);
  if (!health_res.ok()) {
    return absl::UnknownError(
        fmt::format("Failed to retrieve autopilot health: {}", Msg(health_res.status())));
  }
  std::map<std::string, uint64_t> last_index;  // server ID -> LastIndex
  // 429 means "unhealthy" and still carries the body.
  if (health_res->status == 200 || health_res->status == 429) {
    absl::StatusOr<boost::json::value> health = ParseJson(health_res->body);
    if (!health.ok()) {
      return absl::UnknownError(
          fmt::format("Failed to retrieve autopilot health: {}", Msg(health.status())));
    }
    if (const auto* o = health->if_object()) {
      if (const auto* servers = o->if_contains("Servers"); servers && servers->is_array()) {
        for (const auto& s : servers->get_array()) {
          last_index[JsonString(s, "ID")] = JsonUint(s, "LastIndex");
        }
      }
    }
  } else if (health_res->status != 404) {
    return absl::UnknownError(
        fmt::format("Failed to retrieve autopilot health: {}", UnexpectedResponse(*health_res)));
  }

  const boost::json::value* servers =
      config->is_object() ? config->get_object().if_contains("Servers") : nullptr;
  uint64_t leader_index = 0;
  if (servers != nullptr && servers->is_array()) {
    for (const auto& s : servers->get_array()) {
      if (JsonBool(s, "Leader") && last_index.contains(JsonString(s, "ID"))) {
        leader_index = last_index[JsonString(s, "ID")];
      }
    }
  }
  std::vector<std::vector<std::string>> rows = {{"Node", "ID", "Address", "State", "Voter",
                                                 "RaftProtocol", "Commit Index",
                                                 "Trails Leader By"}};
  if (servers != nullptr && servers->is_array()) {
    for (const auto& s : servers->get_array()) {
      std::string protocol = JsonString(s, "ProtocolVersion");
      if (protocol.empty()) protocol = "<=1";
      bool leader = JsonBool(s, "Leader");
      std::vector<std::string> row = {JsonString(s, "Node"),
                                      JsonString(s, "ID"),
                                      JsonString(s, "Address"),
                                      leader ? "leader" : "follower",
                                      JsonBool(s, "Voter") ? "true" : "false",
                                      protocol};
      auto it = last_index.find(JsonString(s, "ID"));
      if (it == last_index.end()) {
        row.push_back("_");
      } else {
        // Unsigned, as in Consul: a follower reported ahead of the leader wraps around.
        uint64_t trails = leader_index - it->second;
        row.push_back(std::to_string(it->second));
        row.push_back(leader        ? "_"
                      : trails <= 1 ? fmt::format("{} Commit", trails)
                                    : fmt::format("{} Commits", trails));
      }
      rows.push_back(std::move(row));
    }
  }
  return Columnize(rows);
}

int RunListPeers(const std::vector<std::string>& args, Context& ctx) {
  base::FlagSet flags("operator raft list-peers");
  ClientFlags http;
  http.AddClientFlags(flags);
  http.AddServerFlags(flags);
  if (auto code = ParseOperatorFlags(ctx, flags, args, kListPeersHelp)) return *code;
  std::optional<HttpClient> client = Connect(ctx, http);
  if (!client) return 1;
  absl::StatusOr<std::string> table = ListPeers(*client, http.stale());
  if (!table.ok()) {
    ctx.Err(fmt::format("Error getting peers: {}", Msg(table.status())));
    return 1;
  }
  ctx.Out(*table);
  return 0;
}

int RunRemovePeer(const std::vector<std::string>& args, Context& ctx) {
  base::FlagSet flags("operator raft remove-peer");
  std::string address, id;
  flags.String("address", &address, "The address to remove from the Raft configuration.");
  flags.String("id", &id, "The ID to remove from the Raft configuration.");
  ClientFlags http;
  http.AddClientFlags(flags);
  http.AddServerFlags(flags);
  if (auto code = ParseOperatorFlags(ctx, flags, args, kRemovePeerHelp)) return *code;
  std::optional<HttpClient> client = Connect(ctx, http);
  if (!client) return 1;
  if (address.empty() && id.empty()) {
    ctx.Err("Error removing peer: an address or id is required for the peer to remove");
    return 1;
  }
  if (!address.empty() && !id.empty()) {
    ctx.Err("Error removing peer: cannot give both an address and id");
    return 1;
  }
  HttpRequest req("DELETE", "/v1/operator/raft/peer");
  req.query.emplace_back(address.empty() ? "id" : "address", address.empty() ? id : address);
  if (auto r = client->CallOk(req); !r.ok()) {
    ctx.Err(fmt::format("Error removing peer: {}", Msg(r.status())));
    return 1;
  }
  ctx.Out(address.empty() ? fmt::format("Removed peer with id {}", Quote(id))
                          : fmt::format("Removed peer with address {}", Quote(address)));
  return 0;
}

int RunTransferLeader(const std::vector<std::string>& args, Context& ctx) {
  base::FlagSet flags("operator raft transfer-leader");
  std::string id;
  flags.String("id", &id, "The ID of the node to transfer leadership to.");
  ClientFlags http;
  http.AddClientFlags(flags);
  http.AddServerFlags(flags);
  if (auto code = ParseOperatorFlags(ctx, flags, args, kTransferLeaderHelp)) return *code;
  std::optional<HttpClient> client = Connect(ctx, http);
  if (!client) return 1;
  HttpRequest req("POST", "/v1/operator/raft/transfer-leader");
  if (!id.empty()) req.query.emplace_back("id", id);
  absl::StatusOr<HttpResponse> res = client->CallOk(req);
  absl::StatusOr<boost::json::value> body =
      res.ok() ? ParseJson(res->body) : absl::StatusOr<boost::json::value>(res.status());
  if (!body.ok()) {
    ctx.Err(fmt::format("Error transfering leadership: Failed to transfer leadership {}",
                        Msg(body.status())));
    return 1;
  }
  if (!JsonBool(*body, "Success")) {
    ctx.Err("Error transfering leadership: Failed to transfer leadership");
    return 1;
  }
  ctx.Out("Success");
  return 0;
}

}  // namespace

int RunOperator(const std::vector<std::string>& args, Context& ctx) {
  if (args.empty() || args[0] != "raft") {
    bool help = !args.empty() && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help");
    help ? ctx.Out(kOperatorHelp) : ctx.Err(kOperatorHelp);
    return help ? 0 : 1;
  }
  std::vector<std::string> rest(args.begin() + std::min<std::size_t>(2, args.size()), args.end());
  std::string sub = args.size() > 1 ? args[1] : "";
  if (sub == "list-peers") return RunListPeers(rest, ctx);
  if (sub == "remove-peer") return RunRemovePeer(rest, ctx);
  if (sub == "transfer-leader") return RunTransferLeader(rest, ctx);
  bool help = sub == "-h" || sub == "-help" || sub == "--help";
  help ? ctx.Out(kRaftHelp) : ctx.Err(kRaftHelp);
  return help ? 0 : 1;
}

}  // namespace cairn::cli
