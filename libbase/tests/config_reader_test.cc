// Tests for <cairn/base/config_reader.h>: the issue's real-world inputs, HCL1 semantics,
// JSON with comments, and exact error positions.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <cairn/base/config_reader.h>

#include <unistd.h>

namespace cairn::base {
namespace {

boost::json::object Parsed(std::string_view text, ConfigFormat format) {
  absl::StatusOr<boost::json::object> got = ParseConfig(text, format, "test");
  INFO(text);
  INFO(got.status().ToString());
  REQUIRE(got.ok());
  return *std::move(got);
}

// `expected_json` is strict JSON: the tree both parsers must produce.
void Expect(std::string_view text, ConfigFormat format, std::string_view expected_json) {
  boost::json::object got = Parsed(text, format);
  boost::json::value want = boost::json::parse(expected_json);
  INFO(text);
  CHECK(boost::json::serialize(got) == boost::json::serialize(want));
}

// The message of the error parsing `text` in a file named `name`.
std::string ErrorOf(std::string_view text, ConfigFormat format, std::string_view name = "t") {
  absl::StatusOr<boost::json::object> got = ParseConfig(text, format, name);
  INFO(text);
  REQUIRE_FALSE(got.ok());
  CHECK(got.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(got.status().message());
}

constexpr ConfigFormat kJson = ConfigFormat::kJson;
constexpr ConfigFormat kHcl = ConfigFormat::kHcl;

// --- The inputs issue 2 item 6 names, verbatim -------------------------------------------

TEST_CASE("JSON acl block with a // comment (issue 2)", "[unit]") {
  Expect(
      "{\"acl\": {\"enabled\": true, // comment\n \"default_policy\": \"deny\", "
      "\"enable_token_persistence\": true, \"tokens\": {\"master\": \"...\"}}}",
      kJson,
      R"({"acl": {"enabled": true, "default_policy": "deny",
             "enable_token_persistence": true, "tokens": {"master": "..."}}})");
}

TEST_CASE("HCL server and retry_join in one file (issue 2)", "[unit]") {
  Expect("server = true\nretry_join = [\"192.168.1.1\", \"192.168.1.2\", \"192.168.1.3\"]\n", kHcl,
         R"({"server": true, "retry_join": ["192.168.1.1", "192.168.1.2", "192.168.1.3"]})");
}

TEST_CASE("JSON TLS server config with ports (issue 2)", "[unit]") {
  // From seed 002: the full server1 config, then the ports stanza with http disabled.
  Expect(R"({
    "datacenter": "dc1",
    "data_dir": "/consul/data",
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
})",
         kJson,
         R"({"datacenter": "dc1", "data_dir": "/consul/data", "server": true,
             "node_name": "server1", "log_level": "INFO", "bind_addr": "192.168.99.109",
             "bootstrap_expect": 3, "addresses": {"https": "0.0.0.0"},
             "ports": {"https": 8080, "http": -1}, "encrypt": "KizkyBSFh+Q03ATW0Nwcgg==",
             "verify_incoming": true, "verify_outgoing": true,
             "ca_file": "/consul/certs/ca.pem", "cert_file": "/consul/certs/server1.pem",
             "key_file": "/consul/certs/server1.key"})");
  boost::json::object got = Parsed(R"({"ports": {"https": 8080, "http": -1}})", kJson);
  CHECK(got.at("ports").at("http").as_int64() == -1);
  CHECK(got.at("ports").at("https").as_int64() == 8080);
}

TEST_CASE("JSON service definition with checks (issue 2)", "[unit]") {
  const char* text = R"({
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
})";
  boost::json::object got = Parsed(text, kJson);
  const boost::json::object& service = got.at("service").as_object();
  CHECK(service.at("name").as_string() == "web");
  CHECK(service.at("port").as_int64() == 9000);
  CHECK(service.at("tags").as_array().size() == 1);
  CHECK(service.at("checks").at(0).at("http").as_string() == "http://localhost:9000/health");
  CHECK(service.at("checks").at(0).at("interval").as_string() == "10s");
}

// --- Other configs from the seeds ----------------------------------------------------------

