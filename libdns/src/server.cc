// Server setup, the shared classification of incoming messages, the Responder, and the
// UDP receive loop. TCP connections are in tcp_connection.cc.
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>

#include <cairn/dns/server.h>

#include "server_internal.h"
#include <sys/socket.h>
#include <unistd.h>

namespace cairn::dns {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

// ---- Responder ---------------------------------------------------------------------

Responder::Responder(Responder&& other) noexcept { *this = std::move(other); }

Responder& Responder::operator=(Responder&& other) noexcept {
  if (this != &other) {
    udp_ = std::move(other.udp_);
    tcp_ = std::move(other.tcp_);
    client_address_ = other.client_address_;
    client_port_ = other.client_port_;
    max_size_ = other.max_size_;
    received_ = other.received_;
    answered_ = other.answered_;
    other.answered_ = true;
  }
  return *this;
}

Responder::~Responder() {
  if (answered_) return;
  if (udp_) udp_->server().counters.unanswered.Increment();
  if (tcp_) {
    tcp_->server().counters.unanswered.Increment();
    tcp_->QueueReply({});  // releases the connection's in-flight slot
  }
}

void Responder::Send(std::span<const std::uint8_t> wire) {
  if (answered_) return;
  answered_ = true;
  Server::Impl& server = udp_ ? udp_->server() : tcp_->server();
  if (server.stopped.load(std::memory_order_relaxed)) {
    if (tcp_) tcp_->QueueReply({});
    return;
  }
  // Replies larger than the client accepts are re-encoded to fit; this is the rare path
  // (handlers normally build within max_response_size()).
  thread_local std::vector<std::uint8_t> refit;
  if (wire.size() > max_size_) {
    if (TruncateEncoded(wire, max_size_, &refit).ok()) {
      server.counters.truncated.Increment();
    } else {
      Header h;
      (void)DecodeHeader(wire, &h);  // a short reply leaves the zero header: id 0
      EncodeErrorReply(h, nullptr, nullptr, kServFail, h.ra, &refit);
    }
    wire = refit;
  }
  if (server.counters.latency != nullptr) {
    server.counters.latency->AddDuration(std::chrono::steady_clock::now() - received_);
  }
  if (udp_) {
    udp_->SendTo(client_address_, client_port_, wire);
  } else {
    tcp_->QueueReply(wire);
  }
}

absl::Status Responder::Reply(const Message& reply, const EncodeOptions& options) {
  thread_local std::vector<std::uint8_t> buffer;
  absl::Status s = EncodeMessage(reply, max_size_, &buffer, options);
  if (!s.ok()) return s;
  if (!reply.header.tc && buffer.size() > 2 && (buffer[2] & 0x02) != 0 && !answered_) {
    (udp_ ? udp_->server() : tcp_->server()).counters.truncated.Increment();
  }
  Send(buffer);
  return absl::OkStatus();
}

// ---- Server::Impl ------------------------------------------------------------------

Server::Impl::Impl(asio::io_context& io_context, const ServerOptions& opts, Handler& h)
    : io(io_context), options(opts), handler(h) {
  if (base::MetricsRegistry* m = options.metrics) {
    auto bind = [&](internal::StatCounter& c, std::string_view name, base::MetricLabels l = {}) {
      c.metric = &m->GetCounter(name, std::move(l));
    };
    bind(counters.udp_queries, "cairn.dns.queries", {{"transport", "udp"}});
    bind(counters.tcp_queries, "cairn.dns.queries", {{"transport", "tcp"}});
    bind(counters.malformed, "cairn.dns.malformed");
    bind(counters.dropped, "cairn.dns.dropped");
    bind(counters.error_replies, "cairn.dns.error_replies");
    bind(counters.replies, "cairn.dns.replies");
    bind(counters.truncated, "cairn.dns.truncated");
    bind(counters.send_failures, "cairn.dns.send_failures");
    bind(counters.unanswered, "cairn.dns.unanswered");
    bind(counters.tcp_accepted, "cairn.dns.tcp_connections", {{"result", "accepted"}});
    bind(counters.tcp_rejected, "cairn.dns.tcp_connections", {{"result", "rejected"}});
    bind(counters.tcp_idle_closed, "cairn.dns.tcp_idle_closed");
    counters.latency = &m->GetSample("cairn.dns.request");
  }
}

internal::Verdict Server::Impl::Classify(std::span<const std::uint8_t> wire, Message* message,
                                         std::vector<std::uint8_t>* error_reply) {
  Header header;
  if (!DecodeHeader(wire, &header).ok()) {
    counters.malformed.Increment();
    counters.dropped.Increment();
    return internal::Verdict::kDrop;
  }
  // Never answer a response: two servers could bounce errors at each other forever.
  if (header.qr) {
    counters.dropped.Increment();
    return internal::Verdict::kDrop;
  }
  const bool ra = options.recursion_available;
  if (!DecodeMessage(wire, message).ok()) {
    counters.malformed.Increment();
    counters.error_replies.Increment();
    EncodeErrorReply(header, nullptr, nullptr, kFormErr, ra, error_reply);
    return internal::Verdict::kErrorReply;
  }
  const Question* question = message->questions.empty() ? nullptr : &message->questions[0];
  const Edns* edns = message->edns ? &*message->edns : nullptr;
  std::uint16_t rcode = kNoError;
  if (message->header.opcode != kOpcodeQuery) {
    rcode = kNotImp;
  } else if (question == nullptr) {
    rcode = kFormErr;
  } else if (edns != nullptr && edns->version > 0) {
    rcode = kBadVers;  // RFC 6891 §6.1.3
  }
  if (rcode == kNoError) return internal::Verdict::kHandle;
  counters.error_replies.Increment();
  EncodeErrorReply(message->header, question, edns, rcode, ra, error_reply);
  return internal::Verdict::kErrorReply;
}

void Server::Impl::Register(internal::TcpConnection* c, std::weak_ptr<internal::TcpConnection> w) {
  absl::MutexLock lock(&mu_);
  connections_.emplace(c, std::move(w));
  open_connections_.fetch_add(1);
}

void Server::Impl::Unregister(internal::TcpConnection* c) {
  absl::MutexLock lock(&mu_);
  if (connections_.erase(c) > 0) open_connections_.fetch_sub(1);
}

void Server::Impl::Stop() {
  if (stopped.exchange(true)) return;
  for (auto& s : udp_sockets) s->Close();
  if (tcp_listener) tcp_listener->Close();
  udp_sockets.clear();
  tcp_listener.reset();
  std::vector<std::shared_ptr<internal::TcpConnection>> open;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [ptr, weak] : connections_) {
      if (auto c = weak.lock()) open.push_back(std::move(c));
    }
  }
  for (auto& c : open) c->Close();
}

