#include <cstdint>
#include <queue>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include <cairn/base/clock.h>

namespace cairn::base {

// Pending timers are kept twice: callbacks by id in a hash map (so Cancel() is O(1)), and
// (deadline, id) in a min-heap. A cancelled timer leaves a stale heap entry behind that is
// skipped when it reaches the top; ids are never reused, so a stale entry cannot match a
// newer timer.
struct SimulatedClock::State {
  struct Entry {
    TimePoint deadline;
    uint64_t id;
    bool operator>(const Entry& o) const {
      return deadline != o.deadline ? deadline > o.deadline : id > o.id;
    }
  };

  TimePoint now;
  absl::Time wall_start;
  TimePoint start;
  uint64_t next_id = 1;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap;
  absl::flat_hash_map<uint64_t, absl::AnyInvocable<void() &&>> callbacks;

  // Drops cancelled entries from the top of the heap.
  void Prune() {
    while (!heap.empty() && !callbacks.contains(heap.top().id)) heap.pop();
  }

  // Fires the earliest timer if it is due at or before `limit`.
  bool FireOne(TimePoint limit) {
    Prune();
    if (heap.empty() || heap.top().deadline > limit) return false;
    Entry e = heap.top();
    heap.pop();
    auto it = callbacks.find(e.id);
    auto fn = std::move(it->second);
    callbacks.erase(it);
    if (e.deadline > now) now = e.deadline;
    std::move(fn)();
    return true;
  }
};

namespace {

class SimulatedTimer final : public Timer {
 public:
  SimulatedTimer(std::weak_ptr<SimulatedClock::State> state, uint64_t id)
      : state_(std::move(state)), id_(id) {}
  ~SimulatedTimer() override { Cancel(); }
  void Cancel() override {
    if (auto s = state_.lock()) s->callbacks.erase(id_);
    state_.reset();
  }

 private:
  std::weak_ptr<SimulatedClock::State> state_;
  uint64_t id_;
};

}  // namespace

SimulatedClock::SimulatedClock(TimePoint start, absl::Time wall_start)
    : state_(std::make_shared<State>()) {
  state_->now = start;
  state_->start = start;
  state_->wall_start = wall_start;
}

SimulatedClock::~SimulatedClock() = default;

TimePoint SimulatedClock::Now() const { return state_->now; }

absl::Time SimulatedClock::WallNow() const {
  return state_->wall_start + absl::FromChrono(state_->now - state_->start);
}

std::unique_ptr<Timer> SimulatedClock::After(Duration after, absl::AnyInvocable<void() &&> fn) {
  if (after < Duration::zero()) after = Duration::zero();
  uint64_t id = state_->next_id++;
  state_->heap.push({state_->now + after, id});
  state_->callbacks.emplace(id, std::move(fn));
  return std::make_unique<SimulatedTimer>(state_, id);
}

void SimulatedClock::Advance(Duration d) { AdvanceTo(state_->now + d); }

void SimulatedClock::AdvanceTo(TimePoint t) {
  // Keep a reference: a callback may destroy the clock's owner, never the state under us.
  std::shared_ptr<State> s = state_;
  while (s->FireOne(t)) {
  }
  if (t > s->now) s->now = t;
}

bool SimulatedClock::RunNext() {
  std::shared_ptr<State> s = state_;
  s->Prune();
  if (s->heap.empty()) return false;
  TimePoint when = s->heap.top().deadline;
  while (s->FireOne(when)) {
  }
  return true;
}

std::optional<TimePoint> SimulatedClock::NextDeadline() const {
  state_->Prune();
  if (state_->heap.empty()) return std::nullopt;
  return state_->heap.top().deadline;
}

std::size_t SimulatedClock::PendingTimers() const { return state_->callbacks.size(); }

}  // namespace cairn::base
