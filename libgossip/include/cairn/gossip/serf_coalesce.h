// cairn/gossip/serf_coalesce.h — serf's event coalescing (coalesce.go,
// coalesce_member.go, coalesce_user.go), clock-free.
//
// Coalescing is receiver-local: it collapses bursts of events before they reach the
// application. A burst ends when no new event came for `quiescent_period`, or at the
// latest `coalesce_period` after its first event; then the survivors are flushed:
//   * member events: only the latest event per member; a member whose latest type equals
//     the one flushed last time for it is dropped (updates always go out); survivors are
//     grouped into one MemberEvent per type;
//   * user events with `coalesce` set: per name only the events of the highest LTime.
// Anything else (queries, user events without `coalesce`) passes straight through.
//
// Example (the serf agent uses 3 s / 1 s for both kinds):
//
//   EventCoalescer c(std::chrono::seconds(3), std::chrono::seconds(1));
//   for (SerfEvent& e : c.Add(std::move(event), now)) Deliver(e);   // pass-through
//   for (SerfEvent& e : c.Flush(now)) Deliver(e);                    // at c.NextDeadline()
//
// Not thread-safe: owned by the serf runtime's strand.
#ifndef CAIRN_GOSSIP_SERF_COALESCE_H_
#define CAIRN_GOSSIP_SERF_COALESCE_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <cairn/gossip/serf.h>

namespace cairn::gossip {

class EventCoalescer {
 public:
  // Periods must be positive; `coalesce_period` bounds how long an event waits.
  EventCoalescer(Duration coalesce_period, Duration quiescent_period);

  // Takes an event; returns it right back (to deliver now) unless it is coalesced.
  std::vector<SerfEvent> Add(SerfEvent event, TimePoint now);
  // The coalesced events once a burst ended (NextDeadline() <= now); empty before.
  std::vector<SerfEvent> Flush(TimePoint now);
  // When the current burst ends, if one is open.
  std::optional<TimePoint> NextDeadline() const;

 private:
  struct LatestUser {
    LamportTime ltime = 0;
    std::vector<SerfUserEvent> events;
  };

  Duration coalesce_period_, quiescent_period_;
  std::optional<TimePoint> burst_end_, quiet_end_;
  std::map<std::string, std::pair<MemberEventType, SerfMember>> latest_members_;
  std::map<std::string, MemberEventType> last_flushed_;
  std::map<std::string, LatestUser> latest_user_;
};

}  // namespace cairn::gossip

#endif  // CAIRN_GOSSIP_SERF_COALESCE_H_
