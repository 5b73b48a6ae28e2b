// The CLI's HTTP client: addresses, escaping, what goes on the wire, Go-worded errors, and
// how flags and CONSUL_* / CAIRN_* variables combine.
#include "http_client.h"

#include <cstdio>
#include <fstream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "cli.h"
#include "command_util.h"
#include "fake_agent.h"
#include <unistd.h>

namespace cairn::cli {
namespace {

using testing::FakeAgent;
using testing::Json;
using testing::RecordedRequest;
using testing::Reply;
using testing::RunCommand;

std::string BaseUrl(const std::string& address) {
  HttpClientConfig c;
  c.address = address;
  absl::StatusOr<HttpClient> client = HttpClient::Create(c);
  if (!client.ok()) return "error: " + std::string(client.status().message());
  return client->BaseUrl();
}

TEST_CASE("http client addresses: Consul's forms and a bare host", "[unit]") {
  CHECK(BaseUrl("127.0.0.1:8500") == "http://127.0.0.1:8500");
  CHECK(BaseUrl("http://10.0.0.1:9000") == "http://10.0.0.1:9000");
  CHECK(BaseUrl("http://10.0.0.1:9000/") == "http://10.0.0.1:9000");
  CHECK(BaseUrl("https://consul.example:8501") == "https://consul.example:8501");
  CHECK(BaseUrl("192.168.99.109") == "http://192.168.99.109:8500");  // a seed's -http-addr
  CHECK(BaseUrl("https://example") == "https://example:8501");
  CHECK(BaseUrl("[::1]:8500") == "http://[::1]:8500");
  CHECK(BaseUrl("::1") == "http://[::1]:8500");
  CHECK(BaseUrl("unix:///run/cairn.sock") == "http://%2Frun%2Fcairn.sock");
  CHECK(BaseUrl("ftp://host:21") == "error: Unknown protocol scheme: ftp");
  CHECK(BaseUrl("host:http") == "error: Invalid address \"host:http\": invalid port \"http\"");
  CHECK(BaseUrl("host:70000").rfind("error: Invalid address", 0) == 0);
  CHECK(BaseUrl("[::1").rfind("error: Invalid address", 0) == 0);
  CHECK(BaseUrl("unix://").rfind("error: ", 0) == 0);
}

TEST_CASE("http client escapes paths and queries as Go's net/url does", "[unit]") {
  CHECK(EscapePath("/v1/kv/a b/c?d#e%f") == "/v1/kv/a%20b/c%3Fd%23e%25f");
  CHECK(EscapePath("/v1/kv/$&+,:;=@-._~") == "/v1/kv/$&+,:;=@-._~");
  CHECK(EscapePath("/v1/kv/\xc3\xa9") == "/v1/kv/%C3%A9");
  CHECK(EscapeQuery("a b/c&d=e") == "a+b%2Fc%26d%3De");
}

TEST_CASE("http client sends sorted queries, dc, token, auth and bodies", "[unit]") {
  FakeAgent agent([](const RecordedRequest&) { return Reply{200, "true", {}}; });
  HttpClientConfig c;
  c.address = agent.address();
  c.token = "secret";
  c.auth = "user:pass";
  c.datacenter = "dc2";
  absl::StatusOr<HttpClient> client = HttpClient::Create(c);
  REQUIRE(client.ok());

  absl::StatusOr<HttpResponse> r =
      client->Call(HttpRequest("PUT", "/v1/kv/k").Query("flags", "3").Query("cas", "0").Body(""));
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  CHECK(r->body == "true");
  auto sent = agent.requests();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].target == "/v1/kv/k?cas=0&dc=dc2&flags=3");
  CHECK(sent[0].headers["x-consul-token"] == "secret");
  CHECK(sent[0].headers["authorization"] == "Basic dXNlcjpwYXNz");
  CHECK(sent[0].has_content_length);
  CHECK(sent[0].body.empty());

  REQUIRE(client->Call(HttpRequest("GET", "/v1/agent/self").Query("dc", "dc9")).ok());
  CHECK(agent.requests().back().QueryString() == "dc=dc9");  // an explicit dc is kept
}

TEST_CASE("http client errors read as Go's client's", "[unit]") {
  // A port bound but not listening: connections are refused, and no other process can
  // take the port while the socket holds it.
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket probe(io);
  probe.open(boost::asio::ip::tcp::v4());
  probe.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
  unsigned short port = probe.local_endpoint().port();
  HttpClientConfig c;
  c.address = fmt::format("127.0.0.1:{}", port);
  absl::StatusOr<HttpClient> client = HttpClient::Create(c);
  REQUIRE(client.ok());
  absl::StatusOr<HttpResponse> r = client->Call(HttpRequest("GET", "/v1/agent/self"));
  CHECK(std::string(r.status().message()) ==
        fmt::format("Get \"http://127.0.0.1:{0}/v1/agent/self\": dial tcp 127.0.0.1:{0}: "
                    "connect: connection refused",
                    port));
  r = client->Call(HttpRequest("DELETE", "/v1/kv/x").Query("recurse", ""));
  CHECK(std::string(r.status().message())
            .rfind(fmt::format("Delete \"http://127.0.0.1:{}/v1/kv/x?recurse=\": ", port), 0) == 0);

  FakeAgent agent([](const RecordedRequest&) { return Reply{500, "No cluster leader\n", {}}; });
  c.address = agent.address();
  client = HttpClient::Create(c);
  REQUIRE(client.ok());
  r = client->Call(HttpRequest("GET", "/v1/status/leader"));
  REQUIRE(r.ok());  // a status code is not a transport error
  CHECK(r->status == 500);
  r = client->CallOk(HttpRequest("GET", "/v1/status/leader"));
  CHECK(std::string(r.status().message()) == "Unexpected response code: 500 (No cluster leader)");
}

