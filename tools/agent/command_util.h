// What the HTTP-using subcommands share: where they print, Consul's client flags and
// environment variables, and Consul's output helpers (columnize, Go's JSON strings,
// base64, `@file` / `-` data arguments).
//
// Every subcommand of this kind is `int Run<Name>(const std::vector<std::string>& args,
// Context& ctx)`: it prints results to ctx.out and errors to ctx.err, one line at a time
// as Consul's cli.Ui does, and returns the exit code (0, 1, or 2 where Consul uses it).
// Tests give it a Context of their own: memory streams and a fake environment.
#ifndef CAIRN_TOOLS_AGENT_COMMAND_UTIL_H_
#define CAIRN_TOOLS_AGENT_COMMAND_UTIL_H_

#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>
#include <boost/json/value.hpp>

#include <cairn/base/flags.h>

#include "http_client.h"

namespace cairn::cli {

// A Status's message as a std::string (fmt cannot format absl::string_view).
inline std::string Msg(const absl::Status& s) { return std::string(s.message()); }

// The process's streams and environment, or a test's. Not thread-safe.
struct Context {
  std::FILE* out = stdout;
  std::FILE* err = stderr;
  std::FILE* in = stdin;
  // Reads an environment variable; nullopt when unset. Default: ::getenv.
  std::function<std::optional<std::string>(const std::string&)> getenv;

  // The real process: stdout, stderr, stdin, ::getenv.
  static Context& Process();

  // `text` and a newline, to out or err (cli.Ui's Output/Info and Error).
  void Out(std::string_view text) const;
  void Err(std::string_view text) const;
  // An environment variable, empty values counted as unset (as Consul's client does).
  std::optional<std::string> Env(const std::string& name) const;
};

// Consul's HTTP API flags (command/flags/http.go). Client flags: -http-addr, -token,
// -token-file, -ca-file, -ca-path, -client-cert, -client-key, -tls-server-name. Server
// flags: -datacenter, -stale.
//
// Precedence, highest first: the flag; CAIRN_<NAME>; CONSUL_<NAME>; the default. The
// variables: HTTP_ADDR, HTTP_TOKEN, HTTP_TOKEN_FILE, CACERT, CAPATH, CLIENT_CERT,
// CLIENT_KEY, TLS_SERVER_NAME, HTTP_SSL, HTTP_SSL_VERIFY, HTTP_AUTH. CAIRN_* wins over
// CONSUL_* because it names this binary explicitly: one shell can hold both a Consul and
// a Cairn setup. A token file's content overrides a token as in Consul, except that a
// `-token` flag beats a token file that only the environment names (flags win over env).
// Must outlive the FlagSet's Parse().
class ClientFlags {
 public:
  void AddClientFlags(base::FlagSet& flags);
  void AddServerFlags(base::FlagSet& flags);

  // The client the flags and ctx's environment describe (errors from HttpClient::Create).
  absl::StatusOr<HttpClient> Client(const Context& ctx) const;
  bool stale() const { return stale_; }

 private:
  std::optional<std::string> address_, token_, token_file_, ca_file_, ca_path_, client_cert_,
      client_key_, tls_server_name_, datacenter_;
  bool stale_ = false;
};

// Parses a subcommand's flags. Returns an exit code when the command must stop: 0 after
// printing `help` and the flags for -h, 1 after printing the parse error and usage to
// ctx.err. Otherwise nullopt, with the positional arguments in *rest.
std::optional<int> ParseFlags(const Context& ctx, base::FlagSet& flags,
                              const std::vector<std::string>& args, std::string_view help,
                              std::vector<std::string>* rest);
// `help` followed by the flags' usage, as `-h` prints it.
std::string HelpText(std::string_view help, const base::FlagSet& flags);

// github.com/ryanuber/columnize with Consul's settings: cells are left-aligned and
// padded to their column's widest cell, joined by two spaces; the last cell of a row is
// not padded; cells are trimmed of surrounding spaces. No trailing newline.
std::string Columnize(const std::vector<std::vector<std::string>>& rows);

// A JSON string literal as Go's encoding/json writes it: HTML-safe (<, >, & as \u003c
// \u003e \u0026), U+2028/U+2029 escaped, invalid UTF-8 replaced by U+FFFD.
std::string GoJsonQuote(std::string_view s);

// Standard base64 with padding.
std::string Base64Encode(std::string_view data);
// Go's base64.StdEncoding.DecodeString: strict padding; '\r' and '\n' are ignored.
// Errors read as Go's: `illegal base64 data at input byte 4`.
absl::StatusOr<std::string> Base64Decode(std::string_view text);

// A whole file, with Go's os error texts: `open <path>: no such file or directory`,
// `read <path>: is a directory`.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

// A DATA argument as `kv put` and `kv import` take it: `@path` is the file's content,
// `-` alone is stdin to EOF, anything else is literal. Errors: `Failed to read file:
// open <path>: <why>`, `Failed to read stdin: <why>`.
absl::StatusOr<std::string> ReadDataArg(const Context& ctx, const std::string& arg);

// A JSON response body. Errors: `invalid JSON in response: <why>`.
absl::StatusOr<boost::json::value> ParseJson(std::string_view body);
// Members of a JSON object, tolerant of absence and of the wrong type (then "" / 0 /
// false), as Go's decoding into a struct is.
std::string JsonString(const boost::json::value& object, std::string_view key);
uint64_t JsonUint(const boost::json::value& object, std::string_view key);
bool JsonBool(const boost::json::value& object, std::string_view key);
// A JSON scalar as Go's fmt prints it with %v: strings bare, numbers, true/false, and
// anything else serialized.
std::string JsonScalarText(const boost::json::value& v);

// GET /v1/kv/... and its KV pairs; a 404 is an empty list, as in Consul's Go client.
// Errors: transport failures, `Unexpected response code: ...`, malformed JSON.
absl::StatusOr<std::vector<boost::json::value>> FetchPairs(const HttpClient& client,
                                                           HttpRequest req);
// A KV pair's Value, base64-decoded; null or absent is empty.
absl::StatusOr<std::string> PairValue(const boost::json::value& pair);

}  // namespace cairn::cli

#endif  // CAIRN_TOOLS_AGENT_COMMAND_UTIL_H_
