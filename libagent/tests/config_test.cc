// Config loading: source order and merge rules, errors naming file and key, dev mode,
// validation, node-id persistence.
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "config_test_util.h"

namespace cairn::agent {
namespace {

using testing::HasWarning;
using testing::MustFail;
using testing::MustLoad;
using testing::TempDir;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST_CASE("defaults for a client", "[unit]") {
  TempDir dir;
  LoadResult r = MustLoad({"-data-dir", dir.path(), "-node", "c1"});
  const Config& c = r.config;
  CHECK_FALSE(c.server);
  CHECK(c.datacenter == "dc1");
  CHECK(c.domain == "consul.");
  CHECK(c.bind_addr == "0.0.0.0");
  CHECK(c.client_addr == std::vector<std::string>{"127.0.0.1"});
  CHECK(c.ports.dns == 8600);
  CHECK(c.ports.http == 8500);
  CHECK(c.ports.https == -1);
  CHECK(c.ports.grpc == -1);
  CHECK(c.ports.grpc_tls == -1);
  CHECK(c.ports.serf_lan == 8301);
  CHECK(c.ports.serf_wan == 8302);
  CHECK(c.ports.server == 8300);
  CHECK(c.retry_interval == std::chrono::seconds(30));
  CHECK(c.log_level == base::LogLevel::kInfo);
  CHECK(c.performance.raft_multiplier == 5);
  CHECK(c.raft_timings.election_timeout == std::chrono::seconds(5));
  CHECK(c.raft_timings.leader_lease_timeout == std::chrono::milliseconds(2500));
  CHECK(c.leave_on_terminate);
  CHECK_FALSE(c.skip_leave_on_interrupt);
  CHECK(c.encrypt_verify_incoming);
  CHECK(c.dns_config.allow_stale);
  CHECK(c.dns_config.udp_answer_limit == 3);
  CHECK(c.acl.down_policy == "extend-cache");
  CHECK(c.check_output_max_size == 4096);
  CHECK(r.warnings.empty());
}

TEST_CASE("node name defaults to the host name", "[unit]") {
  TempDir dir;
  LoadResult r = MustLoad({"-data-dir", dir.path()});
  char host[256] = {};
  REQUIRE(gethostname(host, sizeof(host) - 1) == 0);
  CHECK(r.config.node_name == host);
}

TEST_CASE("dev mode defaults, and flags on top of them", "[unit]") {
  LoadResult r = MustLoad({"-dev"});
  const Config& c = r.config;
  CHECK(c.dev_mode);
  CHECK(c.raft_in_memory);
  CHECK(c.server);
  CHECK(c.bootstrap);
  CHECK(c.bind_addr == "127.0.0.1");
  CHECK(c.client_addr == std::vector<std::string>{"127.0.0.1"});
  CHECK(c.log_level == base::LogLevel::kDebug);
  CHECK(c.ui_config.enabled);
  CHECK(c.disable_keyring_file);
  CHECK(c.ports.grpc == 8502);
  CHECK(c.ports.http == 8500);
  CHECK(c.ports.dns == 8600);
  CHECK(c.performance.raft_multiplier == 1);
  CHECK(c.raft_timings.election_timeout == std::chrono::milliseconds(52));
  CHECK(c.raft_timings.heartbeat_timeout == std::chrono::milliseconds(35));
  CHECK(c.raft_timings.leader_lease_timeout == std::chrono::milliseconds(20));
  CHECK(c.gossip_lan.gossip_interval == std::chrono::milliseconds(100));
  CHECK(c.gossip_lan.suspicion_mult == 3);
  CHECK(c.data_dir.empty());
  CHECK_FALSE(HasWarning(r, "do not enable unless necessary"));

  LoadResult moved = MustLoad({"-dev", "-bind", "127.0.0.9", "-client", "127.0.0.9"});
  CHECK(moved.config.bind_addr == "127.0.0.9");
  CHECK(moved.config.addresses.http == std::vector<std::string>{"127.0.0.9"});
  CHECK(moved.config.addresses.dns == std::vector<std::string>{"127.0.0.9"});
  CHECK(moved.config.ports.http == 8500);
  CHECK(moved.config.ports.dns == 8600);

  LoadResult quiet = MustLoad({"-dev", "-log-level=warn", "-http-port=18500"});
  CHECK(quiet.config.log_level == base::LogLevel::kWarn);
  CHECK(quiet.config.ports.http == 18500);
}

TEST_CASE("dev mode rejects bootstrap_expect", "[unit]") {
  CHECK(MustFail({"-dev", "-bootstrap-expect=3"}) ==
        "'bootstrap_expect > 0' not allowed in dev mode");
  TempDir dir;
  std::string file = dir.Write("a.hcl", "bootstrap_expect = 2\n");
  CHECK(MustFail({"-dev", "-config-file", file}) ==
        "'bootstrap_expect > 0' not allowed in dev mode");
}

TEST_CASE("source order: defaults, list flags, files in order, scalar flags, -hcl", "[unit]") {
  TempDir dir;
  std::string d = dir.Sub("conf.d");
  dir.Write("conf.d/10-a.json", R"({"datacenter": "DC-A", "retry_join": ["a1"],
      "node_meta": {"rack": "r1", "zone": "z1"}, "log_level": "debug"})");
  dir.Write("conf.d/20-b.hcl", R"(datacenter = "dc-b"
retry_join = ["b1", "b2"]
node_meta { rack = "r2" }
ports { dns = -1 }
)");
  dir.Write("conf.d/README.md", "not configuration");
  dir.Sub("conf.d/sub.json");  // a directory: ignored
  std::string later =
      dir.Write("later.json", R"({"datacenter": "dc-c", "recursors": ["9.9.9.9"]})");
  LoadResult r = MustLoad({"-data-dir", dir.path(), "-retry-join", "flag1", "-config-dir", d,
                           "-config-file", later, "-recursor", "8.8.8.8", "-hcl",
                           "log_level = \"error\"", "-log-level", "warn"});
  const Config& c = r.config;
  CHECK(c.datacenter == "dc-c");  // later file wins; upper case folded
  CHECK(c.retry_join == std::vector<std::string>{"flag1", "a1", "b1", "b2"});
  CHECK(c.recursors == std::vector<std::string>{"8.8.8.8", "9.9.9.9"});
  CHECK(c.node_meta == std::map<std::string, std::string>{{"rack", "r2"}, {"zone", "z1"}});
  CHECK(c.ports.dns == -1);
  CHECK(c.log_level == base::LogLevel::kError);  // -hcl beats the scalar flag
  CHECK(HasWarning(r, "skipping file " + d + "/README.md"));

