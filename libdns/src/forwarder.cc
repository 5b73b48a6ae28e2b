// Recursor forwarding. One ForwardOp per query walks the recursor list; all of its
// asynchronous work runs on its own strand, and every completion carries the attempt
// number it belongs to, so completions of an abandoned attempt (cancelled by a timeout
// or a socket close) are recognised and ignored.
#include <algorithm>
#include <numeric>
#include <optional>

#include <absl/random/random.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include <cairn/base/status.h>
#include <cairn/dns/forwarder.h>

namespace cairn::dns {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

absl::StatusOr<Recursor> ParseRecursor(std::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError("empty recursor address");
  std::string_view host = text;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    std::size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("recursor \"", base::ToAbsl(text), "\": missing ']'"));
    }
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return absl::InvalidArgumentError(
            absl::StrCat("recursor \"", base::ToAbsl(text), "\": junk after ']'"));
      }
      port_text = rest.substr(1);
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    std::size_t colon = text.find(':');
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  Recursor r;
  boost::system::error_code ec;
  r.address = asio::ip::make_address(std::string(host), ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("recursor \"", base::ToAbsl(text), "\": not an IP address"));
  }
  if (r.address.is_unspecified()) {
    return absl::InvalidArgumentError(
        absl::StrCat("recursor \"", base::ToAbsl(text), "\": unspecified address"));
  }
  if (!port_text.empty() || text.back() == ':') {
    std::uint32_t port = 0;
    if (!absl::SimpleAtoi(base::ToAbsl(port_text), &port) || port == 0 || port > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("recursor \"", base::ToAbsl(text), "\": bad port"));
    }
    r.port = static_cast<std::uint16_t>(port);
  }
  return r;
}

namespace {

using Strand = asio::strand<asio::io_context::executor_type>;
using Bytes = std::vector<std::uint8_t>;

class ForwardOp : public std::enable_shared_from_this<ForwardOp> {
 public:
  ForwardOp(asio::io_context& io, std::shared_ptr<const ForwarderOptions> options,
            std::span<const std::uint8_t> query, Transport transport, Forwarder::Callback done)
      : options_(std::move(options)),
        strand_(asio::make_strand(io)),
        timer_(strand_),
        query_(query.begin(), query.end()),
        transport_(transport),
        done_(std::move(done)) {}

  void Begin() {
    asio::post(strand_, [self = shared_from_this()] { self->Setup(); });
  }

 private:
  enum class Check { kIgnore, kTruncated, kAccept, kFail };

  void Setup() {
    thread_local absl::BitGen gen;
    order_.resize(options_->recursors.size());
    std::iota(order_.begin(), order_.end(), 0);
    if (options_->strategy == RecursorStrategy::kRandom)
      std::shuffle(order_.begin(), order_.end(), gen);
    original_id_ = static_cast<std::uint16_t>((query_[0] << 8) | query_[1]);
    upstream_id_ = absl::Uniform<std::uint16_t>(gen);
    query_[0] = static_cast<std::uint8_t>(upstream_id_ >> 8);
    query_[1] = static_cast<std::uint8_t>(upstream_id_);
    Message parsed;
    if (DecodeMessage(query_, &parsed).ok() && !parsed.questions.empty()) {
      question_ = parsed.questions[0];
    }
    TryNext();
  }

  void TryNext() {
    ++attempt_;
    CloseSockets();
    if (next_ >= order_.size()) {
      Finish(absl::UnavailableError(
          absl::StrCat("all ", order_.size(), " recursors failed; last: ", last_error_)));
      return;
    }
    current_ = options_->recursors[order_[next_++]];
    if (transport_ == Transport::kTcp) {
      StartTcp();
    } else {
      StartUdp();
    }
  }

  void Fail(std::string_view why) {
    last_error_ =
        absl::StrCat(current_.address.to_string(), ":", current_.port, ": ", base::ToAbsl(why));
    // A truncated UDP answer beats no answer: relay it when its TCP retry failed.
    if (truncated_reply_) {
      Bytes reply = std::move(*truncated_reply_);
      truncated_reply_.reset();
      Finish(std::move(reply));
      return;
    }
    TryNext();
  }

