// Recursor forwarding (spec/dns.md §9) against tiny DNS servers the test runs on
// 127.0.0.2. Waits are bounded futures; the only timeout exercised is 100 ms.
#include <future>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include <cairn/dns/forwarder.h>

#include "test_util.h"

namespace cairn::dns {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using testing::Bytes;
using testing::MakeQuery;
using testing::N;

const auto kUpstreamAddress = asio::ip::make_address("127.0.0.2");

// Runs an io_context on one thread. Stop() is idempotent; objects whose callbacks the
// loop may still run stop it before they die.
struct Loop {
  Loop() : work(asio::make_work_guard(io)), thread([this] { io.run(); }) {}
  ~Loop() { Stop(); }
  void Stop() {
    if (!thread.joinable()) return;
    work.reset();
    io.stop();
    thread.join();
  }
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  std::thread thread;
};

// A fake upstream on 127.0.0.2 (UDP and TCP on one port).
class FakeUpstream {
 public:
  enum class Mode {
    kAnswer,       // one A record
    kTruncateUdp,  // UDP: TC and no records; TCP: 30 A records
    kServFail,     // SERVFAIL
    kSilent,       // reads and never answers
    kSpoofFirst,   // UDP: a reply with a wrong ID first, then the real one
  };

  FakeUpstream(Loop& loop, Mode mode)
      : loop_(loop),
        mode_(mode),
        udp_(loop.io, udp::endpoint(kUpstreamAddress, 0)),
        acceptor_(loop.io) {
    tcp::endpoint ep(kUpstreamAddress, udp_.local_endpoint().port());
    acceptor_.open(ep.protocol());
    acceptor_.bind(ep);
    acceptor_.listen();
    ReceiveUdp();
    Accept();
  }

  ~FakeUpstream() { loop_.Stop(); }

  Recursor recursor() const { return {kUpstreamAddress, udp_.local_endpoint().port()}; }
  int udp_queries() const { return udp_queries_; }
  int tcp_queries() const { return tcp_queries_; }

 private:
  Bytes Answer(const Bytes& query, bool over_tcp) {
    // Runs on the loop thread, where Catch2 assertions are not safe; a bad query gets an
    // empty (undecodable) reply, which the test then sees as a failed recursor.
    Message q;
    if (!DecodeMessage(query, &q).ok() || q.questions.empty()) return {};
    Message r = MakeReply(q);
    if (mode_ == Mode::kServFail) {
      r.header.rcode = kServFail;
    } else if (mode_ == Mode::kTruncateUdp && !over_tcp) {
      r.header.tc = true;
    } else {
      int n = mode_ == Mode::kTruncateUdp ? 30 : 1;
      for (int i = 0; i < n; ++i) {
        r.answers.push_back(
            ResourceRecord::A(q.questions[0].name, 60, {192, 0, 2, static_cast<uint8_t>(i)}));
      }
    }
    Bytes out;
    if (!EncodeMessage(r, kMaxMessageSize, &out).ok()) return {};
    return out;
  }

  void ReceiveUdp() {
    udp_.async_receive_from(asio::buffer(buf_), from_,
                            [this](const boost::system::error_code& ec, std::size_t n) {
                              if (ec) return;
                              ++udp_queries_;
                              Bytes query(buf_.begin(), buf_.begin() + n);
                              if (mode_ != Mode::kSilent) {
                                Bytes reply = Answer(query, false);
                                if (mode_ == Mode::kSpoofFirst) {
                                  Bytes spoof = reply;
                                  spoof[0] ^= 0xFF;
                                  spoof[6] = spoof[7] = 0;  // and no answers
                                  udp_.send_to(asio::buffer(spoof), from_);
                                }
                                udp_.send_to(asio::buffer(reply), from_);
                              }
                              ReceiveUdp();
                            });
  }

