// PUT /v1/txn through a real HttpServer over the test backend (spec §3).
#include "../src/json_codec.h"
#include "http_api_test_util.h"

namespace cairn::agent::testing {
namespace {

TEST_CASE("Txn writes apply atomically and answer their results", "[unit]") {
  ApiServer s;
  Client c(s.port);
  auto r = c.Put("/v1/txn", R"([
    {"KV": {"Verb": "set", "Key": "a", "Value": "MQ==", "Flags": 3}},
    {"KV": {"Verb": "set", "Key": "b", "Value": "Mg=="}},
    {"KV": {"Verb": "get", "Key": "a"}},
    {"KV": {"Verb": "delete", "Key": "nothing"}}
  ])");
  REQUIRE(r.result_int() == 200);
  CHECK(r[http::field::content_type] == "application/json");
  uint64_t idx = s.backend.last_index();
  // Values are null except for get verbs.
  CHECK(
      r.body() ==
      fmt::format(
          R"({{"Results":[)"
          R"({{"KV":{{"LockIndex":0,"Key":"a","Flags":3,"Value":null,"CreateIndex":{0},"ModifyIndex":{0}}}}},)"
          R"({{"KV":{{"LockIndex":0,"Key":"b","Flags":0,"Value":null,"CreateIndex":{0},"ModifyIndex":{0}}}}},)"
          R"({{"KV":{{"LockIndex":0,"Key":"a","Flags":3,"Value":"MQ==","CreateIndex":{0},"ModifyIndex":{0}}}}}],)"
          R"("Errors":null}})",
          idx));
  CHECK(c.Get("/v1/kv/b?raw").body() == "2");
}

TEST_CASE("A failing txn op rolls everything back with 409", "[unit]") {
  ApiServer s;
  Client c(s.port);
  c.Put("/v1/kv/cfg", "v1");
  auto r = c.Put("/v1/txn", R"([
    {"KV": {"Verb": "set", "Key": "new", "Value": "eA=="}},
    {"KV": {"Verb": "cas", "Key": "cfg", "Value": "eA==", "Index": 999}},
    {"KV": {"Verb": "check-not-exists", "Key": "cfg"}}
  ])");
  CHECK(r.result_int() == 409);
  CHECK(r[http::field::content_type] == "application/json");
  CHECK(r.body() == R"({"Results":null,"Errors":[)"
                    R"({"OpIndex":1,"What":"failed to set key \"cfg\", index is stale"},)"
                    R"({"OpIndex":2,"What":"key \"cfg\" exists"}]})");
  CHECK(c.Get("/v1/kv/new").result_int() == 404);
  CHECK(c.Get("/v1/kv/cfg?raw").body() == "v1");
}

TEST_CASE("Read-only txns are reads: consistency, meta headers and query meta", "[unit]") {
  ApiServer s;
  Client c(s.port);
  c.Put("/v1/kv/t/a", "1");
  c.Put("/v1/kv/t/b", "2");
  size_t before = s.backend.reads().size();
  uint64_t last = s.backend.last_index();
  auto r = c.Put("/v1/txn?stale", R"([{"KV": {"Verb": "get-tree", "Key": "t/"}}])");
  REQUIRE(r.result_int() == 200);
  CHECK(s.backend.last_index() == last);  // nothing went through the write path
  REQUIRE(s.backend.reads().size() == before + 1);
  CHECK(s.backend.reads().back() == Consistency::kStale);
  CHECK(Header(r, "X-Consul-KnownLeader") == "true");
  CHECK(Header(r, "X-Consul-LastContact") == "0");
  auto v = Json(r);
  CHECK(v.at("Results").as_array().size() == 2);
  CHECK(v.at("Results").at(1).at("KV").at("Value") == "Mg==");
  CHECK(v.at("Errors").is_null());
  CHECK(v.at("KnownLeader") == true);
  CHECK(v.at("ConsistencyLevel") == "stale");

  auto missing = c.Put("/v1/txn", R"([{"KV": {"Verb": "get", "Key": "nope"}}])");
  CHECK(missing.result_int() == 409);
  CHECK(Json(missing).at("Errors").at(0).at("What") == "key \"nope\" doesn't exist");
  CHECK(c.Put("/v1/txn?stale&consistent", "[]").body() ==
        "Cannot specify ?stale with ?consistent, conflicting semantics.");
  auto empty = c.Put("/v1/txn", "[]");
  CHECK(empty.result_int() == 200);
  CHECK(Json(empty).at("Results").as_array().empty());

  s.backend.SetReadError(absl::UnavailableError("No cluster leader"));
  auto nl = c.Put("/v1/txn", R"([{"KV": {"Verb": "get", "Key": "t/a"}}])");
  CHECK(nl.result_int() == 500);
  CHECK(nl.body() == "No cluster leader");
}

