// http_api_test_util.h — a real HttpServer on 127.0.0.1 (a free port) serving the state
// endpoints over a TestStateBackend, and a blocking HTTP/1.1 client for the tests.
#ifndef CAIRN_AGENT_TESTS_HTTP_API_TEST_UTIL_H_
#define CAIRN_AGENT_TESTS_HTTP_API_TEST_UTIL_H_

#include <memory>
#include <string>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cairn/agent/http_api.h>
#include <cairn/agent/http_server.h>
#include <cairn/base/event_loop.h>
#include <cairn/base/real_clock.h>

#include "test_state_backend.h"

namespace cairn::agent::testing {

namespace http = boost::beast::http;
using Response = http::response<http::string_body>;

// Declared so that the backend outlives the loop: handlers still queued when the loop
// stops may hold references to it.
struct ApiServer {
  TestStateBackend backend;
  base::EventLoop loop{2};
  base::RealClock clock{loop.executor()};
  std::unique_ptr<HttpServer> server;
  uint16_t port = 0;

  explicit ApiServer(HttpApiOptions options = {}) {
    auto router = std::make_shared<Router>();
    RegisterStateApi(*router, backend, loop.executor(), clock, std::move(options));
    auto s = HttpServer::Start(loop.context(), {{"127.0.0.1", 0}}, router, {});
    REQUIRE(s.ok());
    server = std::move(*s);
    port = server->ports().at(0);
    loop.Start();
  }
  // The server goes first: closing its connections cancels waiting blocking queries,
  // which hold references to the backend and the clock.
  ~ApiServer() {
    server.reset();
    loop.Stop();
    loop.Wait();
  }
};

struct Client {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket{io};
  boost::beast::flat_buffer buffer;

  explicit Client(uint16_t port) {
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  }

  Response Send(http::verb method, const std::string& target, const std::string& body = "",
                bool content_length = true) {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.body() = body;
    if (content_length) req.prepare_payload();
    http::write(socket, req);
    Response res;
    http::read(socket, buffer, res);
    return res;
  }
  Response Get(const std::string& target) { return Send(http::verb::get, target); }
  Response Put(const std::string& target, const std::string& body = "") {
    return Send(http::verb::put, target, body);
  }
  Response Delete(const std::string& target) { return Send(http::verb::delete_, target); }
};

inline boost::json::value Json(const Response& r) { return boost::json::parse(r.body()); }
inline std::string Header(const Response& r, const char* name) {
  auto it = r.find(name);
  return it == r.end() ? "" : std::string(it->value());
}
inline uint64_t IndexOf(const Response& r) { return std::stoull(Header(r, "X-Consul-Index")); }

}  // namespace cairn::agent::testing

#endif  // CAIRN_AGENT_TESTS_HTTP_API_TEST_UTIL_H_