  void Accept() {
    acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket s) {
      if (ec) return;
      auto sock = std::make_shared<tcp::socket>(std::move(s));
      auto len = std::make_shared<std::array<std::uint8_t, 2>>();
      asio::async_read(*sock, asio::buffer(*len), [this, sock, len](auto ec1, std::size_t) {
        if (ec1) return;
        auto body = std::make_shared<Bytes>(((*len)[0] << 8) | (*len)[1]);
        asio::async_read(*sock, asio::buffer(*body), [this, sock, body](auto ec2, std::size_t) {
          if (ec2) return;
          ++tcp_queries_;
          if (mode_ == Mode::kSilent) return;
          auto out = std::make_shared<Bytes>();
          Bytes reply = Answer(*body, true);
          out->push_back(static_cast<std::uint8_t>(reply.size() >> 8));
          out->push_back(static_cast<std::uint8_t>(reply.size()));
          out->insert(out->end(), reply.begin(), reply.end());
          asio::async_write(*sock, asio::buffer(*out), [sock, out](auto, std::size_t) {});
        });
      });
      Accept();
    });
  }

  Loop& loop_;
  Mode mode_;
  udp::socket udp_;
  tcp::acceptor acceptor_;
  std::array<std::uint8_t, 65535> buf_;
  udp::endpoint from_;
  std::atomic<int> udp_queries_{0};
  std::atomic<int> tcp_queries_{0};
};

// A port on 127.0.0.2 where nothing listens: UDP gets ICMP unreachable, TCP a reset.
Recursor DeadRecursor(asio::io_context& io) {
  udp::socket probe(io, udp::endpoint(kUpstreamAddress, 0));
  Recursor r{kUpstreamAddress, probe.local_endpoint().port()};
  return r;  // `probe` closes here
}