  // A scalar flag beats the files.
  LoadResult flag = MustLoad({"-data-dir", dir.path(), "-config-dir", d, "-datacenter", "east"});
  CHECK(flag.config.datacenter == "east");
  CHECK(flag.config.log_level == base::LogLevel::kDebug);
}

TEST_CASE("the config-format flag forces the format of every file", "[unit]") {
  TempDir dir;
  std::string d = dir.Sub("c");
  dir.Write("c/agent.conf", "server = true\nbootstrap = true\n");
  LoadResult r = MustLoad({"-data-dir", dir.path(), "-config-format=hcl", "-config-dir", d});
  CHECK(r.config.server);
  CHECK(r.config.bootstrap);
  CHECK(Contains(MustFail({"-data-dir", dir.path(), "-config-format=yaml", "-config-dir", d}),
                 "yaml"));
  // Without the format, a file given explicitly must have a known extension.
  CHECK(Contains(MustFail({"-data-dir", dir.path(), "-config-file", d + "/agent.conf"}),
                 "unknown extension"));
}

TEST_CASE("services and checks: singular forms append, CamelCase aliases", "[unit]") {
  TempDir dir;
  dir.Write("c/1.json", R"({"service": {"Name": "api", "ID": "api-1", "Port": 80,
      "Check": {"HTTP": "http://127.0.0.1/health", "Interval": "5s", "TLSSkipVerify": true,
                "DeregisterCriticalServiceAfter": "90m"}},
      "checks": [{"name": "mem", "ttl": "30s", "ServiceID": "api-1"}]})");
  dir.Write("c/2.hcl", R"(service {
  name = "db"
  tags = ["a"]
  checks = [{ tcp = "127.0.0.1:5432", interval = "10s" },
            { args = ["/bin/check"], interval = "1m" }]
}
service {
  name = "cache"
  tagged_addresses { wan { address = "1.2.3.4", port = 6379 } }
  weights { passing = 3 }
}
check {
  name = "disk"
  ScriptArgs = ["df"]
  interval = "30s"
})");
  LoadResult r = MustLoad(
      {"-data-dir", dir.path(), "-enable-local-script-checks", "-config-dir", dir.path() + "/c"});
  const Config& c = r.config;
  REQUIRE(c.services.size() == 3);
  CHECK(c.services[0].id == "api-1");
  CHECK(c.services[0].port == 80);
  REQUIRE(c.services[0].checks.size() == 1);
  CHECK(c.services[0].checks[0].tls_skip_verify);
  CHECK(c.services[0].checks[0].deregister_critical_service_after == std::chrono::minutes(90));
  CHECK(c.services[0].checks[0].name == "Service 'api' check");
  CHECK(c.services[1].name == "db");
  REQUIRE(c.services[1].checks.size() == 2);
  CHECK(c.services[1].checks[0].id == "service:db:1");
  CHECK(c.services[1].checks[1].id == "service:db:2");
  CHECK(c.services[1].checks[1].Kind() == "script");
  CHECK(c.services[2].tagged_addresses.at("wan").address == "1.2.3.4");
  CHECK(c.services[2].tagged_addresses.at("wan").port == 6379);
  CHECK(c.services[2].weight_passing == 3);
  REQUIRE(c.checks.size() == 2);
  CHECK(c.checks[0].id == "mem");
  CHECK(c.checks[0].service_id == "api-1");
  CHECK(c.checks[0].ttl == std::chrono::seconds(30));
  CHECK(c.checks[1].args == std::vector<std::string>{"df"});
  CHECK(c.checks[1].status == "critical");

  // Script checks need one of the enable flags.
  CHECK(Contains(MustFail({"-data-dir", dir.path(), "-config-dir", dir.path() + "/c"}),
                 "Scripts are disabled on this agent"));
}

