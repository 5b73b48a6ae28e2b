// Blocking queries (?index, ?wait) on the state endpoints (spec §1.5): a query returns after
// a write to the data it reads and not before, holds no thread while it waits, and is
// cancelled when its client goes away. Bounded polls only; nothing asserts elapsed time.
#include <future>
#include <thread>

#include "http_api_test_util.h"

namespace cairn::agent::testing {
namespace {

// Polls `cond` for up to 30 s.
template <typename F>
bool Eventually(F cond) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return cond();
}

std::future<Response> GetAsync(uint16_t port, std::string target) {
  return std::async(std::launch::async, [port, target] {
    Client c(port);
    return c.Get(target);
  });
}

bool Ready(std::future<Response>& f) {
  return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
}

// Sends a GET on `client` without reading the answer.
void SendOnly(Client& client, const std::string& target) {
  http::request<http::string_body> req{http::verb::get, target, 11};
  req.set(http::field::host, "127.0.0.1");
  http::write(client.socket, req);
}

TEST_CASE("A blocking GET returns after a write to its key, one on another key stays blocked",
          "[process]") {
  ApiServer s;
  Client c(s.port);
  c.Put("/v1/kv/a", "a1");
  c.Put("/v1/kv/c", "c1");
  uint64_t a_index = IndexOf(c.Get("/v1/kv/a"));
  uint64_t c_index = IndexOf(c.Get("/v1/kv/c"));

  auto on_a = GetAsync(s.port, fmt::format("/v1/kv/a?index={}&wait=5m", a_index));
  Client on_c(s.port);
  SendOnly(on_c, fmt::format("/v1/kv/c?index={}&wait=5m", c_index));
  // Both are registered as watchers (and hold no thread of the server while they wait).
  REQUIRE(Eventually([&] { return s.backend.kv().kv_waiters() == 2; }));

  // A write to another key wakes neither. Watches fire inside the write, before its
  // response, so once the PUT has answered a wrongly woken waiter would be gone.
  CHECK(c.Put("/v1/kv/b", "b1").body() == "true");
  CHECK(s.backend.kv().kv_waiters() == 2);
  CHECK_FALSE(Ready(on_a));

  CHECK(c.Put("/v1/kv/a", "a2").body() == "true");
  uint64_t a_write = s.backend.last_index();
  Response ra = on_a.get();
  CHECK(ra.result_int() == 200);
  CHECK(IndexOf(ra) == a_write);  // the write to "a", not the earlier one to "b"
  CHECK(Json(ra).at(0).at("Value") == "YTI=");

  // The query on "c" is still waiting: no answer, its watch still registered.
  CHECK(on_c.socket.available() == 0);
  CHECK(s.backend.kv().kv_waiters() == 1);
  on_c.socket.close();
  CHECK(Eventually([&] { return s.backend.kv().kv_waiters() == 0; }));
}

TEST_CASE("A blocking GET whose wait runs out answers 200 with the unchanged index", "[process]") {
  ApiServer s;
  Client c(s.port);
  c.Put("/v1/kv/k", "v");
  uint64_t idx = IndexOf(c.Get("/v1/kv/k"));
  Response r = c.Get(fmt::format("/v1/kv/k?index={}&wait=100ms", idx));
  CHECK(r.result_int() == 200);
  CHECK(IndexOf(r) == idx);
  CHECK(Json(r).at(0).at("Value") == "dg==");
  CHECK(Eventually([&] { return s.backend.kv().kv_waiters() == 0; }));
}

TEST_CASE("A blocking GET on a missing key returns when the key appears", "[process]") {
  ApiServer s;
  Client c(s.port);
  auto first = c.Get("/v1/kv/later");
  REQUIRE(first.result_int() == 404);
  auto f = GetAsync(s.port, fmt::format("/v1/kv/later?index={}", IndexOf(first)));
  REQUIRE(Eventually([&] { return s.backend.kv().kv_waiters() == 1; }));
  c.Put("/v1/kv/later", "now");
  Response r = f.get();
  CHECK(r.result_int() == 200);
  CHECK(IndexOf(r) == s.backend.last_index());
}

TEST_CASE("Blocking recurse and keys queries wake on writes under their prefix", "[process]") {
  ApiServer s;
  Client c(s.port);
  c.Put("/v1/kv/svc/a", "1");
  uint64_t idx = IndexOf(c.Get("/v1/kv/svc/?recurse"));
  auto rec = GetAsync(s.port, fmt::format("/v1/kv/svc/?recurse&index={}", idx));
  auto keys = GetAsync(s.port, fmt::format("/v1/kv/svc/?keys&index={}", idx));
  REQUIRE(Eventually([&] { return s.backend.kv().kv_waiters() == 2; }));
  c.Put("/v1/kv/other", "x");
  CHECK(s.backend.kv().kv_waiters() == 2);
  c.Put("/v1/kv/svc/b", "2");
  Response r1 = rec.get();
  Response r2 = keys.get();
  CHECK(Json(r1).as_array().size() == 2);
  CHECK(r2.body() == R"(["svc/a","svc/b"])");
  CHECK(IndexOf(r1) == s.backend.last_index());
  CHECK(IndexOf(r2) == s.backend.last_index());
}

TEST_CASE("A blocking session list returns when a session is created", "[process]") {
  ApiServer s;
  Client c(s.port);
  auto first = c.Get("/v1/session/list");
  REQUIRE(first.body() == "[]");
  auto f = GetAsync(s.port, fmt::format("/v1/session/list?index={}", IndexOf(first)));
  REQUIRE(Eventually([&] { return s.backend.kv().session_waiters() == 1; }));
  std::string id = Json(c.Put("/v1/session/create")).at("ID").as_string().c_str();
  Response r = f.get();
  CHECK(Json(r).at(0).at("ID") == id.c_str());
}

TEST_CASE("A client that hangs up cancels its blocking query", "[process]") {
  ApiServer s;
  Client c(s.port);
  c.Put("/v1/kv/k", "v");
  uint64_t idx = IndexOf(c.Get("/v1/kv/k"));
  {
    Client waiting(s.port);
    SendOnly(waiting, fmt::format("/v1/kv/k?index={}", idx));
    REQUIRE(Eventually([&] { return s.backend.kv().kv_waiters() == 1; }));
  }  // closes the connection
  CHECK(Eventually([&] { return s.backend.kv().kv_waiters() == 0; }));
  // The server still answers.
  CHECK(c.Get("/v1/kv/k?raw").body() == "v");
}

}  // namespace
}  // namespace cairn::agent::testing
