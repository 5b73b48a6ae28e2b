// GET | PUT | DELETE /v1/kv/<key> (Consul's agent/kvs_endpoint.go, spec §2).
#include <absl/strings/numbers.h>
#include <boost/json/array.hpp>
#include <fmt/format.h>

#include "http_api_internal.h"
#include "json_codec.h"

namespace cairn::agent::internal {

namespace {

// "Conflicting flags: <the query, re-encoded>" when more than one of `flags` is present.
bool ConflictingFlags(const HttpRequest& request, std::initializer_list<std::string_view> flags,
                      HttpExchange& exchange) {
  int found = 0;
  for (std::string_view f : flags) found += request.Has(f) ? 1 : 0;
  if (found < 2) return false;
  exchange.Reply(
      HttpResponse::Text(400, "Conflicting flags: " + json::GoQueryEncode(request.query)));
  return true;
}

// A numeric parameter (?flags, ?cas). Consul hands strconv's error on as a 500; a bad
// parameter is the client's mistake, so we answer 400 with the same text.
bool ParseUintParam(const HttpRequest& request, std::string_view name, uint64_t& out,
                    HttpExchange& exchange) {
  std::optional<std::string> v = request.Query(name);
  if (!v) return true;
  absl::StatusOr<uint64_t> n = json::GoParseUint(*v);
  if (!n.ok()) {
    exchange.Reply(HttpResponse::Text(400, std::string(n.status().message())));
    return false;
  }
  out = *n;
  return true;
}

// The body length Consul compares with its limit: Content-Length when sent.
std::size_t DeclaredLength(const HttpRequest& request) {
  std::string cl = request.Header("Content-Length");
  uint64_t n = 0;
  if (!cl.empty() && absl::SimpleAtoi(cl, &n)) return n;
  return request.body.size();
}

void Get(const Context& ctx, const HttpRequest& request, std::shared_ptr<HttpExchange> ex,
         const QueryOptions& options) {
  std::string key = request.route_rest;
  if (request.Has("keys")) {
    // The historic misspelling is read first, so the right spelling wins.
    std::string separator = request.Query("seperator").value_or("");
    if (auto s = request.Query("separator")) separator = *s;
    BlockingRead(
        ctx, options, std::move(ex),
        [ctx, key, separator, pretty = options.pretty] {
          kv::ReadView view = ctx->backend.kv().Snapshot();
          std::vector<std::string> keys = view.Keys(key, separator);
          QueryResult r{view.PrefixIndex(key), {}};
          if (keys.empty() && !key.empty()) {
            r.response = HttpResponse::Empty(404);
            return r;
          }
          boost::json::array a;
          a.reserve(keys.size());
          for (const auto& k : keys) a.emplace_back(json::JsonString(k));
          r.response = HttpResponse::Json(a, pretty);
          return r;
        },
        [ctx, key](uint64_t min, base::WatchHub::Callback cb) {
          return ctx->backend.kv().WatchPrefix(key, min, std::move(cb));
        });
    return;
  }
  if (request.Has("recurse")) {
    BlockingRead(
        ctx, options, std::move(ex),
        [ctx, key, pretty = options.pretty] {
          kv::ReadView view = ctx->backend.kv().Snapshot();
          QueryResult r{view.PrefixIndex(key), {}};
          boost::json::array a;
          view.ForEach(key, [&](const kv::Entry& e) {
            a.emplace_back(json::EntryToJson(e));
            return true;
          });
          r.response = a.empty() ? HttpResponse::Empty(404) : HttpResponse::Json(a, pretty);
          return r;
        },
        [ctx, key](uint64_t min, base::WatchHub::Callback cb) {
          return ctx->backend.kv().WatchPrefix(key, min, std::move(cb));
        });
    return;
  }
  if (key.empty()) {
    ex->Reply(HttpResponse::Text(400, "Missing key name"));
    return;
  }
  BlockingRead(
      ctx, options, std::move(ex),
      [ctx, key, raw = request.Has("raw"), pretty = options.pretty] {
        kv::ReadView view = ctx->backend.kv().Snapshot();
        QueryResult r{view.KeyIndex(key), {}};
        std::optional<kv::Entry> e = view.Get(key);
        if (!e) {
          r.response = HttpResponse::Empty(404);
        } else if (raw) {
          // The stored bytes as they are, with headers that keep browsers from sniffing
          // and running them.
          r.response.status = 200;
          r.response.content_type = "text/plain";
          r.response.body = std::string(e->value());
          r.response.With("X-Content-Type-Options", "nosniff");
          r.response.With("Content-Security-Policy", "sandbox");
        } else {
          r.response = HttpResponse::Json(boost::json::array{json::EntryToJson(*e)}, pretty);
        }
        return r;
      },
      [ctx, key](uint64_t min, base::WatchHub::Callback cb) {
        return ctx->backend.kv().WatchKey(key, min, std::move(cb));
      });
}

void ReplyBool(HttpExchange& ex, bool value, bool pretty) {
  ex.Reply(HttpResponse::Json(boost::json::value(value), pretty));
}

void Put(const Context& ctx, const HttpRequest& request, std::shared_ptr<HttpExchange> ex,
         const QueryOptions& options) {
  KvWriteRequest w;
  w.key = request.route_rest;
  if (w.key.empty()) {
    ex->Reply(HttpResponse::Text(400, "Missing key name"));
    return;
  }
  if (ConflictingFlags(request, {"cas", "acquire", "release"}, *ex)) return;
  if (!ParseUintParam(request, "flags", w.flags, *ex)) return;
  if (request.Has("cas")) {
    if (!ParseUintParam(request, "cas", w.index, *ex)) return;
    w.op = KvWriteOp::kCas;
  }
  if (auto s = request.Query("acquire")) {
    w.op = KvWriteOp::kAcquire;
    w.session = *s;
  }
  if (auto s = request.Query("release")) {
    w.op = KvWriteOp::kRelease;
    w.session = *s;
  }
  std::size_t max = ctx->options.kv_max_value_size;
  if (std::size_t n = std::max(DeclaredLength(request), request.body.size()); n > max) {
    ex->Reply(HttpResponse::Text(
        413, fmt::format("Request body({} bytes) too large, max size: {} bytes. See "
                         "https://www.consul.io/docs/agent/config/config-files#kv_max_value_size.",
                         n, max)));
    return;
  }
  w.value = request.body;
  bool answer_true = w.op == KvWriteOp::kSet;  // a plain set always answers true
  ctx->backend.KvWrite(std::move(w),
                       [ex, answer_true, pretty = options.pretty](absl::StatusOr<bool> r) {
                         if (!r.ok()) return ReplyError(*ex, r.status());
                         ReplyBool(*ex, answer_true || *r, pretty);
                       });
}

void Delete(const Context& ctx, const HttpRequest& request, std::shared_ptr<HttpExchange> ex,
            const QueryOptions& options) {
  if (ConflictingFlags(request, {"recurse", "cas"}, *ex)) return;
  KvWriteRequest w;
  w.key = request.route_rest;
  if (request.Has("recurse")) {
    w.op = KvWriteOp::kDeleteTree;
  } else if (w.key.empty()) {
    ex->Reply(HttpResponse::Text(400, "Missing key name"));
    return;
  } else {
    w.op = KvWriteOp::kDelete;
  }
  if (request.Has("cas")) {
    if (!ParseUintParam(request, "cas", w.index, *ex)) return;
    w.op = KvWriteOp::kDeleteCas;
  }
  bool use_result = w.op == KvWriteOp::kDeleteCas;
  ctx->backend.KvWrite(std::move(w),
                       [ex, use_result, pretty = options.pretty](absl::StatusOr<bool> r) {
                         if (!r.ok()) return ReplyError(*ex, r.status());
                         ReplyBool(*ex, !use_result || *r, pretty);
                       });
}

}  // namespace

void RegisterKv(Router& router, const Context& ctx) {
  router.HandlePrefix("/v1/kv/", {Method::get, Method::put, Method::delete_},
                      [ctx](const HttpRequest& request, std::shared_ptr<HttpExchange> ex) {
                        std::optional<QueryOptions> options = ParseOptions(*ctx, request, *ex);
                        if (!options) return;
                        switch (request.method) {
                          case Method::put:
                            return Put(ctx, request, std::move(ex), *options);
                          case Method::delete_:
                            return Delete(ctx, request, std::move(ex), *options);
                          default:  // GET, HEAD
                            return Get(ctx, request, std::move(ex), *options);
                        }
                      });
}

}  // namespace cairn::agent::internal
