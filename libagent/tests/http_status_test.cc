// /v1/status/* and /v1/operator/raft/* through a real HttpServer over the test backend
// (spec §8, §11).
#include "http_api_test_util.h"

namespace cairn::agent::testing {
namespace {

RaftInfo ThreeServers() {
  RaftInfo info;
  info.index = 12;
  info.servers = {{1, "127.0.0.2:8300", true, true},
                  {2, "127.0.0.3:8300", false, true},
                  {3, "127.0.0.4:8300", false, false}};
  return info;
}

TEST_CASE("Status leader and peers", "[unit]") {
  ApiServer s;
  Client c(s.port);
  auto none = c.Get("/v1/status/leader");
  CHECK(none.result_int() == 200);
  CHECK(none.body() == R"("")");
  CHECK(c.Get("/v1/status/peers").body() == "[]");
  s.backend.SetRaft(ThreeServers(), "127.0.0.2:8300");
  CHECK(c.Get("/v1/status/leader").body() == R"("127.0.0.2:8300")");
  CHECK(c.Get("/v1/status/peers").body() ==
        R"(["127.0.0.2:8300","127.0.0.3:8300","127.0.0.4:8300"])");
  CHECK(c.Get("/v1/status/peers?pretty").body() ==
        "[\n    \"127.0.0.2:8300\",\n    \"127.0.0.3:8300\",\n    \"127.0.0.4:8300\"\n]\n");
  CHECK(c.Get("/v1/status/leader?dc=dc1").result_int() == 200);
  auto dc = c.Get("/v1/status/leader?dc=dc2");
  CHECK(dc.result_int() == 500);
  CHECK(dc.body() == "No path to datacenter");
  CHECK(c.Get("/v1/status/peers?ns=x").result_int() == 400);
  CHECK(c.Put("/v1/status/leader").result_int() == 405);
}

TEST_CASE("Raft configuration names servers by the catalog node at their address", "[unit]") {
  ApiServer s;
  Client c(s.port);
  s.backend.PutNode("server-2", "127.0.0.2", "0b5a3fc6-8f2e-4b7e-a3e4-52d0b3e5f0aa");
  s.backend.PutNode("server-3", "127.0.0.3");
  s.backend.SetRaft(ThreeServers(), "127.0.0.2:8300");
  auto r = c.Get("/v1/operator/raft/configuration");
  REQUIRE(r.result_int() == 200);
  CHECK(
      r.body() ==
      R"({"Servers":[)"
      R"({"ID":"0b5a3fc6-8f2e-4b7e-a3e4-52d0b3e5f0aa","Node":"server-2","Address":"127.0.0.2:8300","Leader":true,"ProtocolVersion":"3","Voter":true},)"
      R"({"ID":"2","Node":"server-3","Address":"127.0.0.3:8300","Leader":false,"ProtocolVersion":"3","Voter":true},)"
      R"x({"ID":"3","Node":"(unknown)","Address":"127.0.0.4:8300","Leader":false,"ProtocolVersion":"3","Voter":false}],)x"
      R"("Index":12})");
  // Default mode goes through the leader; ?stale answers locally, also without one.
  s.backend.SetReadError(absl::UnavailableError("No cluster leader"));
  auto nl = c.Get("/v1/operator/raft/configuration");
  CHECK(nl.result_int() == 500);
  CHECK(nl.body() == "No cluster leader");
  CHECK(c.Get("/v1/operator/raft/configuration?stale").result_int() == 200);
}

TEST_CASE("Raft peer removal by id or address", "[unit]") {
  ApiServer s;
  Client c(s.port);
  s.backend.PutNode("server-3", "127.0.0.3", "5e0c6c4a-7f9b-4d1e-9a39-6a0c4c1d2e3f");
  s.backend.SetRaft(ThreeServers(), "127.0.0.2:8300");
  auto none = c.Delete("/v1/operator/raft/peer");
  CHECK(none.result_int() == 400);
  CHECK(none.body() ==
        "Must specify either ?id with the server's ID or ?address with IP:port of peer to "
        "remove");
  CHECK(c.Delete("/v1/operator/raft/peer?id=1&address=x").body() ==
        "Must specify only one of ?id or ?address");
  auto unknown = c.Delete("/v1/operator/raft/peer?id=nope");
  CHECK(unknown.result_int() == 500);
  CHECK(unknown.body() == "id \"nope\" was not found in the Raft configuration");
  auto bad_addr = c.Delete("/v1/operator/raft/peer?address=10.0.0.1:8300");
  CHECK(bad_addr.result_int() == 500);
  CHECK(bad_addr.body() == "address \"10.0.0.1:8300\" was not found in the Raft configuration");
  CHECK(s.backend.Peers().size() == 3);

  auto by_uuid = c.Delete("/v1/operator/raft/peer?id=5e0c6c4a-7f9b-4d1e-9a39-6a0c4c1d2e3f");
  CHECK(by_uuid.result_int() == 200);
  CHECK(by_uuid.body().empty());
  CHECK(s.backend.Peers() == std::vector<std::string>{"127.0.0.2:8300", "127.0.0.4:8300"});
  CHECK(c.Delete("/v1/operator/raft/peer?id=3").result_int() == 200);
  CHECK(c.Delete("/v1/operator/raft/peer?address=127.0.0.2:8300").result_int() == 200);
  CHECK(s.backend.Peers().empty());
  CHECK(c.Get("/v1/operator/raft/peer").result_int() == 405);
}

TEST_CASE("Raft leadership transfer", "[unit]") {
  ApiServer s;
  Client c(s.port);
  s.backend.SetRaft(ThreeServers(), "127.0.0.2:8300");
  auto any = c.Send(http::verb::post, "/v1/operator/raft/transfer-leader");
  CHECK(any.result_int() == 200);
  CHECK(any.body() == R"({"Success":true})");
  CHECK(s.backend.transferred_to() == 0u);
  CHECK(c.Send(http::verb::post, "/v1/operator/raft/transfer-leader?id=2").body() ==
        R"({"Success":true})");
  CHECK(s.backend.transferred_to() == 2u);
  auto unknown = c.Send(http::verb::post, "/v1/operator/raft/transfer-leader?id=9");
  CHECK(unknown.result_int() == 500);
  CHECK(unknown.body() == "id \"9\" was not found in the Raft configuration");
  CHECK(c.Put("/v1/operator/raft/transfer-leader").result_int() == 405);
}

}  // namespace
}  // namespace cairn::agent::testing
