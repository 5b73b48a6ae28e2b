#include <cstdio>
#include <cstdlib>
#include <string>

#include <cairn/base/status.h>

namespace cairn::base {

absl::Status Annotate(const absl::Status& status, std::string_view context) {
  if (status.ok()) return status;
  std::string message(context);
  message += ": ";
  message += ToStd(status.message());
  return absl::Status(status.code(), message);
}

namespace internal {

void CheckFailed(const char* file, int line, const char* condition, std::string_view message) {
  // stderr directly: the logger may be the thing that is broken.
  std::fprintf(stderr, "%s:%d: CHECK failed: %s%s%.*s\n", file, line, condition,
               message.empty() ? "" : ": ", static_cast<int>(message.size()), message.data());
  std::fflush(stderr);
  std::abort();
}

}  // namespace internal
}  // namespace cairn::base
