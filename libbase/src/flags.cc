#include <absl/strings/numbers.h>
#include <fmt/format.h>

#include <cairn/base/duration.h>
#include <cairn/base/flags.h>
#include <cairn/base/status.h>

namespace cairn::base {
namespace {

absl::Status ParseBool(std::string_view v, bool* out) {
  // The spellings Go's strconv.ParseBool accepts.
  if (v == "1" || v == "t" || v == "T" || v == "true" || v == "TRUE" || v == "True") {
    *out = true;
  } else if (v == "0" || v == "f" || v == "F" || v == "false" || v == "FALSE" || v == "False") {
    *out = false;
  } else {
    return absl::InvalidArgumentError("parse error");
  }
  return absl::OkStatus();
}

bool ParseSigned(std::string_view v, int64_t* out) {
  bool neg = false;
  std::string_view digits = v;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
    neg = digits[0] == '-';
    digits.remove_prefix(1);
  }
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    uint64_t u;
    if (!absl::SimpleHexAtoi(ToAbsl(digits.substr(2)), &u)) return false;
    if (u > (neg ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1)) return false;
    *out = neg ? static_cast<int64_t>(~u + 1) : static_cast<int64_t>(u);
    return true;
  }
  return absl::SimpleAtoi(ToAbsl(v), out);
}

}  // namespace

void FlagSet::Add(std::string_view name, std::string type, std::string_view help, bool is_bool,
                  absl::AnyInvocable<absl::Status(std::string_view)> apply) {
  CAIRN_CHECK_MSG(!flags_.contains(name), "flag -{} defined twice", name);
  flags_.emplace(std::string(name),
                 Flag{std::move(type), std::string(help), is_bool, false, std::move(apply)});
}

void FlagSet::String(std::string_view name, std::string* target, std::string_view help) {
  Add(name, "string", help, false, [target](std::string_view v) {
    *target = std::string(v);
    return absl::OkStatus();
  });
}

void FlagSet::Bool(std::string_view name, bool* target, std::string_view help) {
  Add(name, "", help, true, [target](std::string_view v) { return ParseBool(v, target); });
}

void FlagSet::Int(std::string_view name, int64_t* target, std::string_view help) {
  Add(name, "int", help, false, [target](std::string_view v) {
    if (!ParseSigned(v, target)) return absl::InvalidArgumentError("parse error");
    return absl::OkStatus();
  });
}

void FlagSet::Uint(std::string_view name, uint64_t* target, std::string_view help) {
  Add(name, "uint", help, false, [target](std::string_view v) {
    if (v.empty() || v[0] == '-' || !absl::SimpleAtoi(ToAbsl(v), target)) {
      return absl::InvalidArgumentError("parse error");
    }
    return absl::OkStatus();
  });
}

void FlagSet::Duration(std::string_view name, base::Duration* target, std::string_view help) {
  Add(name, "duration", help, false, [target](std::string_view v) -> absl::Status {
    CAIRN_ASSIGN_OR_RETURN(*target, ParseGoDuration(v));
    return absl::OkStatus();
  });
}

void FlagSet::StringList(std::string_view name, std::vector<std::string>* target,
                         std::string_view help) {
  Add(name, "string", help, false, [target](std::string_view v) {
    target->emplace_back(v);
    return absl::OkStatus();
  });
}

void FlagSet::Func(std::string_view name, absl::AnyInvocable<absl::Status(std::string_view)> set,
                   std::string_view help, bool is_bool) {
  Add(name, is_bool ? "" : "value", help, is_bool, std::move(set));
}

absl::StatusOr<FlagSet::Result> FlagSet::Parse(const std::vector<std::string>& args) {
  Result result;
  std::size_t i = 0;
  for (; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (a.size() < 2 || a[0] != '-') break;  // "-" alone or a positional argument
    if (a == "--") {
      ++i;
      break;
    }
    std::string_view body = a.substr(a[1] == '-' ? 2 : 1);
    if (body.empty() || body[0] == '-' || body[0] == '=') {
      return absl::InvalidArgumentError(fmt::format("bad flag syntax: {}", a));
    }
    std::string_view name = body;
    std::string_view value;
    bool has_value = false;
    if (auto eq = body.find('='); eq != std::string_view::npos) {
      name = body.substr(0, eq);
      value = body.substr(eq + 1);
      has_value = true;
    }
    auto it = flags_.find(name);
    if (it == flags_.end()) {
      if (name == "h" || name == "help") {
        result.help = true;
        continue;
      }
      return absl::InvalidArgumentError(fmt::format("flag provided but not defined: -{}", name));
    }
    Flag& flag = it->second;
    if (!has_value) {
      if (flag.is_bool) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return absl::InvalidArgumentError(fmt::format("flag needs an argument: -{}", name));
      }
    }
    if (absl::Status s = flag.apply(value); !s.ok()) {
      return absl::InvalidArgumentError(fmt::format("invalid {}value \"{}\" for flag -{}: {}",
                                                    flag.is_bool ? "boolean " : "", value, name,
                                                    s.message()));
    }
    flag.set = true;
  }
  result.args.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  return result;
}

bool FlagSet::IsSet(std::string_view name) const {
  auto it = flags_.find(name);
  return it != flags_.end() && it->second.set;
}

std::string FlagSet::Usage() const {
  std::string out;
  for (const auto& [name, flag] : flags_) {
    out += fmt::format("  -{}{}\n     {}\n", name, flag.type.empty() ? "" : "=<" + flag.type + ">",
                       flag.help);
  }
  return out;
}

}  // namespace cairn::base
