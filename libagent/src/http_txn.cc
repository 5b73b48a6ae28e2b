// PUT /v1/txn (Consul's agent/txn_endpoint.go, spec §3).
#include <absl/strings/numbers.h>
#include <boost/json/object.hpp>
#include <fmt/format.h>

#include "http_api_internal.h"
#include "json_codec.h"

namespace cairn::agent::internal {

namespace {

constexpr std::string_view kTxnLimitDocs =
    "https://www.consul.io/docs/agent/config/config-files#txn_max_req_len";

void ReplyOutcome(HttpExchange& ex, const kv::TxnOutcome& outcome, bool pretty,
                  const QueryMeta* read_meta, Consistency consistency) {
  boost::json::object body = json::TxnOutcomeToJson(outcome);
  if (read_meta != nullptr) {
    // A read-only transaction answers TxnReadResponse, which embeds QueryMeta.
    int64_t ms = read_meta->last_contact.count() < 0 ? 0 : read_meta->last_contact.count();
    body.emplace("Index", 0);
    body.emplace("LastContact", ms * 1'000'000);
    body.emplace("KnownLeader", read_meta->known_leader);
    body.emplace("ConsistencyLevel", ConsistencyName(consistency));
  }
  HttpResponse r = HttpResponse::Json(body, pretty, outcome.errors.empty() ? 200 : 409);
  if (read_meta != nullptr) AddMeta(r, *read_meta);
  ex.Reply(std::move(r));
}

// Checks the size limits and decodes the body; answers 400/413 and returns nullopt on
// failure.
std::optional<std::vector<json::TxnRequestOp>> DecodeOps(const ApiContext& ctx,
                                                         const HttpRequest& request,
                                                         HttpExchange& ex) {
  const HttpApiOptions& o = ctx.options;
  std::size_t max_len = std::max(o.txn_max_req_len, o.kv_max_value_size);
  uint64_t declared = 0;
  std::string cl = request.Header("Content-Length");
  if (!cl.empty() && absl::SimpleAtoi(cl, &declared) && declared > max_len) {
    ex.Reply(HttpResponse::Text(
        413, fmt::format("Request body({} bytes) too large, max size: {} bytes. See {}.", declared,
                         max_len, kTxnLimitDocs)));
    return std::nullopt;
  }
  if (request.body.size() > max_len) {
    ex.Reply(
        HttpResponse::Text(413, fmt::format("Request body too large, max size: {} bytes. See {}.",
                                            max_len, kTxnLimitDocs)));
    return std::nullopt;
  }
  absl::StatusOr<std::vector<json::TxnRequestOp>> ops = json::DecodeTxnOps(request.body);
  if (!ops.ok()) {
    ex.Reply(
        HttpResponse::Text(400, fmt::format("Failed to parse body: {}", ops.status().message())));
    return std::nullopt;
  }
  if (ops->size() > o.txn_max_ops) {
    ex.Reply(
        HttpResponse::Text(413, fmt::format("Transaction contains too many operations ({} > {})",
                                            ops->size(), o.txn_max_ops)));
    return std::nullopt;
  }
  for (const json::TxnRequestOp& op : *ops) {
    if (op.kind == json::TxnRequestOp::Kind::kKv && op.kv.value.size() > o.kv_max_value_size) {
      ex.Reply(HttpResponse::Text(
          413, fmt::format("Value for key {} is too large ({} > {} bytes)",
                           json::GoQuote(op.kv.key), op.kv.value.size(), o.kv_max_value_size)));
      return std::nullopt;
    }
    if (op.kind == json::TxnRequestOp::Kind::kNode ||
        op.kind == json::TxnRequestOp::Kind::kService ||
        op.kind == json::TxnRequestOp::Kind::kCheck) {
      // The backend applies KV operations only; refusing the whole transaction keeps it
      // atomic rather than silently dropping part of it.
      ex.Reply(HttpResponse::Text(
          400, "Node, Service and Check operations in transactions are not supported"));
      return std::nullopt;
    }
  }
  return *std::move(ops);
}

void HandleTxn(const Context& ctx, const HttpRequest& request, std::shared_ptr<HttpExchange> ex) {
  std::optional<std::vector<json::TxnRequestOp>> decoded = DecodeOps(*ctx, request, *ex);
  if (!decoded) return;
  // Elements with none of KV/Node/Service/Check are dropped, as Consul drops them, before
  // op indexes are counted.
  std::vector<kv::TxnOp> ops;
  kv::TxnOutcome unknown;
  bool writes = false;
  for (json::TxnRequestOp& op : *decoded) {
    if (op.kind != json::TxnRequestOp::Kind::kKv) continue;
    if (op.unknown_verb) {
      unknown.errors.push_back(
          {static_cast<int>(ops.size()),
           fmt::format("unknown KV verb {}", json::GoQuote(*op.unknown_verb))});
    } else {
      writes = writes || !kv::IsReadVerb(op.kv.verb);
    }
    ops.push_back(std::move(op.kv));
  }
  bool pretty = request.pretty();
  if (!writes) {
    // Only reads: served like any read, with the consistency the client asked for.
    std::optional<QueryOptions> options = ParseOptions(*ctx, request, *ex);
    if (!options) return;
    ctx->backend.Read(options->consistency, [ex, ops = std::move(ops), unknown,
                                             options](absl::StatusOr<ReadContext> read) {
      if (!read.ok()) return ReplyError(*ex, read.status());
      if (!unknown.errors.empty()) {
        return ReplyOutcome(*ex, unknown, options->pretty, &read->meta, options->consistency);
      }
      absl::StatusOr<kv::TxnOutcome> outcome = read->kv.ReadTxn(ops, ops.size());
      if (!outcome.ok()) return ReplyError(*ex, outcome.status());
      ReplyOutcome(*ex, *outcome, options->pretty, &read->meta, options->consistency);
    });
    return;
  }
  if (!CheckDatacenter(*ctx, request.Query("dc").value_or(""), *ex)) return;
  if (!unknown.errors.empty()) {
    // The transaction would fail as a whole: nothing to send to Raft.
    return ReplyOutcome(*ex, unknown, pretty, nullptr, Consistency::kDefault);
  }
  ctx->backend.Txn(std::move(ops), [ex, pretty](absl::StatusOr<kv::TxnOutcome> outcome) {
    if (!outcome.ok()) return ReplyError(*ex, outcome.status());
    ReplyOutcome(*ex, *outcome, pretty, nullptr, Consistency::kDefault);
  });
}

}  // namespace

void RegisterTxn(Router& router, const Context& ctx) {
  router.Handle("/v1/txn", {Method::put},
                [ctx](const HttpRequest& request, std::shared_ptr<HttpExchange> ex) {
                  HandleTxn(ctx, request, std::move(ex));
                });
}

}  // namespace cairn::agent::internal