// ---- UdpSocket ---------------------------------------------------------------------

namespace internal {

UdpSocket::UdpSocket(std::shared_ptr<Server::Impl> server, udp::socket socket)
    : server_(std::move(server)),
      strand_(asio::make_strand(server_->io)),
      socket_(std::move(socket)),
      buffer_(kMaxMessageSize) {
  send_fd_ = ::dup(socket_.native_handle());
}

UdpSocket::~UdpSocket() {
  if (send_fd_ >= 0) ::close(send_fd_);
}

void UdpSocket::Start() {
  asio::post(strand_, [self = shared_from_this()] { self->Receive(); });
}

void UdpSocket::Close() {
  asio::post(strand_, [self = shared_from_this()] {
    boost::system::error_code ignored;
    self->socket_.close(ignored);
  });
}

void UdpSocket::Receive() {
  socket_.async_receive_from(
      asio::buffer(buffer_), sender_,
      asio::bind_executor(
          strand_, [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
            self->OnReceive(ec, n);
          }));
}

void UdpSocket::OnReceive(const boost::system::error_code& ec, std::size_t n) {
  if (ec == asio::error::operation_aborted || server_->stopped.load(std::memory_order_relaxed) ||
      !socket_.is_open()) {
    return;
  }
  if (!ec) {
    server_->counters.udp_queries.Increment();
    std::span<const std::uint8_t> wire(buffer_.data(), n);
    switch (server_->Classify(wire, &message_, &reply_)) {
      case Verdict::kDrop:
        break;
      case Verdict::kErrorReply:
        SendTo(sender_.address(), sender_.port(), reply_);
        break;
      case Verdict::kHandle: {
        Responder responder;
        responder.udp_ = shared_from_this();
        responder.client_address_ = sender_.address();
        responder.client_port_ = sender_.port();
        responder.max_size_ = MaxUdpResponseSize(message_);
        responder.received_ = std::chrono::steady_clock::now();
        responder.answered_ = false;
        Request request{message_,          wire,           Transport::kUdp,
                        sender_.address(), sender_.port(), responder.max_size_};
        server_->handler.Handle(request, std::move(responder));
        break;
      }
    }
  }
  // Errors such as ECONNREFUSED (an ICMP error for an earlier reply) concern one peer
  // only: keep receiving.
  Receive();
}

void UdpSocket::SendTo(const asio::ip::address& address, std::uint16_t port,
                       std::span<const std::uint8_t> wire) {
  udp::endpoint to(address, port);
  ssize_t sent = ::sendto(send_fd_, wire.data(), wire.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                          to.data(), static_cast<socklen_t>(to.size()));
  if (sent == static_cast<ssize_t>(wire.size())) {
    server_->counters.replies.Increment();
  } else {
    server_->counters.send_failures.Increment();
  }
}

// ---- TcpListener -------------------------------------------------------------------

TcpListener::TcpListener(std::shared_ptr<Server::Impl> server, tcp::acceptor acceptor)
    : server_(std::move(server)),
      strand_(asio::make_strand(server_->io)),
      acceptor_(std::move(acceptor)),
      retry_(strand_) {}

void TcpListener::Start() {
  asio::post(strand_, [self = shared_from_this()] { self->Accept(); });
}

void TcpListener::Close() {
  asio::post(strand_, [self = shared_from_this()] {
    boost::system::error_code ignored;
    self->acceptor_.close(ignored);
    self->retry_.cancel();
  });
}

void TcpListener::Accept() {
  // Each connection gets its own strand; the socket is created on it directly.
  acceptor_.async_accept(
      asio::make_strand(server_->io),
      asio::bind_executor(strand_, [self = shared_from_this()](const boost::system::error_code& ec,
                                                               tcp::socket socket) {
        Server::Impl& server = *self->server_;
        if (ec == asio::error::operation_aborted || server.stopped.load() ||
            !self->acceptor_.is_open()) {
          return;
        }
        if (ec) {
          // EMFILE and friends: back off briefly instead of spinning on the error.
          self->retry_.expires_after(std::chrono::milliseconds(100));
          self->retry_.async_wait([self](const boost::system::error_code& e) {
            if (!e) self->Accept();
          });
          return;
        }
        if (server.open_connections() >= server.options.max_tcp_connections) {
          server.counters.tcp_rejected.Increment();
          boost::system::error_code ignored;
          socket.close(ignored);
        } else {
          server.counters.tcp_accepted.Increment();
          auto connection = std::make_shared<TcpConnection>(self->server_, std::move(socket));
          server.Register(connection.get(), connection);
          connection->Start();
        }
        self->Accept();
      }));
}

}  // namespace internal
}  // namespace cairn::dns
