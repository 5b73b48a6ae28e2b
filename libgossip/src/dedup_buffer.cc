#include <algorithm>

#include <cairn/base/status.h>
#include <cairn/gossip/dedup_buffer.h>

namespace cairn::gossip {
namespace {

// The age gates shared by events and queries, in serf's order.
std::optional<Admission> AgeGate(LamportTime ltime, LamportTime clock_time, LamportTime min_time,
                                 size_t slots) {
  if (ltime < min_time) return Admission::kBeforeMinTime;
  if (clock_time > slots && ltime < clock_time - slots) return Admission::kTooOld;
  return std::nullopt;
}

}  // namespace

EventBuffer::EventBuffer(size_t slots) : ring_(slots) {
  CAIRN_CHECK_MSG(slots >= 1, "event buffer needs at least one slot");
}

Admission EventBuffer::Record(LamportTime ltime, LamportTime clock_time, std::string_view name,
                              const std::optional<std::string>& payload) {
  if (auto gate = AgeGate(ltime, clock_time, min_time_, ring_.size())) return *gate;
  std::optional<UserEventSlot>& slot = ring_[ltime % ring_.size()];
  const std::string_view body = payload.has_value() ? std::string_view(*payload) : "";
  if (slot.has_value() && slot->ltime == ltime) {
    for (const UserEventEntry& seen : slot->events) {
      const std::string_view seen_body =
          seen.payload.has_value() ? std::string_view(*seen.payload) : "";
      if (seen.name == name && seen_body == body) return Admission::kDuplicate;
    }
  } else {
    slot = UserEventSlot{.ltime = ltime, .events = {}};
  }
  slot->events.push_back(UserEventEntry{.name = std::string(name), .payload = payload});
  return Admission::kNew;
}

QueryBuffer::QueryBuffer(size_t slots) : ring_(slots) {
  CAIRN_CHECK_MSG(slots >= 1, "query buffer needs at least one slot");
}

Admission QueryBuffer::Record(LamportTime ltime, LamportTime clock_time, uint32_t id) {
  if (auto gate = AgeGate(ltime, clock_time, min_time_, ring_.size())) return *gate;
  std::optional<Slot>& slot = ring_[ltime % ring_.size()];
  if (slot.has_value() && slot->ltime == ltime) {
    if (std::find(slot->ids.begin(), slot->ids.end(), id) != slot->ids.end()) {
      return Admission::kDuplicate;
    }
  } else {
    slot = Slot{.ltime = ltime, .ids = {}};
  }
  slot->ids.push_back(id);
  return Admission::kNew;
}

}  // namespace cairn::gossip
