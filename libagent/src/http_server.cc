#include <deque>
#include <mutex>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include <cairn/agent/http_server.h>

namespace cairn::agent {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

class Session;

// The handler's way back. Everything it does is posted to the session's strand, where the
// session decides whether the exchange is still current.
class Exchange final : public HttpExchange, public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(std::weak_ptr<Session> session, asio::any_io_executor strand, bool keep_alive,
           unsigned version, bool head)
      : session_(std::move(session)),
        strand_(std::move(strand)),
        keep_alive_(keep_alive),
        version_(version),
        head_(head) {}

  void Reply(HttpResponse response) override;
  void StartStream(std::string content_type,
                   std::vector<std::pair<std::string, std::string>> headers) override;
  void Write(std::string chunk) override;
  void End() override;
  void OnClose(absl::AnyInvocable<void() &&> fn) override;
  bool closed() const override { return closed_.load(); }

  // Called on the strand by the session.
  void MarkClosed() {
    closed_.store(true);
    std::vector<absl::AnyInvocable<void() &&>> fns;
    {
      std::lock_guard lock(mu_);
      fns.swap(on_close_);
    }
    for (auto& fn : fns) std::move(fn)();
  }
  bool keep_alive() const { return keep_alive_; }
  unsigned version() const { return version_; }
  bool head() const { return head_; }

 private:
  bool Claim() { return !answered_.exchange(true); }