TEST_CASE("unknown keys and wrong types name the file and key", "[unit]") {
  TempDir dir;
  std::string a = dir.Write("a.json", R"({"server": true, "server_mode": true})");
  CHECK(MustFail({"-data-dir", dir.path(), "-config-file", a}) ==
        a + ": invalid config key server_mode");
  std::string b = dir.Write("b.hcl", "ports {\n  http = \"8500\"\n}\n");
  CHECK(MustFail({"-data-dir", dir.path(), "-config-file", b}) ==
        b + ": ports.http: expected an integer, got string \"8500\"");
  std::string c = dir.Write("c.json", R"({"acl": {"tokens": {"bogus": "x"}}})");
  CHECK(MustFail({"-data-dir", dir.path(), "-config-file", c}) ==
        c + ": invalid config key acl.tokens.bogus");
  std::string d = dir.Write("d.json", R"({"retry_join": "1.2.3.4"})");
  CHECK(Contains(MustFail({"-data-dir", dir.path(), "-config-file", d}),
                 d + ": retry_join: expected a list of strings"));
  std::string e = dir.Write("e.json", R"({"retry_interval": "30 seconds"})");
  CHECK(Contains(MustFail({"-data-dir", dir.path(), "-config-file", e}), e + ": retry_interval: "));
  std::string f = dir.Write("f.json", R"({"service": {"name": "x", "prot": 1}})");
  CHECK(MustFail({"-data-dir", dir.path(), "-config-file", f}) ==
        f + ": invalid config key service.prot");
  std::string g = dir.Write("g.json", R"({"server": "yes"})");
  CHECK(MustFail({"-data-dir", dir.path(), "-config-file", g}) ==
        g + ": server: expected a bool, got string \"yes\"");
  CHECK(Contains(MustFail({"-data-dir", dir.path(), "-hcl", "nonsense = 1"}),
                 "-hcl[0]: invalid config key nonsense"));
  // Syntax errors come from the reader with line and column.
  std::string h = dir.Write("h.json", "{\"server\": true,,}");
  CHECK(Contains(MustFail({"-data-dir", dir.path(), "-config-file", h}), h + ":1:"));
  // A missing path.
  CHECK(Contains(MustFail({"-data-dir", dir.path(), "-config-dir", dir.path() + "/none"}),
                 "config: Stat failed on " + dir.path() + "/none"));
  // JSON numbers with a zero fraction are integers; others, and huge ones, are not.
  std::string k = dir.Write("k.json", R"({"server": true, "bootstrap_expect": 3.0})");
  CHECK(MustLoad({"-data-dir", dir.path(), "-config-file", k}).config.bootstrap_expect == 3);
  std::string l = dir.Write("l.json", R"({"retry_max": 1e300})");
  CHECK(MustFail({"-data-dir", dir.path(), "-config-file", l}) ==
        l + ": retry_max: expected an integer, got number 1E300");
  std::string m = dir.Write("m.json", R"({"retry_max": 2.5})");
  CHECK(Contains(MustFail({"-data-dir", dir.path(), "-config-file", m}),
                 "retry_max: expected an integer"));
  CHECK(MustFail({"-data-dir", dir.path(), "-server", "-bootstrap-expect=9999999999"}) ==
        "command-line flags: bootstrap_expect: value 9999999999 is out of range");
  // Keys match case-insensitively, as Consul's decoder does.
  std::string i = dir.Write("i.json", R"({"Server": true, "Bootstrap": true})");
  CHECK(MustLoad({"-data-dir", dir.path(), "-config-file", i}).config.server);
  // Accepted-but-unused Consul keys warn.
  std::string j = dir.Write("j.json", R"({"autopilot": {"cleanup_dead_servers": true}})");
  CHECK(HasWarning(MustLoad({"-data-dir", dir.path(), "-config-file", j}),
                   "config key autopilot is accepted for compatibility but ignored"));
}

