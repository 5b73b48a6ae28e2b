#include "http_client.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

namespace cairn::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Go's syscall errors are lower-case ("connection refused"); strerror's are not.
std::string GoErrorText(const boost::system::error_code& ec) {
  if (ec == asio::error::eof || ec == http::error::end_of_stream ||
      ec == http::error::partial_message) {
    return "EOF";
  }
  std::string s = ec.message();
  if (!s.empty() && std::isupper(static_cast<unsigned char>(s[0])) &&
      (s.size() < 2 || !std::isupper(static_cast<unsigned char>(s[1])))) {
    s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  }
  return s;
}

// net/http's url.Error names the method as "Get", "Put", "Delete", ...
std::string GoOp(std::string_view method) {
  std::string op(method);
  for (std::size_t i = 1; i < op.size(); ++i) {
    op[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(op[i])));
  }
  return op;
}

bool IsIpAddress(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

std::string Trim(std::string_view s) {
  auto ws = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return std::string(s);
}

std::string Base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// Sends `req` over a connected stream and reads the whole response.
template <typename Stream>
boost::system::error_code Exchange(Stream& stream, http::request<http::string_body>& req,
                                   HttpResponse* out) {
  boost::system::error_code ec;
  http::write(stream, req, ec);
  if (ec) return ec;
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(boost::none);  // snapshots can be large; the agent bounds them
  http::read(stream, buffer, parser, ec);
  if (ec) return ec;
  auto& res = parser.get();
  out->status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    out->headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  out->body = std::move(res.body());
  return {};
}

}  // namespace

std::string EscapePath(std::string_view path) {
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) ||
        std::string_view("-._~/$&+,:;=@").find(static_cast<char>(c)) != std::string_view::npos) {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string EscapeQuery(std::string_view value) {
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return v;
    }
  }
  return std::nullopt;
}

