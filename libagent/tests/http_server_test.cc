#include <future>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>

#include <cairn/agent/http_server.h>
#include <cairn/base/event_loop.h>

namespace cairn::agent {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

// A server on 127.0.0.1 with a free port, run by a 2-thread loop, and a blocking client.
struct Fixture {
  base::EventLoop loop{2};
  std::shared_ptr<Router> router = std::make_shared<Router>();
  std::unique_ptr<HttpServer> server;
  uint16_t port = 0;

  void Start(HttpServerOptions options = {}) {
    auto s = HttpServer::Start(loop.context(), {{"127.0.0.1", 0}}, router, options);
    REQUIRE(s.ok());
    server = std::move(*s);
    port = server->ports().at(0);
    loop.Start();
  }
};

struct Client {
  asio::io_context io;
  tcp::socket socket{io};
  boost::beast::flat_buffer buffer;

  explicit Client(uint16_t port) { socket.connect({asio::ip::make_address("127.0.0.1"), port}); }

  http::response<http::string_body> Send(http::verb method, std::string target,
                                         std::string body = "") {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.body() = std::move(body);
    req.prepare_payload();
    http::write(socket, req);
    http::response<http::string_body> res;
    http::read(socket, buffer, res);
    return res;
  }
};

TEST_CASE("Routes answer JSON, ?pretty indents like Go, query flags without values", "[unit]") {
  Fixture f;
  f.router->Handle("/v1/status/peers", {Method::get}, [](const HttpRequest& req, auto ex) {
    boost::json::value v = {{"Recurse", req.Has("recurse")}, {"Peers", {"a", "b"}}};
    ex->Reply(HttpResponse::Json(v, req.pretty()));
  });
  f.Start();
  Client c(f.port);
  auto r = c.Send(http::verb::get, "/v1/status/peers?recurse");
  CHECK(r.result_int() == 200);
  CHECK(r[http::field::content_type] == "application/json");
  CHECK(r.body() == R"({"Recurse":true,"Peers":["a","b"]})");
  auto p = c.Send(http::verb::get, "/v1/status/peers?pretty");  // same connection
  CHECK(p.body() ==
        "{\n    \"Recurse\": false,\n    \"Peers\": [\n        \"a\",\n        \"b\"\n    ]\n}\n");
}

TEST_CASE("Unknown paths, wrong methods and OPTIONS answer as Consul does", "[unit]") {
  Fixture f;
  f.router->Handle("/v1/txn", {Method::put},
                   [](const HttpRequest&, auto ex) { ex->Reply(HttpResponse::Empty()); });
  f.Start();
  Client c(f.port);
  auto nf = c.Send(http::verb::get, "/v1/nope");
  CHECK(nf.result_int() == 404);
  CHECK(nf.body() == "Invalid URL path: not a recognized HTTP API endpoint");
  CHECK(c.Send(http::verb::get, "/nope").body() ==
        "Invalid URL path: if attempting to use the HTTP API, ensure the path starts with '/v1/'");
  auto m = c.Send(http::verb::get, "/v1/txn");
  CHECK(m.result_int() == 405);
  CHECK(m[http::field::allow] == "OPTIONS,PUT");
  CHECK(m.body() == "method GET not allowed");
  auto o = c.Send(http::verb::options, "/v1/txn");
  CHECK(o.result_int() == 200);
  CHECK(o[http::field::allow] == "OPTIONS,PUT");
  CHECK(o.body().empty());
  auto bad = c.Send(http::verb::get, "/v1/txn%0a");
  CHECK(bad.result_int() == 400);
}

TEST_CASE("Prefix routes get the percent-decoded rest, longest prefix wins", "[unit]") {
  Fixture f;
  f.router->HandlePrefix(
      "/v1/kv/", {Method::get, Method::put}, [](const HttpRequest& req, auto ex) {
        ex->Reply(HttpResponse::Text(200, "kv:" + req.route_rest + ":" + req.body));
      });
  f.router->HandlePrefix("/v1/kv/special/", {Method::get}, [](const HttpRequest& req, auto ex) {
    ex->Reply(HttpResponse::Text(200, "special:" + req.route_rest));
  });
  f.Start();
  Client c(f.port);
  CHECK(c.Send(http::verb::get, "/v1/kv/a%2Fb/c").body() == "kv:a/b/c:");
  CHECK(c.Send(http::verb::put, "/v1/kv/x", "value").body() == "kv:x:value");
  CHECK(c.Send(http::verb::get, "/v1/kv/special/y").body() == "special:y");
}

TEST_CASE("Bodies over the limit get 413", "[unit]") {
  Fixture f;
  f.router->HandlePrefix("/v1/kv/", {Method::put},
                         [](const HttpRequest&, auto ex) { ex->Reply(HttpResponse::Empty()); });
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  f.Start(options);
  Client c(f.port);
  auto r = c.Send(http::verb::put, "/v1/kv/big", std::string(2048, 'x'));
  CHECK(r.result_int() == 413);
}

TEST_CASE("A handler may answer later from another thread", "[unit]") {
  Fixture f;
  std::vector<std::thread> threads;
  f.router->Handle("/v1/slow", {Method::get}, [&](const HttpRequest&, auto ex) {
    threads.emplace_back([ex] { ex->Reply(HttpResponse::Text(200, "late")); });
  });
  f.Start();
  Client c(f.port);
  CHECK(c.Send(http::verb::get, "/v1/slow").body() == "late");
  CHECK(c.Send(http::verb::get, "/v1/slow").body() == "late");
  for (auto& t : threads) t.join();
}

TEST_CASE("Streamed responses are chunked", "[unit]") {
  Fixture f;
  f.router->Handle("/v1/agent/monitor", {Method::get}, [](const HttpRequest&, auto ex) {
    ex->StartStream("text/plain", {});
    ex->Write("line one\n");
    ex->Write("line two\n");
    ex->End();
  });
  f.Start();
  Client c(f.port);
  auto r = c.Send(http::verb::get, "/v1/agent/monitor");
  CHECK(r.chunked());
  CHECK(r.body() == "line one\nline two\n");
}

TEST_CASE("A client that hangs up closes its pending exchange", "[unit]") {
  Fixture f;
  std::promise<void> closed;
  std::shared_ptr<HttpExchange> held;
  f.router->Handle("/v1/block", {Method::get}, [&](const HttpRequest&, auto ex) {
    held = ex;
    ex->OnClose([&] { closed.set_value(); });
  });
  f.Start();
  {
    Client c(f.port);
    http::request<http::string_body> req{http::verb::get, "/v1/block", 11};
    http::write(c.socket, req);
    c.socket.shutdown(tcp::socket::shutdown_both);
    c.socket.close();
  }
  REQUIRE(closed.get_future().wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(held->closed());
  held->Reply(HttpResponse::Empty());  // ignored, no crash
}

TEST_CASE("Listening on a taken port names the address", "[unit]") {
  Fixture f;
  f.Start();
  auto again = HttpServer::Start(f.loop.context(), {{"127.0.0.1", f.port}}, f.router, {});
  REQUIRE_FALSE(again.ok());
  CHECK(std::string(again.status().message())
            .find("listen tcp 127.0.0.1:" + std::to_string(f.port)) == 0);
  CHECK(HttpServer::Start(f.loop.context(), {{"not-an-ip", 0}}, f.router, {}).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cairn::agent
