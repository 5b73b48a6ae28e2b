#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include <boost/json/error.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/stream_parser.hpp>
#include <boost/json/value.hpp>

#include <cairn/base/config_reader.h>

#include "hcl_parser.h"

namespace cairn::base {

using internal::Cat;
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// Boost's own messages ("syntax error", "incomplete JSON") say nothing about what was
// expected; these do, for the errors a hand-edited config actually hits.
std::string JsonErrorText(const boost::system::error_code& ec, std::string_view text,
                          std::size_t offset) {
  namespace je = boost::json;
  std::string found = internal::DescribeAt(text, offset);
  if (ec == je::error::incomplete) return "unexpected end of input";
  if (ec == je::error::extra_data) {
    return Cat("expected end of input after the top-level object, found ", found);
  }
  if (ec == je::error::too_deep) {
    return Cat("nesting deeper than ", kMaxConfigDepth, " levels");
  }
  if (ec == je::error::illegal_leading_surrogate || ec == je::error::illegal_trailing_surrogate ||
      ec == je::error::expected_hex_digit) {
    return "invalid \\u escape in string";
  }
  if (ec == je::error::exponent_overflow) return "number exponent too large";
  if (ec == je::error::syntax && offset < text.size() &&
      static_cast<unsigned char>(text[offset]) < 0x20) {
    // Whitespace outside strings is skipped, so a control character here is inside one.
    return Cat("control character ", found,
               " in a string (write it as an escape such as \\n or \\t)");
  }
  if (ec == je::error::syntax && offset < text.size() &&
      internal::FindInvalidUtf8(text.substr(offset, 4)) == 0) {
    return "invalid UTF-8 encoding";
  }
  if (ec == je::error::syntax && offset > 0 && offset < text.size() && text[offset - 1] == '\\') {
    return Cat("invalid escape sequence ", found, " after '\\' in string");
  }
  if (ec == je::error::syntax) {
    // Boost stops at the first byte that cannot continue the text. A ',' just before a
    // closing bracket is the most common hand-editing slip: say so.
    std::size_t prev = text.find_last_not_of(" \t\r\n", offset == 0 ? 0 : offset - 1);
    if (offset < text.size() && (text[offset] == '}' || text[offset] == ']') &&
        prev != std::string_view::npos && prev < offset && text[prev] == ',') {
      return Cat("unexpected ", found, " after ',' (JSON allows no trailing comma)");
    }
    return Cat("invalid JSON: unexpected ", found);
  }
  return Cat("invalid JSON (", ec.message(), "), found ", found);
}

// True when the first thing in `text` other than whitespace and JSON-style comments is '{'. HCL1
// (hcl.Decode's lexMode) parses such text as JSON; an HCL body cannot start with '{'.
bool LooksLikeJson(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      ++i;
    } else if (text.substr(i, 2) == "//") {
      std::size_t nl = text.find('\n', i);
      i = nl == std::string_view::npos ? text.size() : nl;
    } else if (text.substr(i, 2) == "/*") {
      std::size_t close = text.find("*/", i + 2);
      if (close == std::string_view::npos) return false;
      i = close + 2;
    } else {
      return c == '{';
    }
  }
  return false;
}

// Boost.JSON turns a number too large for a double (1e999) into infinity, which cannot be
// written back as JSON and which Go's encoding/json rejects: returns true if there is one.
// Boost also turns a zero with a huge exponent (0e999) into NaN; that number is zero, so
// it becomes 0.0 here. Recursion depth is bounded by max_depth.
bool FixNonFinite(boost::json::value& v) {
  if (v.is_double()) {
    if (std::isnan(v.get_double())) v = 0.0;
    return std::isinf(v.get_double());
  }
  bool found = false;
  if (v.is_array()) {
    for (boost::json::value& e : v.get_array()) found = FixNonFinite(e) || found;
  } else if (v.is_object()) {
    for (auto& kv : v.get_object()) found = FixNonFinite(kv.value()) || found;
  }
  return found;
}

// Offset of the first number in already-valid JSON `text` that overflows a double.
std::size_t FindOverflowingNumber(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '"') {
      for (++i; i < text.size() && text[i] != '"'; i += text[i] == '\\' ? 2 : 1) {
      }
      ++i;
    } else if (text.substr(i, 2) == "//" || text.substr(i, 2) == "/*") {
      std::size_t end = text[i + 1] == '/' ? text.find('\n', i) : text.find("*/", i);
      i = end == std::string_view::npos ? text.size() : end + 1;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      std::size_t end = text.find_first_not_of("+-.eE0123456789", i);
      std::string_view number = text.substr(i, end - i);
      double value;
      auto result = std::from_chars(number.data(), number.data() + number.size(), value);
      bool underflow = number.find("e-") != std::string_view::npos ||
                       number.find("E-") != std::string_view::npos;
      if (result.ec == std::errc::result_out_of_range && !underflow) return i;
      i += number.size();
    } else {
      ++i;
    }
  }
  return 0;
}