  std::weak_ptr<Session> session_;
  asio::any_io_executor strand_;
  bool keep_alive_;
  unsigned version_;
  bool head_;
  std::atomic<bool> answered_{false};
  std::atomic<bool> closed_{false};
  std::mutex mu_;
  std::vector<absl::AnyInvocable<void() &&>> on_close_;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<const Router> router, HttpServerOptions options)
      : stream_(std::move(socket)), router_(std::move(router)), options_(options) {}

  void Start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->ReadRequest(); });
  }
  void Close() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->Shutdown(); });
  }

  // --- called on the strand by Exchange ---
  void SendResponse(const std::shared_ptr<Exchange>& ex, HttpResponse r) {
    if (ex != current_ || ex->closed()) return;
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(r.status), ex->version());
    res->set(http::field::server, "Cairn");
    for (auto& [k, v] : r.headers) res->set(k, v);
    if (!r.content_type.empty()) res->set(http::field::content_type, r.content_type);
    res->keep_alive(ex->keep_alive());
    res->body() = std::move(r.body);
    res->prepare_payload();
    if (ex->head()) res->body().clear();  // Content-Length stays that of the GET
    waiting_ = false;
    stream_.socket().cancel();  // stops the disconnect watch
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, ex](beast::error_code ec, std::size_t) {
                        self->AfterResponse(ec, ex->keep_alive() && !res->need_eof());
                      });
  }
  void BeginStream(const std::shared_ptr<Exchange>& ex, std::string content_type,
                   std::vector<std::pair<std::string, std::string>> headers) {
    if (ex != current_ || ex->closed()) return;
    auto res = std::make_shared<http::response<http::empty_body>>(http::status::ok, ex->version());
    res->set(http::field::server, "Cairn");
    res->set(http::field::content_type, content_type);
    for (auto& [k, v] : headers) res->set(k, v);
    res->chunked(true);
    auto sr = std::make_shared<http::response_serializer<http::empty_body>>(*res);
    streaming_ = true;
    // Queued operations capture `this`, not a shared_ptr: the queue lives in the session,
    // so a strong capture would be a cycle that outlives a stopped io_context. The
    // completion handler RunQueue hands them keeps the session alive during the write.
    Enqueue([this, res, sr](Done done) {
      http::async_write_header(
          stream_, *sr,
          [res, sr, done = std::move(done)](beast::error_code ec, std::size_t) { done(ec); });
    });
  }
  void StreamChunk(const std::shared_ptr<Exchange>& ex, std::string chunk) {
    if (ex != current_ || !streaming_ || chunk.empty()) return;
    auto data = std::make_shared<std::string>(std::move(chunk));
    Enqueue([this, data](Done done) {
      asio::async_write(
          stream_, http::make_chunk(asio::buffer(*data)),
          [data, done = std::move(done)](beast::error_code ec, std::size_t) { done(ec); });
    });
  }
  void EndStream(const std::shared_ptr<Exchange>& ex) {
    if (ex != current_ || !streaming_) return;
    Enqueue([this](Done done) {
      asio::async_write(stream_, http::make_chunk_last(),
                        [done = std::move(done)](beast::error_code ec, std::size_t) { done(ec); });
    });
    Enqueue([this](Done done) {
      // A streamed response has no length the client could rely on for keep-alive
      // bookkeeping beyond the last chunk; close for simplicity, as Consul's monitor ends.
      Shutdown();
      done(beast::error_code{});
    });
  }
  void AddOnClose(const std::shared_ptr<Exchange>& ex) {
    if (ex != current_ || closed_) ex->MarkClosed();
  }

 private:
  using Done = std::function<void(beast::error_code)>;
  using Op = std::function<void(Done)>;

  void ReadRequest() {
    parser_.emplace();
    parser_->body_limit(options_.max_body_bytes);
    parser_->header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
    stream_.expires_after(options_.idle_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      WriteAndClose(
          413, fmt::format("Request body too large, max size: {} bytes", options_.max_body_bytes));
      return;
    }
    if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
        ec == beast::error::timeout || ec == asio::error::eof ||
        ec == asio::error::connection_reset) {
      Shutdown();
      return;
    }
    if (ec) {
      WriteAndClose(400, fmt::format("Bad request: {}", ec.message()));
      return;
    }
    stream_.expires_never();  // a blocking query may legitimately take minutes
    auto& msg = parser_->get();
    HttpRequest req;
    req.method = msg.method();
    req.headers = msg.base();
    req.body = std::move(msg.body());
    beast::error_code rec;
    auto remote = stream_.socket().remote_endpoint(rec);
    if (!rec) req.remote_address = remote.address().to_string();
    auto url =
        boost::urls::parse_origin_form(std::string_view(msg.target().data(), msg.target().size()));
    if (!url) {
      WriteAndClose(400, "Bad request: invalid request target");
      return;
    }
    req.path = std::string(url->path());
    for (auto p : url->params()) req.query.emplace_back(std::string(p.key), std::string(p.value));
    auto ex = std::make_shared<Exchange>(weak_from_this(), stream_.get_executor(), msg.keep_alive(),
                                         msg.version(), msg.method() == http::verb::head);
    current_ = ex;
    waiting_ = true;
    WatchDisconnect();
    router_->Dispatch(req, ex);
  }

  // While a handler holds the exchange, notice a client that hangs up: the socket turns
  // readable with nothing to read. Pipelined bytes stay in the socket for the next read.
  void WatchDisconnect() {
    stream_.socket().async_wait(tcp::socket::wait_read,
                                [self = shared_from_this()](beast::error_code ec) {
                                  if (ec || !self->waiting_) return;
                                  beast::error_code aec;
                                  if (self->stream_.socket().available(aec) == 0 || aec) {
                                    self->closed_ = true;
                                    if (self->current_) self->current_->MarkClosed();
                                    self->Shutdown();
                                  }
                                });
  }

  void AfterResponse(beast::error_code ec, bool keep_alive) {
    current_.reset();  // this exchange is answered; the next request gets a new one
    if (ec || !keep_alive) {
      Shutdown();
      return;
    }
    ReadRequest();
  }

  void WriteAndClose(unsigned status, std::string text) {
    auto res =
        std::make_shared<http::response<http::string_body>>(static_cast<http::status>(status), 11);
    res->set(http::field::content_type, "text/plain; charset=utf-8");
    res->keep_alive(false);
    res->body() = std::move(text);
    res->prepare_payload();
    http::async_write(
        stream_, *res,
        [self = shared_from_this(), res](beast::error_code, std::size_t) { self->Shutdown(); });
  }

  void Enqueue(Op op) {
    queue_.push_back(std::move(op));
    if (queue_.size() == 1) RunQueue();
  }
  void RunQueue() {
    if (queue_.empty()) return;
    // post, not dispatch: an operation may call done() before it returns, and the queue must
    // not drop the operation while it is still running.
    queue_.front()([self = shared_from_this()](beast::error_code ec) {
      asio::post(self->stream_.get_executor(), [self, ec] {
        if (ec) {
          self->queue_.clear();
          self->Shutdown();
          return;
        }
        self->queue_.pop_front();
        self->RunQueue();
      });
    });
  }

  void Shutdown() {
    if (shut_) return;
    shut_ = true;
    closed_ = true;
    if (current_) current_->MarkClosed();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  std::shared_ptr<const Router> router_;
  HttpServerOptions options_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<Exchange> current_;
  bool waiting_ = false;
  bool streaming_ = false;
  bool closed_ = false;
  bool shut_ = false;
  std::deque<Op> queue_;
};

