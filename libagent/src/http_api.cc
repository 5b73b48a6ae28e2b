#include <cairn/agent/http_api.h>

#include "http_api_internal.h"

namespace cairn::agent {

namespace internal {

void ReplyError(HttpExchange& exchange, const absl::Status& status) {
  unsigned code = status.code() == absl::StatusCode::kNotFound ? 404 : 500;
  exchange.Reply(HttpResponse::Text(code, std::string(status.message())));
}

void AddMeta(HttpResponse& response, const QueryMeta& meta) {
  response.With("X-Consul-KnownLeader", meta.known_leader ? "true" : "false");
  int64_t ms = meta.last_contact.count() < 0 ? 0 : meta.last_contact.count();
  response.With("X-Consul-LastContact", std::to_string(ms));
}

bool CheckDatacenter(const ApiContext& ctx, const std::string& dc, HttpExchange& exchange) {
  if (dc.empty() || dc == ctx.options.datacenter) return true;
  exchange.Reply(HttpResponse::Text(500, "No path to datacenter"));
  return false;
}

std::optional<QueryOptions> ParseOptions(const ApiContext& ctx, const HttpRequest& request,
                                         HttpExchange& exchange) {
  absl::StatusOr<QueryOptions> options = ParseQueryOptions(request);
  if (!options.ok()) {
    exchange.Reply(HttpResponse::Text(400, std::string(options.status().message())));
    return std::nullopt;
  }
  if (!CheckDatacenter(ctx, options->datacenter, exchange)) return std::nullopt;
  return *std::move(options);
}

void BlockingRead(const Context& ctx, const QueryOptions& options,
                  std::shared_ptr<HttpExchange> exchange, std::function<QueryResult()> run,
                  std::function<base::WatchHub::Handle(uint64_t, base::WatchHub::Callback)> watch) {
  // Every run reads the local stores: after the barrier they hold at least what the
  // ReadContext would, and a re-run after a wake-up must see the newer state anyway.
  auto with_meta = [ctx, run = std::move(run)] {
    QueryResult result = run();
    AddMeta(result.response, ctx->backend.Meta());
    return result;
  };
  ctx->backend.Read(options.consistency,
                    [ctx, options, exchange, run = std::move(with_meta),
                     watch = std::move(watch)](absl::StatusOr<ReadContext> read) mutable {
                      if (!read.ok()) {
                        ReplyError(*exchange, read.status());
                        return;
                      }
                      RunBlockingQuery(ctx->executor, ctx->clock, options, std::move(exchange),
                                       std::move(run), std::move(watch));
                    });
}

}  // namespace internal

void RegisterStateApi(Router& router, StateBackend& backend, boost::asio::any_io_executor executor,
                      base::Clock& clock, HttpApiOptions options) {
  auto ctx = std::make_shared<const internal::ApiContext>(
      internal::ApiContext{backend, std::move(executor), clock, std::move(options)});
  internal::RegisterKv(router, ctx);
  internal::RegisterTxn(router, ctx);
  internal::RegisterSession(router, ctx);
  internal::RegisterStatus(router, ctx);
  internal::RegisterOperator(router, ctx);
}

}  // namespace cairn::agent