absl::StatusOr<Message> ForwardAndWait(Forwarder& f, const Bytes& query,
                                       Transport transport = Transport::kUdp) {
  std::promise<absl::StatusOr<Bytes>> promise;
  auto future = promise.get_future();
  f.Forward(query, transport,
            [&promise](absl::StatusOr<Bytes> reply) { promise.set_value(std::move(reply)); });
  REQUIRE(future.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  absl::StatusOr<Bytes> reply = future.get();
  if (!reply.ok()) return reply.status();
  Message m;
  absl::Status s = DecodeMessage(*reply, &m);
  if (!s.ok()) return s;
  return m;
}

TEST_CASE("forwarder retries over TCP when the UDP answer is truncated", "[unit]") {
  Loop loop;
  FakeUpstream upstream(loop, FakeUpstream::Mode::kTruncateUdp);
  Forwarder f(loop.io, {{upstream.recursor()}});
  auto reply = ForwardAndWait(f, MakeQuery(0x4242, "example.com"));
  REQUIRE(reply.ok());
  CHECK(reply->header.id == 0x4242);  // the client's ID, not the upstream one
  CHECK_FALSE(reply->header.tc);
  CHECK(reply->answers.size() == 30);
  CHECK(upstream.udp_queries() == 1);
  CHECK(upstream.tcp_queries() == 1);
}

TEST_CASE("forwarder moves on from a dead or failing recursor", "[unit]") {
  Loop loop;
  FakeUpstream failing(loop, FakeUpstream::Mode::kServFail);
  FakeUpstream good(loop, FakeUpstream::Mode::kAnswer);
  Forwarder f(loop.io, {{DeadRecursor(loop.io), failing.recursor(), good.recursor()}});
  auto reply = ForwardAndWait(f, MakeQuery(7, "example.com"));
  REQUIRE(reply.ok());
  CHECK(reply->header.rcode == kNoError);
  CHECK(reply->answers.size() == 1);
  CHECK(failing.udp_queries() == 1);
  CHECK(good.udp_queries() == 1);
}

TEST_CASE("forwarder uses TCP for TCP clients and ignores spoofed replies", "[unit]") {
  Loop loop;
  FakeUpstream good(loop, FakeUpstream::Mode::kAnswer);
  Forwarder f(loop.io, {{DeadRecursor(loop.io), good.recursor()}});
  auto reply = ForwardAndWait(f, MakeQuery(8, "example.com"), Transport::kTcp);
  REQUIRE(reply.ok());
  CHECK(reply->answers.size() == 1);
  CHECK(good.tcp_queries() == 1);
  CHECK(good.udp_queries() == 0);

  FakeUpstream spoofing(loop, FakeUpstream::Mode::kSpoofFirst);
  Forwarder g(loop.io, {{spoofing.recursor()}});
  reply = ForwardAndWait(g, MakeQuery(9, "example.com"));
  REQUIRE(reply.ok());
  CHECK(reply->answers.size() == 1);
}

TEST_CASE("forwarder fails when every recursor fails, Relay answers SERVFAIL", "[unit]") {
  Loop loop;
  FakeUpstream silent(loop, FakeUpstream::Mode::kSilent);
  ForwarderOptions options{{DeadRecursor(loop.io), silent.recursor()},
                           std::chrono::milliseconds(100)};
  Forwarder f(loop.io, options);
  auto reply = ForwardAndWait(f, MakeQuery(10, "example.com"));
  CHECK(absl::IsUnavailable(reply.status()));
  CHECK(silent.udp_queries() == 1);

  Forwarder none(loop.io, {});
  CHECK(absl::IsFailedPrecondition(ForwardAndWait(none, MakeQuery(11, "x.com")).status()));

  // Through a real server: the client sees SERVFAIL, RA and its EDNS echoed.
  class RelayHandler : public Handler {
   public:
    explicit RelayHandler(Forwarder& f) : f_(f) {}
    void Handle(const Request& request, Responder responder) override {
      f_.Relay(request, std::move(responder));
    }

   private:
    Forwarder& f_;
  } handler(f);
  ServerOptions server_options;
  server_options.port = 0;
  auto server = Server::Start(loop.io, server_options, handler);
  REQUIRE(server.ok());
  asio::io_context client_io;
  udp::socket client(client_io, udp::endpoint(udp::v4(), 0));
  Bytes q = MakeQuery(12, "example.com", RrType::kA, 1232);
  client.send_to(asio::buffer(q),
                 udp::endpoint(asio::ip::make_address("127.0.0.1"), (*server)->port()));
  Bytes buf(65535);
  std::size_t got = 0;
  client.async_receive(asio::buffer(buf), [&](const boost::system::error_code& ec, std::size_t n) {
    if (!ec) got = n;
  });
  client_io.run_for(std::chrono::seconds(10));
  REQUIRE(got > 0);
  Message m;
  REQUIRE(DecodeMessage({buf.data(), got}, &m).ok());
  CHECK(m.header.id == 12);
  CHECK(m.header.rcode == kServFail);
  CHECK(m.header.ra);
  REQUIRE(m.edns.has_value());
  CHECK(m.edns->udp_size == 1232);
  REQUIRE(m.questions.size() == 1);
  CHECK(m.questions[0].name == N("example.com"));
  (*server)->Stop();
}

TEST_CASE("ParseRecursor accepts Consul's recursor forms", "[unit]") {
  auto a = ParseRecursor("8.8.8.8");
  REQUIRE(a.ok());
  CHECK(a->port == 53);
  auto b = ParseRecursor("127.0.0.2:5353");
  REQUIRE(b.ok());
  CHECK(b->port == 5353);
  CHECK(b->address.to_string() == "127.0.0.2");
  auto c = ParseRecursor("::1");
  REQUIRE(c.ok());
  CHECK(c->address.is_v6());
  CHECK(c->port == 53);
  auto d = ParseRecursor("[2001:db8::1]:54");
  REQUIRE(d.ok());
  CHECK(d->port == 54);
  CHECK(ParseRecursor("[::1]").ok());
  CHECK_FALSE(ParseRecursor("").ok());
  CHECK_FALSE(ParseRecursor("0.0.0.0").ok());
  CHECK_FALSE(ParseRecursor("::").ok());
  CHECK_FALSE(ParseRecursor("dns.example.com").ok());
  CHECK_FALSE(ParseRecursor("1.2.3.4:0").ok());
  CHECK_FALSE(ParseRecursor("1.2.3.4:70000").ok());
  CHECK_FALSE(ParseRecursor("1.2.3.4:").ok());
  CHECK_FALSE(ParseRecursor("[::1").ok());
  CHECK_FALSE(ParseRecursor("[::1]x").ok());
}

}  // namespace
}  // namespace cairn::dns