TEST_CASE("Txn lock verbs use sessions", "[unit]") {
  ApiServer s;
  Client c(s.port);
  std::string sid = Json(c.Put("/v1/session/create")).at("ID").as_string().c_str();
  auto r = c.Put("/v1/txn", fmt::format(R"([{{"KV": {{"Verb": "lock", "Key": "l", "Value": "eA==",
                                                   "Session": "{}"}}}}])",
                                        sid));
  REQUIRE(r.result_int() == 200);
  CHECK(Json(r).at("Results").at(0).at("KV").at("Session") == sid.c_str());
  auto bad = c.Put("/v1/txn", R"([{"KV": {"Verb": "lock", "Key": "m", "Session": "nope"}}])");
  CHECK(bad.result_int() == 409);
  CHECK(Json(bad).at("Errors").at(0).at("What") == "invalid session \"nope\"");
}

TEST_CASE("Bad txn bodies: 400 and 413 with Consul's texts, nothing applied", "[unit]") {
  HttpApiOptions options;
  options.kv_max_value_size = 100;
  options.txn_max_req_len = 2000;
  ApiServer s(options);
  Client c(s.port);
  uint64_t start = s.backend.last_index();
  auto parse = c.Put("/v1/txn", "{not json");
  CHECK(parse.result_int() == 400);
  CHECK(parse[http::field::content_type] == "text/plain; charset=utf-8");
  CHECK(parse.body().rfind("Failed to parse body: ", 0) == 0);
  CHECK(c.Put("/v1/txn", "").body() == "Failed to parse body: EOF");
  CHECK(c.Put("/v1/txn", R"({"KV": {}})").body() ==
        "Failed to parse body: json: cannot unmarshal object into Go value of type api.TxnOps");
  CHECK(c.Put("/v1/txn", R"([{"KV": {"Verb": "set", "Key": "k", "Value": "%%%"}}])").body() ==
        "Failed to parse body: illegal base64 data at input byte 0");

  auto value = c.Put("/v1/txn", fmt::format(R"([{{"KV": {{"Verb": "set", "Key": "big\n",
                                                      "Value": "{}"}}}}])",
                                            json::Base64Encode(std::string(101, 'x'))));
  CHECK(value.result_int() == 413);
  CHECK(value.body() == "Value for key \"big\\n\" is too large (101 > 100 bytes)");

  auto body = c.Put("/v1/txn", std::string(2001, ' '));
  CHECK(body.result_int() == 413);
  CHECK(body.body() ==
        "Request body(2001 bytes) too large, max size: 2000 bytes. See "
        "https://www.consul.io/docs/agent/config/config-files#txn_max_req_len.");

  std::string ops = "[";
  for (int i = 0; i < 129; ++i) ops += std::string(i ? "," : "") + R"({"KV":{}})";
  ops += "]";
  auto many = c.Put("/v1/txn", ops);
  CHECK(many.result_int() == 413);
  CHECK(many.body() == "Transaction contains too many operations (129 > 128)");

  auto verb = c.Put("/v1/txn", R"([{"KV": {"Verb": "set", "Key": "ok", "Value": "eA=="}},
                                   {"KV": {"Verb": "explode", "Key": "x"}}])");
  CHECK(verb.result_int() == 409);
  CHECK(verb.body() ==
        R"({"Results":null,"Errors":[{"OpIndex":1,"What":"unknown KV verb \"explode\""}]})");

  auto node = c.Put("/v1/txn", R"([{"Node": {"Verb": "set", "Node": {"Node": "n"}}}])");
  CHECK(node.result_int() == 400);
  CHECK(node.body() == "Node, Service and Check operations in transactions are not supported");

  CHECK(c.Put("/v1/txn?dc=dc9", R"([{"KV": {"Verb": "set", "Key": "k"}}])").body() ==
        "No path to datacenter");
  CHECK(s.backend.last_index() == start);
  CHECK(c.Get("/v1/kv/?recurse").result_int() == 404);
}

TEST_CASE("Txn accepts 128 operations", "[unit]") {
  ApiServer s;
  Client c(s.port);
  std::string ops = "[";
  for (int i = 0; i < 128; ++i) {
    ops +=
        fmt::format(R"({}{{"KV":{{"Verb":"set","Key":"k{}","Value":"eA=="}}}})", i ? "," : "", i);
  }
  ops += "]";
  auto r = c.Put("/v1/txn", ops);
  CHECK(r.result_int() == 200);
  CHECK(Json(r).at("Results").as_array().size() == 128);
  CHECK(Json(c.Get("/v1/kv/?keys")).as_array().size() == 128);
}

TEST_CASE("Txn is PUT only", "[unit]") {
  ApiServer s;
  Client c(s.port);
  auto r = c.Get("/v1/txn");
  CHECK(r.result_int() == 405);
  CHECK(r.body() == "method GET not allowed");
}

}  // namespace
}  // namespace cairn::agent::testing
