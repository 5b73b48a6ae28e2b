// `members`, `join`, `leave`, `force-leave`, `reload`, `info` and `operator raft` against an
// in-test agent with spec-shaped answers: the requests sent and the exact output.
#include <catch2/catch.hpp>

#include "cli.h"
#include "command_util.h"
#include "fake_agent.h"

namespace cairn::cli {
namespace {

using testing::CliResult;
using testing::FakeAgent;
using testing::Json;
using testing::RecordedRequest;
using testing::Reply;
using testing::RunCommand;

// Three members as /v1/agent/members returns them: a client, two servers (one failed).
constexpr const char* kMembers = R"([
  {"Name":"client01","Addr":"192.168.1.21","Port":8301,
   "Tags":{"build":"0.1.0:abc","dc":"dc1","id":"c1","role":"node","vsn":"2","segment":""},
   "Status":1,"ProtocolMin":1,"ProtocolMax":5,"ProtocolCur":2,"DelegateMin":2,"DelegateMax":5,"DelegateCur":4},
  {"Name":"server02","Addr":"192.168.1.12","Port":8301,
   "Tags":{"build":"0.1.0:abc","dc":"dc1","expect":"3","id":"s2","port":"8300","role":"consul","vsn":"2"},
   "Status":4,"ProtocolMin":1,"ProtocolMax":5,"ProtocolCur":2,"DelegateMin":2,"DelegateMax":5,"DelegateCur":4},
  {"Name":"server01","Addr":"192.168.1.11","Port":8301,
   "Tags":{"build":"0.1.0:abc","dc":"dc1","expect":"3","id":"s1","port":"8300","role":"consul","vsn":"2"},
   "Status":1,"ProtocolMin":1,"ProtocolMax":5,"ProtocolCur":2,"DelegateMin":2,"DelegateMax":5,"DelegateCur":4}
])";

struct ClusterFixture {
  FakeAgent agent;
  std::map<std::string, std::string> env{{"CONSUL_HTTP_ADDR", agent.address()}};

  CliResult Run(int (*run)(const std::vector<std::string>&, Context&),
                std::vector<std::string> args) {
    return RunCommand(run, args, env);
  }
  RecordedRequest Last() {
    auto all = agent.requests();
    REQUIRE(!all.empty());
    return all.back();
  }
};

TEST_CASE_METHOD(ClusterFixture, "members prints Consul's table, servers first", "[unit]") {
  agent.Route("GET", "/v1/agent/members", Json(kMembers));
  CliResult r = Run(RunMembers, {});
  CHECK(r.code == 0);
  CHECK(r.err.empty());
  CHECK(
      r.out ==
      "Node      Address            Status  Type    Build  Protocol  DC   Partition  Segment\n"
      "server01  192.168.1.11:8301  alive   server  0.1.0  2         dc1  default    <all>\n"
      "server02  192.168.1.12:8301  failed  server  0.1.0  2         dc1  default    <all>\n"
      "client01  192.168.1.21:8301  alive   client  0.1.0  2         dc1  default    <default>\n");
  CHECK(Last().method == "GET");
  CHECK(Last().target == "/v1/agent/members");
}

TEST_CASE_METHOD(ClusterFixture, "members -detailed, -status and -wan", "[unit]") {
  agent.Route("GET", "/v1/agent/members", Json(kMembers));
  CliResult d = Run(RunMembers, {"-detailed", "-status=alive"});
  CHECK(d.code == 0);
  CHECK(d.out ==
        "Node      Address            Status  Tags\n"
        "server01  192.168.1.11:8301  alive   "
        "ap=default,build=0.1.0:abc,dc=dc1,expect=3,id=s1,port=8300,role=consul,segment=<all>,"
        "vsn=2\n"
        "client01  192.168.1.21:8301  alive   "
        "ap=default,build=0.1.0:abc,dc=dc1,id=c1,role=node,segment=<default>,vsn=2\n");

  CliResult none = Run(RunMembers, {"-status=left"});
  CHECK(none.code == 2);
  CHECK(none.out.empty());
  CHECK(none.err.empty());

  CliResult bad = Run(RunMembers, {"-status=("});
  CHECK(bad.code == 1);
  CHECK(bad.err.rfind("Failed to compile status regexp: ", 0) == 0);

  CHECK(Run(RunMembers, {"-wan"}).code == 0);
  CHECK(Last().QueryString() == "wan=1");
}

