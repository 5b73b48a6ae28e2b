// Small shared helpers: composite index keys, Go-style quoting, enum names.
#include <cstdio>
#include <string>

#include <absl/strings/str_cat.h>

#include "state.h"

namespace cairn::kv {
namespace internal {

std::optional<std::string> PrefixSuccessor(std::string_view p) {
  std::string s(p);
  while (!s.empty()) {
    unsigned char last = static_cast<unsigned char>(s.back());
    if (last != 0xff) {
      s.back() = static_cast<char>(last + 1);
      return s;
    }
    s.pop_back();
  }
  return std::nullopt;
}

std::string Join2(std::string_view a, std::string_view b) {
  std::string s;
  s.reserve(a.size() + b.size() + 1);
  s.append(a).push_back('\0');
  s.append(b);
  return s;
}

std::string Join3(std::string_view a, std::string_view b, std::string_view c) {
  std::string s = Join2(a, b);
  s.push_back('\0');
  s.append(c);
  return s;
}

std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char ch : s) {
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (ch < 0x20 || ch == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", ch);
          out += buf;
        } else {
          out.push_back(static_cast<char>(ch));  // UTF-8 passes through as Go prints it
        }
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace internal

std::string_view SessionBehaviorName(SessionBehavior b) {
  return b == SessionBehavior::kDelete ? "delete" : "release";
}

absl::StatusOr<SessionBehavior> ParseSessionBehavior(std::string_view text) {
  if (text.empty() || text == "release") return SessionBehavior::kRelease;
  if (text == "delete") return SessionBehavior::kDelete;
  return absl::InvalidArgumentError(
      absl::StrCat("Invalid Behavior setting '", absl::string_view(text.data(), text.size()), "'"));
}

std::vector<std::string> Session::AllCheckIds() const {
  std::vector<std::string> ids;
  auto add = [&ids](const std::string& id) {
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  };
  for (const std::string& c : checks) add(c);
  for (const std::string& c : node_checks) add(c);
  for (const ServiceCheckRef& c : service_checks) add(c.id);
  return ids;
}

namespace {
constexpr std::pair<TxnVerb, std::string_view> kVerbs[] = {
    {TxnVerb::kSet, "set"},
    {TxnVerb::kCas, "cas"},
    {TxnVerb::kLock, "lock"},
    {TxnVerb::kUnlock, "unlock"},
    {TxnVerb::kGet, "get"},
    {TxnVerb::kGetOrEmpty, "get-or-empty"},
    {TxnVerb::kGetTree, "get-tree"},
    {TxnVerb::kCheckIndex, "check-index"},
    {TxnVerb::kCheckSession, "check-session"},
    {TxnVerb::kCheckNotExists, "check-not-exists"},
    {TxnVerb::kDelete, "delete"},
    {TxnVerb::kDeleteCas, "delete-cas"},
    {TxnVerb::kDeleteTree, "delete-tree"},
};
}  // namespace

std::string_view TxnVerbName(TxnVerb v) {
  for (const auto& [verb, name] : kVerbs) {
    if (verb == v) return name;
  }
  return "unknown";
}

absl::StatusOr<TxnVerb> ParseTxnVerb(std::string_view name) {
  for (const auto& [verb, n] : kVerbs) {
    if (n == name) return verb;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown KV verb ", internal::GoQuote(name)));
}

bool IsReadVerb(TxnVerb v) {
  switch (v) {
    case TxnVerb::kGet:
    case TxnVerb::kGetOrEmpty:
    case TxnVerb::kGetTree:
    case TxnVerb::kCheckIndex:
    case TxnVerb::kCheckSession:
    case TxnVerb::kCheckNotExists:
      return true;
    default:
      return false;
  }
}

}  // namespace cairn::kv
