// cairn/base/config_reader.h — reads Consul-style configuration files (JSON or HCL) into
// one Boost.JSON tree.
//
// The agent's `-config-file`, `-config-dir` and `-hcl` sources arrive in two syntaxes. This
// header turns either into the same `boost::json::object`, so everything after it (key
// validation, merging, defaults) handles one shape. It knows nothing of Consul's keys: it
// is only the syntax layer.
//
// Example:
//
//   absl::StatusOr<boost::json::object> config =
//       cairn::base::ReadConfigFile("/etc/cairn.d/agent.hcl");
//   if (!config.ok()) {
//     // config.status().message() == "/etc/cairn.d/agent.hcl:3:8: expected '=' or '{'
//     //                                after key \"server\", found \"true\""
//     return config.status();
//   }
//   bool server = config->at("server").as_bool();
//
// Accepted syntax
//
//   JSON: RFC 8259 plus `//` and `/* */` comments, because users write them (the issue's
//   real-world example is `{"acl": {"enabled": true, // comment ...`). Trailing commas are
//   rejected, as Consul's encoding/json rejects them. A repeated key keeps the last value,
//   as encoding/json does. The top level must be an object.
//
//   HCL: the HCL1 forms Consul configs use —
//     key = value                       attribute; key is an identifier (letters, digits,
//                                       `_`, `-`, `.`) or a quoted string
//     name { ... }   name = { ... }     nested object ("block")
//     name "label" { ... }              labelled block: {"name": {"label": {...}}}
//     [1, "a", true, { k = 1 },]        list; a trailing comma is allowed
//     "str\n\t\"\\\u00e9"               escapes: \a \b \f \n \r \t \v \\ \" \' \uXXXX
//                                       \UXXXXXXXX (Go's \x and octal byte escapes are
//                                       rejected: they could make invalid UTF-8)
//     <<EOF ... EOF   <<-EOF ... EOF    heredoc; `<<-` strips the closing marker's
//                                       indentation from every line when all non-blank
//                                       lines carry it (HCL1's rule)
//     42  -7  0x1F  0755  1.5  1e-3     ints (decimal, hex, octal as in Go) and floats
//     true false                        bools
//     # c    // c    /* c */            comments
//   Items in a block may be separated by newlines or commas. HCL has no null.
//   As in HCL1, HCL text whose first token is '{' is JSON and is read by the JSON rules
//   above (users save JSON with comments as .hcl; seed 001's auth.hcl is one).
//
//   Repeated keys in one HCL object follow hashicorp/hcl v1's decoder:
//     - two objects (blocks) under one key become an array: `check {..} check {..}` gives
//       "check": [{..}, {..}]; a third appends;
//     - two lists concatenate: `retry_join = ["a"]` then `retry_join = ["b"]` gives
//       ["a", "b"]; an object and a list combine the same way;
//     - two scalars: the last wins;
//     - a scalar against a list or object is an error.
//   Labels only nest, as in HCL1: `service "a" {}` then `service "b" {}` give
//   {"service": [{"a": {}}, {"b": {}}]}.
//   A block that appears once stays an object (HCL1 wraps every block in a one-element
//   list; Consul then unwraps it, so callers here never see that list).
//
//   Not supported: HCL1's `${...}` interpolation is not special (a `"` inside it ends the
//   string), and HCL2-only syntax (expressions, `for`, functions) is rejected.
//
// Errors
//
//   A syntax error is kInvalidArgument with the message
//   `<filename>:<line>:<column>: <what was expected>, found <what was there>`; lines and
//   columns start at 1 and columns count UTF-8 characters. Nesting deeper than
//   kMaxConfigDepth levels is an error, never a stack overflow. A file that cannot be read
//   gives the errno-derived code (kNotFound, kPermissionDenied, ...) with a message naming
//   the path.
//
// Thread safety: every function here is pure apart from ReadConfigFile's read of the file,
// and may be called from any thread.
#ifndef CAIRN_BASE_CONFIG_READER_H_
#define CAIRN_BASE_CONFIG_READER_H_

#include <cstddef>
#include <string>
#include <string_view>

#include <absl/status/statusor.h>
#include <boost/json/object.hpp>

namespace cairn::base {

// The two configuration syntaxes.
enum class ConfigFormat { kJson, kHcl };

// Deepest nesting of objects and lists accepted by either parser (an HCL block label counts
// as one level). Consul's deepest real key is about 6 levels down.
inline constexpr std::size_t kMaxConfigDepth = 64;

// Returns "json" or "hcl".
std::string_view ConfigFormatName(ConfigFormat format);

// Parses the value of `-config-format`: "json" or "hcl" (exactly, as Consul does).
// Anything else is kInvalidArgument naming the value.
absl::StatusOr<ConfigFormat> ParseConfigFormat(std::string_view name);

// Picks the format from `path`'s extension: ".json" or ".hcl" (case-sensitive, as Consul).
// Any other extension is kInvalidArgument:
//   `<path>: unknown extension "<ext>": config files must end in .json or .hcl`.
// `-config-dir` callers that skip such files can test for that error code.
absl::StatusOr<ConfigFormat> ConfigFormatFromPath(std::string_view path);

// Parses `text` as `format`. `filename` only labels error messages (it may be "-hcl" or
// any other name for text that did not come from a file). On success the result is the
// top-level object; on failure kInvalidArgument as described above. `text` need not be
// NUL-terminated and may hold any bytes; a UTF-8 byte-order mark at the start is skipped.
absl::StatusOr<boost::json::object> ParseConfig(std::string_view text, ConfigFormat format,
                                                std::string_view filename);

// Reads the file at `path` and parses it in the format its extension names.
absl::StatusOr<boost::json::object> ReadConfigFile(const std::string& path);

// Reads the file at `path` and parses it as `format` whatever its extension
// (`-config-format`).
absl::StatusOr<boost::json::object> ReadConfigFile(const std::string& path, ConfigFormat format);

}  // namespace cairn::base

#endif  // CAIRN_BASE_CONFIG_READER_H_