TEST_CASE("seed configs: Chinese comments, gossip key, one-line service", "[unit]") {
  // Seed 001, as written (full-width text in // comments).
  Expect(R"({
"acl": {
"enabled": true, // 启用ACL功能
"default_policy": "deny", // 默认策略:拒绝所有未授权请求
"enable_token_persistence": true, // 启用Token持久化,重启后保持Token状态
"tokens": {
"master": "xiaopaluliulangji" // 集群的鉴权Token(Master权限Token)
}
}
})",
         kJson,
         R"({"acl": {"enabled": true, "default_policy": "deny",
             "enable_token_persistence": true, "tokens": {"master": "xiaopaluliulangji"}}})");
  Expect(
      "server = true # 启用服务器模式\n"
      "retry_join = [\"192.168.1.1\", \"192.168.1.2\", \"192.168.1.3\"] # 其他节点的IP地址\n",
      kHcl, R"({"server": true, "retry_join": ["192.168.1.1", "192.168.1.2", "192.168.1.3"]})");
  // Seed 001 saves that JSON as auth.hcl: HCL text starting with '{' is JSON (HCL1 rule).
  Expect("// auth.hcl\n{\"acl\": {\"enabled\": true, // 启用ACL功能\n\"tokens\": {}}}", kHcl,
         R"({"acl": {"enabled": true, "tokens": {}}})");
  CHECK(ErrorOf("{\"a\": 1,}", kHcl, "auth.hcl") ==
        "auth.hcl:1:9: unexpected '}' after ',' (JSON allows no trailing comma)");
  // Seed 002 and 003.
  Expect(R"({"encrypt": "cg8StVXbQJ0gPvMd9o7yrg=="})", kJson,
         R"({"encrypt": "cg8StVXbQJ0gPvMd9o7yrg=="})");
  Expect(
      R"({ "service": { "name" : "test", "port" : 9999, "check": { "tcp": "127.0.0.1:9999", "interval": "10s" } } })",
      kJson,
      R"({"service": {"name": "test", "port": 9999,
             "check": {"tcp": "127.0.0.1:9999", "interval": "10s"}}})");
}

// --- JSON details --------------------------------------------------------------------------

TEST_CASE("JSON: comments of both kinds, duplicate keys keep the last", "[unit]") {
  Expect("/* head */ {\"a\": /* inline */ 1, // tail\n \"a\": 2} // end", kJson, R"({"a": 2})");
  Expect("\xEF\xBB\xBF{\"bom\": true}", kJson, R"({"bom": true})");
}

TEST_CASE("JSON: a zero with a huge exponent is zero", "[unit]") {
  // Found by fuzz_config_reader: Boost.JSON 1.81 parses 0e999 as NaN.
  boost::json::object got = Parsed(R"({"a": [0e999, 0e-999, -0.0e400]})", kJson);
  for (const boost::json::value& v : got.at("a").as_array()) CHECK(v.as_double() == 0.0);
}

TEST_CASE("JSON: errors name file, line and column", "[unit]") {
  CHECK(ErrorOf("{\"a\": 1,}", kJson, "c.json") ==
        "c.json:1:9: unexpected '}' after ',' (JSON allows no trailing comma)");
  CHECK(ErrorOf("{\n  \"a\": 1\n  \"b\": 2\n}", kJson) == "t:3:3: invalid JSON: unexpected \"b\"");
  CHECK(ErrorOf("{\"a\": tru}", kJson) == "t:1:7: invalid JSON: unexpected \"tru\"");
  CHECK(ErrorOf("{\"a\": [1, 2", kJson) == "t:1:12: unexpected end of input");
  CHECK(ErrorOf("{\"a\": 1} x", kJson) ==
        "t:1:10: expected end of input after the top-level object, found \"x\"");
  CHECK(ErrorOf("// list\n[1, 2]", kJson) ==
        "t:2:1: expected a JSON object at the top level, found '['");
  CHECK(ErrorOf("", kJson) == "t:1:1: unexpected end of input");
  CHECK(ErrorOf("{\"a\": \"x\\qy\"}", kJson) ==
        "t:1:10: invalid escape sequence \"qy\" after '\\' in string");
  CHECK(ErrorOf("{\"a\": \"\xff\"}", kJson) == "t:1:8: invalid UTF-8 encoding");
  CHECK(ErrorOf("{\"s\": \"1e999\", /* 2e999 */ \"a\": [1e-999, -1e999]}", kJson) ==
        "t:1:42: number out of range \"-1e999\"");
  CHECK(ErrorOf("{\"a\": 1" + std::string(400, '0') + "}", kJson)
            .starts_with("t:1:7: number out of range"));
  CHECK(ErrorOf("{\"é\": \"x\ty\"}", kJson).starts_with("t:1:9: control character"));
  CHECK(ErrorOf("{\"a\": 1 /* open", kJson) == "t:1:16: unexpected end of input");
}

