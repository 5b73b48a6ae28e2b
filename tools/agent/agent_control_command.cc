// Commands that steer or inspect the agent itself: `join`, `leave`, `force-leave`,
// `reload` and `info`, each one or a few calls to /v1/agent/*.
#include <algorithm>

#include <fmt/format.h>

#include "cli.h"
#include "command_util.h"

namespace cairn::cli {
namespace {

constexpr std::string_view kJoinHelp = R"(Usage: cairn join [options] address ...

  Tells a running Cairn agent (with "cairn agent") to join the cluster
  by specifying at least one existing member.)";

constexpr std::string_view kLeaveHelp = R"(Usage: cairn leave [options]

  Causes the agent to gracefully leave the Cairn cluster and shutdown.)";

constexpr std::string_view kForceLeaveHelp = R"(Usage: cairn force-leave [options] name

  Forces a member of a Cairn cluster to enter the "left" state. Note
  that if the member is still actually alive, it will eventually rejoin
  the cluster. This command is most useful for cleaning out "failed" nodes
  that are never coming back. If you do not force leave a failed node,
  Cairn will attempt to reconnect to those failed nodes for some period of
  time before eventually reaping them.)";

constexpr std::string_view kReloadHelp = R"(Usage: cairn reload [options]

  Causes the agent to reload configurations. This can be used instead
  of sending the SIGHUP signal to the agent.)";

constexpr std::string_view kInfoHelp = R"(Usage: cairn info [options]

  Provides debugging information for operators)";

// Go's fmt "%v" of a []string: "[a b c]".
std::string GoList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? " " : "") + items[i];
  return out + "]";
}

// Builds the client or prints Consul's "Error connecting" line; nullopt on failure.
std::optional<HttpClient> Connect(const Context& ctx, const ClientFlags& http) {
  absl::StatusOr<HttpClient> client = http.Client(ctx);
  if (!client.ok()) {
    ctx.Err(fmt::format("Error connecting to Consul agent: {}", Msg(client.status())));
    return std::nullopt;
  }
  return *std::move(client);
}

}  // namespace

int RunJoin(const std::vector<std::string>& args, Context& ctx) {
  base::FlagSet flags("join");
  bool wan = false;
  flags.Bool("wan", &wan, "Joins a server to another server in the WAN pool.");
  ClientFlags http;
  http.AddClientFlags(flags);
  std::vector<std::string> addrs;
  if (auto code = ParseFlags(ctx, flags, args, kJoinHelp, &addrs)) return *code;
  if (addrs.empty()) {
    ctx.Err("At least one address to join must be specified.");
    ctx.Err("");
    ctx.Err(HelpText(kJoinHelp, flags));
    return 1;
  }
  std::optional<HttpClient> client = Connect(ctx, http);
  if (!client) return 1;
  int joins = 0;
  for (const std::string& addr : addrs) {
    HttpRequest req("PUT", "/v1/agent/join/" + addr);
    if (wan) req.query.emplace_back("wan", "1");
    if (auto r = client->CallOk(req); !r.ok()) {
      ctx.Err(fmt::format("Error joining address '{}': {}", addr, Msg(r.status())));
    } else {
      ++joins;
    }
  }
  if (joins == 0) {
    ctx.Err("Failed to join any nodes.");
    return 1;
  }
  ctx.Out(fmt::format("Successfully joined cluster by contacting {} nodes.", joins));
  return 0;
}

int RunLeave(const std::vector<std::string>& args, Context& ctx) {
  base::FlagSet flags("leave");
  ClientFlags http;
  http.AddClientFlags(flags);
  std::vector<std::string> rest;
  if (auto code = ParseFlags(ctx, flags, args, kLeaveHelp, &rest)) return *code;
  if (!rest.empty()) {
    ctx.Err(fmt::format("Error found unexpected args: {}", GoList(rest)));
    ctx.Out(HelpText(kLeaveHelp, flags));
    return 1;
  }
  std::optional<HttpClient> client = Connect(ctx, http);
  if (!client) return 1;
  if (auto r = client->CallOk(HttpRequest("PUT", "/v1/agent/leave")); !r.ok()) {
    ctx.Err(fmt::format("Error leaving: {}", Msg(r.status())));
    return 1;
  }
  ctx.Out("Graceful leave complete");
  return 0;
}