TEST_CASE_METHOD(ClusterFixture, "members: -token, CAIRN_HTTP_TOKEN and unknown roles", "[unit]") {
  agent.Route(
      "GET", "/v1/agent/members",
      Json(R"([{"Name":"x","Addr":"::1","Port":8301,"Tags":{"role":"other"},"Status":2}])"));
  // The seed's `consul members -token xiaopaluliiulangji`.
  CliResult r = Run(RunMembers, {"-token", "xiaopaluliiulangji"});
  CHECK(r.code == 0);
  CHECK(Last().headers["x-consul-token"] == "xiaopaluliiulangji");
  CHECK(r.out ==
        "Node  Address     Status   Type     Build  Protocol  DC  Partition  Segment\n"
        "x     [::1]:8301  leaving  unknown                                  \n");
  env["CONSUL_HTTP_TOKEN"] = "from-consul";
  env["CAIRN_HTTP_TOKEN"] = "from-cairn";
  CHECK(Run(RunMembers, {}).code == 0);
  CHECK(Last().headers["x-consul-token"] == "from-cairn");
  CHECK(Run(RunMembers, {"-token=flag"}).code == 0);
  CHECK(Last().headers["x-consul-token"] == "flag");
}

TEST_CASE_METHOD(ClusterFixture, "errors from the agent read as Consul's", "[unit]") {
  agent.Route("GET", "/v1/agent/members", Reply{403, "Permission denied", {}});
  CliResult r = Run(RunMembers, {});
  CHECK(r.code == 1);
  CHECK(r.err == "Error retrieving members: Unexpected response code: 403 (Permission denied)\n");
  agent.Route("GET", "/v1/agent/self", Reply{500, "boom", {}});
  r = Run(RunInfo, {});
  CHECK(r.code == 1);
  CHECK(r.err == "Error querying agent: Unexpected response code: 500 (boom)\n");
}

TEST_CASE_METHOD(ClusterFixture, "join contacts every address and counts the successes", "[unit]") {
  agent.Route("PUT", "/v1/agent/join/192.168.1.11", Reply{200, "", {}});
  agent.Route("PUT", "/v1/agent/join/192.168.1.12", Reply{500, "dial failed", {}});
  CliResult r = Run(RunJoin, {"192.168.1.11", "192.168.1.12"});
  CHECK(r.code == 0);
  CHECK(r.out == "Successfully joined cluster by contacting 1 nodes.\n");
  CHECK(r.err ==
        "Error joining address '192.168.1.12': Unexpected response code: 500 (dial failed)\n");
  auto sent = agent.requests();
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].method == "PUT");
  CHECK(sent[0].target == "/v1/agent/join/192.168.1.11");

  CliResult wan = Run(RunJoin, {"-wan", "192.168.1.11"});
  CHECK(wan.code == 0);
  CHECK(Last().QueryString() == "wan=1");

  CliResult none = Run(RunJoin, {"192.168.1.12"});
  CHECK(none.code == 1);
  CHECK(none.err.find("Failed to join any nodes.\n") != std::string::npos);
  CliResult missing = Run(RunJoin, {});
  CHECK(missing.code == 1);
  CHECK(missing.err.rfind("At least one address to join must be specified.\n", 0) == 0);
}

