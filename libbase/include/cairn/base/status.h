// cairn/base/status.h — error conventions shared by every Cairn library.
//
// Cairn reports recoverable errors with absl::Status / absl::StatusOr<T> at every public
// boundary; no exception crosses a library boundary. Codes follow absl/status/status.h:
//   kUnavailable         retry the same call (no leader, no quorum, peer down)
//   kAborted             retry the whole read-modify-write (CAS or transaction conflict)
//   kFailedPrecondition  do not retry until the state changes (lock held, session gone)
//   kInvalidArgument     the caller's input is wrong (bad key, bad duration, bad flag)
// Detail goes in the message, never in a new error enum. A broken invariant (a bug) is not
// a Status: CAIRN_CHECK aborts the process with the file, line and condition.
//
// Example:
//
//   absl::StatusOr<Config> Load(absl::string_view path) {
//     CAIRN_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
//     CAIRN_RETURN_IF_ERROR(Validate(text));
//     return Parse(text);
//   }
//
// This header also gives fmt formatters for absl::Status and absl::string_view (Debian's
// Abseil keeps its own string_view type) and explicit converters between the two
// string_view types.
#ifndef CAIRN_BASE_STATUS_H_
#define CAIRN_BASE_STATUS_H_

#include <string_view>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/string_view.h>
#include <fmt/format.h>

namespace cairn::base {

// Converts between Abseil's and the standard library's string_view. Debian's Abseil is
// built without ABSL_OPTION_USE_STD_STRING_VIEW, so the two are distinct types.
inline std::string_view ToStd(absl::string_view s) { return {s.data(), s.size()}; }
inline absl::string_view ToAbsl(std::string_view s) { return {s.data(), s.size()}; }

// Returns `status` with `context + ": "` put before its message; OK stays OK.
absl::Status Annotate(const absl::Status& status, std::string_view context);

namespace internal {
[[noreturn]] void CheckFailed(const char* file, int line, const char* condition,
                              std::string_view message);
}  // namespace internal

}  // namespace cairn::base

// Aborts with file, line and condition when `cond` is false. For invariants only: anything
// a caller or user can cause must be a Status instead.
#define CAIRN_CHECK(cond)                                                             \
  do {                                                                                \
    if (!(cond)) ::cairn::base::internal::CheckFailed(__FILE__, __LINE__, #cond, ""); \
  } while (0)

// As CAIRN_CHECK, with a fmt-formatted message.
#define CAIRN_CHECK_MSG(cond, ...)                                                                 \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      ::cairn::base::internal::CheckFailed(__FILE__, __LINE__, #cond, ::fmt::format(__VA_ARGS__)); \
  } while (0)

// Evaluates `expr` (an absl::Status) and returns it from the enclosing function if not OK.
#define CAIRN_RETURN_IF_ERROR(expr)                        \
  do {                                                     \
    ::absl::Status cairn_status_tmp_ = (expr);             \
    if (!cairn_status_tmp_.ok()) return cairn_status_tmp_; \
  } while (0)

#define CAIRN_STATUS_CONCAT_INNER_(a, b) a##b
#define CAIRN_STATUS_CONCAT_(a, b) CAIRN_STATUS_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::StatusOr<T>); on error returns its status, else moves the value
// into `lhs`, which may be a declaration (`CAIRN_ASSIGN_OR_RETURN(auto x, F())`).
#define CAIRN_ASSIGN_OR_RETURN(lhs, expr) \
  CAIRN_ASSIGN_OR_RETURN_IMPL_(CAIRN_STATUS_CONCAT_(cairn_statusor_, __LINE__), lhs, expr)
#define CAIRN_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return std::move(tmp).status();     \
  lhs = std::move(tmp).value()

template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(absl::string_view s, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(std::string_view(s.data(), s.size()), ctx);
  }
};

template <>
struct fmt::formatter<absl::Status> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(const absl::Status& s, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(s.ToString(), ctx);
  }
};

#endif  // CAIRN_BASE_STATUS_H_
