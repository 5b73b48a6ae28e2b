#include <cmath>
#include <limits>

#include <cairn/gossip/broadcast_queue.h>

namespace cairn::gossip {

int RetransmitLimit(int retransmit_mult, int n) {
  const int node_scale = static_cast<int>(std::ceil(std::log10(static_cast<double>(n) + 1.0)));
  return retransmit_mult * node_scale;
}

BroadcastQueue::~BroadcastQueue() = default;

std::unique_ptr<BroadcastQueue::Entry> BroadcastQueue::Remove(const Entry* entry) {
  order_.erase(entry);
  if (!entry->name.empty()) by_name_.erase(entry->name);
  auto it = owned_.find(entry);
  std::unique_ptr<Entry> out = std::move(it->second);
  owned_.erase(it);
  if (order_.empty()) next_id_ = 0;  // as memberlist: ids restart when the queue drains
  return out;
}

void BroadcastQueue::Finish(std::unique_ptr<Entry> entry) {
  if (entry->on_finished) entry->on_finished();
}

void BroadcastQueue::Queue(std::string message, std::string name,
                           absl::AnyInvocable<void()> on_finished) {
  next_id_ = next_id_ == std::numeric_limits<int64_t>::max() ? 1 : next_id_ + 1;
  auto entry = std::make_unique<Entry>();
  entry->length = message.size();
  entry->id = next_id_;
  entry->message = std::move(message);
  entry->name = std::move(name);
  entry->on_finished = std::move(on_finished);
  if (!entry->name.empty()) {
    if (auto it = by_name_.find(entry->name); it != by_name_.end()) Finish(Remove(it->second));
    by_name_[entry->name] = entry.get();
  }
  order_.insert(entry.get());
  owned_[entry.get()] = std::move(entry);
}

std::vector<std::string> BroadcastQueue::GetBroadcasts(size_t overhead, size_t limit,
                                                       int num_nodes) {
  std::vector<std::string> out;
  if (order_.empty()) return out;
  const int transmit_limit = RetransmitLimit(retransmit_mult_, num_nodes);
  std::vector<std::unique_ptr<Entry>> reinsert;
  size_t used = 0;
  int transmits = (*order_.begin())->transmits;
  const int max_transmits = (*order_.rbegin())->transmits;
  while (transmits <= max_transmits) {
    if (used + overhead >= limit) break;
    const size_t free = limit - used - overhead;
    // First entry at this transmit level whose length is <= free: entries are sorted by
    // length descending, so that is the largest one that fits (newest among equals).
    Entry probe;
    probe.transmits = transmits;
    probe.length = free;
    probe.id = std::numeric_limits<int64_t>::max();
    auto it = order_.lower_bound(&probe);
    if (it == order_.end() || (*it)->transmits != transmits) {
      ++transmits;
      continue;
    }
    std::unique_ptr<Entry> picked = Remove(*it);
    used += overhead + picked->length;
    out.push_back(picked->message);
    if (picked->transmits + 1 >= transmit_limit) {
      Finish(std::move(picked));
    } else {
      ++picked->transmits;
      reinsert.push_back(std::move(picked));
    }
  }
  for (auto& e : reinsert) {
    if (!e->name.empty()) by_name_[e->name] = e.get();
    order_.insert(e.get());
    owned_[e.get()] = std::move(e);
  }
  return out;
}

void BroadcastQueue::Prune(size_t max_retain) {
  while (order_.size() > max_retain) Finish(Remove(*order_.rbegin()));
}

void BroadcastQueue::Reset() {
  while (!order_.empty()) Finish(Remove(*order_.begin()));
  next_id_ = 0;
}

}  // namespace cairn::gossip
