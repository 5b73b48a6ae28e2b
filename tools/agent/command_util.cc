#include "command_util.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

namespace cairn::cli {
namespace {

// strerror() is capitalized; Go's syscall texts are not.
std::string Errno(int err) {
  std::string s = std::strerror(err);
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

bool ParseGoBool(std::string_view v, bool* out) {
  if (v == "1" || v == "t" || v == "T" || v == "true" || v == "TRUE" || v == "True") {
    *out = true;
    return true;
  }
  if (v == "0" || v == "f" || v == "F" || v == "false" || v == "FALSE" || v == "False") {
    *out = false;
    return true;
  }
  return false;
}

// The length of the valid UTF-8 sequence at s[i], or 0 if it is not valid (overlong,
// surrogate, beyond U+10FFFF, truncated).
std::size_t Utf8Length(std::string_view s, std::size_t i, uint32_t* rune) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  std::size_t n;
  uint32_t r;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2, r = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3, r = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4, r = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    r = (r << 6) | (b(i + k) & 0x3F);
  }
  if ((n == 3 && (r < 0x800 || (r >= 0xD800 && r <= 0xDFFF))) ||
      (n == 4 && (r < 0x10000 || r > 0x10FFFF))) {
    return 0;
  }
  *rune = r;
  return n;
}

std::size_t RuneCount(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size();) {
    uint32_t r;
    std::size_t len = static_cast<unsigned char>(s[i]) < 0x80 ? 1 : Utf8Length(s, i, &r);
    i += len == 0 ? 1 : len;
    ++n;
  }
  return n;
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

Context& Context::Process() {
  static Context* ctx = [] {
    auto* c = new Context;
    c->getenv = [](const std::string& name) -> std::optional<std::string> {
      const char* v = std::getenv(name.c_str());
      if (v == nullptr) return std::nullopt;
      return std::string(v);
    };
    return c;
  }();
  return *ctx;
}

void Context::Out(std::string_view text) const {
  std::fwrite(text.data(), 1, text.size(), out);
  std::fputc('\n', out);
  std::fflush(out);
}

void Context::Err(std::string_view text) const {
  std::fwrite(text.data(), 1, text.size(), err);
  std::fputc('\n', err);
  std::fflush(err);
}

std::optional<std::string> Context::Env(const std::string& name) const {
  if (!getenv) return std::nullopt;
  std::optional<std::string> v = getenv(name);
  if (v && v->empty()) return std::nullopt;
  return v;
}

void ClientFlags::AddClientFlags(base::FlagSet& flags) {
  auto opt = [&flags](std::string_view name, std::optional<std::string>* target,
                      std::string_view help) {
    flags.Func(
        name,
        [target](std::string_view v) {
          *target = std::string(v);
          return absl::OkStatus();
        },
        help);
  };
  opt("http-addr", &address_,
      "The `address` and port of the Cairn HTTP agent. The value can be an IP address or DNS "
      "address, but it must also include the port. This can also be specified via the "
      "CAIRN_HTTP_ADDR or CONSUL_HTTP_ADDR environment variable. The default value is "
      "http://127.0.0.1:8500. The scheme can also be set to HTTPS by setting the environment "
      "variable CONSUL_HTTP_SSL=true.");
  opt("token", &token_,
      "ACL token to use in the request. This can also be specified via the CAIRN_HTTP_TOKEN "
      "or CONSUL_HTTP_TOKEN environment variable. If unspecified, the query will default to "
      "the token of the agent at the HTTP address.");
  opt("token-file", &token_file_,
      "File containing the ACL token to use in the request instead of one specified via the "
      "-token argument or CONSUL_HTTP_TOKEN environment variable. This can also be specified "
      "via the CONSUL_HTTP_TOKEN_FILE environment variable.");
  opt("ca-file", &ca_file_,
      "Path to a CA file to use for TLS when communicating with the agent. This can also be "
      "specified via the CONSUL_CACERT environment variable.");
  opt("ca-path", &ca_path_,
      "Path to a directory of CA certificates to use for TLS when communicating with the "
      "agent. This can also be specified via the CONSUL_CAPATH environment variable.");
  opt("client-cert", &client_cert_,
      "Path to a client cert file to use for TLS when 'verify_incoming' is enabled. This can "
      "also be specified via the CONSUL_CLIENT_CERT environment variable.");
  opt("client-key", &client_key_,
      "Path to a client key file to use for TLS when 'verify_incoming' is enabled. This can "
      "also be specified via the CONSUL_CLIENT_KEY environment variable.");
  opt("tls-server-name", &tls_server_name_,
      "The server name to use as the SNI host when connecting via TLS. This can also be "
      "specified via the CONSUL_TLS_SERVER_NAME environment variable.");
}

void ClientFlags::AddServerFlags(base::FlagSet& flags) {
  flags.Func(
      "datacenter",
      [this](std::string_view v) {
        datacenter_ = std::string(v);
        return absl::OkStatus();
      },
      "Name of the datacenter to query. If unspecified, this will default to the datacenter "
      "of the queried agent.");
  flags.Bool("stale", &stale_,
             "Permit any server (non-leader) to respond to this request. This allows for lower "
             "latency and higher throughput, but can result in stale data. This option has no "
             "effect on non-read operations. The default value is false.");
}

absl::StatusOr<HttpClient> ClientFlags::Client(const Context& ctx) const {
  auto env = [&ctx](const std::string& name) -> std::optional<std::string> {
    if (auto v = ctx.Env("CAIRN_" + name)) return v;
    return ctx.Env("CONSUL_" + name);
  };
  auto pick = [&](const std::optional<std::string>& flag, const std::string& name) {
    if (flag) return *flag;
    return env(name).value_or("");
  };
  HttpClientConfig config;
  if (std::string a = pick(address_, "HTTP_ADDR"); !a.empty()) config.address = a;
  config.token = pick(token_, "HTTP_TOKEN");
  config.token_file = token_file_ ? *token_file_
                      : token_    ? ""
                                  : env("HTTP_TOKEN_FILE").value_or("");
  config.ca_file = pick(ca_file_, "CACERT");
  config.ca_path = pick(ca_path_, "CAPATH");
  config.client_cert = pick(client_cert_, "CLIENT_CERT");
  config.client_key = pick(client_key_, "CLIENT_KEY");
  config.tls_server_name = pick(tls_server_name_, "TLS_SERVER_NAME");
  config.auth = env("HTTP_AUTH").value_or("");
  config.datacenter = datacenter_.value_or("");
  if (auto ssl = env("HTTP_SSL")) {
    bool on = false;
    if (!ParseGoBool(*ssl, &on)) {
      return absl::InvalidArgumentError(
          fmt::format("Could not parse CONSUL_HTTP_SSL: strconv.ParseBool: parsing \"{}\": "
                      "invalid syntax",
                      *ssl));
    }
    config.https = on;
  }
  if (auto verify = env("HTTP_SSL_VERIFY")) {
    bool on = true;
    if (!ParseGoBool(*verify, &on)) {
      return absl::InvalidArgumentError(
          fmt::format("Could not parse CONSUL_HTTP_SSL_VERIFY: strconv.ParseBool: parsing "
                      "\"{}\": invalid syntax",
                      *verify));
    }
    config.tls_verify = on;
  }
  return HttpClient::Create(config);
}

std::string HelpText(std::string_view help, const base::FlagSet& flags) {
  std::string out(help);
  std::string usage = flags.Usage();
  if (!usage.empty()) out += "\n\nCommand Options:\n\n" + usage;
  return out;
}

std::optional<int> ParseFlags(const Context& ctx, base::FlagSet& flags,
                              const std::vector<std::string>& args, std::string_view help,
                              std::vector<std::string>* rest) {
  absl::StatusOr<base::FlagSet::Result> parsed = flags.Parse(args);
  if (!parsed.ok()) {
    ctx.Err(Msg(parsed.status()));
    ctx.Err("");
    ctx.Err(HelpText(help, flags));
    return 1;
  }
  if (parsed->help) {
    ctx.Out(HelpText(help, flags));
    return 0;
  }
  *rest = std::move(parsed->args);
  return std::nullopt;
}

std::string Columnize(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::vector<std::string>> cells;
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    std::vector<std::string> trimmed;
    for (const std::string& cell : row) {
      std::size_t b = cell.find_first_not_of(" \t\r\n");
      std::size_t e = cell.find_last_not_of(" \t\r\n");
      trimmed.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
      std::size_t w = RuneCount(trimmed.back());
      if (widths.size() < trimmed.size()) {
        widths.push_back(w);
      } else {
        widths[trimmed.size() - 1] = std::max(widths[trimmed.size() - 1], w);
      }
    }
    cells.push_back(std::move(trimmed));
  }
  std::string out;
  for (std::size_t r = 0; r < cells.size(); ++r) {
    if (r > 0) out += '\n';
    for (std::size_t i = 0; i < cells[r].size(); ++i) {
      const std::string& cell = cells[r][i];
      out += cell;
      if (i + 1 < cells[r].size()) {
        out.append(widths[i] - RuneCount(cell), ' ');
        out += "  ";
      }
    }
  }
  return out;
}

