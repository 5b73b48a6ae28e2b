// `cairn members`: GET /v1/agent/members[?wan=1], printed as Consul's `members` prints it.
#include <algorithm>
#include <map>

#include <boost/asio/ip/address.hpp>
#include <fmt/format.h>

#include "cli.h"
#include "command_util.h"
#include <re2/re2.h>

namespace cairn::cli {
namespace {

constexpr std::string_view kHelp = R"(Usage: cairn members [options]

  Outputs the members of a running Cairn agent.)";

// serf.MemberStatus.String().
std::string StatusText(uint64_t status) {
  switch (status) {
    case 0:
      return "none";
    case 1:
      return "alive";
    case 2:
      return "leaving";
    case 3:
      return "left";
    case 4:
      return "failed";
    default:
      return "unknown";
  }
}

// net.TCPAddr{IP, Port}.String(): IPv6 in brackets; an unparsable IP prints as nothing.
std::string TcpAddr(const std::string& ip, uint64_t port) {
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(ip, ec);
  if (ec) return fmt::format(":{}", port);
  if (addr.is_v6()) return fmt::format("[{}]:{}", addr.to_string(), port);
  return fmt::format("{}:{}", addr.to_string(), port);
}

struct Member {
  std::string name;
  std::string addr;
  std::string status;
  std::map<std::string, std::string> tags;  // sorted, as -detailed prints them
};

bool IsDefault(const std::string& partition) { return partition.empty() || partition == "default"; }

// Consul's ByMemberNamePartitionAndSegment: servers first, then the default partition, then
// by segment, partition and name.
bool Before(const Member& a, const Member& b) {
  auto tag = [](const Member& m, const char* k) {
    auto it = m.tags.find(k);
    return it == m.tags.end() ? std::string() : it->second;
  };
  bool sa = tag(a, "role") == "consul", sb = tag(b, "role") == "consul";
  if (sa != sb) return sa;
  bool da = IsDefault(tag(a, "ap")), db = IsDefault(tag(b, "ap"));
  if (da != db) return da;
  if (tag(a, "segment") != tag(b, "segment")) return tag(a, "segment") < tag(b, "segment");
  if (tag(a, "ap") != tag(b, "ap")) return tag(a, "ap") < tag(b, "ap");
  return a.name < b.name;
}

}  // namespace

int RunMembers(const std::vector<std::string>& args, Context& ctx) {
  base::FlagSet flags("members");
  bool detailed = false;
  bool wan = false;
  std::string status_filter = ".*";
  std::string segment = "_all";
  std::string filter;
  flags.Bool("detailed", &detailed, "Provides detailed information about nodes.");
  flags.Bool("wan", &wan,
             "If the agent is in server mode, this can be used to return the other peers in the "
             "WAN pool.");
  flags.String("status", &status_filter,
               "If provided, output is filtered to only nodes matching the regular expression "
               "for status.");
  flags.String("segment", &segment,
               "(Enterprise-only) If provided, output is filtered to only nodes in the given "
               "segment.");
  flags.String("filter", &filter, "Filter to use with the request");
  ClientFlags http;
  http.AddClientFlags(flags);
  std::vector<std::string> rest;
  if (auto code = ParseFlags(ctx, flags, args, kHelp, &rest)) return *code;

  RE2 status_re(status_filter, RE2::Quiet);
  if (!status_re.ok()) {
    ctx.Err(fmt::format("Failed to compile status regexp: error parsing regexp: {}",
                        status_re.error()));
    return 1;
  }
  absl::StatusOr<HttpClient> client = http.Client(ctx);
  if (!client.ok()) {
    ctx.Err(fmt::format("Error connecting to Consul agent: {}", Msg(client.status())));
    return 1;
  }
  HttpRequest req("GET", "/v1/agent/members");
  if (wan) req.query.emplace_back("wan", "1");
  if (!filter.empty()) req.query.emplace_back("filter", filter);
  absl::StatusOr<HttpResponse> res = client->CallOk(req);
  absl::StatusOr<boost::json::value> body =
      res.ok() ? ParseJson(res->body) : absl::StatusOr<boost::json::value>(res.status());
  if (body.ok() && !body->is_array()) {
    body = absl::InvalidArgumentError("invalid JSON in response: expected an array of members");
  }
  if (!body.ok()) {
    ctx.Err(fmt::format("Error retrieving members: {}", Msg(body.status())));
    return 1;
  }

  std::vector<Member> members;
  for (const boost::json::value& v : body->get_array()) {
    Member m;
    m.name = JsonString(v, "Name");
    m.addr = TcpAddr(JsonString(v, "Addr"), JsonUint(v, "Port"));
    m.status = StatusText(JsonUint(v, "Status"));
    if (const auto* o = v.if_object(); o != nullptr && o->contains("Tags")) {
      if (const auto* tags = o->at("Tags").if_object()) {
        for (const auto& [k, tv] : *tags) m.tags[std::string(k)] = JsonScalarText(tv);
      }
    }
    // As Consul does before printing: a missing partition is "default"; servers of the
    // default partition are in every segment, clients without one in "<default>".
    auto get = [&m](const char* k) {
      auto it = m.tags.find(k);
      return it == m.tags.end() ? std::string() : it->second;
    };
    if (get("ap").empty()) m.tags["ap"] = "default";
    if (IsDefault(m.tags["ap"])) {
      if (segment == "_all" && get("role") == "consul") {
        m.tags["segment"] = "<all>";
      } else if (get("segment").empty()) {
        m.tags["segment"] = "<default>";
      }
    } else {
      m.tags["segment"] = "";
    }
    if (!RE2::PartialMatch(m.status, status_re)) continue;
    members.push_back(std::move(m));
  }
  if (members.empty()) return 2;
  std::stable_sort(members.begin(), members.end(), Before);

  std::vector<std::vector<std::string>> rows;
  if (detailed) {
    rows.push_back({"Node", "Address", "Status", "Tags"});
    for (const Member& m : members) {
      std::string tags;
      for (const auto& [k, v] : m.tags) {
        if (!tags.empty()) tags += ',';
        tags += k + "=" + v;
      }
      rows.push_back({m.name, m.addr, m.status, tags});
    }
  } else {
    rows.push_back(
        {"Node", "Address", "Status", "Type", "Build", "Protocol", "DC", "Partition", "Segment"});
    for (const Member& m : members) {
      auto tag = [&m](const char* k) {
        auto it = m.tags.find(k);
        return it == m.tags.end() ? std::string() : it->second;
      };
      std::string role = tag("role");
      if (role != "consul" && role != "node") {
        rows.push_back({m.name, m.addr, m.status, "unknown", "", "", "", "", ""});
        continue;
      }
      std::string build = tag("build");
      if (build.empty()) {
        build = "< 0.3";
      } else if (std::size_t colon = build.find(':'); colon != std::string::npos) {
        build.resize(colon);
      }
      rows.push_back({m.name, m.addr, m.status, role == "consul" ? "server" : "client", build,
                      tag("vsn"), tag("dc"), tag("ap"), tag("segment")});
    }
  }
  ctx.Out(Columnize(rows));
  return 0;
}

}  // namespace cairn::cli
