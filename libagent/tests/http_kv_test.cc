// /v1/kv through a real HttpServer over the test backend (spec §2).
#include "http_api_test_util.h"

namespace cairn::agent::testing {
namespace {

TEST_CASE("KV put, get, raw, flags and indexes", "[unit]") {
  ApiServer s;
  Client c(s.port);
  auto put = c.Put("/v1/kv/web/config?flags=42", "hello");
  CHECK(put.result_int() == 200);
  CHECK(put[http::field::content_type] == "application/json");
  CHECK(put.body() == "true");

  auto get = c.Get("/v1/kv/web/config");
  REQUIRE(get.result_int() == 200);
  uint64_t index = s.backend.last_index();
  CHECK(IndexOf(get) == index);
  CHECK(Header(get, "X-Consul-KnownLeader") == "true");
  CHECK(Header(get, "X-Consul-LastContact") == "0");
  CHECK(get.body() == fmt::format(R"([{{"LockIndex":0,"Key":"web/config","Flags":42,)"
                                  R"("Value":"aGVsbG8=","CreateIndex":{0},"ModifyIndex":{0}}}])",
                                  index));

  auto raw = c.Get("/v1/kv/web/config?raw");
  CHECK(raw.result_int() == 200);
  CHECK(raw.body() == "hello");
  CHECK(raw[http::field::content_type] == "text/plain");
  CHECK(Header(raw, "X-Content-Type-Options") == "nosniff");
  CHECK(Header(raw, "Content-Security-Policy") == "sandbox");

  // A PUT without ?flags writes Flags 0; an empty body stores an empty value (null).
  CHECK(c.Put("/v1/kv/web/config").body() == "true");
  auto v = Json(c.Get("/v1/kv/web/config"));
  CHECK(v.at(0).at("Flags") == 0);
  CHECK(v.at(0).at("Value").is_null());

  auto pretty = c.Get("/v1/kv/web/config?pretty");
  CHECK(pretty.body().rfind("[\n    {\n        \"LockIndex\": 0,", 0) == 0);
}

TEST_CASE("KV missing keys are 404 with an index, empty key is 400", "[unit]") {
  ApiServer s;
  Client c(s.port);
  c.Put("/v1/kv/a", "1");
  auto missing = c.Get("/v1/kv/nope");
  CHECK(missing.result_int() == 404);
  CHECK(missing.body().empty());
  CHECK(IndexOf(missing) == s.backend.last_index());  // the KV table's index
  auto empty = c.Get("/v1/kv/");
  CHECK(empty.result_int() == 400);
  CHECK(empty.body() == "Missing key name");
  CHECK(empty[http::field::content_type] == "text/plain; charset=utf-8");
  CHECK(c.Put("/v1/kv/").body() == "Missing key name");
  CHECK(c.Delete("/v1/kv/").body() == "Missing key name");
  // A fresh store still answers an index of at least 1.
  ApiServer fresh;
  Client f(fresh.port);
  CHECK(IndexOf(f.Get("/v1/kv/x")) == 1);
}

TEST_CASE("KV recurse and keys with separators", "[unit]") {
  ApiServer s;
  Client c(s.port);
  for (const char* k : {"web/a", "web/b", "web/sub/c", "web/sub/d", "webz", "other"}) {
    REQUIRE(c.Put(std::string("/v1/kv/") + k, k).body() == "true");
  }
  auto rec = Json(c.Get("/v1/kv/web/?recurse"));
  REQUIRE(rec.as_array().size() == 4);
  CHECK(rec.at(0).at("Key") == "web/a");
  CHECK(rec.at(3).at("Key") == "web/sub/d");
  // Not segment-aware: "web" matches "webz" too.
  CHECK(Json(c.Get("/v1/kv/web?recurse")).as_array().size() == 5);
  CHECK(Json(c.Get("/v1/kv/?recurse")).as_array().size() == 6);
  CHECK(c.Get("/v1/kv/nothing?recurse").result_int() == 404);

  CHECK(c.Get("/v1/kv/web/?keys").body() == R"(["web/a","web/b","web/sub/c","web/sub/d"])");
  CHECK(c.Get("/v1/kv/web/?keys&separator=/").body() == R"(["web/a","web/b","web/sub/"])");
  CHECK(c.Get("/v1/kv/web/?keys&seperator=/").body() == R"(["web/a","web/b","web/sub/"])");
  CHECK(c.Get("/v1/kv/?keys&separator=/").body() == R"(["other","web/","webz"])");
  auto none = c.Get("/v1/kv/nothing/?keys");
  CHECK(none.result_int() == 404);
  CHECK(none.body().empty());
  // ?keys wins over ?recurse.
  CHECK(c.Get("/v1/kv/web/sub/?keys&recurse").body() == R"(["web/sub/c","web/sub/d"])");
  // ?raw applies to single keys only.
  CHECK(Json(c.Get("/v1/kv/web/a?recurse&raw")).as_array().size() == 1);

  ApiServer fresh;
  Client f(fresh.port);
  auto root = f.Get("/v1/kv/?keys");
  CHECK(root.result_int() == 200);
  CHECK(root.body() == "[]");
}

TEST_CASE("KV cas on put and delete", "[unit]") {
  ApiServer s;
  Client c(s.port);
  CHECK(c.Put("/v1/kv/k?cas=0", "v1").body() == "true");
  CHECK(c.Put("/v1/kv/k?cas=0", "v2").body() == "false");
  uint64_t mi = Json(c.Get("/v1/kv/k")).at(0).at("ModifyIndex").to_number<uint64_t>();
  CHECK(c.Put("/v1/kv/k?cas=" + std::to_string(mi + 100), "v3").body() == "false");
  CHECK(c.Put("/v1/kv/k?cas=" + std::to_string(mi), "v3").body() == "true");
  CHECK(c.Get("/v1/kv/k?raw").body() == "v3");
  uint64_t mi2 = Json(c.Get("/v1/kv/k")).at(0).at("ModifyIndex").to_number<uint64_t>();
  CHECK(c.Delete("/v1/kv/k?cas=0").body() == "false");
  CHECK(c.Delete("/v1/kv/k?cas=" + std::to_string(mi)).body() == "false");
  CHECK(c.Delete("/v1/kv/k?cas=" + std::to_string(mi2)).body() == "true");
  CHECK(c.Get("/v1/kv/k").result_int() == 404);
  // Deleting what is not there succeeds, with or without cas.
  CHECK(c.Delete("/v1/kv/k?cas=99").body() == "true");
  CHECK(c.Delete("/v1/kv/k").body() == "true");
}

TEST_CASE("KV delete one key and recursive deletes", "[unit]") {
  ApiServer s;
  Client c(s.port);
  for (const char* k : {"a/1", "a/2", "ab", "b"}) c.Put(std::string("/v1/kv/") + k, "x");
  CHECK(c.Delete("/v1/kv/a/1").body() == "true");
  CHECK(c.Get("/v1/kv/a/1").result_int() == 404);
  CHECK(c.Delete("/v1/kv/a?recurse").body() == "true");
  CHECK(c.Get("/v1/kv/?keys").body() == R"(["b"])");
  // The prefix index does not go backwards after a delete (tombstones).
  uint64_t before = IndexOf(c.Get("/v1/kv/b?keys"));
  c.Delete("/v1/kv/b");
  auto after = c.Get("/v1/kv/b?keys");
  CHECK(after.result_int() == 404);
  CHECK(IndexOf(after) > before);
  CHECK(c.Delete("/v1/kv/?recurse").body() == "true");
}

TEST_CASE("KV bad parameters: 400 with Consul's texts and nothing written", "[unit]") {
  ApiServer s;
  Client c(s.port);
  uint64_t start = s.backend.last_index();
  auto conflict = c.Put("/v1/kv/k?cas=1&acquire=abc&token=t");
  CHECK(conflict.result_int() == 400);
  CHECK(conflict.body() == "Conflicting flags: acquire=abc&cas=1&token=t");
  CHECK(c.Put("/v1/kv/k?acquire=a&release=b").body() == "Conflicting flags: acquire=a&release=b");
  CHECK(c.Delete("/v1/kv/k?recurse&cas=3").body() == "Conflicting flags: cas=3&recurse=");
  auto flags = c.Put("/v1/kv/k?flags=abc", "v");
  CHECK(flags.result_int() == 400);
  CHECK(flags.body() == "strconv.ParseUint: parsing \"abc\": invalid syntax");
  CHECK(c.Put("/v1/kv/k?cas=-1", "v").body() ==
        "strconv.ParseUint: parsing \"-1\": invalid syntax");
  CHECK(c.Delete("/v1/kv/k?cas=x").body() == "strconv.ParseUint: parsing \"x\": invalid syntax");
  CHECK(c.Put("/v1/kv/k?flags=99999999999999999999", "v").body() ==
        "strconv.ParseUint: parsing \"99999999999999999999\": value out of range");
  auto index = c.Get("/v1/kv/k?index=abc");
  CHECK(index.result_int() == 400);
  CHECK(index.body() == "Invalid index");
  CHECK(c.Get("/v1/kv/k?wait=forever").body() == "Invalid wait time");
  CHECK(c.Get("/v1/kv/k?stale&consistent").body() ==
        "Cannot specify ?stale with ?consistent, conflicting semantics.");
  CHECK(c.Get("/v1/kv/k?ns=default").body() ==
        "Invalid query parameter: \"ns\" - Namespaces are a Consul Enterprise feature");
  CHECK(c.Put("/v1/kv/k?partition=p", "v").result_int() == 400);
  auto dc = c.Put("/v1/kv/k?dc=elsewhere", "v");
  CHECK(dc.result_int() == 500);
  CHECK(dc.body() == "No path to datacenter");
  CHECK(c.Get("/v1/kv/k?dc=dc1").result_int() == 404);  // our own datacenter is fine
  CHECK(s.backend.last_index() == start);
  CHECK(c.Get("/v1/kv/?recurse").result_int() == 404);
}

TEST_CASE("KV values over the limit get 413 and are not stored", "[unit]") {
  HttpApiOptions options;
  options.kv_max_value_size = 1000;
  ApiServer s(options);
  Client c(s.port);
  CHECK(c.Put("/v1/kv/big", std::string(1000, 'x')).body() == "true");
  auto big = c.Put("/v1/kv/big2", std::string(1001, 'x'));
  CHECK(big.result_int() == 413);
  CHECK(big.body() ==
        "Request body(1001 bytes) too large, max size: 1000 bytes. See "
        "https://www.consul.io/docs/agent/config/config-files#kv_max_value_size.");
  CHECK(c.Get("/v1/kv/big2").result_int() == 404);
  // The default limit is Consul's 512 KiB.
  ApiServer d;
  Client dc(d.port);
  CHECK(dc.Put("/v1/kv/ok", std::string(524288, 'v')).body() == "true");
  CHECK(dc.Put("/v1/kv/toobig", std::string(524289, 'v')).result_int() == 413);
  CHECK(dc.Get("/v1/kv/toobig").result_int() == 404);
}

TEST_CASE("KV acquire and release with sessions", "[unit]") {
  ApiServer s;
  Client c(s.port);
  std::string s1 = Json(c.Put("/v1/session/create")).at("ID").as_string().c_str();
  std::string s2 =
      Json(c.Put("/v1/session/create", R"({"LockDelay": "0s"})")).at("ID").as_string().c_str();
  CHECK(c.Put("/v1/kv/lock?acquire=" + s1, "owner1").body() == "true");
  auto e = Json(c.Get("/v1/kv/lock")).at(0);
  CHECK(e.at("Session") == s1.c_str());
  CHECK(e.at("LockIndex") == 1);
  // Held by s1: s2 cannot take it; s1 may write through it again.
  CHECK(c.Put("/v1/kv/lock?acquire=" + s2, "owner2").body() == "false");
  CHECK(c.Put("/v1/kv/lock?acquire=" + s1, "again").body() == "true");
  CHECK(Json(c.Get("/v1/kv/lock")).at(0).at("LockIndex") == 1);
  CHECK(c.Put("/v1/kv/lock?release=" + s2).body() == "false");
  CHECK(c.Put("/v1/kv/lock?release=" + s1, "free").body() == "true");
  auto released = Json(c.Get("/v1/kv/lock")).at(0).as_object();
  CHECK(released.find("Session") == released.end());
  CHECK(released.at("LockIndex") == 1);
  CHECK(c.Put("/v1/kv/lock?acquire=" + s2, "owner2").body() == "true");
  // An unknown session is Consul's 500, a prefix Patroni matches.
  auto bad = c.Put("/v1/kv/other?acquire=nope", "x");
  CHECK(bad.result_int() == 500);
  CHECK(bad.body() == "invalid session \"nope\"");
  CHECK(c.Get("/v1/kv/other").result_int() == 404);
}

TEST_CASE("KV reads honour consistency modes and fail without a leader", "[unit]") {
  ApiServer s;
  Client c(s.port);
  c.Put("/v1/kv/k", "v");
  c.Get("/v1/kv/k");
  c.Get("/v1/kv/k?stale");
  c.Get("/v1/kv/k?consistent");
  CHECK(s.backend.reads() == std::vector<Consistency>{Consistency::kDefault, Consistency::kStale,
                                                      Consistency::kConsistent});
  s.backend.SetReadError(absl::UnavailableError("No cluster leader"));
  s.backend.SetMeta({false, std::chrono::milliseconds(-1)});
  auto nl = c.Get("/v1/kv/k");
  CHECK(nl.result_int() == 500);
  CHECK(nl.body() == "No cluster leader");
  auto stale = c.Get("/v1/kv/k?stale");
  CHECK(stale.result_int() == 200);
  CHECK(Header(stale, "X-Consul-KnownLeader") == "false");
  CHECK(Header(stale, "X-Consul-LastContact") == "0");
  s.backend.SetMeta({true, std::chrono::milliseconds(37)});
  CHECK(Header(c.Get("/v1/kv/k?stale"), "X-Consul-LastContact") == "37");
}

TEST_CASE("KV handlers answer callbacks that arrive from another thread", "[unit]") {
  ApiServer s;
  boost::asio::io_context other;
  auto guard = boost::asio::make_work_guard(other);
  std::thread t([&] { other.run(); });
  s.backend.SetAsync(other.get_executor());
  {
    Client c(s.port);
    CHECK(c.Put("/v1/kv/x", "1").body() == "true");
    CHECK(c.Get("/v1/kv/x?raw").body() == "1");
    CHECK(c.Delete("/v1/kv/x").body() == "true");
    CHECK(c.Get("/v1/kv/x").result_int() == 404);
  }
  guard.reset();
  t.join();
}

TEST_CASE("KV methods other than GET, PUT, DELETE get 405", "[unit]") {
  ApiServer s;
  Client c(s.port);
  auto r = c.Send(http::verb::post, "/v1/kv/k", "v");
  CHECK(r.result_int() == 405);
  CHECK(Header(r, "Allow") == "OPTIONS,GET,PUT,DELETE");
}

}  // namespace
}  // namespace cairn::agent::testing
