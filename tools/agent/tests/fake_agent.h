// Test helpers for the HTTP API commands: a small HTTP server standing in for a Cairn agent
// (Boost.Beast, 127.0.0.1, port 0, one thread), and a way to run a command in-process with
// its own stdout, stderr, stdin and environment.
//
// The server records every request before it answers, so once a command has returned
// (it has read the answer), requests() holds everything it sent: no race with the server
// thread. Handlers run on the server thread and must not use Catch2 assertions.
#ifndef CAIRN_TOOLS_AGENT_TESTS_FAKE_AGENT_H_
#define CAIRN_TOOLS_AGENT_TESTS_FAKE_AGENT_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "command_util.h"

namespace boost::asio::ssl {
class context;
}

namespace cairn::cli::testing {

struct RecordedRequest {
  std::string method;
  std::string target;                                      // as sent: escaped path and query
  std::string path;                                        // percent-decoded path
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in the order sent
  std::map<std::string, std::string> headers;              // lower-case names
  std::string body;
  bool has_content_length = false;

  // The value of a query parameter, if sent.
  std::optional<std::string> Param(const std::string& name) const;
  // "name=value&..." decoded, in the order sent; "" when there is no query.
  std::string QueryString() const;
};

struct Reply {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

class FakeAgent {
 public:
  using Handler = std::function<Reply(const RecordedRequest&)>;

  // Binds 127.0.0.1:0 (or a unix socket at `unix_path`) and serves on a thread; `handler`
  // answers every request (default: 404 for everything). With `tls`, every TCP connection
  // is TLS with that server context (handshake failures just close the connection).
  explicit FakeAgent(Handler handler = nullptr, std::string unix_path = "",
                     std::shared_ptr<boost::asio::ssl::context> tls = nullptr);
  ~FakeAgent();
  FakeAgent(const FakeAgent&) = delete;
  FakeAgent& operator=(const FakeAgent&) = delete;

  // "127.0.0.1:<port>" or "unix://<path>", for -http-addr / CONSUL_HTTP_ADDR.
  std::string address() const { return address_; }
  // Fixed replies by "METHOD /path" (decoded path, query ignored); the handler answers
  // anything not listed.
  void Route(const std::string& method, const std::string& path, Reply reply);
  std::vector<RecordedRequest> requests() const;
  void ClearRequests();

 private:
  void Serve();
  Reply Answer(const RecordedRequest& req);

  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string address_;
  Handler handler_;
  mutable std::mutex mu_;
  std::vector<RecordedRequest> requests_;  // guarded by mu_
  std::map<std::string, Reply> routes_;    // guarded by mu_
  std::thread thread_;
};

// What a command printed and returned.
struct CliResult {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs `run(args, ctx)` with ctx's streams in memory and an environment of exactly `env`.
CliResult RunCommand(int (*run)(const std::vector<std::string>&, Context&),
                     const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env = {},
                     const std::string& stdin_data = "");

// A JSON reply with body `json`.
Reply Json(std::string json, uint64_t index = 0);

}  // namespace cairn::cli::testing

#endif  // CAIRN_TOOLS_AGENT_TESTS_FAKE_AGENT_H_