int RunForceLeave(const std::vector<std::string>& args, Context& ctx) {
  base::FlagSet flags("force-leave");
  bool prune = false;
  bool wan = false;
  flags.Bool("prune", &prune, "Remove agent forcibly from list of members");
  flags.Bool("wan", &wan, "Exclusively leave the agent from the WAN serf pool.");
  ClientFlags http;
  http.AddClientFlags(flags);
  http.AddServerFlags(flags);
  std::vector<std::string> nodes;
  if (auto code = ParseFlags(ctx, flags, args, kForceLeaveHelp, &nodes)) return *code;
  if (nodes.size() != 1) {
    ctx.Err("A single node name must be specified to force leave.");
    ctx.Err("");
    ctx.Err(HelpText(kForceLeaveHelp, flags));
    return 1;
  }
  std::optional<HttpClient> client = Connect(ctx, http);
  if (!client) return 1;
  HttpRequest req("PUT", "/v1/agent/force-leave/" + nodes[0]);
  if (prune) req.query.emplace_back("prune", "1");
  if (wan) req.query.emplace_back("wan", "1");
  if (auto r = client->CallOk(req); !r.ok()) {
    ctx.Err(fmt::format("Error force leaving: {}", Msg(r.status())));
    return 1;
  }
  return 0;
}

int RunReload(const std::vector<std::string>& args, Context& ctx) {
  base::FlagSet flags("reload");
  ClientFlags http;
  http.AddClientFlags(flags);
  std::vector<std::string> rest;
  if (auto code = ParseFlags(ctx, flags, args, kReloadHelp, &rest)) return *code;
  std::optional<HttpClient> client = Connect(ctx, http);
  if (!client) return 1;
  if (auto r = client->CallOk(HttpRequest("PUT", "/v1/agent/reload")); !r.ok()) {
    ctx.Err(fmt::format("Error reloading: {}", Msg(r.status())));
    return 1;
  }
  ctx.Out("Configuration reload triggered");
  return 0;
}

int RunInfo(const std::vector<std::string>& args, Context& ctx) {
  base::FlagSet flags("info");
  ClientFlags http;
  http.AddClientFlags(flags);
  std::vector<std::string> rest;
  if (auto code = ParseFlags(ctx, flags, args, kInfoHelp, &rest)) return *code;
  std::optional<HttpClient> client = Connect(ctx, http);
  if (!client) return 1;
  absl::StatusOr<HttpResponse> res = client->CallOk(HttpRequest("GET", "/v1/agent/self"));
  absl::StatusOr<boost::json::value> self =
      res.ok() ? ParseJson(res->body) : absl::StatusOr<boost::json::value>(res.status());
  if (!self.ok()) {
    ctx.Err(fmt::format("Error querying agent: {}", Msg(self.status())));
    return 1;
  }
  const boost::json::object* top = self->if_object();
  const boost::json::value* stats = top == nullptr ? nullptr : top->if_contains("Stats");
  if (stats == nullptr || !stats->is_object()) {
    ctx.Err(fmt::format("Agent response did not contain 'Stats' key: {}", JsonScalarText(*self)));
    return 1;
  }
  std::vector<std::string> sections;
  for (const auto& [k, v] : stats->get_object()) sections.emplace_back(k);
  std::sort(sections.begin(), sections.end());
  for (const std::string& section : sections) {
    ctx.Out(section + ":");
    const boost::json::value& sub = stats->get_object().at(section);
    if (!sub.is_object()) {
      ctx.Err(fmt::format("Got invalid subkey in stats: {}", JsonScalarText(sub)));
      return 1;
    }
    std::vector<std::string> keys;
    for (const auto& [k, v] : sub.get_object()) keys.emplace_back(k);
    std::sort(keys.begin(), keys.end());
    for (const std::string& key : keys) {
      ctx.Out(fmt::format("\t{} = {}", key, JsonScalarText(sub.get_object().at(key))));
    }
  }
  return 0;
}

}  // namespace cairn::cli
