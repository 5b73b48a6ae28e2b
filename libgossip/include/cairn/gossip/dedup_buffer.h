// cairn/gossip/dedup_buffer.h — serf's rings that de-duplicate user events and queries
// (serf.go handleUserEvent / handleQuery).
//
// serf gossips events and queries epidemically, so each arrives many times. Both are
// remembered in a ring of `slots` entries (512 by default) indexed by LTime % slots; a
// slot holds one Lamport time and what was seen at it. A message is admitted only if
//   * its LTime >= the minimum time (restored from a snapshot: last + 1, or set when
//     joining with "ignore old events"),
//   * it is not older than clock - slots (when the clock is past `slots`),
//   * the same (name, payload) — for queries the same ID — was not seen at that LTime.
// Admitted messages are delivered and re-gossiped; the rest are dropped silently (serf
// logs "received old event" for the too-old case).
//
// The event ring is also what serf sends in its push/pull state (`Events`, 512 entries
// with nil for empty slots), so Ring() returns exactly that.
//
// Example:
//
//   event_clock.Witness(ev.ltime);
//   if (events.Record(ev.ltime, event_clock.Time(), ev.name, ev.payload) ==
//       Admission::kNew) { Deliver(ev); Rebroadcast(ev); }
//
// Not thread-safe: owned by the serf core's strand.
#ifndef CAIRN_GOSSIP_DEDUP_BUFFER_H_
#define CAIRN_GOSSIP_DEDUP_BUFFER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <cairn/gossip/serf_messages.h>

namespace cairn::gossip {

inline constexpr size_t kDefaultDedupSlots = 512;

enum class Admission {
  kNew,            // first sighting: deliver and re-gossip
  kDuplicate,      // seen at this LTime already
  kBeforeMinTime,  // older than the restored/ignored horizon
  kTooOld,         // older than clock - slots: its slot may have been reused
};

class EventBuffer {
 public:
  // `slots` must be >= 1 (serf's EventBuffer; 512).
  explicit EventBuffer(size_t slots = kDefaultDedupSlots);

  // `clock_time` is the event clock *after* witnessing `ltime`. Payloads compare as Go's
  // bytes.Compare does: nil equals empty.
  Admission Record(LamportTime ltime, LamportTime clock_time, std::string_view name,
                   const std::optional<std::string>& payload);
  void set_min_time(LamportTime t) { min_time_ = t; }
  LamportTime min_time() const { return min_time_; }
  // The whole ring, in slot order, nil slots as nullopt (serf push/pull `Events`).
  const std::vector<std::optional<UserEventSlot>>& Ring() const { return ring_; }

 private:
  std::vector<std::optional<UserEventSlot>> ring_;
  LamportTime min_time_ = 0;
};

class QueryBuffer {
 public:
  explicit QueryBuffer(size_t slots = kDefaultDedupSlots);
  // `clock_time` is the query clock after witnessing `ltime`.
  Admission Record(LamportTime ltime, LamportTime clock_time, uint32_t id);
  void set_min_time(LamportTime t) { min_time_ = t; }

 private:
  struct Slot {
    LamportTime ltime = 0;
    std::vector<uint32_t> ids;
  };
  std::vector<std::optional<Slot>> ring_;
  LamportTime min_time_ = 0;
};

}  // namespace cairn::gossip

#endif  // CAIRN_GOSSIP_DEDUP_BUFFER_H_
