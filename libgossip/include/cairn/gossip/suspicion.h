// cairn/gossip/suspicion.h — Lifeguard suspicion timers (memberlist suspicion.go), as a
// pure value: no timers, no threads; the caller passes the time and polls the deadline.
//
// When node X is suspected, X gets a suspicion with a deadline; if X does not refute it
// (alive with a higher incarnation) by then, X is declared dead. Lifeguard starts with a
// long timeout (`max`) and shrinks it towards `min` as independent members confirm the
// suspicion (each distinct `from` counts once, up to `k` confirmations):
//
//   timeout(n) = max(min, max - log(n + 1) / log(k + 1) * (max - min)), floored to ms
//
// With k < 1 (too few members to expect confirmations) the deadline is start + min.
// memberlist's parameters: min = SuspicionTimeout(SuspicionMult, N, ProbeInterval),
// max = SuspicionMaxTimeoutMult * min, k = SuspicionMult - 2 (0 if N - 2 < k).
//
// Example:
//
//   Suspicion s("n2", /*k=*/2, absl::Seconds(4), absl::Seconds(24), now);
//   s.Confirm("n3", now + absl::Seconds(1));   // deadline moves closer
//   if (now >= s.deadline()) DeclareDead(...);
//
// Not thread-safe: owned by the SWIM core's strand.
#ifndef CAIRN_GOSSIP_SUSPICION_H_
#define CAIRN_GOSSIP_SUSPICION_H_

#include <string>
#include <string_view>
#include <vector>

#include <absl/time/time.h>

namespace cairn::gossip {

// memberlist suspicionTimeout: mult * max(1, log10(max(1, n))) * interval, with the node
// scale truncated to thousandths as Go does.
absl::Duration SuspicionTimeout(int suspicion_mult, int n, absl::Duration interval);

// memberlist remainingSuspicionTime: the timeout for `n` of `k` confirmations minus the
// time already `elapsed` (may be negative: the deadline has passed).
absl::Duration RemainingSuspicionTime(int n, int k, absl::Duration elapsed, absl::Duration min,
                                      absl::Duration max);

class Suspicion {
 public:
  // `from` is the first suspector (it does not count as a confirmation).
  Suspicion(std::string from, int k, absl::Duration min, absl::Duration max, absl::Time start);

  // Records a confirmation from `from` at `now`. Returns true if it was new and counted
  // (then the deadline may have moved earlier, to `now` at the latest); false for a
  // repeated suspector or once k confirmations are in.
  bool Confirm(std::string_view from, absl::Time now);

  absl::Time deadline() const { return deadline_; }
  // Confirmations counted so far (excluding the first suspector).
  int confirmations() const { return n_; }

 private:
  int n_ = 0;
  int k_;
  absl::Duration min_, max_;
  absl::Time start_;
  absl::Time deadline_;
  std::vector<std::string> seen_;  // suspectors; at most k + 1 entries
};

}  // namespace cairn::gossip

#endif  // CAIRN_GOSSIP_SUSPICION_H_
