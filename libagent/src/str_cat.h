// Private: string concatenation for both std::string_view and Abseil's distinct
// absl::string_view (Debian's Abseil does not alias them, so absl::StrCat rejects
// std::string_view arguments).
#ifndef CAIRN_AGENT_SRC_STR_CAT_H_
#define CAIRN_AGENT_SRC_STR_CAT_H_

#include <concepts>
#include <string>
#include <string_view>

#include <absl/strings/string_view.h>

namespace cairn::agent::internal {

inline void AppendPiece(std::string& out, std::string_view s) { out.append(s); }
inline void AppendPiece(std::string& out, const char* s) { out.append(s); }
inline void AppendPiece(std::string& out, const std::string& s) { out.append(s); }
inline void AppendPiece(std::string& out, absl::string_view s) { out.append(s.data(), s.size()); }
template <std::integral T>
void AppendPiece(std::string& out, T v) {
  out += std::to_string(v);
}

// Cat("a", sv, 42) == "a" + sv + "42".
template <typename... Args>
std::string Cat(const Args&... args) {
  std::string out;
  (AppendPiece(out, args), ...);
  return out;
}

}  // namespace cairn::agent::internal

#endif  // CAIRN_AGENT_SRC_STR_CAT_H_
