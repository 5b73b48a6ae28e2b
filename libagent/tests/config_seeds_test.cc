// Every `consul agent` command line and configuration file in the seed tutorials
// (shared/seeds/*.txt) must mean the same to `cairn agent`.
#include <catch2/catch.hpp>

#include "config_test_util.h"

namespace cairn::agent {
namespace {

using testing::HasWarning;
using testing::MustLoad;
using testing::TempDir;

TEST_CASE("seed 000: three servers with -bootstrap-expect 2 and -client=0.0.0.0", "[unit]") {
  TempDir dir;
  std::string data = dir.Sub("data");
  LoadResult r = MustLoad({"-server", "-bootstrap-expect", "2", "-data-dir=" + data, "-node=n1",
                           "-bind=10.0.0.5", "-client=0.0.0.0"});
  const Config& c = r.config;
  CHECK(c.server);
  CHECK(c.bootstrap_expect == 2);
  CHECK_FALSE(c.bootstrap);
  CHECK(c.data_dir == data);
  CHECK(c.node_name == "n1");
  CHECK(c.bind_addr == "10.0.0.5");
  CHECK(c.client_addr == std::vector<std::string>{"0.0.0.0"});
  CHECK(c.addresses.http == std::vector<std::string>{"0.0.0.0"});
  CHECK(c.addresses.dns == std::vector<std::string>{"0.0.0.0"});
  CHECK(c.ports.http == 8500);
  CHECK(c.ports.dns == 8600);
  CHECK(c.ports.server == 8300);
  CHECK(HasWarning(r, "no failure tolerance"));
  CHECK(HasWarning(r, "expecting 2 servers"));
  // Servers neither leave on SIGTERM nor on SIGINT by default.
  CHECK_FALSE(c.leave_on_terminate);
  CHECK(c.skip_leave_on_interrupt);
}

TEST_CASE("seed 000: -ui-dir=webui -client 0.0.0.0", "[unit]") {
  TempDir dir;
  LoadResult r = MustLoad({"-server", "-bootstrap-expect", "2", "-data-dir=" + dir.path(),
                           "-node=n3", "-bind=10.0.0.7", "-ui-dir=webui", "-client", "0.0.0.0"});
  CHECK(r.config.ui_config.dir == "webui");
  CHECK_FALSE(r.config.ui_config.enabled);
  CHECK(r.config.client_addr == std::vector<std::string>{"0.0.0.0"});
  CHECK(r.config.bind_addr == "10.0.0.7");
}

TEST_CASE("seed 001: supervisord command line with -config-dir of auth.hcl and consulha.hcl",
          "[unit]") {
  TempDir dir;
  std::string config_dir = dir.Sub("config");
  // auth.hcl holds JSON with // comments despite its extension, as in the tutorial.
  dir.Write("config/auth.hcl", R"({
"acl": {
"enabled": true, // 启用ACL功能
"default_policy": "deny", // 默认策略:拒绝所有未授权请求
"enable_token_persistence": true, // 启用Token持久化,重启后保持Token状态
"tokens": {
"master": "xiaopaluliulangji" // 集群的鉴权Token(Master权限Token)
}
}
}
)");
  dir.Write(
      "config/consulha.hcl",
      "server = true # 启用服务器模式\n"
      "retry_join = [\"192.168.1.1\", \"192.168.1.2\", \"192.168.1.3\"] # 其他节点的IP地址\n");
  std::string data = dir.Sub("data/data/consul");
  LoadResult r =
      MustLoad({"-server", "-http-port=8500", "-data-dir=" + data + "/", "-node=192e168e1e1",
                "-bind=192.168.1.1", "-bootstrap-expect=3", "-client=0.0.0.0",
                "-datacenter=xiaopalu", "-ui", "-config-dir=" + config_dir + "/"});
  const Config& c = r.config;
  CHECK(c.server);
  CHECK(c.ports.http == 8500);
  CHECK(c.node_name == "192e168e1e1");
  CHECK(c.bind_addr == "192.168.1.1");
  CHECK(c.bootstrap_expect == 3);
  CHECK(c.datacenter == "xiaopalu");
  CHECK(c.ui_config.enabled);
  CHECK(c.acl.enabled);
  CHECK(c.acl.default_policy == "deny");
  CHECK(c.acl.enable_token_persistence);
  CHECK(c.acl.tokens.initial_management == "xiaopaluliulangji");
  CHECK(HasWarning(r, "acl.tokens.master"));
  CHECK(c.retry_join == std::vector<std::string>{"192.168.1.1", "192.168.1.2", "192.168.1.3"});
}

TEST_CASE("seed 002: gossip key in config.json via -config-file", "[unit]") {
  TempDir dir;
  std::string file = dir.Write("config.json", R"({"encrypt": "cg8StVXbQJ0gPvMd9o7yrg=="})");
  LoadResult r = MustLoad({"-data-dir=" + dir.path(), "-config-file=" + file});
  CHECK(r.config.encrypt == "cg8StVXbQJ0gPvMd9o7yrg==");
  CHECK_FALSE(r.config.server);
  // Clients leave gracefully on both signals by default.
  CHECK(r.config.leave_on_terminate);
  CHECK_FALSE(r.config.skip_leave_on_interrupt);
}

TEST_CASE("seed 002: server config.json with legacy TLS keys, -config-file naming a directory",
          "[unit]") {
  TempDir dir;
  std::string data = dir.Sub("data");
  dir.Write("config/config.json", R"({
    "datacenter": "dc1",
    "data_dir": ")" + data + R"(",
    "server": true,
    "node_name": "server1",
    "log_level": "INFO",
    "bind_addr": "192.168.99.109",
    "bootstrap_expect": 3,

    "addresses": {
        "https": "0.0.0.0"
    },
    "ports": {
        "https": 8080,
        "http": -1
    },
    "encrypt": "KizkyBSFh+Q03ATW0Nwcgg==",
    "verify_incoming": true,
    "verify_outgoing": true,
    "ca_file": "/consul/certs/ca.pem",
    "cert_file": "/consul/certs/server1.pem",
    "key_file": "/consul/certs/server1.key"
})");
  LoadResult r = MustLoad({"-config-file=" + dir.path() + "/config", "-join=192.168.99.109"});
  const Config& c = r.config;
  CHECK(c.server);
  CHECK(c.node_name == "server1");
  CHECK(c.bootstrap_expect == 3);
  CHECK(c.log_level == base::LogLevel::kInfo);
  CHECK(c.addresses.https == std::vector<std::string>{"0.0.0.0"});
  CHECK(c.addresses.http == std::vector<std::string>{"127.0.0.1"});
  CHECK(c.ports.https == 8080);
  CHECK(c.ports.http == -1);
  CHECK(c.tls.https.verify_incoming);
  CHECK(c.tls.internal_rpc.verify_incoming);
  CHECK(c.tls.internal_rpc.verify_outgoing);
  CHECK(c.tls.internal_rpc.ca_file == "/consul/certs/ca.pem");
  CHECK(c.tls.https.cert_file == "/consul/certs/server1.pem");
  CHECK(c.tls.grpc.key_file == "/consul/certs/server1.key");
  CHECK(c.start_join == std::vector<std::string>{"192.168.99.109"});
  CHECK(HasWarning(r, "'verify_incoming' field is deprecated"));
  // `-ui -config-file=/consul/config` from the same tutorial.
  LoadResult ui = MustLoad({"-ui", "-config-file=" + dir.path() + "/config"});
  CHECK(ui.config.ui_config.enabled);
}

