// /v1/session/* (Consul's agent/session_endpoint.go, spec §4).
#include <boost/json/object.hpp>
#include <fmt/format.h>

#include "http_api_internal.h"
#include "json_codec.h"

namespace cairn::agent::internal {

namespace {

using Watch = std::function<base::WatchHub::Handle(uint64_t, base::WatchHub::Callback)>;

void Create(const Context& ctx, const HttpRequest& request, std::shared_ptr<HttpExchange> ex) {
  if (!CheckDatacenter(*ctx, request.Query("dc").value_or(""), *ex)) return;
  json::SessionBody body;
  // Consul decodes the body only when there is one (python-consul sends none when every
  // field has its default).
  if (!request.body.empty()) {
    if (absl::Status st = json::DecodeSessionCreate(request.body, body); !st.ok()) {
      ex->Reply(HttpResponse::Text(400, fmt::format("Request decode failed: {}", st.message())));
      return;
    }
  }
  // Consul's Session.Apply refuses these after decoding, with a 500.
  if (absl::Status st = json::ValidateSessionFields(body); !st.ok()) {
    ex->Reply(HttpResponse::Text(500, std::string(st.message())));
    return;
  }
  ctx->backend.CreateSession(
      std::move(body.request), [ex, pretty = request.pretty()](absl::StatusOr<kv::Session> s) {
        if (!s.ok()) return ReplyError(*ex, s.status());
        ex->Reply(HttpResponse::Json(boost::json::object{{"ID", json::JsonString(s->id)}}, pretty));
      });
}

void Destroy(const Context& ctx, const HttpRequest& request, std::shared_ptr<HttpExchange> ex) {
  if (!CheckDatacenter(*ctx, request.Query("dc").value_or(""), *ex)) return;
  if (request.route_rest.empty()) {
    ex->Reply(HttpResponse::Text(400, "Missing session"));
    return;
  }
  ctx->backend.DestroySession(request.route_rest,
                              [ex, pretty = request.pretty()](absl::StatusOr<bool> r) {
                                if (!r.ok()) return ReplyError(*ex, r.status());
                                ex->Reply(HttpResponse::Json(true, pretty));
                              });
}

void Renew(const Context& ctx, const HttpRequest& request, std::shared_ptr<HttpExchange> ex) {
  std::optional<QueryOptions> options = ParseOptions(*ctx, request, *ex);
  if (!options) return;
  if (request.route_rest.empty()) {
    ex->Reply(HttpResponse::Text(400, "Missing session"));
    return;
  }
  ctx->backend.RenewSession(
      request.route_rest, [ex, pretty = options->pretty](absl::StatusOr<kv::Session> s) {
        if (!s.ok()) return ReplyError(*ex, s.status());
        ex->Reply(HttpResponse::Json(boost::json::array{json::SessionToJson(*s)}, pretty));
      });
}

// info / node / list: blocking reads of the sessions table, indexed by its last change.
void Read(const Context& ctx, const HttpRequest& request, std::shared_ptr<HttpExchange> ex,
          std::string_view missing,
          std::function<std::vector<kv::Session>(const kv::ReadView&)> select, Watch watch) {
  std::optional<QueryOptions> options = ParseOptions(*ctx, request, *ex);
  if (!options) return;
  if (!missing.empty() && request.route_rest.empty()) {
    ex->Reply(HttpResponse::Text(400, std::string(missing)));
    return;
  }
  BlockingRead(
      ctx, *options, std::move(ex),
      [ctx, select = std::move(select), pretty = options->pretty] {
        kv::ReadView view = ctx->backend.kv().Snapshot();
        return QueryResult{view.sessions_index(),
                           HttpResponse::Json(json::SessionsToJson(select(view)), pretty)};
      },
      std::move(watch));
}

}  // namespace

void RegisterSession(Router& router, const Context& ctx) {
  router.Handle("/v1/session/create", {Method::put},
                [ctx](const HttpRequest& r, std::shared_ptr<HttpExchange> ex) {
                  Create(ctx, r, std::move(ex));
                });
  router.HandlePrefix("/v1/session/destroy/", {Method::put},
                      [ctx](const HttpRequest& r, std::shared_ptr<HttpExchange> ex) {
                        Destroy(ctx, r, std::move(ex));
                      });
  router.HandlePrefix("/v1/session/renew/", {Method::put},
                      [ctx](const HttpRequest& r, std::shared_ptr<HttpExchange> ex) {
                        Renew(ctx, r, std::move(ex));
                      });
  router.HandlePrefix("/v1/session/info/", {Method::get},
                      [ctx](const HttpRequest& r, std::shared_ptr<HttpExchange> ex) {
                        std::string id = r.route_rest;
                        Read(
                            ctx, r, std::move(ex), "Missing session",
                            [id](const kv::ReadView& v) {
                              std::optional<kv::Session> s = v.GetSession(id);
                              return s ? std::vector<kv::Session>{*std::move(s)}
                                       : std::vector<kv::Session>{};
                            },
                            [ctx, id](uint64_t min, base::WatchHub::Callback cb) {
                              return ctx->backend.kv().WatchSession(id, min, std::move(cb));
                            });
                      });
  router.HandlePrefix("/v1/session/node/", {Method::get},
                      [ctx](const HttpRequest& r, std::shared_ptr<HttpExchange> ex) {
                        std::string node = r.route_rest;
                        Read(
                            ctx, r, std::move(ex), "Missing node name",
                            [node](const kv::ReadView& v) { return v.ListNodeSessions(node); },
                            [ctx, node](uint64_t min, base::WatchHub::Callback cb) {
                              return ctx->backend.kv().WatchNodeSessions(node, min, std::move(cb));
                            });
                      });
  router.Handle("/v1/session/list", {Method::get},
                [ctx](const HttpRequest& r, std::shared_ptr<HttpExchange> ex) {
                  Read(
                      ctx, r, std::move(ex), "",
                      [](const kv::ReadView& v) { return v.ListSessions(); },
                      [ctx](uint64_t min, base::WatchHub::Callback cb) {
                        return ctx->backend.kv().WatchSessions(min, std::move(cb));
                      });
                });
}

}  // namespace cairn::agent::internal