std::string GoJsonQuote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\r') {
        out += "\\r";
      } else if (c == '\t') {
        out += "\\t";
      } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    uint32_t rune = 0;
    std::size_t n = Utf8Length(s, i, &rune);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
    } else if (rune == 0x2028 || rune == 0x2029) {
      out += rune == 0x2028 ? "\\u2028" : "\\u2029";
      i += n;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  out += '"';
  return out;
}

std::string Base64Encode(std::string_view data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve(4 * ((data.size() + 2) / 3));
  for (std::size_t i = 0; i < data.size(); i += 3) {
    uint32_t n = static_cast<unsigned char>(data[i]) << 16;
    if (i + 1 < data.size()) n |= static_cast<unsigned char>(data[i + 1]) << 8;
    if (i + 2 < data.size()) n |= static_cast<unsigned char>(data[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < data.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < data.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

absl::StatusOr<std::string> Base64Decode(std::string_view text) {
  // Positions of the meaningful characters in `text` (newlines are skipped, as in Go).
  std::vector<std::size_t> pos;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\r' && text[i] != '\n') pos.push_back(i);
  }
  auto corrupt = [](std::size_t at) {
    return absl::InvalidArgumentError(fmt::format("illegal base64 data at input byte {}", at));
  };
  std::string out;
  std::size_t k = 0;
  while (k < pos.size()) {
    uint32_t acc = 0;
    int got = 0;
    std::size_t quantum_start = pos[k];
    for (; got < 4; ++got) {
      if (k >= pos.size()) {
        // A truncated final quantum: Go reports where the quantum began.
        return corrupt(quantum_start);
      }
      char c = text[pos[k]];
      if (c == '=') {
        if (got < 2) return corrupt(pos[k]);
        if (got == 2) {
          if (k + 1 >= pos.size()) return corrupt(text.size());  // not enough padding
          if (text[pos[k + 1]] != '=') return corrupt(pos[k]);
          ++k;
        }
        ++k;
        if (k < pos.size()) return corrupt(pos[k]);  // trailing garbage
        break;
      }
      int v = Base64Value(c);
      if (v < 0) return corrupt(pos[k]);
      acc = (acc << 6) | static_cast<uint32_t>(v);
      ++k;
    }
    if (got == 4) {
      out += static_cast<char>((acc >> 16) & 0xFF);
      out += static_cast<char>((acc >> 8) & 0xFF);
      out += static_cast<char>(acc & 0xFF);
    } else if (got == 3) {
      acc <<= 6;
      out += static_cast<char>((acc >> 16) & 0xFF);
      out += static_cast<char>((acc >> 8) & 0xFF);
    } else {  // got == 2
      acc <<= 12;
      out += static_cast<char>((acc >> 16) & 0xFF);
    }
  }
  return out;
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError(fmt::format("open {}: {}", path, Errno(errno)));
  std::string data;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return absl::DataLossError(fmt::format("read {}: {}", path, Errno(err)));
    }
    if (n == 0) break;
    data.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return data;
}

absl::StatusOr<std::string> ReadDataArg(const Context& ctx, const std::string& arg) {
  if (!arg.empty() && arg[0] == '@') {
    absl::StatusOr<std::string> data = ReadWholeFile(arg.substr(1));
    if (!data.ok()) {
      return absl::InvalidArgumentError(fmt::format("Failed to read file: {}", Msg(data.status())));
    }
    return data;
  }
  if (arg == "-") {
    std::string data;
    char buf[65536];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, ctx.in)) data.append(buf, n);
    if (std::ferror(ctx.in)) {
      return absl::InvalidArgumentError(fmt::format("Failed to read stdin: {}", Errno(errno)));
    }
    return data;
  }
  return arg;
}