  void ArmTimer() {
    timer_.expires_after(options_->timeout);
    timer_.async_wait(asio::bind_executor(
        strand_, [self = shared_from_this(), a = attempt_](const boost::system::error_code& ec) {
          if (!ec && a == self->attempt_ && !self->finished_) self->Fail("timeout");
        }));
  }

  void StartUdp() {
    boost::system::error_code ec;
    udp::endpoint to(current_.address, current_.port);
    udp_.emplace(strand_);
    // A connected socket only hears from the recursor and learns of ICMP errors.
    if (udp_->open(to.protocol(), ec) || udp_->connect(to, ec)) {
      Fail(ec.message());
      return;
    }
    ArmTimer();
    buffer_.resize(kMaxMessageSize);
    udp_->async_send(
        asio::buffer(query_),
        asio::bind_executor(strand_, [self = shared_from_this(), a = attempt_](
                                         const boost::system::error_code& e, std::size_t) {
          if (a != self->attempt_ || self->finished_) return;
          if (e) {
            self->Fail(e.message());
          } else {
            self->ReceiveUdp();
          }
        }));
  }

  void ReceiveUdp() {
    udp_->async_receive(
        asio::buffer(buffer_),
        asio::bind_executor(strand_, [self = shared_from_this(), a = attempt_](
                                         const boost::system::error_code& e, std::size_t n) {
          if (a != self->attempt_ || self->finished_) return;
          if (e) {
            self->Fail(e.message());
            return;
          }
          self->buffer_.resize(n);
          switch (self->Validate(self->buffer_, /*udp=*/true)) {
            case Check::kIgnore:
              self->buffer_.resize(kMaxMessageSize);
              self->ReceiveUdp();  // not ours: keep listening until the timeout
              break;
            case Check::kTruncated:
              self->truncated_reply_ = self->buffer_;
              ++self->attempt_;
              self->CloseSockets();
              self->StartTcp();
              break;
            case Check::kAccept:
              self->Finish(std::move(self->buffer_));
              break;
            case Check::kFail:
              self->Fail(self->fail_reason_);
              break;
          }
        }));
  }

  void StartTcp() {
    tcp_.emplace(strand_);
    ArmTimer();
    tcp_->async_connect(
        tcp::endpoint(current_.address, current_.port),
        asio::bind_executor(
            strand_, [self = shared_from_this(), a = attempt_](const boost::system::error_code& e) {
              if (a != self->attempt_ || self->finished_) return;
              if (e) {
                self->Fail(e.message());
                return;
              }
              self->framed_.clear();
              self->framed_.push_back(static_cast<std::uint8_t>(self->query_.size() >> 8));
              self->framed_.push_back(static_cast<std::uint8_t>(self->query_.size()));
              self->framed_.insert(self->framed_.end(), self->query_.begin(), self->query_.end());
              asio::async_write(
                  *self->tcp_, asio::buffer(self->framed_),
                  asio::bind_executor(self->strand_,
                                      [self, a](const boost::system::error_code& w, std::size_t) {
                                        if (a != self->attempt_ || self->finished_) return;
                                        if (w) {
                                          self->Fail(w.message());
                                        } else {
                                          self->ReadTcpLength();
                                        }
                                      }));
            }));
  }

  void ReadTcpLength() {
    asio::async_read(
        *tcp_, asio::buffer(length_),
        asio::bind_executor(strand_, [self = shared_from_this(), a = attempt_](
                                         const boost::system::error_code& e, std::size_t) {
          if (a != self->attempt_ || self->finished_) return;
          if (e) {
            self->Fail(e.message());
            return;
          }
          self->buffer_.resize((self->length_[0] << 8) | self->length_[1]);
          asio::async_read(
              *self->tcp_, asio::buffer(self->buffer_),
              asio::bind_executor(self->strand_, [self, a](const boost::system::error_code& r,
                                                           std::size_t) {
                if (a != self->attempt_ || self->finished_) return;
                if (r) {
                  self->Fail(r.message());
                  return;
                }
                Check c = self->Validate(self->buffer_, /*udp=*/false);
                if (c == Check::kAccept) {
                  self->Finish(std::move(self->buffer_));
                } else {
                  self->Fail(c == Check::kFail ? self->fail_reason_ : "TCP reply does not match");
                }
              }));
        }));
  }

