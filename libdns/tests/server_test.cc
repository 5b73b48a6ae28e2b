// The UDP and TCP listeners on 127.0.0.1 with an OS-chosen port, driven by asio clients in
// the test. Waits are bounded (io_context::run_for), never sleeps.
#include <atomic>
#include <functional>
#include <map>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include <cairn/base/clock.h>
#include <cairn/base/metrics.h>
#include <cairn/dns/server.h>

#include "test_util.h"

namespace cairn::dns {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using testing::Bytes;
using testing::MakeQuery;
using testing::N;

// Answers by the first label: "big" → 100 A records, "later" → answered from another
// handler invocation, "drop" → never answered, anything else → one A record.
class TestHandler : public Handler {
 public:
  explicit TestHandler(asio::io_context& io) : io_(io) {}

  void Handle(const Request& request, Responder responder) override {
    std::string_view labels[Name::kMaxLabels];
    request.message.questions[0].name.Labels(labels);
    Message reply = MakeReply(request.message);
    reply.header.aa = true;
    const Name& qname = request.message.questions[0].name;
    int count = labels[0] == "big" ? 100 : 1;
    for (int i = 0; i < count; ++i) {
      reply.answers.push_back(ResourceRecord::A(qname, 0, {10, 0, 0, static_cast<uint8_t>(i)}));
    }
    if (labels[0] == "drop") return;
    if (labels[0] == "later") {
      asio::post(io_, [r = std::move(responder), reply]() mutable { (void)r.Reply(reply); });
      return;
    }
    // Catch2 is not thread-safe: count failures here, check them on the test thread.
    if (!responder.Reply(reply).ok()) failures_.fetch_add(1);
  }

  int failures() const { return failures_.load(); }

