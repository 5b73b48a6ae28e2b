// cairn/base/duration.h — Go-style durations ("10s", "1m30s", "500ms", "72h").
//
// Consul's configuration keys and API fields take durations as Go's time.ParseDuration
// reads them and print them as time.Duration.String() writes them. These functions match
// both exactly, so values round-trip with Consul clients and config files.
//
// Example:
//
//   absl::StatusOr<cairn::base::Duration> d = cairn::base::ParseGoDuration("1m30s");
//   // *d == std::chrono::seconds(90)
//   cairn::base::FormatGoDuration(std::chrono::hours(72));   // "72h0m0s"
//   cairn::base::FormatGoDuration(std::chrono::milliseconds(1500));  // "1.5s"
#ifndef CAIRN_BASE_DURATION_H_
#define CAIRN_BASE_DURATION_H_

#include <string>
#include <string_view>

#include <absl/status/statusor.h>

#include <cairn/base/clock.h>

namespace cairn::base {

// Parses a Go duration: an optional sign, then one or more decimal numbers (with optional
// fraction) each followed by a unit: "ns", "us", "µs" (U+00B5 or U+03BC), "ms", "s", "m",
// "h". "0" alone is allowed without a unit. Examples: "300ms", "-1.5h", "2h45m", ".5s".
// Errors (InvalidArgument, with the input quoted as Go does): empty input, a missing or
// unknown unit, a number without digits, and values beyond ±2^63-1 nanoseconds (~292 years).
absl::StatusOr<Duration> ParseGoDuration(std::string_view text);

// Formats as Go's time.Duration.String(): "0s", "1ns", "1.5µs", "500ms", "1.5s", "1m30s",
// "72h0m0s", "-2m0s". Durations under a second use ns/µs/ms; others use h, m and s with
// the seconds' fraction and no trailing zeros.
std::string FormatGoDuration(Duration d);

}  // namespace cairn::base

#endif  // CAIRN_BASE_DURATION_H_