TEST_CASE("seed 002: web.json service with an HTTP check through -config-dir", "[unit]") {
  TempDir dir;
  dir.Write("config/web.json", R"({
    "service":
    {
        "name": "web",
        "tags": ["primary"],
        "address": "192.168.99.112",
        "port": 9000,
        "checks": [
        {
            "http": "http://localhost:9000/health",
            "interval": "10s"
        }]
    }
})");
  LoadResult r = MustLoad(
      {"-data-dir=" + dir.path(), "-config-dir=" + dir.path() + "/config", "-join=192.168.99.109"});
  REQUIRE(r.config.services.size() == 1);
  const ServiceDefinition& s = r.config.services[0];
  CHECK(s.name == "web");
  CHECK(s.id == "web");
  CHECK(s.tags == std::vector<std::string>{"primary"});
  CHECK(s.address == "192.168.99.112");
  CHECK(s.port == 9000);
  REQUIRE(s.checks.size() == 1);
  CHECK(s.checks[0].Kind() == "http");
  CHECK(s.checks[0].http == "http://localhost:9000/health");
  CHECK(s.checks[0].interval == std::chrono::seconds(10));
  CHECK(s.checks[0].timeout == std::chrono::seconds(10));
  CHECK(s.checks[0].id == "service:web");
  CHECK(s.checks[0].service_id == "web");
  CHECK(s.checks[0].status == "critical");
}

TEST_CASE("seed 003: server and client command lines, -rejoin", "[unit]") {
  TempDir dir;
  std::string data = dir.Sub("consul");
  LoadResult server = MustLoad({"-server", "-bootstrap-expect", "2", "-data-dir", data,
                                "-bind=192.168.1.11", "-node=server01", "-rejoin"});
  CHECK(server.config.server);
  CHECK(server.config.rejoin_after_leave);
  CHECK(server.config.node_name == "server01");
  LoadResult plain = MustLoad({"-server", "-bootstrap-expect", "2", "-data-dir", data,
                               "-bind=192.168.1.12", "-node=server02"});
  CHECK_FALSE(plain.config.rejoin_after_leave);
  LoadResult client =
      MustLoad({"-data-dir", data, "-bind=192.168.1.21", "-node=client01", "-rejoin"});
  CHECK_FALSE(client.config.server);
  CHECK(client.config.rejoin_after_leave);
  CHECK(client.config.bind_addr == "192.168.1.21");
}

TEST_CASE("seed 003: -config-dir naming a single consul.json with a TCP check", "[unit]") {
  TempDir dir;
  std::string file = dir.Write(
      "consul.json",
      R"({ "service": { "name" : "test", "port" : 9999, "check": { "tcp": "127.0.0.1:9999", "interval": "10s" } } })");
  LoadResult r = MustLoad(
      {"-data-dir", dir.path(), "-node=test", "-bind=192.168.1.21", "-config-dir=" + file});
  REQUIRE(r.config.services.size() == 1);
  CHECK(r.config.services[0].name == "test");
  CHECK(r.config.services[0].port == 9999);
  REQUIRE(r.config.services[0].checks.size() == 1);
  CHECK(r.config.services[0].checks[0].tcp == "127.0.0.1:9999");
  CHECK(r.config.services[0].checks[0].id == "service:test");
}

}  // namespace
}  // namespace cairn::agent
