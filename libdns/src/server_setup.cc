// Binding the listeners of a Server and its public methods.
#include <absl/strings/str_cat.h>
#include <boost/asio/socket_base.hpp>

#include <cairn/base/status.h>
#include <cairn/dns/server.h>

#include "server_internal.h"
#include <sys/socket.h>

namespace cairn::dns {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

namespace {

using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

absl::Status Unavailable(std::string_view what, const boost::system::error_code& ec) {
  return absl::UnavailableError(
      absl::StrCat("DNS server: ", base::ToAbsl(what), ": ", ec.message()));
}

struct Bound {
  std::vector<udp::socket> sockets;
  tcp::acceptor acceptor;
  std::uint16_t port = 0;
};

// Binds every socket to `port` (0 = the first UDP socket picks one and the rest follow).
absl::StatusOr<Bound> BindAll(asio::io_context& io, const asio::ip::address& address,
                              std::uint16_t port, int udp_count) {
  Bound bound{{}, tcp::acceptor(io), port};
  boost::system::error_code ec;
  for (int i = 0; i < udp_count; ++i) {
    udp::socket s(io);
    udp::endpoint ep(address, bound.port);
    if (s.open(ep.protocol(), ec)) return Unavailable("open UDP socket", ec);
    if (udp_count > 1 && s.set_option(ReusePort(true), ec)) {
      return Unavailable("SO_REUSEPORT", ec);
    }
    if (s.bind(ep, ec)) return Unavailable(absl::StrCat("bind UDP ", bound.port), ec);
    bound.port = s.local_endpoint(ec).port();
    if (ec) return Unavailable("UDP local endpoint", ec);
    bound.sockets.push_back(std::move(s));
  }
  tcp::endpoint ep(address, bound.port);
  if (bound.acceptor.open(ep.protocol(), ec)) return Unavailable("open TCP socket", ec);
  if (bound.acceptor.set_option(asio::socket_base::reuse_address(true), ec)) {
    return Unavailable("SO_REUSEADDR", ec);
  }
  if (bound.acceptor.bind(ep, ec)) return Unavailable(absl::StrCat("bind TCP ", bound.port), ec);
  if (bound.acceptor.listen(asio::socket_base::max_listen_connections, ec)) {
    return Unavailable("listen", ec);
  }
  return bound;
}

}  // namespace

Server::Server(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { Stop(); }

absl::StatusOr<std::unique_ptr<Server>> Server::Start(asio::io_context& io,
                                                      const ServerOptions& options,
                                                      Handler& handler) {
  if (options.udp_sockets < 1) return absl::InvalidArgumentError("udp_sockets must be >= 1");
  if (options.max_tcp_pipeline < 1) {
    return absl::InvalidArgumentError("max_tcp_pipeline must be >= 1");
  }
  boost::system::error_code ec;
  asio::ip::address address = asio::ip::make_address(options.address, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("DNS server: bad address \"", options.address, "\": ", ec.message()));
  }
  // With port 0 the OS picks a UDP port; the same number may be taken for TCP, so try a
  // few ports before giving up.
  absl::StatusOr<Bound> bound;
  for (int attempt = 0; attempt < (options.port == 0 ? 20 : 1); ++attempt) {
    bound = BindAll(io, address, options.port, options.udp_sockets);
    if (bound.ok()) break;
  }
  if (!bound.ok()) return bound.status();

  auto impl = std::make_shared<Impl>(io, options, handler);
  impl->bound_address = address;
  impl->bound_port = bound->port;
  for (udp::socket& s : bound->sockets) {
    impl->udp_sockets.push_back(std::make_shared<internal::UdpSocket>(impl, std::move(s)));
  }
  impl->tcp_listener = std::make_shared<internal::TcpListener>(impl, std::move(bound->acceptor));
  for (auto& s : impl->udp_sockets) s->Start();
  impl->tcp_listener->Start();
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

void Server::Stop() { impl_->Stop(); }

std::uint16_t Server::port() const { return impl_->bound_port; }

asio::ip::address Server::address() const { return impl_->bound_address; }

ServerStats Server::stats() const {
  const internal::Counters& c = impl_->counters;
  ServerStats s;
  s.udp_queries = c.udp_queries.Get();
  s.tcp_queries = c.tcp_queries.Get();
  s.malformed = c.malformed.Get();
  s.dropped = c.dropped.Get();
  s.error_replies = c.error_replies.Get();
  s.replies = c.replies.Get();
  s.truncated = c.truncated.Get();
  s.send_failures = c.send_failures.Get();
  s.unanswered = c.unanswered.Get();
  s.tcp_accepted = c.tcp_accepted.Get();
  s.tcp_rejected = c.tcp_rejected.Get();
  s.tcp_idle_closed = c.tcp_idle_closed.Get();
  return s;
}

}  // namespace cairn::dns
