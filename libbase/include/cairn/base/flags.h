// cairn/base/flags.h — command-line flags in Go's `flag` style, as Consul's CLI takes them.
//
// Accepted forms: `-name value`, `-name=value`, `--name value`, `--name=value`; boolean
// flags as `-name`, `-name=true|false` (never `-name false`, which would leave "false" as a
// positional argument, as in Go). Parsing stops at the first positional argument or after
// `--`. Repeatable flags (StringList) append. `-h`, `-help` and `--help` ask for help.
//
// Example:
//
//   cairn::base::FlagSet flags("kv put");
//   std::string address = "127.0.0.1:8500";
//   int64_t flag_value = 0;
//   flags.String("http-addr", &address, "The address of the Consul agent.");
//   flags.Int("flags", &flag_value, "Unsigned integer value to assign to this KV pair.");
//   absl::StatusOr<cairn::base::FlagSet::Result> r = flags.Parse(args);
//   if (!r.ok()) { Print(r.status().message()); Print(flags.Usage()); return 1; }
//   // r->args holds the positional arguments after the flags.
#ifndef CAIRN_BASE_FLAGS_H_
#define CAIRN_BASE_FLAGS_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <absl/functional/any_invocable.h>
#include <absl/status/statusor.h>

#include <cairn/base/clock.h>

namespace cairn::base {

// A set of flags for one command. Not thread-safe; targets must outlive Parse().
class FlagSet {
 public:
  struct Result {
    std::vector<std::string> args;  // positional arguments after the flags
    bool help = false;              // -h / -help / --help was given; args may be partial
  };

  explicit FlagSet(std::string command) : command_(std::move(command)) {}

  // Each registers `-name`; registering a name twice is a bug (CAIRN_CHECK).
  void String(std::string_view name, std::string* target, std::string_view help);
  void Bool(std::string_view name, bool* target, std::string_view help);
  // Decimal, or 0x-prefixed hex, optionally signed; out-of-range values are errors.
  void Int(std::string_view name, int64_t* target, std::string_view help);
  void Uint(std::string_view name, uint64_t* target, std::string_view help);
  // A Go duration ("10s", "1m30s"), see <cairn/base/duration.h>.
  void Duration(std::string_view name, base::Duration* target, std::string_view help);
  // Repeatable: each occurrence appends.
  void StringList(std::string_view name, std::vector<std::string>* target, std::string_view help);
  // A flag whose value `set` interprets; return InvalidArgument to reject it. With
  // `is_bool`, the flag may appear without a value, which passes "true".
  void Func(std::string_view name, absl::AnyInvocable<absl::Status(std::string_view)> set,
            std::string_view help, bool is_bool = false);

  // Parses `args` (without the program and command names). Errors are InvalidArgument
  // with Go's wording: "flag provided but not defined: -x", "flag needs an argument: -x",
  // "invalid value \"v\" for flag -x: <why>".
  absl::StatusOr<Result> Parse(const std::vector<std::string>& args);

  // True if the flag was given on the command line (so it overrides config files).
  bool IsSet(std::string_view name) const;

  // The flags and their help, sorted by name, one "  -name=<type>\n     help" entry each.
  std::string Usage() const;

 private:
  struct Flag {
    std::string type;  // shown in Usage(): "string", "int", "duration", ... or "" for bool
    std::string help;
    bool is_bool = false;
    bool set = false;
    absl::AnyInvocable<absl::Status(std::string_view)> apply;
  };
  void Add(std::string_view name, std::string type, std::string_view help, bool is_bool,
           absl::AnyInvocable<absl::Status(std::string_view)> apply);

  std::string command_;
  std::map<std::string, Flag, std::less<>> flags_;
};

}  // namespace cairn::base

#endif  // CAIRN_BASE_FLAGS_H_