absl::StatusOr<boost::json::value> ParseJson(std::string_view body) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (ec)
    return absl::InvalidArgumentError(fmt::format("invalid JSON in response: {}", ec.message()));
  return v;
}

std::string JsonString(const boost::json::value& object, std::string_view key) {
  const boost::json::object* o = object.if_object();
  if (o == nullptr) return "";
  auto it = o->find(key);
  if (it == o->end() || !it->value().is_string()) return "";
  return std::string(it->value().get_string());
}

uint64_t JsonUint(const boost::json::value& object, std::string_view key) {
  const boost::json::object* o = object.if_object();
  if (o == nullptr) return 0;
  auto it = o->find(key);
  if (it == o->end()) return 0;
  const boost::json::value& v = it->value();
  if (v.is_uint64()) return v.get_uint64();
  if (v.is_int64() && v.get_int64() >= 0) return static_cast<uint64_t>(v.get_int64());
  if (v.is_double() && v.get_double() >= 0 && v.get_double() < 18446744073709551616.0) {
    return static_cast<uint64_t>(v.get_double());
  }
  return 0;
}

bool JsonBool(const boost::json::value& object, std::string_view key) {
  const boost::json::object* o = object.if_object();
  if (o == nullptr) return false;
  auto it = o->find(key);
  return it != o->end() && it->value().is_bool() && it->value().get_bool();
}

std::string JsonScalarText(const boost::json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_bool()) return v.get_bool() ? "true" : "false";
  if (v.is_null()) return "<nil>";
  return boost::json::serialize(v);
}

}  // namespace cairn::cli