 private:
  asio::io_context& io_;
  std::atomic<int> failures_{0};
};

struct Fixture {
  explicit Fixture(ServerOptions options = {}) : work(asio::make_work_guard(io)), handler(io) {
    options.port = 0;
    auto s = Server::Start(io, options, handler);
    REQUIRE(s.ok());
    server = std::move(*s);
    for (int i = 0; i < 2; ++i) threads.emplace_back([this] { io.run(); });
  }
  ~Fixture() { Shutdown(); }
  // Stops everything so that counters are final.
  void Shutdown() {
    if (threads.empty()) return;
    server->Stop();
    work.reset();
    io.stop();
    for (auto& t : threads) t.join();
    threads.clear();
    CHECK(handler.failures() == 0);
  }

  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  TestHandler handler;
  std::unique_ptr<Server> server;
  std::vector<std::thread> threads;
};

// Sends each packet in order from one socket and collects up to `want` replies.
std::vector<Message> UdpExchange(std::uint16_t port, const std::vector<Bytes>& packets,
                                 std::size_t want) {
  asio::io_context io;
  udp::socket s(io, udp::endpoint(udp::v4(), 0));
  udp::endpoint server(asio::ip::make_address("127.0.0.1"), port);
  for (const Bytes& p : packets) s.send_to(asio::buffer(p), server);
  std::vector<Message> replies;
  Bytes buf(65535);
  std::function<void()> receive = [&] {
    s.async_receive(asio::buffer(buf), [&](const boost::system::error_code& ec, std::size_t n) {
      if (ec) return;
      Message m;
      REQUIRE(DecodeMessage({buf.data(), n}, &m).ok());
      replies.push_back(std::move(m));
      if (replies.size() < want) receive();
    });
  };
  receive();
  io.run_for(std::chrono::seconds(10));
  return replies;
}

TEST_CASE("server answers over UDP, inline and deferred", "[unit]") {
  Fixture f;
  CHECK(f.server->port() != 0);
  auto replies = UdpExchange(f.server->port(),
                             {MakeQuery(1, "web.service.consul"), MakeQuery(2, "later.consul")}, 2);
  REQUIRE(replies.size() == 2);
  for (const Message& r : replies) {
    CHECK(r.header.qr);
    CHECK(r.answers.size() == 1);
  }
  CHECK(((replies[0].header.id == 1 && replies[1].header.id == 2) ||
         (replies[0].header.id == 2 && replies[1].header.id == 1)));
}

TEST_CASE("server cuts UDP replies to 512 bytes or the EDNS size", "[unit]") {
  Fixture f;
  auto plain = UdpExchange(f.server->port(), {MakeQuery(3, "big.consul")}, 1);
  REQUIRE(plain.size() == 1);
  CHECK(plain[0].header.tc);
  CHECK(plain[0].answers.size() < 100);
  auto edns = UdpExchange(f.server->port(), {MakeQuery(4, "big.consul", RrType::kA, 4096)}, 1);
  REQUIRE(edns.size() == 1);
  CHECK_FALSE(edns[0].header.tc);
  CHECK(edns[0].answers.size() == 100);
  REQUIRE(edns[0].edns.has_value());
  CHECK(edns[0].edns->udp_size == 4096);
  f.Shutdown();
  CHECK(f.server->stats().truncated == 1);
}

TEST_CASE("server answers bad packets with FORMERR, NOTIMP, BADVERS or drops them", "[unit]") {
  Fixture f;
  Bytes short_packet = {0, 9, 0, 0, 0};
  Bytes response = MakeQuery(10, "x.consul");
  response[2] |= 0x80;  // QR: a response, never answered
  Bytes cut = MakeQuery(11, "x.consul");
  cut.resize(20);  // header promises a question that is not there
  Bytes loop = {0, 12, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1};
  Bytes status_op = MakeQuery(13, "x.consul");
  status_op[2] = 0x10;  // opcode 2 (STATUS)
  Bytes no_question = {0, 14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  Bytes edns1 = MakeQuery(15, "x.consul", RrType::kA, 1232);
  edns1[edns1.size() - 5] = 1;  // OPT TTL byte 1: EDNS version 1
  auto replies = UdpExchange(f.server->port(),
                             {short_packet, response, cut, loop, status_op, no_question, edns1}, 5);
  REQUIRE(replies.size() == 5);
  // One socket, one receive loop: replies come back in order.
  CHECK(replies[0].header.id == 11);
  CHECK(replies[0].header.rcode == kFormErr);
  CHECK(replies[1].header.id == 12);
  CHECK(replies[1].header.rcode == kFormErr);
  CHECK(replies[2].header.id == 13);
  CHECK(replies[2].header.rcode == kNotImp);
  CHECK(replies[3].header.id == 14);
  CHECK(replies[3].header.rcode == kFormErr);
  CHECK(replies[4].header.id == 15);
  CHECK(replies[4].header.rcode == kBadVers);
  f.Shutdown();
  ServerStats s = f.server->stats();
  CHECK(s.udp_queries == 7);
  CHECK(s.dropped == 2);
  CHECK(s.malformed == 3);
  CHECK(s.error_replies == 5);
}

TEST_CASE("an unanswered query is counted", "[unit]") {
  Fixture f;
  auto replies =
      UdpExchange(f.server->port(), {MakeQuery(20, "drop.consul"), MakeQuery(21, "a.consul")}, 1);
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].header.id == 21);
  f.Shutdown();
  CHECK(f.server->stats().unanswered == 1);
}

// Writes all queries on one connection, half-closes it, then reads framed replies until
// the server closes its side. The server closes only after its last write completed, so
// its counters are final by then.
std::vector<Message> TcpExchange(std::uint16_t port, const std::vector<Bytes>& queries) {
  asio::io_context io;
  tcp::socket s(io);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  Bytes out;
  for (const Bytes& q : queries) {
    out.push_back(static_cast<std::uint8_t>(q.size() >> 8));
    out.push_back(static_cast<std::uint8_t>(q.size()));
    out.insert(out.end(), q.begin(), q.end());
  }
  asio::write(s, asio::buffer(out));
  // Half-close like a client with nothing more to ask: pending answers must still come.
  s.shutdown(tcp::socket::shutdown_send);
  std::vector<Message> replies;
  std::uint8_t len[2];
  Bytes body;
  std::function<void()> next = [&] {
    asio::async_read(s, asio::buffer(len), [&](const boost::system::error_code& ec, std::size_t) {
      if (ec) return;
      body.resize((len[0] << 8) | len[1]);
      asio::async_read(s, asio::buffer(body), [&](const boost::system::error_code& e, std::size_t) {
        if (e) return;
        Message m;
        REQUIRE(DecodeMessage(body, &m).ok());
        replies.push_back(std::move(m));
        next();
      });
    });
  };
  next();
  io.run_for(std::chrono::seconds(10));
  return replies;
}

