// /v1/operator/raft/* (Consul's agent/operator_endpoint.go, spec §11).
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <fmt/format.h>

#include "http_api_internal.h"
#include "json_codec.h"

namespace cairn::agent::internal {

namespace {

// A Raft server as the API names it. Consul's Raft server ID is the node's UUID; ours is
// a number, so a server is shown with the ID and name of the catalog node at its address
// (as Consul matches Raft servers to serf members by address), and with its number and
// "(unknown)" when no node is registered there.
struct NamedServer {
  RaftServerInfo info;
  std::string id;
  std::string node;
};

std::vector<NamedServer> NameServers(const ApiContext& ctx, const RaftInfo& raft) {
  catalog::ReadView catalog = ctx.backend.catalog().Read();
  std::vector<NamedServer> out;
  for (const RaftServerInfo& s : raft.servers) {
    NamedServer n{s, std::to_string(s.id), "(unknown)"};
    std::string_view host = s.address;
    if (auto colon = host.rfind(':'); colon != std::string_view::npos) host = host.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    auto nodes = catalog.NodesByAddress(host);
    if (nodes.size() == 1) {
      n.node = nodes[0]->name;
      if (!nodes[0]->id.empty()) n.id = nodes[0]->id;
    }
    out.push_back(std::move(n));
  }
  return out;
}

// ?id= as shown by /v1/operator/raft/configuration (node ID or Raft number).
std::optional<uint64_t> FindServer(const ApiContext& ctx, std::string_view id) {
  for (const NamedServer& s : NameServers(ctx, ctx.backend.RaftConfiguration())) {
    if (s.id == id || std::to_string(s.info.id) == id) return s.info.id;
  }
  return std::nullopt;
}

void ReplyConfiguration(const Context& ctx, HttpExchange& ex, bool pretty) {
  RaftInfo raft = ctx->backend.RaftConfiguration();
  boost::json::array servers;
  for (const NamedServer& s : NameServers(*ctx, raft)) {
    // structs.RaftServer's field order.
    servers.emplace_back(boost::json::object{{"ID", json::JsonString(s.id)},
                                             {"Node", json::JsonString(s.node)},
                                             {"Address", json::JsonString(s.info.address)},
                                             {"Leader", s.info.leader},
                                             {"ProtocolVersion", "3"},
                                             {"Voter", s.info.voter}});
  }
  ex.Reply(HttpResponse::Json(
      boost::json::object{{"Servers", std::move(servers)}, {"Index", raft.index}}, pretty));
}

void Configuration(const Context& ctx, const HttpRequest& r, std::shared_ptr<HttpExchange> ex) {
  std::optional<QueryOptions> options = ParseOptions(*ctx, r, *ex);
  if (!options) return;
  bool pretty = options->pretty;
  if (options->consistency == Consistency::kStale) return ReplyConfiguration(ctx, *ex, pretty);
  // Otherwise the leader answers: the barrier fails without one.
  ctx->backend.Read(options->consistency, [ctx, ex, pretty](absl::StatusOr<ReadContext> read) {
    if (!read.ok()) return ReplyError(*ex, read.status());
    ReplyConfiguration(ctx, *ex, pretty);
  });
}

void RemovePeer(const Context& ctx, const HttpRequest& r, std::shared_ptr<HttpExchange> ex) {
  if (!CheckDatacenter(*ctx, r.Query("dc").value_or(""), *ex)) return;
  std::optional<std::string> id = r.Query("id");
  std::optional<std::string> address = r.Query("address");
  if (!id && !address) {
    ex->Reply(HttpResponse::Text(
        400,
        "Must specify either ?id with the server's ID or ?address with IP:port of peer "
        "to remove"));
    return;
  }
  if (id && address) {
    ex->Reply(HttpResponse::Text(400, "Must specify only one of ?id or ?address"));
    return;
  }
  auto done = [ex](absl::StatusOr<bool> r) {
    if (!r.ok()) return ex->Reply(HttpResponse::Text(500, std::string(r.status().message())));
    ex->Reply(HttpResponse::Empty(200));
  };
  if (address) return ctx->backend.RemovePeerByAddress(*address, std::move(done));
  std::optional<uint64_t> raft_id = FindServer(*ctx, *id);
  if (!raft_id) {
    ex->Reply(HttpResponse::Text(
        500, fmt::format("id {} was not found in the Raft configuration", json::GoQuote(*id))));
    return;
  }
  ctx->backend.RemovePeer(*raft_id, std::move(done));
}

void TransferLeader(const Context& ctx, const HttpRequest& r, std::shared_ptr<HttpExchange> ex) {
  if (!CheckDatacenter(*ctx, r.Query("dc").value_or(""), *ex)) return;
  std::string id = r.Query("id").value_or("");
  uint64_t raft_id = 0;
  if (!id.empty()) {
    std::optional<uint64_t> found = FindServer(*ctx, id);
    if (!found) {
      ex->Reply(HttpResponse::Text(
          500, fmt::format("id {} was not found in the Raft configuration", json::GoQuote(id))));
      return;
    }
    raft_id = *found;
  }
  ctx->backend.TransferLeader(raft_id, [ex, pretty = r.pretty()](absl::StatusOr<bool> r) {
    if (!r.ok()) return ex->Reply(HttpResponse::Text(500, std::string(r.status().message())));
    ex->Reply(HttpResponse::Json(boost::json::object{{"Success", *r}}, pretty));
  });
}

}  // namespace

void RegisterOperator(Router& router, const Context& ctx) {
  router.Handle("/v1/operator/raft/configuration", {Method::get},
                [ctx](const HttpRequest& r, std::shared_ptr<HttpExchange> ex) {
                  Configuration(ctx, r, std::move(ex));
                });
  router.Handle("/v1/operator/raft/peer", {Method::delete_},
                [ctx](const HttpRequest& r, std::shared_ptr<HttpExchange> ex) {
                  RemovePeer(ctx, r, std::move(ex));
                });
  router.Handle("/v1/operator/raft/transfer-leader", {Method::post},
                [ctx](const HttpRequest& r, std::shared_ptr<HttpExchange> ex) {
                  TransferLeader(ctx, r, std::move(ex));
                });
}

}  // namespace cairn::agent::internal
