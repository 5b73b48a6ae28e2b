// GET /v1/status/leader and /v1/status/peers (Consul's agent/status_endpoint.go, spec §8).
#include <boost/json/array.hpp>

#include "http_api_internal.h"
#include "json_codec.h"

namespace cairn::agent::internal {

void RegisterStatus(Router& router, const Context& ctx) {
  router.Handle("/v1/status/leader", {Method::get},
                [ctx](const HttpRequest& r, std::shared_ptr<HttpExchange> ex) {
                  std::optional<QueryOptions> options = ParseOptions(*ctx, r, *ex);
                  if (!options) return;
                  ex->Reply(HttpResponse::Json(json::JsonString(ctx->backend.LeaderAddress()),
                                               options->pretty));
                });
  router.Handle("/v1/status/peers", {Method::get},
                [ctx](const HttpRequest& r, std::shared_ptr<HttpExchange> ex) {
                  std::optional<QueryOptions> options = ParseOptions(*ctx, r, *ex);
                  if (!options) return;
                  boost::json::array peers;
                  for (const std::string& p : ctx->backend.Peers()) {
                    peers.emplace_back(json::JsonString(p));
                  }
                  ex->Reply(HttpResponse::Json(peers, options->pretty));
                });
}

}  // namespace cairn::agent::internal