TEST_CASE("bootstrap validation", "[unit]") {
  TempDir dir;
  std::string d = "-data-dir=" + dir.path();
  CHECK(MustFail({d, "-bootstrap-expect=3"}) == "'bootstrap_expect > 0' requires 'server = true'");
  CHECK(MustFail({d, "-bootstrap"}) == "'bootstrap = true' requires 'server = true'");
  CHECK(MustFail({d, "-server", "-bootstrap", "-bootstrap-expect=3"}) ==
        "'bootstrap_expect > 0' and 'bootstrap = true' are mutually exclusive");
  CHECK(Contains(MustFail({d, "-server", "-bootstrap-expect=-1"}), "cannot be -1"));
  LoadResult one = MustLoad({d, "-server", "-bootstrap-expect=1"});
  CHECK(one.config.bootstrap);
  CHECK(one.config.bootstrap_expect == 0);
  CHECK(HasWarning(one, "BootstrapExpect is set to 1; this is the same as Bootstrap mode."));
  LoadResult four = MustLoad({d, "-server", "-bootstrap-expect=4"});
  CHECK(HasWarning(four, "even number"));
  CHECK(MustFail({"-server"}) == "data_dir cannot be empty");
  std::string file = dir.Write("plain", "x");
  CHECK(MustFail({"-data-dir", file}) == "data_dir \"" + file + "\" is not a directory");
}