absl::StatusOr<boost::json::object> ParseJson(std::string_view text, std::string_view filename) {
  boost::json::parse_options options;
  options.allow_comments = true;          // users write them; see config_reader.h
  options.allow_trailing_commas = false;  // as Consul's encoding/json
  options.max_depth = kMaxConfigDepth;
  boost::json::stream_parser parser({}, options);
  boost::system::error_code ec;
  std::size_t consumed = parser.write(text.data(), text.size(), ec);
  if (!ec) {
    consumed = text.size();
    parser.finish(ec);
  }
  if (ec) {
    return internal::SyntaxErrorAt(filename, text, consumed, JsonErrorText(ec, text, consumed));
  }
  boost::json::value root = parser.release();
  if (FixNonFinite(root)) {
    std::size_t at = FindOverflowingNumber(text);
    return internal::SyntaxErrorAt(filename, text, at,
                                   Cat("number out of range ", internal::DescribeAt(text, at)));
  }
  if (!root.is_object()) {
    std::size_t first = text.find_first_not_of(" \t\r\n");
    // Skip leading comments too, so the position points at the value itself.
    while (first != std::string_view::npos && text[first] == '/' && first + 1 < text.size()) {
      std::size_t end =
          text[first + 1] == '/' ? text.find('\n', first) : text.find("*/", first + 2);
      if (end == std::string_view::npos) break;
      first = text.find_first_not_of(" \t\r\n", end + (text[first + 1] == '/' ? 1 : 2));
    }
    return internal::SyntaxErrorAt(
        filename, text, first == std::string_view::npos ? 0 : first,
        Cat("expected a JSON object at the top level, found ",
            internal::DescribeAt(text, first == std::string_view::npos ? 0 : first)));
  }
  return std::move(root.as_object());
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (file == nullptr) {
    int err = errno;
    return absl::ErrnoToStatus(err, Cat("cannot open config file ", path));
  }
  std::string data;
  char buffer[64 * 1024];
  while (true) {
    std::size_t n = std::fread(buffer, 1, sizeof(buffer), file.get());
    data.append(buffer, n);
    if (n < sizeof(buffer)) break;
  }
  if (std::ferror(file.get())) {
    // A directory opens fine on Linux but fails here with EISDIR.
    int err = errno;
    return absl::ErrnoToStatus(err, Cat("cannot read config file ", path));
  }
  return data;
}

}  // namespace

std::string_view ConfigFormatName(ConfigFormat format) {
  return format == ConfigFormat::kJson ? "json" : "hcl";
}

absl::StatusOr<ConfigFormat> ParseConfigFormat(std::string_view name) {
  if (name == "json") return ConfigFormat::kJson;
  if (name == "hcl") return ConfigFormat::kHcl;
  return absl::InvalidArgumentError(
      Cat("invalid config format \"", name, "\": must be \"json\" or \"hcl\""));
}

absl::StatusOr<ConfigFormat> ConfigFormatFromPath(std::string_view path) {
  std::size_t slash = path.rfind('/');
  std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  std::size_t dot = base.rfind('.');
  std::string_view ext = dot == std::string_view::npos ? "" : base.substr(dot);
  if (ext == ".json") return ConfigFormat::kJson;
  if (ext == ".hcl") return ConfigFormat::kHcl;
  return absl::InvalidArgumentError(
      Cat(path, ": unknown extension \"", ext, "\": config files must end in .json or .hcl"));
}

absl::StatusOr<boost::json::object> ParseConfig(std::string_view text, ConfigFormat format,
                                                std::string_view filename) {
  if (text.substr(0, kUtf8Bom.size()) == kUtf8Bom) text.remove_prefix(kUtf8Bom.size());
  if (format == ConfigFormat::kJson || LooksLikeJson(text)) return ParseJson(text, filename);
  return internal::ParseHcl(text, filename);
}

absl::StatusOr<boost::json::object> ReadConfigFile(const std::string& path) {
  absl::StatusOr<ConfigFormat> format = ConfigFormatFromPath(path);
  if (!format.ok()) return format.status();
  return ReadConfigFile(path, *format);
}

absl::StatusOr<boost::json::object> ReadConfigFile(const std::string& path, ConfigFormat format) {
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  if (!text.ok()) return text.status();
  return ParseConfig(*text, format, path);
}

}  // namespace cairn::base