// --- HCL -----------------------------------------------------------------------------------

TEST_CASE("HCL: attributes of every scalar type", "[unit]") {
  Expect(R"(
    s = "text"
    i = 42
    n = -7
    h = 0x1F
    o = 0755
    f = 1.5
    e = -2.5e-3
    big = 1E6
    t = true
    u = false
    "quoted key" = 1
    dotted.key-name_1 = 2
  )",
         kHcl,
         R"({"s": "text", "i": 42, "n": -7, "h": 31, "o": 493, "f": 1.5, "e": -0.0025,
             "big": 1000000.0, "t": true, "u": false, "quoted key": 1,
             "dotted.key-name_1": 2})");
  boost::json::object got = Parsed("i = 42\nf = 1.0", kHcl);
  CHECK(got.at("i").is_int64());
  CHECK(got.at("f").is_double());
  CHECK(Parsed("m = -9223372036854775808", kHcl).at("m").as_int64() == INT64_MIN);
}

TEST_CASE("HCL: string escapes", "[unit]") {
  Expect(R"(a = "q\"b\\s\n\t\r\u00e9\U0001F600'\'")", kHcl,
         "{\"a\": \"q\\\"b\\\\s\\n\\t\\r\\u00e9\\ud83d\\ude00''\"}");
  Expect("a = \"\\a\\b\\f\\v\"", kHcl, R"({"a": "\u0007\b\f\u000b"})");
  Expect("a = \"tab\tinside and 中文\"", kHcl, "{\"a\": \"tab\\tinside and 中文\"}");
}

TEST_CASE("HCL: comments of every kind", "[unit]") {
  Expect(R"(# hash
// slashes
/* block
   over lines = 1 */
a = 1 # after
b = /* inside */ 2 // after
/**/c = [1, /* in list */ 2,
  # own line in list
  3]
)",
         kHcl, R"({"a": 1, "b": 2, "c": [1, 2, 3]})");
}

TEST_CASE("HCL: lists, trailing commas, nested lists and objects", "[unit]") {
  Expect(R"(
    a = [1, "a", true, 2.5,]
    b = []
    c = [[1, 2], [], [[3]]]
    d = [{ x = 1 }, { y = "z", w = [1] }]
    e = [
      "multi",
      "line",
    ]
  )",
         kHcl,
         R"({"a": [1, "a", true, 2.5], "b": [], "c": [[1, 2], [], [[3]]],
             "d": [{"x": 1}, {"y": "z", "w": [1]}], "e": ["multi", "line"]})");
}

TEST_CASE("HCL: blocks, maps with '=' and nested maps", "[unit]") {
  Expect(R"(
    ports {
      http = -1
      https = 8501
    }
    node_meta = { rack = "r1", "zone name" = "a" }
    telemetry { prometheus_retention_time = "30s", disable_hostname = true }
    tls {
      defaults { ca_file = "/ca.pem" verify_incoming = true }
      internal_rpc = { verify_server_hostname = true }
    }
    empty {}
  )",
         kHcl,
         R"({"ports": {"http": -1, "https": 8501},
             "node_meta": {"rack": "r1", "zone name": "a"},
             "telemetry": {"prometheus_retention_time": "30s", "disable_hostname": true},
             "tls": {"defaults": {"ca_file": "/ca.pem", "verify_incoming": true},
                     "internal_rpc": {"verify_server_hostname": true}},
             "empty": {}})");
}

TEST_CASE("HCL: repeated blocks become a list (HCL1 semantics)", "[unit]") {
  Expect(R"(
    service {
      name = "web"
      port = 80
      check { http = "http://localhost/health", interval = "10s" }
      check { tcp = "localhost:80", interval = "5s" }
    }
    service { name = "db" }
    service = { name = "cache" }
  )",
         kHcl,
         R"({"service": [
               {"name": "web", "port": 80,
                "check": [{"http": "http://localhost/health", "interval": "10s"},
                          {"tcp": "localhost:80", "interval": "5s"}]},
               {"name": "db"}, {"name": "cache"}]})");
  // Lists concatenate, an object joins a list, and scalars: the last wins.
  Expect(
      "retry_join = [\"a\"]\nretry_join = [\"b\", \"c\"]\nlog_level = \"info\"\n"
      "log_level = \"debug\"\nchecks = [{ id = \"1\" }]\nchecks { id = \"2\" }",
      kHcl,
      R"({"retry_join": ["a", "b", "c"], "log_level": "debug",
             "checks": [{"id": "1"}, {"id": "2"}]})");
}