uint64_t HttpResponse::Index() const {
  std::optional<std::string> v = Header("X-Consul-Index");
  if (!v || v->empty()) return 0;
  uint64_t n = 0;
  for (char c : *v) {
    if (c < '0' || c > '9') return 0;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

absl::StatusOr<HttpClient> HttpClient::Create(const HttpClientConfig& config) {
  HttpClient c;
  c.https_ = config.https;
  std::string_view addr = config.address;
  if (std::size_t p = addr.find("://"); p != std::string_view::npos) {
    std::string_view scheme = addr.substr(0, p);
    addr.remove_prefix(p + 3);
    if (scheme == "https") {
      c.https_ = true;
    } else if (scheme == "unix") {
      c.kind_ = Kind::kUnix;
    } else if (scheme != "http") {
      return absl::InvalidArgumentError(fmt::format("Unknown protocol scheme: {}", scheme));
    }
  }
  if (c.kind_ == Kind::kUnix) {
    if (addr.empty()) return absl::InvalidArgumentError("Missing unix socket path in address");
    c.host_ = std::string(addr);
  } else {
    // Drop a trailing path ("http://host:8500/"), then split host and port.
    addr = addr.substr(0, addr.find('/'));
    std::string_view port;
    if (!addr.empty() && addr.front() == '[') {
      std::size_t close = addr.find(']');
      if (close == std::string_view::npos) {
        return absl::InvalidArgumentError(
            fmt::format("Invalid address \"{}\": missing ']'", config.address));
      }
      c.host_ = std::string(addr.substr(1, close - 1));
      std::string_view rest = addr.substr(close + 1);
      if (!rest.empty()) {
        if (rest.front() != ':') {
          return absl::InvalidArgumentError(fmt::format("Invalid address \"{}\"", config.address));
        }
        port = rest.substr(1);
      }
    } else if (std::count(addr.begin(), addr.end(), ':') == 1) {
      std::size_t colon = addr.find(':');
      c.host_ = std::string(addr.substr(0, colon));
      port = addr.substr(colon + 1);
    } else {
      c.host_ = std::string(addr);  // a bare host, or an unbracketed IPv6 address
    }
    if (c.host_.empty()) {
      return absl::InvalidArgumentError(fmt::format("Invalid address \"{}\"", config.address));
    }
    if (port.empty()) {
      c.port_ = c.https_ ? "8501" : "8500";
    } else {
      bool digits = port.size() <= 5 && std::all_of(port.begin(), port.end(),
                                                    [](char ch) { return ch >= '0' && ch <= '9'; });
      if (!digits || std::stoi(std::string(port)) < 1 || std::stoi(std::string(port)) > 65535) {
        return absl::InvalidArgumentError(
            fmt::format("Invalid address \"{}\": invalid port \"{}\"", config.address, port));
      }
      c.port_ = std::string(port);
    }
  }

  c.token_ = config.token;
  if (!config.token_file.empty()) {
    std::ifstream in(config.token_file, std::ios::binary);
    if (!in) {
      return absl::InvalidArgumentError(
          fmt::format("Error loading token file {} : open {}: {}", config.token_file,
                      config.token_file, GoErrorText({errno, boost::system::system_category()})));
    }
    std::stringstream ss;
    ss << in.rdbuf();
    if (std::string t = Trim(ss.str()); !t.empty()) c.token_ = t;
  }
  c.auth_ = config.auth;
  c.datacenter_ = config.datacenter;

  if (c.https_) {
    auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                     asio::ssl::context::no_tlsv1_1);
    boost::system::error_code ec;
    auto file_error = [&](std::string_view what, const std::string& file) {
      return absl::InvalidArgumentError(
          fmt::format("Error loading {} {}: {}", what, file, GoErrorText(ec)));
    };
    if (config.tls_verify) {
      ctx->set_verify_mode(asio::ssl::verify_peer);
      if (!config.ca_file.empty()) {
        if (ctx->load_verify_file(config.ca_file, ec); ec)
          return file_error("CA file", config.ca_file);
      }
      if (!config.ca_path.empty()) {
        if (ctx->add_verify_path(config.ca_path, ec); ec)
          return file_error("CA path", config.ca_path);
      }
      if (config.ca_file.empty() && config.ca_path.empty()) ctx->set_default_verify_paths(ec);
    } else {
      ctx->set_verify_mode(asio::ssl::verify_none);
    }
    if (config.client_cert.empty() != config.client_key.empty()) {
      return absl::InvalidArgumentError(
          "Error loading client certificate: both -client-cert and -client-key must be set");
    }
    if (!config.client_cert.empty()) {
      if (ctx->use_certificate_chain_file(config.client_cert, ec); ec) {
        return file_error("client certificate", config.client_cert);
      }
      if (ctx->use_private_key_file(config.client_key, asio::ssl::context::pem, ec); ec) {
        return file_error("client key", config.client_key);
      }
    }
    c.sni_ = config.tls_server_name.empty() ? c.host_ : config.tls_server_name;
    c.tls_ = std::move(ctx);
  }
  return c;
}

std::string HttpClient::BaseUrl() const {
  if (kind_ == Kind::kUnix) return "http://" + EscapeQuery(host_);
  std::string host = host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_;
  return fmt::format("{}://{}:{}", https_ ? "https" : "http", host, port_);
}

std::string HttpClient::Target(const HttpRequest& request) const {
  auto query = request.query;
  if (!datacenter_.empty() &&
      std::none_of(query.begin(), query.end(), [](const auto& kv) { return kv.first == "dc"; })) {
    query.emplace_back("dc", datacenter_);
  }
  std::stable_sort(query.begin(), query.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string target = EscapePath(request.path);
  for (std::size_t i = 0; i < query.size(); ++i) {
    target += i == 0 ? '?' : '&';
    target += EscapeQuery(query[i].first) + "=" + EscapeQuery(query[i].second);
  }
  return target;
}

absl::StatusOr<HttpResponse> HttpClient::Call(const HttpRequest& request) const {
  std::string target = Target(request);
  auto fail = [&](const std::string& why) {
    return absl::UnavailableError(
        fmt::format("{} \"{}{}\": {}", GoOp(request.method), BaseUrl(), target, why));
  };
  http::request<http::string_body> req;
  req.method_string(request.method);
  req.target(target);
  req.version(11);
  if (kind_ == Kind::kUnix) {
    req.set(http::field::host, "localhost");
  } else {
    std::string host = host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_;
    req.set(http::field::host, host + ":" + port_);
  }
  req.set(http::field::user_agent, "cairn");
  req.set(http::field::connection, "close");
  if (!token_.empty()) req.set("X-Consul-Token", token_);
  if (!auth_.empty()) req.set(http::field::authorization, "Basic " + Base64(auth_));
  if (request.has_body || !request.body.empty()) {
    req.body() = request.body;
    req.prepare_payload();
  }

  asio::io_context io;
  HttpResponse out;
  boost::system::error_code ec;
  if (kind_ == Kind::kUnix) {
    asio::local::stream_protocol::socket socket(io);
    socket.connect(asio::local::stream_protocol::endpoint(host_), ec);
    if (ec) return fail(fmt::format("dial unix {}: connect: {}", host_, GoErrorText(ec)));
    if (ec = Exchange(socket, req, &out); ec) return fail(GoErrorText(ec));
    return out;
  }

  tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(host_, port_, ec);
  if (ec) {
    if (ec == asio::error::host_not_found || ec == asio::error::host_not_found_try_again) {
      return fail(fmt::format("dial tcp: lookup {}: no such host", host_));
    }
    return fail(fmt::format("dial tcp: lookup {}: {}", host_, GoErrorText(ec)));
  }
  tcp::socket socket(io);
  asio::connect(socket, endpoints, ec);
  if (ec) {
    std::string shown = host_ + ":" + port_;
    if (!endpoints.empty()) {
      auto e = endpoints.begin()->endpoint();
      shown = e.address().is_v6() ? fmt::format("[{}]:{}", e.address().to_string(), e.port())
                                  : fmt::format("{}:{}", e.address().to_string(), e.port());
    }
    return fail(fmt::format("dial tcp {}: connect: {}", shown, GoErrorText(ec)));
  }
  if (!https_) {
    if (ec = Exchange(socket, req, &out); ec) return fail(GoErrorText(ec));
    return out;
  }
  asio::ssl::stream<tcp::socket> stream(std::move(socket), *tls_);
  if (!IsIpAddress(sni_)) SSL_set_tlsext_host_name(stream.native_handle(), sni_.c_str());
  if (tls_->native_handle() != nullptr &&
      SSL_CTX_get_verify_mode(tls_->native_handle()) != SSL_VERIFY_NONE) {
    stream.set_verify_callback(asio::ssl::host_name_verification(sni_));
  }
  stream.handshake(asio::ssl::stream_base::client, ec);
  if (ec) return fail(fmt::format("tls: {}", GoErrorText(ec)));
  if (ec = Exchange(stream, req, &out); ec) return fail(GoErrorText(ec));
  stream.shutdown(ec);  // the answer is complete; a peer that just closes is fine
  return out;
}

std::string UnexpectedResponse(const HttpResponse& response) {
  return fmt::format("Unexpected response code: {} ({})", response.status, Trim(response.body));
}

absl::StatusOr<HttpResponse> HttpClient::CallOk(const HttpRequest& request) const {
  absl::StatusOr<HttpResponse> r = Call(request);
  if (!r.ok()) return r;
  if (r->status != 200) {
    return absl::UnknownError(UnexpectedResponse(*r));
  }
  return r;
}

}  // namespace cairn::cli