TEST_CASE_METHOD(ClusterFixture, "leave, force-leave and reload", "[unit]") {
  agent.Route("PUT", "/v1/agent/leave", Reply{200, "", {}});
  CliResult r = Run(RunLeave, {});
  CHECK(r.code == 0);
  CHECK(r.out == "Graceful leave complete\n");
  CHECK(Last().method == "PUT");
  CHECK(Run(RunLeave, {"extra"}).err == "Error found unexpected args: [extra]\n");

  agent.Route("PUT", "/v1/agent/force-leave/server02", Reply{200, "", {}});
  r = Run(RunForceLeave, {"-prune", "server02"});
  CHECK(r.code == 0);
  CHECK(r.out.empty());
  CHECK(Last().target == "/v1/agent/force-leave/server02?prune=1");
  r = Run(RunForceLeave, {"nosuch"});
  CHECK(r.code == 1);
  CHECK(r.err.rfind("Error force leaving: Unexpected response code: 404", 0) == 0);
  CHECK(Run(RunForceLeave, {})
            .err.rfind("A single node name must be specified to force leave.\n", 0) == 0);

  agent.Route("PUT", "/v1/agent/reload", Reply{200, "", {}});
  r = Run(RunReload, {});
  CHECK(r.code == 0);
  CHECK(r.out == "Configuration reload triggered\n");
}

TEST_CASE_METHOD(ClusterFixture, "info prints the Stats sections and keys sorted", "[unit]") {
  agent.Route("GET", "/v1/agent/self", Json(R"({
    "Config": {"Datacenter": "dc1", "NodeName": "n1"},
    "Stats": {
      "raft": {"state": "Leader", "applied_index": "12", "num_peers": "0"},
      "agent": {"services": "0", "checks": "0", "check_monitors": "0", "check_ttls": "0"},
      "serf_lan": {"members": "1", "encrypted": "false"},
      "consul": {"server": "true", "leader": "true", "bootstrap": "true"}
    }})"));
  // The seed's `consul info -http-addr=192.168.99.109` shape, with the TLS flags it adds.
  CliResult r = Run(
      RunInfo, {"-http-addr=" + agent.address(), "-ca-file=/consul/certs/ca.pem",
                "-client-cert=/consul/certs/server1.pem", "-client-key=/consul/certs/server1.key"});
  CHECK(r.code == 0);
  CHECK(r.err.empty());
  CHECK(r.out ==
        "agent:\n\tcheck_monitors = 0\n\tcheck_ttls = 0\n\tchecks = 0\n\tservices = 0\n"
        "consul:\n\tbootstrap = true\n\tleader = true\n\tserver = true\n"
        "raft:\n\tapplied_index = 12\n\tnum_peers = 0\n\tstate = Leader\n"
        "serf_lan:\n\tencrypted = false\n\tmembers = 1\n");
  CHECK(Last().target == "/v1/agent/self");

  agent.Route("GET", "/v1/agent/self", Json(R"({"Config": {}})"));
  r = Run(RunInfo, {});
  CHECK(r.code == 1);
  CHECK(r.err.rfind("Agent response did not contain 'Stats' key", 0) == 0);
}

constexpr const char* kRaftConfig = R"({"Servers":[
  {"ID":"id-1","Node":"server01","Address":"192.168.1.11:8300","Leader":true,"Voter":true,"ProtocolVersion":"3"},
  {"ID":"id-2","Node":"server02","Address":"192.168.1.12:8300","Leader":false,"Voter":true,"ProtocolVersion":"3"},
  {"ID":"id-3","Node":"server03","Address":"192.168.1.13:8300","Leader":false,"Voter":false,"ProtocolVersion":"3"}
],"Index":7})";