TEST_CASE("value validation", "[unit]") {
  TempDir dir;
  std::string d = "-data-dir=" + dir.path();
  CHECK(
      MustFail({d, "-datacenter=dc 1"}) ==
      "datacenter can only contain lowercase alphanumeric, - or _ characters. received: \"dc 1\"");
  CHECK(MustLoad({d, "-datacenter=EAST_1"}).config.datacenter == "east_1");
  CHECK(MustFail({d, "-encrypt=not base64!"}).rfind("encrypt has invalid key: ", 0) == 0);
  CHECK(MustFail({d, "-encrypt=YWJj"}) ==
        "encrypt has invalid key: key size must be 16, 24 or 32 bytes");
  CHECK(MustLoad({d, "-encrypt=pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s="})
            .config.encrypt.size() == 44);
  CHECK(MustFail({d, "-server-port=0"}) == "ports.server must be between 1 and 65535");
  CHECK(MustFail({d, "-http-port=70000"}) == "ports.http: invalid port: 70000");
  CHECK(MustLoad({d, "-dns-port=0"}).config.ports.dns == -1);
  CHECK(MustFail({d, "-bind=10.0.0.1 10.0.0.2"}) ==
        "bind_addr: \"10.0.0.1 10.0.0.2\" is not a valid IP address");
  CHECK(Contains(MustFail({d, "-bind={{ GetPrivateIP }}"}), "templates are not supported"));
  CHECK(MustFail({d, "-advertise=0.0.0.0"}) == "Advertise address cannot be 0.0.0.0, :: or [::]");
  LoadResult multi = MustLoad({d, "-client=127.0.0.1 ::1 unix:///tmp/cairn.sock"});
  CHECK(multi.config.client_addr ==
        std::vector<std::string>{"127.0.0.1", "::1", "unix:///tmp/cairn.sock"});
  CHECK(Contains(MustFail({d, "-client=localhost"}), "client_addr"));
  CHECK(MustFail({d, "-ui", "-ui-dir=/x"}).find("please provide only one") != std::string::npos);
  CHECK(MustLoad({"-dev", "-ui-dir=/x"}).config.ui_config.dir == "/x");
  CHECK(Contains(MustFail({d, "-ui-content-path=/a b/"}), "ui-content-path can only contain"));
  CHECK(MustFail({d, "-advertise-wan=::"}) ==
        "Advertise WAN address cannot be 0.0.0.0, :: or [::]");
  CHECK(MustFail({d, "-recursor=0.0.0.0"}) == "DNS recursor address cannot be 0.0.0.0, :: or [::]");
  CHECK(Contains(MustFail({d, "-alt-domain=node.example"}), "alt_domain cannot start with"));
  CHECK(MustFail({d, "-raft-protocol=2"}) ==
        "raft_protocol version 2 is not supported by this version of Cairn");
  CHECK(MustFail({d, "-hcl", "dns_config { udp_answer_limit = -1 }"}) ==
        "dns_config.udp_answer_limit cannot be -1. Must be greater than or equal to zero");
  CHECK(Contains(MustFail({d, "-hcl", "service { name = \"web\", check { http = \"http://x\" } }"}),
                 "service \"web\": check \"Service 'web' check\": Interval must be > 0"));
  CHECK(MustFail({d, "-hcl", "check { name = \"c\" }"}).rfind("check \"c\": a check needs", 0) ==
        0);
  CHECK(MustFail({d, "-hcl", "check { name = \"c\", ttl = \"5s\", status = \"ok\" }"}) ==
        "check \"c\": status must be passing, warning or critical, not \"ok\"");
  CHECK(MustFail({d, "-node-meta=consul-x:1"}).find("reserved") != std::string::npos);
  LoadResult meta = MustLoad({d, "-node-meta=rack:r1", "-node-meta=role:db:primary"});
  CHECK(meta.config.node_meta ==
        std::map<std::string, std::string>{{"rack", "r1"}, {"role", "db:primary"}});
  CHECK(Contains(MustFail({d, "-log-level=loud"}), "log_level"));
  CHECK(MustFail({d, "-node-id=abc"}) == "node_id \"abc\" is not a valid UUID");
  CHECK(HasWarning(MustLoad({d, "-node=web_1"}), "will not be discoverable via DNS"));
  CHECK(Contains(MustFail({d, "-hcl", "performance { raft_multiplier = 11 }"}),
                 "performance.raft_multiplier cannot be 11"));
  CHECK(MustLoad({d, "-hcl", "performance { raft_multiplier = 2 }"})
            .config.raft_timings.election_timeout == std::chrono::seconds(2));
  CHECK(Contains(MustFail({d, "-hcl", "reconnect_timeout = \"1h\""}), "reconnect_timeout"));
  CHECK(Contains(MustFail({d, "extra"}), "Unexpected extra arguments"));
  CHECK(Contains(MustFail({d, "-nope"}), "flag provided but not defined: -nope"));
}

