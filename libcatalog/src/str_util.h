// Private: string concatenation that accepts std::string_view (Debian's Abseil StrCat does
// not, since its string_view is not the standard one) and anything fmt can format.
#ifndef CAIRN_CATALOG_SRC_STR_UTIL_H_
#define CAIRN_CATALOG_SRC_STR_UTIL_H_

#include <iterator>
#include <string>

#include <fmt/format.h>

#include <cairn/base/status.h>

namespace cairn::catalog::internal {

template <typename... Args>
std::string Cat(const Args&... args) {
  std::string out;
  (fmt::format_to(std::back_inserter(out), "{}", args), ...);
  return out;
}

template <typename... Args>
void Append(std::string& out, const Args&... args) {
  (fmt::format_to(std::back_inserter(out), "{}", args), ...);
}

}  // namespace cairn::catalog::internal

#endif  // CAIRN_CATALOG_SRC_STR_UTIL_H_