TEST_CASE("server answers several pipelined queries on one TCP connection", "[unit]") {
  Fixture f;
  auto replies = TcpExchange(f.server->port(), {MakeQuery(30, "later.consul"),
                                                MakeQuery(31, "big.consul"),
                                                MakeQuery(32, "a.consul"),
                                                {0, 33, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0}});
  REQUIRE(replies.size() == 4);
  std::map<int, const Message*> by_id;
  for (const Message& r : replies) by_id[r.header.id] = &r;
  REQUIRE(by_id.size() == 4);
  CHECK(by_id[30]->answers.size() == 1);
  CHECK(by_id[31]->answers.size() == 100);  // TCP: no 512-byte limit
  CHECK_FALSE(by_id[31]->header.tc);
  CHECK(by_id[32]->answers.size() == 1);
  CHECK(by_id[33]->header.rcode == kFormErr);
  f.Shutdown();
  ServerStats s = f.server->stats();
  CHECK(s.tcp_queries == 4);
  CHECK(s.tcp_accepted == 1);
  CHECK(s.replies == 4);
}

TEST_CASE("server closes idle TCP connections and over-limit ones", "[unit]") {
  ServerOptions options;
  options.tcp_idle_timeout = std::chrono::milliseconds(50);
  options.max_tcp_connections = 1;
  Fixture f(options);
  asio::io_context io;
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), f.server->port());
  tcp::socket first(io);
  first.connect(ep);
  // The first connection must be registered before the second arrives; one exchange
  // on it proves that.
  Bytes q = MakeQuery(40, "a.consul");
  Bytes framed = {0, static_cast<std::uint8_t>(q.size())};
  framed.insert(framed.end(), q.begin(), q.end());
  asio::write(first, asio::buffer(framed));
  std::uint8_t len[2];
  asio::read(first, asio::buffer(len));
  Bytes body((len[0] << 8) | len[1]);
  asio::read(first, asio::buffer(body));
  tcp::socket second(io);
  second.connect(ep);
  bool first_closed = false;
  bool second_closed = false;
  std::uint8_t byte;
  asio::async_read(first, asio::buffer(&byte, 1),
                   [&](const boost::system::error_code& ec, std::size_t) { first_closed = !!ec; });
  asio::async_read(second, asio::buffer(&byte, 1),
                   [&](const boost::system::error_code& ec, std::size_t) { second_closed = !!ec; });
  io.run_for(std::chrono::seconds(10));
  CHECK(first_closed);
  CHECK(second_closed);
  f.Shutdown();
  ServerStats s = f.server->stats();
  CHECK(s.tcp_idle_closed == 1);
  CHECK(s.tcp_rejected == 1);
}

TEST_CASE("server binds several UDP sockets with SO_REUSEPORT", "[unit]") {
  ServerOptions options;
  options.udp_sockets = 3;
  Fixture f(options);
  std::vector<Bytes> queries;
  for (int i = 0; i < 20; ++i) queries.push_back(MakeQuery(100 + i, "x.consul"));
  CHECK(UdpExchange(f.server->port(), queries, 20).size() == 20);
}

TEST_CASE("server counts into a metrics registry", "[unit]") {
  base::SimulatedClock clock;
  base::MetricsRegistry metrics(clock);
  ServerOptions options;
  options.metrics = &metrics;
  Fixture f(options);
  Bytes bad = MakeQuery(50, "x.consul");
  bad.resize(14);
  CHECK(UdpExchange(f.server->port(), {bad, MakeQuery(51, "x.consul")}, 2).size() == 2);
  f.Shutdown();
  CHECK(metrics.GetCounter("cairn.dns.queries", {{"transport", "udp"}}).Value() == 2);
  CHECK(metrics.GetCounter("cairn.dns.malformed").Value() == 1);
  CHECK(metrics.GetCounter("cairn.dns.error_replies").Value() == 1);
  CHECK(metrics.GetCounter("cairn.dns.replies").Value() == 2);
}

TEST_CASE("server start rejects bad options", "[unit]") {
  asio::io_context io;
  TestHandler handler(io);
  ServerOptions bad_address;
  bad_address.address = "not-an-ip";
  CHECK(absl::IsInvalidArgument(Server::Start(io, bad_address, handler).status()));
  ServerOptions no_udp;
  no_udp.udp_sockets = 0;
  CHECK(absl::IsInvalidArgument(Server::Start(io, no_udp, handler).status()));
  ServerOptions any;
  any.port = 0;
  auto first = Server::Start(io, any, handler);
  REQUIRE(first.ok());
  ServerOptions same;
  same.port = (*first)->port();
  CHECK(absl::IsUnavailable(Server::Start(io, same, handler).status()));
}

}  // namespace
}  // namespace cairn::dns
