// cairn/gossip/awareness.h — Lifeguard's local health awareness (memberlist awareness.go).
//
// A node that is itself slow (CPU starved, GC, paused VM) misses acks and would wrongly
// suspect healthy peers. Lifeguard tracks a "health score" of the local node: failed
// probes and missed nacks raise it, successful probes lower it, and a node that has to
// refute a suspicion about itself raises it too. Probe intervals and timeouts are scaled
// by (score + 1), so an unhealthy node slows down instead of spreading false suspicion.
//
// Deltas used by the memberlist probe loop (what the SWIM core applies):
//   +1  a probe got no ack;  -1  a probe got an ack;
//   +1  per expected nack that did not arrive during an indirect probe;
//   +1  we had to refute a suspect/dead message about ourselves.
//
// Example:
//
//   Awareness health(/*max_multiplier=*/8);
//   health.ApplyDelta(+1);
//   absl::Duration timeout = health.ScaleTimeout(absl::Milliseconds(500));  // 1 s
//
// Not thread-safe: owned by the SWIM core's strand.
#ifndef CAIRN_GOSSIP_AWARENESS_H_
#define CAIRN_GOSSIP_AWARENESS_H_

#include <absl/time/time.h>

namespace cairn::gossip {

class Awareness {
 public:
  // `max_multiplier` is memberlist's AwarenessMaxMultiplier (8 by default); the score
  // stays within [0, max_multiplier - 1]. Values below 1 are treated as 1 (no scaling).
  explicit Awareness(int max_multiplier) : max_(max_multiplier < 1 ? 1 : max_multiplier) {}

  // Adds `delta` to the score and clamps it into range.
  void ApplyDelta(int delta) {
    score_ += delta;
    if (score_ < 0) score_ = 0;
    if (score_ > max_ - 1) score_ = max_ - 1;
  }

  // 0 is healthy; higher is worse.
  int score() const { return score_; }

  // `timeout * (score + 1)`.
  absl::Duration ScaleTimeout(absl::Duration timeout) const { return timeout * (score_ + 1); }

 private:
  int max_;
  int score_ = 0;
};

}  // namespace cairn::gossip

#endif  // CAIRN_GOSSIP_AWARENESS_H_
