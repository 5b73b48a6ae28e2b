#include <algorithm>
#include <cmath>

#include <cairn/gossip/suspicion.h>

namespace cairn::gossip {

absl::Duration SuspicionTimeout(int suspicion_mult, int n, absl::Duration interval) {
  const double node_scale = std::max(1.0, std::log10(std::max(1.0, static_cast<double>(n))));
  // Go: Duration(mult) * Duration(nodeScale*1000) * interval / 1000, in integer ns.
  const int64_t scale_milli = static_cast<int64_t>(node_scale * 1000);
  const int64_t ns = suspicion_mult * scale_milli * absl::ToInt64Nanoseconds(interval) / 1000;
  return absl::Nanoseconds(ns);
}

absl::Duration RemainingSuspicionTime(int n, int k, absl::Duration elapsed, absl::Duration min,
                                      absl::Duration max) {
  const double frac = std::log(n + 1.0) / std::log(k + 1.0);
  const double raw = absl::ToDoubleSeconds(max) - frac * absl::ToDoubleSeconds(max - min);
  absl::Duration timeout = absl::Milliseconds(static_cast<int64_t>(std::floor(1000.0 * raw)));
  if (timeout < min) timeout = min;
  return timeout - elapsed;
}

Suspicion::Suspicion(std::string from, int k, absl::Duration min, absl::Duration max,
                     absl::Time start)
    : k_(k), min_(min), max_(max), start_(start), deadline_(start + (k < 1 ? min : max)) {
  seen_.push_back(std::move(from));
}

bool Suspicion::Confirm(std::string_view from, absl::Time now) {
  if (n_ >= k_) return false;
  if (std::find(seen_.begin(), seen_.end(), from) != seen_.end()) return false;
  seen_.emplace_back(from);
  ++n_;
  // memberlist only resets a timer that has not fired; a past deadline stays past.
  if (now >= deadline_) return true;
  const absl::Duration remaining = RemainingSuspicionTime(n_, k_, now - start_, min_, max_);
  deadline_ = remaining > absl::ZeroDuration() ? now + remaining : now;
  return true;
}

}  // namespace cairn::gossip
