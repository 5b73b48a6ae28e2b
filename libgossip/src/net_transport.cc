// UDP + TCP on Boost.Asio. Every socket is created on the executor given to Create (the
// Memberlist's strand), so completion handlers are serialized with the protocol code.
// Handlers hold the shared state alive; flags in it stop callbacks once the owner is gone.
#include <array>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include <cairn/gossip/net_transport.h>

namespace cairn::gossip {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using boost::system::error_code;

namespace {

std::string EndpointText(const asio::ip::address& a, uint16_t port) {
  return JoinHostPort(a.is_v6() && a.to_v6().is_v4_mapped()
                          ? asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_string()
                          : a.to_string(),
                      port);
}

absl::StatusOr<asio::ip::address> ParseIp(std::string_view text) {
  error_code ec;
  asio::ip::address a = asio::ip::make_address(std::string(text), ec);
  if (ec) return absl::InvalidArgumentError(fmt::format("'{}' is not an IP address", text));
  return a;
}

absl::Status FromAsio(const error_code& ec, bool timed_out) {
  if (timed_out) return absl::DeadlineExceededError("i/o timeout");
  if (ec == asio::error::eof) return absl::OutOfRangeError("end of stream");
  return absl::UnavailableError(ec.message());
}

struct StreamState {
  explicit StreamState(tcp::socket s) : socket(std::move(s)), deadline(socket.get_executor()) {}
  tcp::socket socket;
  asio::steady_timer deadline;
  bool destroyed = false;
  bool timed_out = false;
  std::string write_buf;
  std::array<char, 65536> read_buf;
};

class NetStream final : public Stream {
 public:
  NetStream(tcp::socket socket, std::string remote)
      : s_(std::make_shared<StreamState>(std::move(socket))), remote_(std::move(remote)) {}
  ~NetStream() override {
    s_->destroyed = true;
    error_code ec;
    s_->deadline.cancel();
    s_->socket.close(ec);
  }

  void Write(std::string data, absl::AnyInvocable<void(absl::Status) &&> done) override {
    s_->write_buf = std::move(data);
    asio::async_write(
        s_->socket, asio::buffer(s_->write_buf),
        [s = s_, done = std::move(done)](const error_code& ec, size_t) mutable {
          if (s->destroyed) return;
          std::move(done)(ec || s->timed_out ? FromAsio(ec, s->timed_out) : absl::OkStatus());
        });
  }

  void Read(absl::AnyInvocable<void(absl::StatusOr<std::string>) &&> done) override {
    s_->socket.async_read_some(
        asio::buffer(s_->read_buf),
        [s = s_, done = std::move(done)](const error_code& ec, size_t n) mutable {
          if (s->destroyed) return;
          if (ec || s->timed_out) return std::move(done)(FromAsio(ec, s->timed_out));
          std::move(done)(std::string(s->read_buf.data(), n));
        });
  }

  void SetDeadline(absl::Duration from_now) override {
    s_->deadline.expires_after(absl::ToChronoNanoseconds(from_now));
    s_->deadline.async_wait([s = s_](const error_code& ec) {
      if (ec || s->destroyed) return;  // cancelled or re-armed
      s->timed_out = true;
      error_code ignored;
      s->socket.cancel(ignored);
    });
  }

  std::string RemoteAddress() const override { return remote_; }

 private:
  std::shared_ptr<StreamState> s_;
  std::string remote_;
};

}  // namespace

struct NetTransport::State : std::enable_shared_from_this<NetTransport::State> {
  explicit State(asio::any_io_executor ex) : executor(ex), udp_socket(ex), acceptor(ex) {}
  asio::any_io_executor executor;
  udp::socket udp_socket;
  tcp::acceptor acceptor;
  std::string local;
  Handlers handlers;
  bool shutdown = false;
  uint64_t generation = 0;
  udp::endpoint from;
  std::array<char, 65536> buf;

  void Receive() {
    udp_socket.async_receive_from(
        asio::buffer(buf), from, [self = shared_from_this()](const error_code& ec, size_t n) {
          if (self->shutdown) return;
          if (!ec && self->handlers.packet) {
            self->handlers.packet(EndpointText(self->from.address(), self->from.port()),
                                  std::string_view(self->buf.data(), n));
          }
          if (!self->shutdown && ec != asio::error::operation_aborted) self->Receive();
        });
  }

