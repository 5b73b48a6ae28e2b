// End to end with the real client: `dig` (bind9-dnsutils) against a dns::Server with the
// Resolver on 127.0.0.1 (OS-chosen port), answering from a filled catalog. dig waits up
// to 10 s per try, 3 tries, so a loaded machine slows the test down but does not fail it.
#include <cstdio>
#include <sstream>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <cairn/dns/resolver.h>
#include <cairn/dns/server.h>

#include "resolver_test_util.h"

namespace cairn::dns {
namespace {

namespace asio = boost::asio;

struct DigFixture {
  DigFixture() : work(asio::make_work_guard(io)) {
    testing::FillCatalog(catalog);
    ResolverOptions options;
    options.datacenter = "dc1";
    auto r = Resolver::Create(catalog, io, options);
    REQUIRE(r.ok());
    resolver = std::move(*r);
    ServerOptions so;
    so.address = "127.0.0.1";
    so.port = 0;
    auto s = Server::Start(io, so, *resolver);
    REQUIRE(s.ok());
    server = std::move(*s);
    for (int i = 0; i < 2; ++i) threads.emplace_back([this] { io.run(); });
  }
  ~DigFixture() {
    server->Stop();
    work.reset();
    io.stop();
    for (auto& t : threads) t.join();
  }

  // Runs dig with `args` against the server and returns its non-empty output lines, each
  // run of blanks and tabs collapsed into one space.
  std::vector<std::string> Dig(const std::string& args) {
    std::string cmd = "dig @127.0.0.1 -p " + std::to_string(server->port()) +
                      " +time=10 +tries=3 " + args + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    std::string out;
    char buf[4096];
    std::size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
    int rc = pclose(p);
    INFO(cmd << "\n" << out);
    REQUIRE(rc == 0);
    std::vector<std::string> lines;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
      std::istringstream words(line);
      std::string joined;
      for (std::string w; words >> w;) joined += (joined.empty() ? "" : " ") + w;
      if (!joined.empty()) lines.push_back(joined);
    }
    return lines;
  }

  catalog::Catalog catalog;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  std::unique_ptr<Resolver> resolver;
  std::unique_ptr<Server> server;
  std::vector<std::thread> threads;
};

std::multiset<std::string> AsSet(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

int CountContaining(const std::vector<std::string>& lines, std::string_view what) {
  int n = 0;
  for (const std::string& l : lines) n += l.find(what) != std::string::npos ? 1 : 0;
  return n;
}

bool HasDig() { return std::system("command -v dig > /dev/null 2>&1") == 0; }

TEST_CASE("dig A, tag, node and RFC 2782 lookups", "[process]") {
  REQUIRE(HasDig());
  DigFixture f;
  CHECK(AsSet(f.Dig("+short web.service.consul A")) ==
        std::multiset<std::string>{"10.0.0.1", "10.0.0.2"});
  CHECK(f.Dig("+short v1.web.service.consul") == std::vector<std::string>{"10.0.0.1"});
  CHECK(f.Dig("+short n1.node.consul") == std::vector<std::string>{"10.0.0.1"});
  CHECK(f.Dig("+short _web._v1.service.consul SRV") ==
        std::vector<std::string>{"1 10 8080 n1.node.dc1.consul."});
  CHECK(f.Dig("+short -x 10.0.0.1") == std::vector<std::string>{"n1.node.dc1.consul."});
}

TEST_CASE("dig SRV carries the addresses in the additional section", "[process]") {
  REQUIRE(HasDig());
  DigFixture f;
  std::vector<std::string> lines = f.Dig("+noall +answer +additional db.service.consul SRV");
  CHECK(CountContaining(lines, "SRV 1 10 5432 c000020a.addr.dc1.consul.") == 1);
  CHECK(CountContaining(lines, "c000020a.addr.dc1.consul. 0 IN A 192.0.2.10") == 1);
}

TEST_CASE("dig NXDOMAIN carries the SOA", "[process]") {
  REQUIRE(HasDig());
  DigFixture f;
  std::vector<std::string> lines = f.Dig("+noall +comments +authority nope.service.consul");
  CHECK(CountContaining(lines, "status: NXDOMAIN") == 1);
  CHECK(CountContaining(lines, "flags: qr aa rd") == 1);
  CHECK(CountContaining(lines, "SOA ns.consul. hostmaster.consul.") == 1);
}

TEST_CASE("dig over TCP gets 100 SRV answers and EDNS sizes are honoured", "[process]") {
  REQUIRE(HasDig());
  DigFixture f;
  CHECK(f.Dig("+tcp +short big100.service.consul SRV").size() == 100);
  CHECK(f.Dig("+noedns +short big10.service.consul").size() == 3);
  CHECK(f.Dig("+bufsize=4096 +short big10.service.consul").size() == 10);
}

}  // namespace
}  // namespace cairn::dns