TEST_CASE("HCL: labelled blocks nest under their labels", "[unit]") {
  Expect(R"(a "b" { c = 1 })", kHcl, R"({"a": {"b": {"c": 1}}})");
  Expect(R"(
    service "web" { port = 80 }
    service "db" "primary" { port = 5432 }
    service "web" { port = 81 }
  )",
         kHcl,
         R"({"service": [{"web": {"port": 80}}, {"db": {"primary": {"port": 5432}}},
                         {"web": {"port": 81}}]})");
  // A labelled block after an unlabelled one joins the list; it never lands inside the
  // earlier block's body.
  Expect("check { id = \"a\" }\ncheck \"b\" { ttl = \"5s\" }", kHcl,
         R"({"check": [{"id": "a"}, {"b": {"ttl": "5s"}}]})");
}

TEST_CASE("HCL: heredocs", "[unit]") {
  Expect("a = <<EOF\nline one\n  line two\nEOF\nb = 1\n", kHcl,
         R"({"a": "line one\n  line two\n", "b": 1})");
  Expect("a = <<-EOT\n    indented\n      more\n\n    back\n    EOT\n", kHcl,
         R"({"a": "indented\n  more\n\nback\n"})");
  // Not every line carries the marker's indentation: kept as written (HCL1).
  Expect("a = <<-EOF\n  baz\n    bar\n    EOF\n", kHcl, R"({"a": "  baz\n    bar\n"})");
  Expect("a = <<EOF\nEOF", kHcl, R"({"a": ""})");
  Expect("a = <<EOF\r\nx \"quoted\" # not a comment\r\nEOF\r\n", kHcl,
         R"({"a": "x \"quoted\" # not a comment\r\n"})");
  Expect("a = [<<A\nin list\nA\n, \"x\"]", kHcl, R"({"a": ["in list\n", "x"]})");
}

TEST_CASE("HCL: items separated by commas or on one line", "[unit]") {
  Expect("a = 1, b = 2 c = \"x\"", kHcl, R"({"a": 1, "b": 2, "c": "x"})");
  Expect("", kHcl, "{}");
  Expect("# only a comment\n", kHcl, "{}");
}