  Check Validate(const Bytes& reply, bool udp) {
    Header h;
    if (!DecodeHeader(reply, &h).ok() || h.id != upstream_id_ || !h.qr) return Check::kIgnore;
    if (udp && h.tc) return Check::kTruncated;
    Message m;
    if (!DecodeMessage(reply, &m).ok()) {
      fail_reason_ = "malformed reply";
      return Check::kFail;
    }
    if (question_ && (m.questions.empty() || !(m.questions[0].name == question_->name) ||
                      m.questions[0].type != question_->type)) {
      return Check::kIgnore;
    }
    if (h.rcode != kNoError && h.rcode != kNxDomain) {
      fail_reason_ = absl::StrCat("upstream rcode ", m.header.rcode);
      return Check::kFail;
    }
    return Check::kAccept;
  }

  void CloseSockets() {
    boost::system::error_code ignored;
    if (udp_) udp_->close(ignored);
    if (tcp_) tcp_->close(ignored);
    udp_.reset();
    tcp_.reset();
    timer_.cancel();
  }

  void Finish(absl::StatusOr<Bytes> result) {
    finished_ = true;
    CloseSockets();
    if (result.ok() && result->size() >= 2) {
      (*result)[0] = static_cast<std::uint8_t>(original_id_ >> 8);
      (*result)[1] = static_cast<std::uint8_t>(original_id_);
    }
    std::move(done_)(std::move(result));
  }

  std::shared_ptr<const ForwarderOptions> options_;
  Strand strand_;
  asio::steady_timer timer_;
  Bytes query_;
  Transport transport_;
  Forwarder::Callback done_;
  std::vector<std::size_t> order_;
  std::size_t next_ = 0;
  std::uint64_t attempt_ = 0;
  bool finished_ = false;
  Recursor current_;
  std::uint16_t original_id_ = 0;
  std::uint16_t upstream_id_ = 0;
  std::optional<Question> question_;
  std::optional<udp::socket> udp_;
  std::optional<tcp::socket> tcp_;
  Bytes buffer_;
  Bytes framed_;
  std::uint8_t length_[2] = {0, 0};
  std::optional<Bytes> truncated_reply_;
  std::string last_error_ = "none tried";
  std::string fail_reason_;
};

}  // namespace

Forwarder::Forwarder(asio::io_context& io, ForwarderOptions options)
    : io_(io), options_(std::make_shared<const ForwarderOptions>(std::move(options))) {}

void Forwarder::Forward(std::span<const std::uint8_t> query, Transport transport, Callback done) {
  if (options_->recursors.empty() || query.size() < kHeaderSize) {
    absl::Status status = options_->recursors.empty()
                              ? absl::FailedPreconditionError("no recursors configured")
                              : absl::InvalidArgumentError("query shorter than a DNS header");
    asio::post(io_, [done = std::move(done), status]() mutable { std::move(done)(status); });
    return;
  }
  std::make_shared<ForwardOp>(io_, options_, query, transport, std::move(done))->Begin();
}

void Forwarder::Relay(const Request& request, Responder responder) {
  // The Request dies when Handle returns: keep what a SERVFAIL needs.
  Header header = request.message.header;
  std::optional<Question> question;
  if (!request.message.questions.empty()) question = request.message.questions[0];
  std::optional<Edns> edns = request.message.edns;
  Forward(request.wire, request.transport,
          [responder = std::move(responder), header, question,
           edns](absl::StatusOr<Bytes> reply) mutable {
            if (reply.ok()) {
              responder.Send(*reply);
              return;
            }
            Bytes servfail;
            EncodeErrorReply(header, question ? &*question : nullptr, edns ? &*edns : nullptr,
                             kServFail, /*recursion_available=*/true, &servfail);
            responder.Send(servfail);
          });
}

}  // namespace cairn::dns