void Exchange::Reply(HttpResponse response) {
  if (!Claim()) return;
  asio::post(strand_, [s = session_, self = shared_from_this(), r = std::move(response)]() mutable {
    if (auto session = s.lock()) session->SendResponse(self, std::move(r));
  });
}

void Exchange::StartStream(std::string content_type,
                           std::vector<std::pair<std::string, std::string>> headers) {
  if (!Claim()) return;
  asio::post(strand_, [s = session_, self = shared_from_this(), ct = std::move(content_type),
                       h = std::move(headers)]() mutable {
    if (auto session = s.lock()) session->BeginStream(self, std::move(ct), std::move(h));
  });
}

void Exchange::Write(std::string chunk) {
  asio::post(strand_, [s = session_, self = shared_from_this(), c = std::move(chunk)]() mutable {
    if (auto session = s.lock()) session->StreamChunk(self, std::move(c));
  });
}

void Exchange::End() {
  asio::post(strand_, [s = session_, self = shared_from_this()] {
    if (auto session = s.lock()) session->EndStream(self);
  });
}

void Exchange::OnClose(absl::AnyInvocable<void() &&> fn) {
  {
    std::lock_guard lock(mu_);
    if (!closed_.load()) {
      on_close_.push_back(std::move(fn));
      fn = nullptr;
    }
  }
  if (fn) {
    std::move(fn)();
    return;
  }
  // The session may have closed between the check and the push; let it re-check.
  asio::post(strand_, [s = session_, self = shared_from_this()] {
    auto session = s.lock();
    if (!session) {
      self->MarkClosed();
      return;
    }
    session->AddOnClose(self);
  });
}

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(asio::io_context& io, std::shared_ptr<const Router> router, HttpServerOptions options)
      : io(io), router(std::move(router)), options(std::move(options)) {}

  void Accept(std::size_t i) {
    acceptors[i]->async_accept(
        asio::make_strand(io),
        [self = shared_from_this(), i](beast::error_code ec, tcp::socket socket) {
          if (self->stopped) return;
          if (!ec) {
            auto session =
                std::make_shared<Session>(std::move(socket), self->router, self->options);
            {
              std::lock_guard lock(self->mu);
              std::erase_if(self->sessions, [](const auto& w) { return w.expired(); });
              self->sessions.push_back(session);
            }
            session->Start();
          }
          self->Accept(i);
        });
  }

  asio::io_context& io;
  std::shared_ptr<const Router> router;
  HttpServerOptions options;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::vector<uint16_t> ports;
  std::mutex mu;
  std::vector<std::weak_ptr<Session>> sessions;
  std::atomic<bool> stopped{false};
};

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(asio::io_context& io,
                                                              std::vector<ListenAddress> addresses,
                                                              std::shared_ptr<const Router> router,
                                                              HttpServerOptions options) {
  auto impl = std::make_shared<Impl>(io, std::move(router), std::move(options));
  for (const ListenAddress& a : addresses) {
    beast::error_code ec;
    auto addr = asio::ip::make_address(a.host, ec);
    if (ec) {
      return absl::InvalidArgumentError(fmt::format("invalid listen address \"{}\"", a.host));
    }
    tcp::endpoint ep(addr, a.port);
    auto acceptor = std::make_unique<tcp::acceptor>(asio::make_strand(io));
    std::string where = fmt::format("{}:{}", a.host, a.port);
    if (acceptor->open(ep.protocol(), ec); ec) {
      return absl::UnavailableError(fmt::format("listen tcp {}: {}", where, ec.message()));
    }
    acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (acceptor->bind(ep, ec); ec) {
      return absl::UnavailableError(fmt::format("listen tcp {}: {}", where, ec.message()));
    }
    if (acceptor->listen(asio::socket_base::max_listen_connections, ec); ec) {
      return absl::UnavailableError(fmt::format("listen tcp {}: {}", where, ec.message()));
    }
    impl->ports.push_back(acceptor->local_endpoint().port());
    impl->acceptors.push_back(std::move(acceptor));
  }
  for (std::size_t i = 0; i < impl->acceptors.size(); ++i) impl->Accept(i);
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::~HttpServer() {
  impl_->stopped = true;
  for (auto& a : impl_->acceptors) {
    asio::post(a->get_executor(), [impl = impl_, acc = a.get()] {
      beast::error_code ec;
      acc->close(ec);
    });
  }
  std::lock_guard lock(impl_->mu);
  for (auto& w : impl_->sessions) {
    if (auto s = w.lock()) s->Close();
  }
}

std::vector<uint16_t> HttpServer::ports() const { return impl_->ports; }

}  // namespace cairn::agent