TEST_CASE_METHOD(ClusterFixture, "operator raft list-peers with and without autopilot health",
                 "[unit]") {
  agent.Route("GET", "/v1/operator/raft/configuration", Json(kRaftConfig));
  agent.Route("GET", "/v1/operator/autopilot/health", Json(R"({"Healthy":true,"Servers":[
    {"ID":"id-1","LastIndex":40},{"ID":"id-2","LastIndex":39},{"ID":"id-3","LastIndex":30}]})"));
  CliResult r = Run(RunOperator, {"raft", "list-peers", "-stale"});
  CHECK(r.code == 0);
  CHECK(r.out ==
        "Node      ID    Address            State     Voter  RaftProtocol  Commit Index  Trails "
        "Leader By\n"
        "server01  id-1  192.168.1.11:8300  leader    true   3             40            _\n"
        "server02  id-2  192.168.1.12:8300  follower  true   3             39            1 Commit\n"
        "server03  id-3  192.168.1.13:8300  follower  false  3             30            10 "
        "Commits\n");
  auto sent = agent.requests();
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].QueryString() == "stale=");
  CHECK(sent[1].path == "/v1/operator/autopilot/health");

  // An agent without the autopilot endpoint: Consul's "no health data" rows.
  agent.Route("GET", "/v1/operator/autopilot/health", Reply{404, "", {}});
  r = Run(RunOperator, {"raft", "list-peers"});
  CHECK(r.code == 0);
  CHECK(r.out ==
        "Node      ID    Address            State     Voter  RaftProtocol  Commit Index  Trails "
        "Leader By\n"
        "server01  id-1  192.168.1.11:8300  leader    true   3             _\n"
        "server02  id-2  192.168.1.12:8300  follower  true   3             _\n"
        "server03  id-3  192.168.1.13:8300  follower  false  3             _\n");

  agent.Route("GET", "/v1/operator/raft/configuration", Reply{500, "No cluster leader", {}});
  r = Run(RunOperator, {"raft", "list-peers"});
  CHECK(r.code == 1);
  CHECK(r.err ==
        "Error getting peers: Failed to retrieve raft configuration: Unexpected response code: "
        "500 (No cluster leader)\n");
}

TEST_CASE_METHOD(ClusterFixture, "operator raft remove-peer and transfer-leader", "[unit]") {
  agent.Route("DELETE", "/v1/operator/raft/peer", Reply{200, "", {}});
  CliResult r = Run(RunOperator, {"raft", "remove-peer", "-address=192.168.1.12:8300"});
  CHECK(r.code == 0);
  CHECK(r.out == "Removed peer with address \"192.168.1.12:8300\"\n");
  CHECK(Last().method == "DELETE");
  CHECK(Last().QueryString() == "address=192.168.1.12:8300");
  r = Run(RunOperator, {"raft", "remove-peer", "-id=id-2"});
  CHECK(r.out == "Removed peer with id \"id-2\"\n");
  CHECK(Last().QueryString() == "id=id-2");
  std::size_t sent = agent.requests().size();
  CHECK(Run(RunOperator, {"raft", "remove-peer"}).err ==
        "Error removing peer: an address or id is required for the peer to remove\n");
  CHECK(Run(RunOperator, {"raft", "remove-peer", "-id=a", "-address=b"}).err ==
        "Error removing peer: cannot give both an address and id\n");
  CHECK(agent.requests().size() == sent);

  agent.Route("POST", "/v1/operator/raft/transfer-leader", Json(R"({"Success":true})"));
  r = Run(RunOperator, {"raft", "transfer-leader", "-id=id-2"});
  CHECK(r.code == 0);
  CHECK(r.out == "Success\n");
  CHECK(Last().method == "POST");
  CHECK(Last().QueryString() == "id=id-2");
  agent.Route("POST", "/v1/operator/raft/transfer-leader", Json(R"({"Success":false})"));
  r = Run(RunOperator, {"raft", "transfer-leader"});
  CHECK(r.code == 1);
  CHECK(r.err == "Error transfering leadership: Failed to transfer leadership\n");
  CHECK(Last().query.empty());

  CHECK(Run(RunOperator, {}).code == 1);
  CHECK(Run(RunOperator, {"raft", "bogus"}).code == 1);
  CHECK(Run(RunOperator, {"raft", "list-peers", "-bogus"}).err ==
        "Failed to parse args: flag provided but not defined: -bogus\n");
}

}  // namespace
}  // namespace cairn::cli