TEST_CASE("http client over a unix socket", "[unit]") {
  std::string path = fmt::format("/tmp/cairn-cli-{}.sock", ::getpid());
  FakeAgent agent(nullptr, path);
  agent.Route("GET", "/v1/agent/members", Json("[]"));
  testing::CliResult r = RunCommand(RunMembers, {"-http-addr=unix://" + path});
  CHECK(r.code == 2);  // no members matched: Consul's exit code 2, no output
  CHECK(r.err.empty());
  REQUIRE(agent.requests().size() == 1);
  CHECK(agent.requests()[0].target == "/v1/agent/members");
}

// The address and token a command ends up using for `args` under `env`.
struct Seen {
  std::string address;
  std::string token;
};
Seen Resolve(const std::vector<std::string>& args, std::map<std::string, std::string> env,
             FakeAgent& a, FakeAgent& b) {
  a.ClearRequests();
  b.ClearRequests();
  RunCommand(RunLeave, args, env);
  for (FakeAgent* agent : {&a, &b}) {
    auto sent = agent->requests();
    if (!sent.empty()) return {agent->address(), sent.back().headers["x-consul-token"]};
  }
  return {};
}

TEST_CASE("flags beat CAIRN_* which beats CONSUL_*", "[unit]") {
  FakeAgent a([](const RecordedRequest&) { return Reply{200, "", {}}; });
  FakeAgent b([](const RecordedRequest&) { return Reply{200, "", {}}; });
  std::map<std::string, std::string> env{{"CONSUL_HTTP_ADDR", a.address()},
                                         {"CONSUL_HTTP_TOKEN", "consul-token"}};
  Seen s = Resolve({}, env, a, b);
  CHECK(s.address == a.address());
  CHECK(s.token == "consul-token");

  env["CAIRN_HTTP_ADDR"] = "http://" + b.address();
  env["CAIRN_HTTP_TOKEN"] = "cairn-token";
  s = Resolve({}, env, a, b);
  CHECK(s.address == b.address());
  CHECK(s.token == "cairn-token");

  s = Resolve({"-http-addr", a.address(), "-token=flag-token"}, env, a, b);
  CHECK(s.address == a.address());
  CHECK(s.token == "flag-token");

  env["CAIRN_HTTP_ADDR"] = "";  // empty counts as unset, as in Consul
  s = Resolve({}, env, a, b);
  CHECK(s.address == a.address());

  // A token file's trimmed content overrides the token; a -token flag beats a token file
  // named only by the environment.
  std::string file = fmt::format("/tmp/cairn-cli-token-{}", ::getpid());
  { std::ofstream(file) << "  file-token\n"; }
  env["CONSUL_HTTP_TOKEN_FILE"] = file;
  CHECK(Resolve({}, env, a, b).token == "file-token");
  CHECK(Resolve({"-token=flag-token"}, env, a, b).token == "flag-token");
  CHECK(Resolve({"-token=flag-token", "-token-file=" + file}, env, a, b).token == "file-token");
  std::remove(file.c_str());
  testing::CliResult missing = RunCommand(RunLeave, {}, env);
  CHECK(missing.code == 1);
  CHECK(missing.err.rfind("Error connecting to Consul agent: Error loading token file " + file,
                          0) == 0);

  env.erase("CONSUL_HTTP_TOKEN_FILE");
  env["CONSUL_HTTP_SSL"] = "maybe";
  testing::CliResult bad = RunCommand(RunLeave, {}, env);
  CHECK(bad.code == 1);
  CHECK(bad.err ==
        "Error connecting to Consul agent: Could not parse CONSUL_HTTP_SSL: strconv.ParseBool: "
        "parsing \"maybe\": invalid syntax\n");
}

TEST_CASE("base64, JSON strings and columns as Go prints them", "[unit]") {
  CHECK(Base64Encode("") == "");
  CHECK(Base64Encode("f") == "Zg==");
  CHECK(Base64Encode("fo") == "Zm8=");
  CHECK(Base64Encode("foo") == "Zm9v");
  CHECK(*Base64Decode("Zm9vYg==") == "foob");
  CHECK(*Base64Decode("Zm9v\r\nYmE=") == "fooba");
  CHECK(*Base64Decode("") == "");
  CHECK(std::string(Base64Decode("Zm9").status().message()) ==
        "illegal base64 data at input byte 0");
  CHECK(std::string(Base64Decode("Zm9vYg").status().message()) ==
        "illegal base64 data at input byte 4");
  CHECK(std::string(Base64Decode("Zg=").status().message()) ==
        "illegal base64 data at input byte 3");
  CHECK(std::string(Base64Decode("Zg=a").status().message()) ==
        "illegal base64 data at input byte 2");
  CHECK(std::string(Base64Decode("Zg==Zg==").status().message()) ==
        "illegal base64 data at input byte 4");
  CHECK(std::string(Base64Decode("=").status().message()) == "illegal base64 data at input byte 0");

  CHECK(GoJsonQuote("a\"b\\c\n\t<&>") == R"("a\"b\\c\n\t\u003c\u0026\u003e")");
  CHECK(GoJsonQuote(std::string("\x01\x7f", 2)) == "\"\\u0001\x7f\"");
  CHECK(GoJsonQuote("\xff") == R"("\ufffd")");
  CHECK(GoJsonQuote("\xe2\x80\xa8 \xc3\xa9") == "\"\\u2028 \xc3\xa9\"");

  CHECK(Columnize({{"a", "bb", "c"}, {"ddd", "e", "f"}}) == "a    bb  c\nddd  e   f");
  CHECK(Columnize({{"Node", "Address"}, {" x ", "y"}}) == "Node  Address\nx     y");
}

}  // namespace
}  // namespace cairn::cli
