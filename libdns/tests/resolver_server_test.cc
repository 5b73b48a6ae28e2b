// The Resolver behind a real dns::Server on 127.0.0.1 (OS-chosen port), with a tiny
// upstream DNS server on 127.0.0.1 as its recursor: Consul names answered from the
// catalog, other names handed to the recursor. Waits are bounded (run_for), no sleeps;
// nothing asserts on a server-side counter before the reply that follows it arrived.
#include <atomic>
#include <functional>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include <cairn/dns/resolver.h>
#include <cairn/dns/server.h>

#include "resolver_test_util.h"

namespace cairn::dns {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using testing::Bytes;
using testing::Ip;
using testing::MakeQuery;
using testing::N;

// Answers every UDP query with one A record 198.51.100.7 (NXDOMAIN for nx.example.).
// Runs on the fixture's io_context threads; no Catch2 assertions there.
class Upstream {
 public:
  explicit Upstream(asio::io_context& io)
      : socket_(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    Receive();
  }
  std::uint16_t port() const { return socket_.local_endpoint().port(); }
  int queries() const { return queries_.load(); }

 private:
  void Receive() {
    socket_.async_receive_from(
        asio::buffer(buf_), peer_, [this](const boost::system::error_code& ec, std::size_t n) {
          if (ec) return;
          Message q;
          if (DecodeMessage({buf_.data(), n}, &q).ok() && !q.questions.empty()) {
            queries_.fetch_add(1);
            Message r = MakeReply(q);
            r.header.ra = true;
            if (q.questions[0].name == *Name::Parse("nx.example.")) {
              r.header.rcode = kNxDomain;
            } else {
              r.answers.push_back(ResourceRecord::A(q.questions[0].name, 30, {198, 51, 100, 7}));
            }
            Bytes out;
            if (EncodeMessage(r, 512, &out).ok()) {
              boost::system::error_code send_ec;
              socket_.send_to(asio::buffer(out), peer_, 0, send_ec);
            }
          }
          Receive();
        });
  }

  udp::socket socket_;
  udp::endpoint peer_;
  std::array<std::uint8_t, 4096> buf_{};
  std::atomic<int> queries_{0};
};

struct Fixture {
  Fixture() : work(asio::make_work_guard(io)), upstream(io) {
    testing::FillCatalog(catalog);
    ResolverOptions options;
    options.config.recursors = {"127.0.0.1:" + std::to_string(upstream.port())};
    options.datacenter = "dc1";
    auto r = Resolver::Create(catalog, io, options);
    REQUIRE(r.ok());
    resolver = std::move(*r);
    ServerOptions so;
    so.address = "127.0.0.1";
    so.port = 0;
    so.recursion_available = resolver->recursion_available();
    auto s = Server::Start(io, so, *resolver);
    REQUIRE(s.ok());
    server = std::move(*s);
    for (int i = 0; i < 2; ++i) threads.emplace_back([this] { io.run(); });
  }
  ~Fixture() {
    server->Stop();
    work.reset();
    io.stop();
    for (auto& t : threads) t.join();
  }