TEST_CASE("HCL: errors name file, line and column", "[unit]") {
  CHECK(ErrorOf("datacenter = \"dc1\"\n\nserver true\n", kHcl, "agent.hcl") ==
        "agent.hcl:3:8: expected '=' or '{' after key \"server\", found \"true\"");
  CHECK(ErrorOf("a = 1\nname = \"web\n", kHcl) ==
        "t:2:8: unterminated string: no closing '\"' before end of line");
  CHECK(ErrorOf("name = \"web", kHcl) ==
        "t:1:8: unterminated string: no closing '\"' before end of input");
  // Found by fuzz_config_reader: a backslash as the last byte used to loop forever.
  CHECK(ErrorOf("a = \"x\\", kHcl) ==
        "t:1:5: unterminated string: no closing '\"' before end of input");
  CHECK(ErrorOf("port = 80a", kHcl) == "t:1:8: invalid number \"80a\"");
  CHECK(ErrorOf("  v = 1.2.3", kHcl) == "t:1:7: invalid number \"1.2.3\"");
  CHECK(ErrorOf("mode = 0789", kHcl) == "t:1:8: invalid octal number \"0789\"");
  CHECK(ErrorOf("n = 9223372036854775808", kHcl) ==
        "t:1:5: integer out of range (64-bit signed) \"9223372036854775808\"");
  CHECK(ErrorOf("ports {\n  http = 1\n", kHcl) ==
        "t:3:1: expected '}' to close the '{' at 1:7, found end of input");
  CHECK(ErrorOf("a = [1, 2", kHcl) ==
        "t:1:10: expected ']' to close the '[' at 1:5, found end of input");
  CHECK(ErrorOf("a = [1 2]", kHcl) ==
        "t:1:8: expected ',' or ']' after a list element, found \"2\"");
  CHECK(ErrorOf("a =", kHcl) == "t:1:4: expected a value after 'a =', found end of input");
  CHECK(ErrorOf("log_level = INFO", kHcl) ==
        "t:1:13: expected a value after 'log_level =', found \"INFO\" (strings must be in "
        "double quotes)");
  CHECK(ErrorOf("a = 1\n}", kHcl) ==
        "t:2:1: expected a key (identifier or quoted string), found '}'");
  CHECK(ErrorOf("a = 1 ;", kHcl) == "t:1:7: unexpected character ';'");
  CHECK(ErrorOf("a = \"x\" \"y\"", kHcl) ==
        "t:1:12: expected '=' or '{' after key \"y\", found end of input");
  CHECK(ErrorOf("a = \"x\" = 2", kHcl) ==
        "t:1:9: expected a key (identifier or quoted string), found '='");
  CHECK(ErrorOf("a { b = 1 = 2 }", kHcl) == "t:1:11: expected a key or '}', found '='");
  CHECK(ErrorOf("a \"b\" = 1", kHcl) ==
        "t:1:7: expected '{' after block \"a\" and its labels, found '='");
  CHECK(ErrorOf("a = \"\\q\"", kHcl) == "t:1:6: invalid escape sequence \"\\q\"");
  CHECK(ErrorOf("a = \"\\u12\"", kHcl) == "t:1:6: invalid escape sequence: \\u needs 4 hex digits");
  CHECK(ErrorOf("a = \"\\uD800\"", kHcl) ==
        "t:1:6: invalid escape sequence: U+D800 is not a valid Unicode character");
  CHECK(ErrorOf("/* x", kHcl) == "t:1:1: unterminated comment: '/*' has no closing '*/'");
  CHECK(ErrorOf("a = 1 / 2", kHcl) ==
        "t:1:7: unexpected character '/' (comments start with //, /* or #)");
  CHECK(ErrorOf("a = <<EOF\nno end\n", kHcl) ==
        "t:1:5: unterminated heredoc: no line holding only \"EOF\" closes it");
  CHECK(ErrorOf("a = <<EOF x\n", kHcl) ==
        "t:1:10: expected a newline after heredoc marker <<EOF, found ' '");
  CHECK(ErrorOf("a = <<\n", kHcl) ==
        "t:1:7: expected a heredoc marker name after '<<', found end of line");
  CHECK(ErrorOf("a = <x", kHcl) == "t:1:5: unexpected character '<' (a heredoc starts with <<)");
  CHECK(ErrorOf("# 中文注释\n中 = = 1", kHcl) == "t:2:5: expected a value after '中 =', found '='");
  CHECK(ErrorOf("a = \"\xff\"", kHcl) == "t:1:6: invalid UTF-8 encoding");
  CHECK(ErrorOf("a = 1e999", kHcl) == "t:1:5: number out of range \"1e999\"");
}

TEST_CASE("HCL: conflicting kinds under one key are errors", "[unit]") {
  CHECK(ErrorOf("a = 1\na { b = 2 }", kHcl) ==
        "t:2:1: key \"a\" was already set to a number and cannot also be an object");
  CHECK(ErrorOf("a = [1]\na = \"x\"", kHcl) ==
        "t:2:1: key \"a\" was already set to a list and cannot also be a string");
  CHECK(ErrorOf("a = true\na \"l\" { }", kHcl) ==
        "t:2:1: key \"a\" was already set to a bool and cannot also be an object");
}

TEST_CASE("deep nesting is an error, not a stack overflow", "[unit]") {
  std::string ok_hcl =
      "a = " + std::string(kMaxConfigDepth - 1, '[') + std::string(kMaxConfigDepth - 1, ']');
  absl::StatusOr<boost::json::object> at_limit = ParseConfig(ok_hcl, kHcl, "t");
  REQUIRE(at_limit.ok());
  // Both parsers count depth alike: the deepest HCL tree is also valid as JSON.
  CHECK(ParseConfig(boost::json::serialize(*at_limit), kJson, "t").ok());
  std::string one_more(kMaxConfigDepth, '[');
  one_more += std::string(kMaxConfigDepth, ']');
  CHECK(ErrorOf("a = " + one_more, kHcl).ends_with("nesting deeper than 64 levels"));
  CHECK(ErrorOf("{\"a\": " + one_more + "}", kJson).ends_with("nesting deeper than 64 levels"));
  std::string deep(100000, '[');
  CHECK(ErrorOf("a = " + deep, kHcl) ==
        absl::StrCat("t:1:", 4 + kMaxConfigDepth, ": nesting deeper than 64 levels"));
  std::string blocks;
  for (int i = 0; i < 10000; ++i) blocks += "a {";
  CHECK(ErrorOf(blocks, kHcl).ends_with("nesting deeper than 64 levels"));
  CHECK(ErrorOf("a " + std::string(200, '"'), kHcl).starts_with("t:1:"));
  std::string labels = "a";
  for (int i = 0; i < 100; ++i) labels += " \"l\"";
  CHECK(ErrorOf(labels + " {}", kHcl).ends_with("nesting deeper than 64 levels"));
  CHECK(ErrorOf("{\"a\": " + deep, kJson).ends_with("nesting deeper than 64 levels"));
}