TEST_CASE("acl, tls, dns_config and legacy keys", "[unit]") {
  TempDir dir;
  std::string f = dir.Write("sec.hcl", R"(
acl_master_token = "root"
acl_default_policy = "deny"
acl {
  enabled = true
  tokens { agent = "agent-token" }
}
tls {
  defaults { ca_file = "/ca.pem", verify_incoming = true, tls_min_version = "TLSv1_3" }
  https { verify_incoming = false }
  internal_rpc { verify_server_hostname = true }
}
dns_config {
  node_ttl = "10s"
  service_ttl { "*" = "5s", web = "30s" }
  only_passing = true
  a_record_limit = 2
}
ui = true
)");
  LoadResult r = MustLoad({"-data-dir", dir.path(), "-config-file", f});
  const Config& c = r.config;
  CHECK(c.acl.enabled);
  CHECK(c.acl.default_policy == "deny");
  CHECK(c.acl.tokens.initial_management == "root");
  CHECK(c.acl.tokens.agent == "agent-token");
  CHECK(c.tls.internal_rpc.ca_file == "/ca.pem");
  CHECK(c.tls.internal_rpc.verify_incoming);
  CHECK(c.tls.internal_rpc.verify_server_hostname);
  CHECK(c.tls.internal_rpc.min_version == base::TlsVersion::kTls13);
  CHECK_FALSE(c.tls.https.verify_incoming);
  CHECK(c.tls.grpc.verify_incoming);
  CHECK(c.dns_config.node_ttl == std::chrono::seconds(10));
  CHECK(c.dns_config.service_ttl.at("*") == std::chrono::seconds(5));
  CHECK(c.dns_config.service_ttl.at("web") == std::chrono::seconds(30));
  CHECK(c.dns_config.only_passing);
  CHECK(c.dns_config.a_record_limit == 2);
  CHECK(c.ui_config.enabled);
  CHECK(HasWarning(r, "'acl_master_token' field is deprecated"));
  std::string bad = dir.Write("bad.json", R"({"tls": {"defaults": {"cert_file": "/c.pem"}}})");
  CHECK(
      Contains(MustFail({"-data-dir", dir.path(), "-config-file", bad}), "cert_file and key_file"));
  std::string old = dir.Write("old.json", R"({"tls_min_version": "tls10"})");
  CHECK(Contains(MustFail({"-data-dir", dir.path(), "-config-file", old}), "tls_min_version"));
}

TEST_CASE("leave defaults follow server mode unless set", "[unit]") {
  TempDir dir;
  std::string d = "-data-dir=" + dir.path();
  LoadResult r = MustLoad({d, "-server", "-hcl", "leave_on_terminate = true"});
  CHECK(r.config.leave_on_terminate);
  CHECK(r.config.skip_leave_on_interrupt);
  LoadResult client = MustLoad({d, "-hcl", "skip_leave_on_interrupt = true"});
  CHECK(client.config.leave_on_terminate);
  CHECK(client.config.skip_leave_on_interrupt);
}

TEST_CASE("node-id is generated once and persisted", "[unit]") {
  TempDir dir;
  std::string data = dir.path() + "/data";
  Config c = MustLoad({"-data-dir", data}).config;
  REQUIRE(EnsureNodeId(c).ok());
  CHECK(IsValidUuid(c.node_id));
  CHECK(c.node_id[14] == '4');
  std::ifstream in(data + "/node-id");
  std::string stored;
  in >> stored;
  CHECK(stored == c.node_id);
  CHECK((std::filesystem::status(data + "/node-id").permissions() &
         std::filesystem::perms::others_read) == std::filesystem::perms::none);

  Config again = MustLoad({"-data-dir", data}).config;
  REQUIRE(EnsureNodeId(again).ok());
  CHECK(again.node_id == c.node_id);

  // A configured ID wins and is not written.
  Config given = MustLoad({"-data-dir", dir.path() + "/other",
                           "-node-id=ADBE8A83-2E7A-4C4B-9B27-3E1B0CB2BB35"})
                     .config;
  REQUIRE(EnsureNodeId(given).ok());
  CHECK(given.node_id == "adbe8a83-2e7a-4c4b-9b27-3e1b0cb2bb35");
  CHECK_FALSE(std::filesystem::exists(dir.path() + "/other/node-id"));

  // A corrupt file is an error naming it.
  std::ofstream(data + "/node-id") << "garbage";
  Config corrupt = MustLoad({"-data-dir", data}).config;
  absl::Status s = EnsureNodeId(corrupt);
  CHECK_FALSE(s.ok());
  CHECK(Contains(std::string(s.message()), data + "/node-id"));

  // Dev mode keeps the ID in memory.
  Config dev = MustLoad({"-dev"}).config;
  REQUIRE(EnsureNodeId(dev).ok());
  CHECK(IsValidUuid(dev.node_id));
  CHECK(GenerateUuid() != GenerateUuid());
}

