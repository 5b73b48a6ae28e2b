// cairn/agent/http_server.h — the agent's HTTP/1.1 server, shaped for Consul's v1 API.
//
// Routes are registered on a Router, by exact path or by prefix (Consul's `/v1/kv/` + key
// style), each with its allowed methods. The server answers 404/405/OPTIONS the way Consul
// does, so handlers see only requests for them. A handler receives the request and an
// HttpExchange through which it answers exactly once — right away, or later from any thread
// (a blocking query holds the exchange, a timer and a watch; never a thread) — or streams
// a chunked body (`/v1/agent/monitor`).
//
// Example:
//
//   cairn::agent::Router router;
//   router.Handle("/v1/status/leader", {Method::get}, [](const HttpRequest& req,
//                                                         std::shared_ptr<HttpExchange> ex) {
//     ex->Reply(HttpResponse::Json(boost::json::string("127.0.0.1:8300"), req.pretty()));
//   });
//   auto server = HttpServer::Start(loop.context(), {{"127.0.0.1", 8500}},
//                                   std::make_shared<Router>(std::move(router)), {});
//
// Threading: the server runs on the io_context it is given (any number of threads); each
// connection is serialized on its own strand. Handlers are called on that strand and must
// not block. HttpExchange is thread-safe.
#ifndef CAIRN_AGENT_HTTP_SERVER_H_
#define CAIRN_AGENT_HTTP_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/functional/any_invocable.h>
#include <absl/status/statusor.h>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json/value.hpp>

namespace cairn::agent {

using Method = boost::beast::http::verb;

// One parsed request. Query parameters are percent-decoded; a parameter given without a
// value (`?recurse`) is present with an empty value.
struct HttpRequest {
  Method method = Method::get;
  std::string path;        // percent-decoded path, e.g. "/v1/kv/a/b"
  std::string route_rest;  // for a prefix route: what follows the prefix ("a/b")
  std::vector<std::pair<std::string, std::string>> query;
  boost::beast::http::fields headers;
  std::string body;
  std::string remote_address;

  // The first value of `key`, if present.
  std::optional<std::string> Query(std::string_view key) const;
  bool Has(std::string_view key) const { return Query(key).has_value(); }
  // `?pretty` was given.
  bool pretty() const { return Has("pretty"); }
  // The request header `name`, or "" when absent.
  std::string Header(std::string_view name) const;
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type;  // empty: no Content-Type header (empty bodies)
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  // 200 with minified JSON, or Consul's `?pretty` form (4-space indent, trailing newline).
  static HttpResponse Json(const boost::json::value& v, bool pretty, unsigned status = 200);
  // Plain text as Consul's errors are: `text/plain; charset=utf-8`, the bare message.
  static HttpResponse Text(unsigned status, std::string message);
  // An empty-bodied response ("void" writes).
  static HttpResponse Empty(unsigned status = 200);
  HttpResponse& With(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

// One request's way back to its client. Thread-safe; the first Reply() or StartStream()
// wins and later ones are ignored. If the client goes away first, OnClose callbacks run
// (on the connection's strand) and replies are dropped.
class HttpExchange {
 public:
  virtual ~HttpExchange() = default;
  virtual void Reply(HttpResponse response) = 0;
  // Starts a chunked 200 response with `content_type`; then Write() chunks; End() finishes.
  virtual void StartStream(std::string content_type,
                           std::vector<std::pair<std::string, std::string>> headers) = 0;
  virtual void Write(std::string chunk) = 0;
  virtual void End() = 0;
  // `fn` runs once if the connection closes before the exchange is answered or its stream
  // ended; runs at once if it already has. Blocking queries cancel their timer and watch.
  virtual void OnClose(absl::AnyInvocable<void() &&> fn) = 0;
  virtual bool closed() const = 0;
};

using Handler =
    std::function<void(const HttpRequest& request, std::shared_ptr<HttpExchange> exchange)>;

// Maps paths to handlers. Built before the server starts; read-only afterwards (so
// dispatch needs no lock).
class Router {
 public:
  // Exact path, e.g. "/v1/status/leader".
  void Handle(std::string path, std::vector<Method> methods, Handler handler);
  // Every path that starts with `prefix`, e.g. "/v1/kv/"; the rest goes in route_rest.
  // The longest matching prefix wins; an exact route beats a prefix.
  void HandlePrefix(std::string prefix, std::vector<Method> methods, Handler handler);

  // Answers `request`: the handler, or 404 / 405 (+Allow) / OPTIONS per Consul.
  void Dispatch(HttpRequest& request, std::shared_ptr<HttpExchange> exchange) const;

 private:
  struct Route {
    std::string path;
    bool prefix;
    std::vector<Method> methods;
    Handler handler;
  };
  const Route* Find(std::string_view path) const;
  std::vector<Route> routes_;
};

struct HttpServerOptions {
  std::size_t max_body_bytes = 4 << 20;  // larger bodies: 413
  std::size_t max_header_bytes = 64 << 10;
  std::chrono::seconds idle_timeout{90};  // between requests on a keep-alive connection
};

struct ListenAddress {
  std::string host;  // IPv4 or IPv6 literal
  uint16_t port;     // 0 picks a free port (tests)
};

class HttpServer {
 public:
  // Binds every address (all or nothing) and starts accepting. The router is shared
  // because connections still in flight when the server is destroyed may dispatch one
  // last request. Errors name the address ("listen tcp 127.0.0.1:8500: address in use").
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(boost::asio::io_context& io,
                                                           std::vector<ListenAddress> addresses,
                                                           std::shared_ptr<const Router> router,
                                                           HttpServerOptions options);
  // Stops accepting and closes open connections.
  ~HttpServer();

  // The ports actually bound, in the order of the addresses given.
  std::vector<uint16_t> ports() const;

  struct Impl;

 private:
  explicit HttpServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace cairn::agent

#endif  // CAIRN_AGENT_HTTP_SERVER_H_