  catalog::Catalog catalog;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  Upstream upstream;
  std::unique_ptr<Resolver> resolver;
  std::unique_ptr<Server> server;
  std::vector<std::thread> threads;
};

// One UDP query, one reply (nullopt when none came within 30 s).
std::optional<Message> AskUdp(std::uint16_t port, const Bytes& query) {
  asio::io_context io;
  udp::socket s(io, udp::endpoint(udp::v4(), 0));
  s.send_to(asio::buffer(query), udp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  std::optional<Message> reply;
  Bytes buf(65535);
  s.async_receive(asio::buffer(buf), [&](const boost::system::error_code& ec, std::size_t n) {
    Message m;
    if (!ec && DecodeMessage({buf.data(), n}, &m).ok()) reply = std::move(m);
  });
  io.run_for(std::chrono::seconds(30));
  return reply;
}

// One TCP query (2-byte length framing), one reply.
std::optional<Message> AskTcp(std::uint16_t port, const Bytes& query) {
  asio::io_context io;
  tcp::socket s(io);
  std::optional<Message> reply;
  std::array<std::uint8_t, 2> len{};
  Bytes framed(query.size() + 2);
  framed[0] = static_cast<std::uint8_t>(query.size() >> 8);
  framed[1] = static_cast<std::uint8_t>(query.size() & 0xFF);
  std::copy(query.begin(), query.end(), framed.begin() + 2);
  Bytes body;
  s.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                  [&](const boost::system::error_code& ec) {
                    if (ec) return;
                    asio::async_write(s, asio::buffer(framed), [&](auto write_ec, std::size_t) {
                      if (write_ec) return;
                      asio::async_read(s, asio::buffer(len), [&](auto read_ec, std::size_t) {
                        if (read_ec) return;
                        body.resize(static_cast<std::size_t>(len[0]) << 8 | len[1]);
                        asio::async_read(s, asio::buffer(body), [&](auto body_ec, std::size_t) {
                          Message m;
                          if (!body_ec && DecodeMessage(body, &m).ok()) reply = std::move(m);
                        });
                      });
                    });
                  });
  io.run_for(std::chrono::seconds(30));
  return reply;
}

TEST_CASE("resolver behind the server answers Consul names with RA set", "[unit]") {
  Fixture f;
  auto reply = AskUdp(f.server->port(), MakeQuery(7, "web.service.consul"));
  REQUIRE(reply.has_value());
  CHECK(reply->header.id == 7);
  CHECK(reply->header.aa);
  CHECK(reply->header.ra);  // recursors are configured
  CHECK(testing::Ips(reply->answers) == std::multiset<std::string>{"10.0.0.1", "10.0.0.2"});
  CHECK(f.upstream.queries() == 0);
}

TEST_CASE("names outside the domain are handed to the recursor", "[unit]") {
  Fixture f;
  auto reply = AskUdp(f.server->port(), MakeQuery(8, "www.example.com"));
  REQUIRE(reply.has_value());
  CHECK(reply->header.id == 8);
  CHECK(reply->header.rcode == kNoError);
  REQUIRE(reply->answers.size() == 1);
  CHECK(Ip(reply->answers[0]) == "198.51.100.7");
  CHECK(reply->answers[0].ttl == 30);
  auto nx = AskUdp(f.server->port(), MakeQuery(9, "nx.example"));
  REQUIRE(nx.has_value());
  CHECK(nx->header.rcode == kNxDomain);
  // PTR names not in the catalog go upstream too.
  auto ptr = AskUdp(f.server->port(), MakeQuery(10, "9.9.9.10.in-addr.arpa", RrType::kPtr));
  REQUIRE(ptr.has_value());
  REQUIRE(ptr->answers.size() == 1);
  CHECK(Ip(ptr->answers[0]) == "198.51.100.7");
  // The upstream answered each of them, so it has counted them.
  CHECK(f.upstream.queries() == 3);
  // And Resolve says so without sending anything.
  Message q;
  REQUIRE(DecodeMessage(MakeQuery(11, "www.example.com"), &q).ok());
  Bytes out;
  CHECK(f.resolver->Resolve(q, Transport::kUdp, 512, &out) == ResolveOutcome::kForward);
  CHECK(out.empty());
}

TEST_CASE("large answers come whole over TCP and cut over UDP", "[unit]") {
  Fixture f;
  auto tcp_reply = AskTcp(f.server->port(), MakeQuery(12, "big100.service.consul", RrType::kSrv));
  REQUIRE(tcp_reply.has_value());
  CHECK(tcp_reply->answers.size() == 100);
  CHECK(testing::CountType(tcp_reply->additionals, RrType::kA) == 100);
  auto udp_reply = AskUdp(f.server->port(), MakeQuery(13, "big100.service.consul", RrType::kSrv));
  REQUIRE(udp_reply.has_value());
  CHECK(udp_reply->answers.size() == 3);
  auto edns = AskUdp(f.server->port(), MakeQuery(14, "big10.service.consul", RrType::kA, 4096));
  REQUIRE(edns.has_value());
  CHECK(edns->answers.size() == 10);
  REQUIRE(edns->edns.has_value());
  CHECK(edns->edns->udp_size == 4096);
}

}  // namespace
}  // namespace cairn::dns