TEST_CASE("every agent flag is registered", "[unit]") {
  AgentFlags values;
  base::FlagSet flags("agent");
  RegisterAgentFlags(flags, &values);
  std::string usage = flags.Usage();
  for (const char* name : {"-dev",
                           "-config-file",
                           "-config-dir",
                           "-config-format",
                           "-hcl",
                           "-join",
                           "-retry-join",
                           "-rejoin",
                           "-encrypt",
                           "-ui",
                           "-ui-dir",
                           "-client",
                           "-bind",
                           "-advertise",
                           "-node",
                           "-datacenter",
                           "-domain",
                           "-recursor",
                           "-http-port",
                           "-dns-port",
                           "-server-port",
                           "-serf-lan-port",
                           "-serf-wan-port",
                           "-grpc-port",
                           "-log-level",
                           "-log-json",
                           "-pid-file",
                           "-node-meta",
                           "-bootstrap",
                           "-bootstrap-expect",
                           "-server",
                           "-data-dir",
                           "-enable-script-checks",
                           "-enable-local-script-checks",
                           "-retry-interval",
                           "-retry-max"}) {
    INFO(name);
    CHECK(Contains(usage, std::string("  ") + name));
  }
  TempDir dir;
  LoadResult r =
      MustLoad({"-data-dir", dir.path(), "-retry-interval=5s", "-retry-max=3",
                "-pid-file=/run/cairn.pid", "-log-json", "-domain=example", "-alt-domain=alt.test",
                "-serf-wan-port=-1", "-join=j1", "-join=j2", "-protocol=3"});
  CHECK(r.config.retry_interval == std::chrono::seconds(5));
  CHECK(r.config.retry_max == 3);
  CHECK(r.config.pid_file == "/run/cairn.pid");
  CHECK(r.config.log_json);
  CHECK(r.config.domain == "example.");
  CHECK(r.config.alt_domain == "alt.test.");
  CHECK(r.config.ports.serf_wan == -1);
  CHECK(r.config.start_join == std::vector<std::string>{"j1", "j2"});
  CHECK(r.config.protocol == 3);
}

TEST_CASE("reload takes the reloadable settings and warns about the rest", "[unit]") {
  TempDir dir;
  std::string d = "-data-dir=" + dir.path();
  Config running =
      MustLoad({d, "-node=n1", "-hcl", "service { name = \"web\" }", "-log-level=info"}).config;
  Config fresh = MustLoad({d, "-node=n2", "-http-port=9500", "-log-level=debug", "-hcl",
                           "service { name = \"api\" }", "-hcl",
                           "dns_config { only_passing = true }", "-hcl", "raft_trailing_logs = 5",
                           "-hcl", "tls { https { cert_file = \"/c\", key_file = \"/k\" } }"})
                     .config;
  LoadResult r = ApplyReload(running, fresh);
  CHECK(r.config.log_level == base::LogLevel::kDebug);
  REQUIRE(r.config.services.size() == 1);
  CHECK(r.config.services[0].name == "api");
  CHECK(r.config.dns_config.only_passing);
  CHECK(r.config.raft_trailing_logs == 5);
  CHECK(r.config.node_name == "n1");
  CHECK(r.config.ports.http == 8500);
  CHECK(r.config.tls.https.cert_file.empty());
  CHECK(HasWarning(r, "node_name changed: restart the agent to apply it"));
  CHECK(HasWarning(r, "ports changed"));
  CHECK(HasWarning(r, "tls.https: TLS cannot be switched on or off by a reload"));
  CHECK(ApplyReload(running, running).warnings.empty());
}

}  // namespace
}  // namespace cairn::agent