  void Accept() {
    acceptor.async_accept(
        executor, [self = shared_from_this()](const error_code& ec, tcp::socket socket) {
          if (self->shutdown) return;
          if (!ec && self->handlers.stream) {
            error_code rec;
            tcp::endpoint remote = socket.remote_endpoint(rec);
            std::string remote_text = rec ? "" : EndpointText(remote.address(), remote.port());
            self->handlers.stream(std::make_unique<NetStream>(std::move(socket), remote_text));
          }
          if (!self->shutdown && ec != asio::error::operation_aborted) self->Accept();
        });
  }
};

absl::StatusOr<std::unique_ptr<NetTransport>> NetTransport::Create(asio::any_io_executor executor,
                                                                   Options options) {
  absl::StatusOr<asio::ip::address> ip = ParseIp(options.bind_addr);
  if (!ip.ok()) return ip.status();
  auto state = std::make_shared<State>(executor);
  error_code ec;
  // Port 0: take the kernel's free TCP port and try the same for UDP; retry on a clash.
  for (int attempt = 0; attempt < 20; ++attempt) {
    error_code ignored;
    state->acceptor.close(ignored);
    state->udp_socket.close(ignored);
    tcp::endpoint tcp_ep(*ip, options.bind_port);
    state->acceptor.open(tcp_ep.protocol(), ec);
    if (!ec) state->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) state->acceptor.bind(tcp_ep, ec);
    if (!ec) state->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return absl::UnavailableError(fmt::format("Failed to start TCP listener on {}: {}",
                                                JoinHostPort(options.bind_addr, options.bind_port),
                                                ec.message()));
    }
    const uint16_t port = state->acceptor.local_endpoint().port();
    udp::endpoint udp_ep(*ip, port);
    state->udp_socket.open(udp_ep.protocol(), ec);
    if (!ec) state->udp_socket.bind(udp_ep, ec);
    if (!ec) {
      state->udp_socket.set_option(asio::socket_base::receive_buffer_size(2 * 1024 * 1024),
                                   ignored);
      state->local = EndpointText(*ip, port);
      return std::unique_ptr<NetTransport>(new NetTransport(state));
    }
    if (options.bind_port != 0) break;
  }
  return absl::UnavailableError(fmt::format("Failed to start UDP listener on {}: {}",
                                            JoinHostPort(options.bind_addr, options.bind_port),
                                            ec.message()));
}

NetTransport::~NetTransport() { Shutdown(); }

void NetTransport::Start(Handlers handlers) {
  state_->handlers = std::move(handlers);
  state_->Receive();
  state_->Accept();
}

std::string NetTransport::LocalAddress() const { return state_->local; }

absl::Status NetTransport::SendPacket(std::string_view to, std::string packet) {
  if (state_->shutdown) return absl::FailedPreconditionError("transport is shut down");
  std::string host;
  uint16_t port = 0;
  if (absl::Status s = SplitHostPort(to, &host, &port); !s.ok()) return s;
  absl::StatusOr<asio::ip::address> ip = ParseIp(host);
  if (!ip.ok()) return ip.status();
  error_code ec;
  state_->udp_socket.send_to(asio::buffer(packet), udp::endpoint(*ip, port), 0, ec);
  if (ec) return absl::UnavailableError(fmt::format("send to {}: {}", to, ec.message()));
  return absl::OkStatus();
}

void NetTransport::DialStream(
    std::string_view to, absl::Duration timeout,
    absl::AnyInvocable<void(absl::StatusOr<std::unique_ptr<Stream>>) &&> done) {
  struct Dial {
    explicit Dial(asio::any_io_executor ex) : socket(ex), timer(ex) {}
    tcp::socket socket;
    asio::steady_timer timer;
    bool timed_out = false;
    std::string to;
    absl::AnyInvocable<void(absl::StatusOr<std::unique_ptr<Stream>>) &&> done;
  };
  auto dial = std::make_shared<Dial>(state_->executor);
  dial->to = std::string(to);
  dial->done = std::move(done);
  const uint64_t gen = state_->generation;
  std::shared_ptr<State> st = state_;
  auto finish = [st, gen](const std::shared_ptr<Dial>& d,
                          absl::StatusOr<std::unique_ptr<Stream>> r) {
    if (st->shutdown || st->generation != gen || !d->done) return;
    auto cb = std::move(d->done);
    d->done = nullptr;
    std::move(cb)(std::move(r));
  };
  std::string host;
  uint16_t port = 0;
  absl::Status parsed = SplitHostPort(to, &host, &port);
  absl::StatusOr<asio::ip::address> ip =
      parsed.ok() ? ParseIp(host) : absl::StatusOr<asio::ip::address>(parsed);
  if (!ip.ok()) {
    asio::post(state_->executor, [dial, finish, s = ip.status()] { finish(dial, s); });
    return;
  }
  dial->timer.expires_after(absl::ToChronoNanoseconds(timeout));
  dial->timer.async_wait([dial](const error_code& ec) {
    if (ec) return;
    dial->timed_out = true;
    error_code ignored;
    dial->socket.close(ignored);
  });
  dial->socket.async_connect(tcp::endpoint(*ip, port), [dial, finish](const error_code& ec) {
    dial->timer.cancel();
    if (ec || dial->timed_out) {
      return finish(
          dial,
          dial->timed_out
              ? absl::DeadlineExceededError(fmt::format("dial tcp {}: i/o timeout", dial->to))
              : absl::UnavailableError(fmt::format("dial tcp {}: {}", dial->to, ec.message())));
    }
    finish(dial,
           std::unique_ptr<Stream>(std::make_unique<NetStream>(std::move(dial->socket), dial->to)));
  });
}

void NetTransport::Shutdown() {
  if (state_->shutdown) return;
  state_->shutdown = true;
  ++state_->generation;
  state_->handlers = {};
  error_code ignored;
  state_->udp_socket.close(ignored);
  state_->acceptor.close(ignored);
}

}  // namespace cairn::gossip
