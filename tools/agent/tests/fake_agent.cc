#include "fake_agent.h"

#include <atomic>
#include <cstdio>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <fmt/format.h>

#include <unistd.h>

namespace cairn::cli::testing {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using local = asio::local::stream_protocol;

std::string Unescape(std::string_view s, bool plus_is_space) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else if (s[i] == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string ReadAll(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, f)) out.append(buf, n);
  return out;
}

}  // namespace

std::optional<std::string> RecordedRequest::Param(const std::string& name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return v;
  }
  return std::nullopt;
}

std::string RecordedRequest::QueryString() const {
  std::string out;
  for (const auto& [k, v] : query) out += (out.empty() ? "" : "&") + k + "=" + v;
  return out;
}

struct FakeAgent::Impl {
  asio::io_context io;
  std::optional<tcp::acceptor> tcp_acceptor;
  std::optional<local::acceptor> local_acceptor;
  std::string unix_path;
  std::shared_ptr<asio::ssl::context> tls;
  std::atomic<bool> stopping{false};
};

FakeAgent::FakeAgent(Handler handler, std::string unix_path,
                     std::shared_ptr<asio::ssl::context> tls)
    : impl_(std::make_unique<Impl>()), handler_(std::move(handler)) {
  impl_->tls = std::move(tls);
  if (unix_path.empty()) {
    impl_->tcp_acceptor.emplace(impl_->io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    address_ = fmt::format("127.0.0.1:{}", impl_->tcp_acceptor->local_endpoint().port());
  } else {
    ::unlink(unix_path.c_str());
    impl_->local_acceptor.emplace(impl_->io, local::endpoint(unix_path));
    impl_->unix_path = unix_path;
    address_ = "unix://" + unix_path;
  }
  thread_ = std::thread([this] { Serve(); });
}

FakeAgent::~FakeAgent() {
  impl_->stopping = true;
  // Wake the blocking accept with a connection of our own.
  boost::system::error_code ec;
  if (impl_->tcp_acceptor) {
    tcp::socket s(impl_->io);
    s.connect(impl_->tcp_acceptor->local_endpoint(), ec);
  } else {
    local::socket s(impl_->io);
    s.connect(local::endpoint(impl_->unix_path), ec);
  }
  thread_.join();
  if (!impl_->unix_path.empty()) ::unlink(impl_->unix_path.c_str());
}

void FakeAgent::Route(const std::string& method, const std::string& path, Reply reply) {
  std::lock_guard<std::mutex> lock(mu_);
  routes_[method + " " + path] = std::move(reply);
}

std::vector<RecordedRequest> FakeAgent::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

void FakeAgent::ClearRequests() {
  std::lock_guard<std::mutex> lock(mu_);
  requests_.clear();
}

Reply FakeAgent::Answer(const RecordedRequest& req) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(req);
    auto it = routes_.find(req.method + " " + req.path);
    if (it != routes_.end()) return it->second;
  }
  if (handler_) return handler_(req);
  return Reply{404, "Invalid URL path: not a recognized HTTP API endpoint", {}};
}

template <typename Socket>
void ServeConnection(Socket& socket, const std::function<Reply(const RecordedRequest&)>& answer) {
  boost::beast::flat_buffer buffer;
  while (true) {
    boost::system::error_code ec;
    http::request_parser<http::string_body> parser;
    parser.body_limit(boost::none);
    http::read(socket, buffer, parser, ec);
    if (ec) return;
    auto& msg = parser.get();
    RecordedRequest req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    std::string_view target = req.target;
    std::size_t q = target.find('?');
    req.path = Unescape(target.substr(0, q), false);
    if (q != std::string_view::npos) {
      std::string_view query = target.substr(q + 1);
      while (!query.empty()) {
        std::size_t amp = query.find('&');
        std::string_view item = query.substr(0, amp);
        std::size_t eq = item.find('=');
        req.query.emplace_back(
            Unescape(item.substr(0, eq), true),
            eq == std::string_view::npos ? "" : Unescape(item.substr(eq + 1), true));
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
      }
    }
    for (const auto& f : msg) {
      std::string name(f.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers[name] = std::string(f.value());
    }
    req.has_content_length = msg.find(http::field::content_length) != msg.end();
    req.body = msg.body();
    bool keep_alive = msg.keep_alive();

    Reply reply = answer(req);
    http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
    for (const auto& [k, v] : reply.headers) res.set(k, v);
    res.body() = reply.body;
    res.keep_alive(keep_alive);
    res.prepare_payload();
    http::write(socket, res, ec);
    if (ec || !keep_alive) return;
  }
}

void FakeAgent::Serve() {
  auto answer = [this](const RecordedRequest& req) { return Answer(req); };
  while (true) {
    boost::system::error_code ec;
    if (impl_->tcp_acceptor) {
      tcp::socket socket(impl_->io);
      impl_->tcp_acceptor->accept(socket, ec);
      if (impl_->stopping) return;
      if (ec) continue;
      if (!impl_->tls) {
        ServeConnection(socket, answer);
        continue;
      }
      asio::ssl::stream<tcp::socket&> stream(socket, *impl_->tls);
      stream.handshake(asio::ssl::stream_base::server, ec);
      if (!ec) ServeConnection(stream, answer);
    } else {
      local::socket socket(impl_->io);
      impl_->local_acceptor->accept(socket, ec);
      if (impl_->stopping) return;
      if (!ec) ServeConnection(socket, answer);
    }
  }
}

CliResult RunCommand(int (*run)(const std::vector<std::string>&, Context&),
                     const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env, const std::string& stdin_data) {
  Context ctx;
  ctx.out = std::tmpfile();
  ctx.err = std::tmpfile();
  ctx.in = std::tmpfile();
  std::fwrite(stdin_data.data(), 1, stdin_data.size(), ctx.in);
  std::rewind(ctx.in);
  ctx.getenv = [env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  CliResult r;
  r.code = run(args, ctx);
  r.out = ReadAll(ctx.out);
  r.err = ReadAll(ctx.err);
  std::fclose(ctx.out);
  std::fclose(ctx.err);
  std::fclose(ctx.in);
  return r;
}

Reply Json(std::string json, uint64_t index) {
  Reply r{200, std::move(json), {{"Content-Type", "application/json"}}};
  if (index != 0) r.headers.emplace_back("X-Consul-Index", std::to_string(index));
  return r;
}

}  // namespace cairn::cli::testing
