// One DNS-over-TCP client connection (RFC 1035 §4.2.2, RFC 7766): 2-byte length framing,
// pipelined queries answered as they complete, and an idle timeout.
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "server_internal.h"

namespace cairn::dns::internal {

namespace asio = boost::asio;
using asio::ip::tcp;

TcpConnection::TcpConnection(std::shared_ptr<Server::Impl> server, tcp::socket socket)
    : server_(std::move(server)),
      strand_(socket.get_executor().target<Strand>() != nullptr
                  ? *socket.get_executor().target<Strand>()
                  : asio::make_strand(server_->io)),
      socket_(std::move(socket)),
      idle_(strand_) {
  boost::system::error_code ec;
  tcp::endpoint peer = socket_.remote_endpoint(ec);
  if (!ec) {
    peer_address_ = peer.address();
    peer_port_ = peer.port();
  }
}

void TcpConnection::Start() {
  asio::post(strand_, [self = shared_from_this()] {
    self->ArmIdleTimer();
    self->ReadLength();
  });
}

void TcpConnection::Close() {
  asio::post(strand_, [self = shared_from_this()] { self->DoClose(); });
}

void TcpConnection::DoClose() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  idle_.cancel();
  writes_.clear();
  server_->Unregister(this);
}

void TcpConnection::ReadLength() {
  if (closed_) return;
  reading_ = true;
  asio::async_read(socket_, asio::buffer(length_),
                   asio::bind_executor(
                       strand_, [self = shared_from_this()](const boost::system::error_code& ec,
                                                            std::size_t) { self->OnLength(ec); }));
}

void TcpConnection::OnLength(const boost::system::error_code& ec) {
  reading_ = false;
  if (ec == asio::error::eof && !closed_ && (in_flight_ > 0 || writing_)) {
    // The client half-closed after its last query: answer what is pending, then close.
    eof_ = true;
    return;
  }
  if (ec || closed_) {
    // EOF or reset: the client is gone, and so are replies still to come.
    DoClose();
    return;
  }
  std::size_t length = (static_cast<std::size_t>(length_[0]) << 8) | length_[1];
  if (length < kHeaderSize) {
    // No header to answer FORMERR with, and the framing may be lost: hang up.
    server_->counters.tcp_queries.Increment();
    server_->counters.malformed.Increment();
    server_->counters.dropped.Increment();
    DoClose();
    return;
  }
  body_.resize(length);
  reading_ = true;
  asio::async_read(
      socket_, asio::buffer(body_),
      asio::bind_executor(strand_, [self = shared_from_this()](const boost::system::error_code& e,
                                                               std::size_t) { self->OnBody(e); }));
}

void TcpConnection::OnBody(const boost::system::error_code& ec) {
  reading_ = false;
  if (ec || closed_) {
    DoClose();
    return;
  }
  ArmIdleTimer();
  server_->counters.tcp_queries.Increment();
  Process();
  if (in_flight_ < server_->options.max_tcp_pipeline) ReadLength();
}

void TcpConnection::Process() {
  if (server_->stopped.load(std::memory_order_relaxed)) return;
  std::span<const std::uint8_t> wire(body_);
  switch (server_->Classify(wire, &message_, &reply_)) {
    case Verdict::kDrop:
      return;
    case Verdict::kErrorReply:
      ++in_flight_;
      QueueReply(reply_);
      return;
    case Verdict::kHandle: {
      ++in_flight_;
      Responder responder;
      responder.tcp_ = shared_from_this();
      responder.client_address_ = peer_address_;
      responder.client_port_ = peer_port_;
      responder.max_size_ = kMaxMessageSize;
      responder.received_ = std::chrono::steady_clock::now();
      responder.answered_ = false;
      Request request{message_, wire, Transport::kTcp, peer_address_, peer_port_, kMaxMessageSize};
      server_->handler.Handle(request, std::move(responder));
      return;
    }
  }
}

void TcpConnection::QueueReply(std::span<const std::uint8_t> wire) {
  // An empty `wire` answers nothing but still frees the query's in-flight slot.
  std::vector<std::uint8_t> framed;
  if (!wire.empty()) {
    framed.reserve(wire.size() + 2);
    framed.push_back(static_cast<std::uint8_t>(wire.size() >> 8));
    framed.push_back(static_cast<std::uint8_t>(wire.size()));
    framed.insert(framed.end(), wire.begin(), wire.end());
  }
  asio::post(strand_, [self = shared_from_this(), framed = std::move(framed)]() mutable {
    if (self->closed_) {
      if (!framed.empty()) self->server_->counters.send_failures.Increment();
      return;
    }
    if (framed.empty()) {
      self->AnswerDone();
      return;
    }
    self->writes_.push_back(std::move(framed));
    if (!self->writing_) self->Write();
  });
}

void TcpConnection::Write() {
  writing_ = true;
  asio::async_write(socket_, asio::buffer(writes_.front()),
                    asio::bind_executor(
                        strand_, [self = shared_from_this()](const boost::system::error_code& ec,
                                                             std::size_t) { self->OnWrite(ec); }));
}

void TcpConnection::OnWrite(const boost::system::error_code& ec) {
  writing_ = false;
  if (ec || closed_) {
    if (!closed_) server_->counters.send_failures.Increment();
    DoClose();
    return;
  }
  server_->counters.replies.Increment();
  writes_.pop_front();
  ArmIdleTimer();
  AnswerDone();
  if (!writes_.empty()) Write();
}

void TcpConnection::AnswerDone() {
  if (in_flight_ > 0) --in_flight_;
  if (eof_) {
    if (in_flight_ == 0 && !writing_ && writes_.empty()) DoClose();
    return;
  }
  // Reading paused at the pipeline limit resumes once a slot frees up.
  if (!reading_ && !closed_ && in_flight_ < server_->options.max_tcp_pipeline) ReadLength();
}

void TcpConnection::ArmIdleTimer() {
  idle_.expires_after(server_->options.tcp_idle_timeout);
  idle_.async_wait(asio::bind_executor(
      strand_,
      [self = shared_from_this()](const boost::system::error_code& ec) { self->OnIdle(ec); }));
}

void TcpConnection::OnIdle(const boost::system::error_code& ec) {
  if (ec || closed_) return;  // re-armed (operation_aborted) or closed
  if (in_flight_ > 0 || writing_) {
    ArmIdleTimer();  // a slow answer is not idleness
    return;
  }
  server_->counters.tcp_idle_closed.Increment();
  DoClose();
}

}  // namespace cairn::dns::internal
