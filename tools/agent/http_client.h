// A small synchronous HTTP client for the `cairn` subcommands: each call opens a
// connection to the agent's HTTP API, sends one request, reads the whole answer and
// closes the connection.
//
// It follows Consul's Go API client (github.com/hashicorp/consul/api) where a user can see
// the difference:
//
//  * Addresses: `host:port`, `http://host:port`, `https://host:port` (TLS) and
//    `unix:///path/to.sock`. A bare host without a port means the agent's default port
//    (8500, or 8501 for https) — Go's client would use 80/443 there, which never reaches
//    an agent, so `cairn info -http-addr=192.168.99.109` (a seed's command line) works.
//  * Query parameters are sent sorted by name, as Go's url.Values.Encode sends them;
//    `dc` is added to every request when a datacenter is configured; the token goes in
//    `X-Consul-Token`; HTTP basic auth from `user:pass` when configured.
//  * Transport errors read as Go's: `Get "http://127.0.0.1:8500/v1/agent/self": dial tcp
//    127.0.0.1:8500: connect: connection refused`.
//  * Call() returns any HTTP status; CallOk() turns a non-2xx status into Go's
//    `Unexpected response code: 500 (No cluster leader)`.
//
// Example:
//
//   cairn::cli::HttpClientConfig config;
//   config.address = "127.0.0.1:8500";
//   absl::StatusOr<cairn::cli::HttpClient> client = cairn::cli::HttpClient::Create(config);
//   if (!client.ok()) { ... }
//   absl::StatusOr<cairn::cli::HttpResponse> r =
//       client->CallOk(cairn::cli::HttpRequest("GET", "/v1/agent/self"));
//
// An HttpClient is immutable after Create() and holds no connection between calls; it may
// be used from one thread at a time (calls block the calling thread).
#ifndef CAIRN_TOOLS_AGENT_HTTP_CLIENT_H_
#define CAIRN_TOOLS_AGENT_HTTP_CLIENT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/status/statusor.h>

namespace boost::asio::ssl {
class context;
}

namespace cairn::cli {

// What the client flags and environment variables configure (see client_flags.h).
struct HttpClientConfig {
  std::string address = "127.0.0.1:8500";
  bool https = false;  // CONSUL_HTTP_SSL=true: use TLS even for a scheme-less address
  std::string token;
  std::string token_file;  // its trimmed content overrides `token` when non-empty
  std::string auth;        // "user:pass" for HTTP basic auth (CONSUL_HTTP_AUTH)
  std::string datacenter;  // sent as ?dc= on every request when set
  // TLS, used only for https.
  std::string ca_file;
  std::string ca_path;
  std::string client_cert;
  std::string client_key;
  std::string tls_server_name;  // SNI and the name verified; default: the host
  bool tls_verify = true;       // CONSUL_HTTP_SSL_VERIFY=false turns verification off
};

struct HttpRequest {
  HttpRequest(std::string m, std::string p) : method(std::move(m)), path(std::move(p)) {}
  // Adds a query parameter; returns *this for chaining.
  HttpRequest& Query(std::string name, std::string value) {
    query.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  // Sets the body (sent with Content-Length even when empty).
  HttpRequest& Body(std::string b) {
    body = std::move(b);
    has_body = true;
    return *this;
  }

  std::string method = "GET";
  std::string path;  // unescaped, e.g. "/v1/kv/redis/config"; escaped as Go escapes paths
  std::vector<std::pair<std::string, std::string>> query;  // sent sorted by name
  std::string body;
  bool has_body = false;  // send Content-Length even when body is empty (PUT of "")
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The value of a header (case-insensitive name), if present.
  std::optional<std::string> Header(std::string_view name) const;
  // X-Consul-Index as a number; 0 when absent or malformed.
  uint64_t Index() const;
};

class HttpClient {
 public:
  // Parses the address and reads the token file and TLS files. Errors (InvalidArgument)
  // read like Go's: `Unknown protocol scheme: ftp`, `Error loading token file <f> : <why>`.
  static absl::StatusOr<HttpClient> Create(const HttpClientConfig& config);

  // Sends one request. A status code is never an error here; the error Status (code
  // Unavailable) carries only transport failures, worded as Go's url.Error.
  absl::StatusOr<HttpResponse> Call(const HttpRequest& request) const;

  // As Call(), and a status other than 200 is an error (code Unknown) reading
  // `Unexpected response code: <code> (<trimmed body>)`.
  absl::StatusOr<HttpResponse> CallOk(const HttpRequest& request) const;

  // "http://127.0.0.1:8500" — the base shown in error messages.
  std::string BaseUrl() const;

 private:
  HttpClient() = default;
  std::string Target(const HttpRequest& request) const;  // escaped path + "?" + query

  enum class Kind { kTcp, kUnix };
  Kind kind_ = Kind::kTcp;
  bool https_ = false;
  std::string host_;  // TCP: host name or IP (without brackets); unix: socket path
  std::string port_;
  std::string token_;
  std::string auth_;
  std::string datacenter_;
  std::string sni_;
  // Shared: the context is immutable after Create() and HttpClient is copyable.
  std::shared_ptr<boost::asio::ssl::context> tls_;
};

// `Unexpected response code: <code> (<trimmed body>)`, Go's client's text for a status
// other than 200.
std::string UnexpectedResponse(const HttpResponse& response);

// Go's url.PathEscape-like escaping for request paths: keeps A-Za-z0-9 and -._~/$&+,:;=@.
std::string EscapePath(std::string_view path);
// Go's url.QueryEscape: spaces become '+', everything but A-Za-z0-9 and -._~ is %XX.
std::string EscapeQuery(std::string_view value);

}  // namespace cairn::cli

#endif  // CAIRN_TOOLS_AGENT_HTTP_CLIENT_H_
