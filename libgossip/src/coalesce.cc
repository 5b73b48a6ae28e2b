// Event coalescing (serf coalesce*.go). One burst window serves both member and user
// events; serf runs two coalescers with the same agent defaults, so one window changes
// only which events share a flush, never which survive.
#include <algorithm>
#include <utility>

#include <cairn/gossip/serf_coalesce.h>

namespace cairn::gossip {

EventCoalescer::EventCoalescer(Duration coalesce_period, Duration quiescent_period)
    : coalesce_period_(coalesce_period), quiescent_period_(quiescent_period) {}

std::vector<SerfEvent> EventCoalescer::Add(SerfEvent event, TimePoint now) {
  std::vector<SerfEvent> out;
  if (auto* m = std::get_if<MemberEvent>(&event)) {
    for (SerfMember& member : m->members) {
      std::string name = member.name;
      latest_members_[name] = {m->type, std::move(member)};
    }
  } else if (auto* u = std::get_if<SerfUserEvent>(&event); u != nullptr && u->coalesce) {
    LatestUser& l = latest_user_[u->name];
    if (l.events.empty() || u->ltime > l.ltime) {
      l.ltime = u->ltime;
      l.events.clear();
      l.events.push_back(std::move(*u));
    } else if (u->ltime == l.ltime) {
      l.events.push_back(std::move(*u));
    }
  } else {
    out.push_back(std::move(event));
    return out;
  }
  if (!burst_end_) burst_end_ = now + coalesce_period_;
  quiet_end_ = now + quiescent_period_;
  return out;
}

std::optional<TimePoint> EventCoalescer::NextDeadline() const {
  if (!burst_end_) return std::nullopt;
  return std::min(*burst_end_, *quiet_end_);
}

std::vector<SerfEvent> EventCoalescer::Flush(TimePoint now) {
  std::vector<SerfEvent> out;
  std::optional<TimePoint> deadline = NextDeadline();
  if (!deadline || now < *deadline) return out;
  burst_end_.reset();
  quiet_end_.reset();
  std::map<MemberEventType, MemberEvent> grouped;
  for (auto& [name, latest] : latest_members_) {
    auto& [type, member] = latest;
    auto prev = last_flushed_.find(name);
    if (prev != last_flushed_.end() && prev->second == type && type != MemberEventType::kUpdate) {
      continue;
    }
    last_flushed_[name] = type;
    MemberEvent& ev = grouped[type];
    ev.type = type;
    ev.members.push_back(std::move(member));
  }
  latest_members_.clear();
  for (auto& [type, ev] : grouped) out.emplace_back(std::move(ev));
  for (auto& [name, latest] : latest_user_) {
    for (SerfUserEvent& e : latest.events) out.emplace_back(std::move(e));
  }
  latest_user_.clear();
  return out;
}

}  // namespace cairn::gossip
