// /v1/session/* through a real HttpServer over the test backend (spec §4).
#include <cairn/agent/config_loader.h>

#include "http_api_test_util.h"

namespace cairn::agent::testing {
namespace {

std::string Create(Client& c, const std::string& body = "") {
  auto r = c.Put("/v1/session/create", body);
  REQUIRE(r.result_int() == 200);
  return Json(r).at("ID").as_string().c_str();
}

TEST_CASE("Session create with defaults, info, list, node", "[unit]") {
  ApiServer s;
  Client c(s.port);
  auto created = c.Put("/v1/session/create");
  REQUIRE(created.result_int() == 200);
  auto v = Json(created);
  REQUIRE(v.as_object().size() == 1);
  std::string id = v.at("ID").as_string().c_str();
  CHECK(IsValidUuid(id));

  auto info = c.Get("/v1/session/info/" + id);
  REQUIRE(info.result_int() == 200);
  uint64_t idx = s.backend.last_index();
  CHECK(IndexOf(info) == idx);
  CHECK(Header(info, "X-Consul-KnownLeader") == "true");
  CHECK(info.body() ==
        fmt::format(R"([{{"ID":"{}","Name":"","Node":"test-node","LockDelay":15000000000,)"
                    R"("Behavior":"release","TTL":"","NodeChecks":["serfHealth"],)"
                    R"("ServiceChecks":null,"CreateIndex":{},"ModifyIndex":{}}}])",
                    id, idx, idx));
  CHECK(Json(c.Get("/v1/session/list")).as_array().size() == 1);
  CHECK(Json(c.Get("/v1/session/node/test-node")).as_array().size() == 1);
  CHECK(c.Get("/v1/session/node/other").body() == "[]");
  auto unknown = c.Get("/v1/session/info/00000000-0000-0000-0000-000000000000");
  CHECK(unknown.result_int() == 200);
  CHECK(unknown.body() == "[]");
}

TEST_CASE("Session create body: python-consul and Patroni shapes", "[unit]") {
  ApiServer s;
  Client c(s.port);
  s.backend.PutNode("db-1", "127.0.0.5");
  s.backend.PutCheck("db-1", "serfHealth", "passing");
  s.backend.PutCheck("db-1", "pg-alive", "passing");
  // Patroni: lower-case keys, "checks": [] drops serfHealth, fractional durations.
  std::string p = Create(c, R"({"name": "pg-member", "node": "db-1", "checks": [],
                                "lockdelay": "0.001s", "behavior": "delete", "ttl": "15.0s"})");
  auto pv = Json(c.Get("/v1/session/info/" + p)).at(0);
  CHECK(pv.at("Name") == "pg-member");
  CHECK(pv.at("Node") == "db-1");
  CHECK(pv.at("LockDelay") == 1000000);
  CHECK(pv.at("Behavior") == "delete");
  CHECK(pv.at("TTL") == "15.0s");
  CHECK(pv.at("NodeChecks").is_null());
  CHECK(pv.as_object().find("Checks") == pv.as_object().end());
  // A non-empty legacy Checks keeps serfHealth in NodeChecks.
  std::string q = Create(c, R"({"Node": "db-1", "Checks": ["pg-alive"], "LockDelay": 5})");
  auto qv = Json(c.Get("/v1/session/info/" + q)).at(0);
  CHECK(qv.at("Checks") == boost::json::array{"pg-alive"});
  CHECK(qv.at("NodeChecks") == boost::json::array{"serfHealth"});
  CHECK(qv.at("LockDelay") == 5000000000);
  // NodeChecks replaces the default.
  std::string r = Create(c, R"({"Node": "db-1", "NodeChecks": ["pg-alive"]})");
  CHECK(Json(c.Get("/v1/session/info/" + r)).at(0).at("NodeChecks") ==
        boost::json::array{"pg-alive"});
  CHECK(Json(c.Get("/v1/session/node/db-1")).as_array().size() == 3);
}

TEST_CASE("Session create errors: 400 for bodies, 500 for what Consul refuses later", "[unit]") {
  ApiServer s;
  Client c(s.port);
  s.backend.PutCheck("test-node", "down", "critical");
  uint64_t start = s.backend.last_index();
  auto decode = c.Put("/v1/session/create", "{oops");
  CHECK(decode.result_int() == 400);
  CHECK(decode.body().rfind("Request decode failed: ", 0) == 0);
  CHECK(c.Put("/v1/session/create", R"({"LockDelay": "later"})").body() ==
        "Request decode failed: time: invalid duration \"later\"");
  CHECK(c.Put("/v1/session/create", R"({"Checks": "serfHealth"})").body() ==
        "Request decode failed: json: cannot unmarshal string into Go struct field "
        "Session.Checks of type []string");
  auto behavior = c.Put("/v1/session/create", R"({"Behavior": "keep"})");
  CHECK(behavior.result_int() == 500);
  CHECK(behavior.body() == "Invalid Behavior setting 'keep'");
  CHECK(c.Put("/v1/session/create", R"({"TTL": "soon"})").body() ==
        "Session TTL 'soon' invalid: time: invalid duration \"soon\"");
  auto ttl = c.Put("/v1/session/create", R"({"TTL": "5s"})");
  CHECK(ttl.result_int() == 500);
  CHECK(ttl.body() == "Invalid Session TTL '5000000000', must be between [10s=24h0m0s]");
  auto node = c.Put("/v1/session/create", R"({"Node": "ghost"})");
  CHECK(node.result_int() == 500);
  CHECK(node.body() == "Missing node registration");
  CHECK(c.Put("/v1/session/create", R"({"Checks": ["nope"]})").body() ==
        "Missing check 'nope' registration");
  CHECK(c.Put("/v1/session/create", R"({"NodeChecks": ["down"]})").body() ==
        "Check 'down' is in critical state");
  CHECK(c.Put("/v1/session/create?dc=dc2").body() == "No path to datacenter");
  CHECK(c.Get("/v1/session/list").body() == "[]");
  (void)start;
}

TEST_CASE("Session destroy releases locks and answers true, also for unknown ids", "[unit]") {
  ApiServer s;
  Client c(s.port);
  std::string id = Create(c, R"({"LockDelay": 0})");
  CHECK(c.Put("/v1/kv/held?acquire=" + id, "x").body() == "true");
  auto d = c.Put("/v1/session/destroy/" + id);
  CHECK(d.result_int() == 200);
  CHECK(d.body() == "true");
  auto e = Json(c.Get("/v1/kv/held")).at(0).as_object();
  CHECK(e.find("Session") == e.end());
  CHECK(c.Get("/v1/session/info/" + id).body() == "[]");
  CHECK(c.Put("/v1/session/destroy/" + id).body() == "true");
  auto missing = c.Put("/v1/session/destroy/");
  CHECK(missing.result_int() == 400);
  CHECK(missing.body() == "Missing session");
  CHECK(c.Put("/v1/session/destroy/x?dc=dc2").body() == "No path to datacenter");
}

TEST_CASE("Session renew returns the session or 404", "[unit]") {
  ApiServer s;
  Client c(s.port);
  std::string id = Create(c, R"({"TTL": "30s"})");
  auto r = c.Put("/v1/session/renew/" + id);
  REQUIRE(r.result_int() == 200);
  auto v = Json(r);
  CHECK(v.as_array().size() == 1);
  CHECK(v.at(0).at("ID") == id.c_str());
  CHECK(v.at(0).at("TTL") == "30s");
  auto unknown = c.Put("/v1/session/renew/abc");
  CHECK(unknown.result_int() == 404);
  CHECK(unknown.body() == "Session id 'abc' not found");
  CHECK(c.Put("/v1/session/renew/").body() == "Missing session");
  CHECK(c.Put("/v1/session/renew/abc?index=x").body() == "Invalid index");
}

TEST_CASE("Session reads: bad parameters and wrong methods", "[unit]") {
  ApiServer s;
  Client c(s.port);
  CHECK(c.Get("/v1/session/info/").body() == "Missing session");
  CHECK(c.Get("/v1/session/node/").body() == "Missing node name");
  CHECK(c.Get("/v1/session/list?wait=x").body() == "Invalid wait time");
  CHECK(c.Get("/v1/session/list?dc=far").body() == "No path to datacenter");
  s.backend.SetReadError(absl::UnavailableError("No cluster leader"));
  CHECK(c.Get("/v1/session/list").body() == "No cluster leader");
  CHECK(c.Get("/v1/session/list?stale").body() == "[]");
  CHECK(c.Get("/v1/session/create").result_int() == 405);
  CHECK(c.Put("/v1/session/list").result_int() == 405);
  CHECK(c.Get("/v1/session/destroy/x").result_int() == 405);
}

}  // namespace
}  // namespace cairn::agent::testing