TEST_CASE("JSON and HCL give the same tree for the same config", "[unit]") {
  boost::json::object from_json = Parsed(R"({"datacenter": "dc1", "ports": {"dns": 8600},
      "retry_join": ["10.0.0.1"], "performance": {"raft_multiplier": 1}, "ui": true})",
                                         kJson);
  boost::json::object from_hcl = Parsed(R"(datacenter = "dc1"
ports { dns = 8600 }
retry_join = ["10.0.0.1"]
performance { raft_multiplier = 1 }
ui = true)",
                                        kHcl);
  CHECK(from_json == from_hcl);
}

// --- Formats and files -----------------------------------------------------------------

TEST_CASE("format names and extensions", "[unit]") {
  CHECK(*ParseConfigFormat("json") == kJson);
  CHECK(*ParseConfigFormat("hcl") == kHcl);
  CHECK(ParseConfigFormat("yaml").status().message() ==
        "invalid config format \"yaml\": must be \"json\" or \"hcl\"");
  CHECK(ConfigFormatName(kHcl) == "hcl");
  CHECK(*ConfigFormatFromPath("/etc/consul.d/a.json") == kJson);
  CHECK(*ConfigFormatFromPath("agent.hcl") == kHcl);
  absl::Status bad = ConfigFormatFromPath("/etc/x.d/agent.conf").status();
  CHECK(bad.code() == absl::StatusCode::kInvalidArgument);
  CHECK(bad.message() ==
        "/etc/x.d/agent.conf: unknown extension \".conf\": config files must end in .json or "
        ".hcl");
  CHECK(ConfigFormatFromPath("/etc/a.json/noext").status().message().find("\"\"") !=
        std::string::npos);
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/cairn_config_reader_XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string Write(const std::string& name, std::string_view content) const {
    std::string path = path_ + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST_CASE("ReadConfigFile picks the format and names the file in errors", "[unit]") {
  TempDir dir;
  std::string hcl = dir.Write("agent.hcl", "server = true\nbootstrap_expect = 3\n");
  std::string json = dir.Write("agent.json", "{\"server\": false}");
  std::string bad = dir.Write("bad.hcl", "ok = 1\nserver true\n");
  std::string conf = dir.Write("agent.conf", "server = true");

  absl::StatusOr<boost::json::object> got = ReadConfigFile(hcl);
  REQUIRE(got.ok());
  CHECK(got->at("bootstrap_expect").as_int64() == 3);
  REQUIRE(ReadConfigFile(json).ok());
  CHECK(ReadConfigFile(json)->at("server").as_bool() == false);

  CHECK(ReadConfigFile(bad).status().message() ==
        bad + ":2:8: expected '=' or '{' after key \"server\", found \"true\"");
  CHECK(ReadConfigFile(conf).status().code() == absl::StatusCode::kInvalidArgument);
  // -config-format overrides the extension.
  REQUIRE(ReadConfigFile(conf, kHcl).ok());
  CHECK(ReadConfigFile(conf, kHcl)->at("server").as_bool());

  absl::Status missing = ReadConfigFile(dir.path() + "/missing.json").status();
  CHECK(missing.code() == absl::StatusCode::kNotFound);
  CHECK(missing.message().find(dir.path() + "/missing.json") != std::string::npos);
  absl::Status directory = ReadConfigFile(dir.path(), kJson).status();
  CHECK_FALSE(directory.ok());
  CHECK(directory.message().find(dir.path()) != std::string::npos);
}

}  // namespace
}  // namespace cairn::base
