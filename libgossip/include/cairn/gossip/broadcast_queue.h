// cairn/gossip/broadcast_queue.h — piggybacked gossip with a retransmit limit
// (memberlist queue.go TransmitLimitedQueue).
//
// Broadcasts (alive/suspect/dead about a node, serf intents, events and queries) wait in a
// queue and ride along in the spare room of outgoing packets. Each time one is picked its
// transmit count rises; after RetransmitLimit(mult, N) = mult * ceil(log10(N + 1))
// transmissions it is dropped. Picking order is memberlist's: fewest transmissions first,
// then the largest message that still fits, then the newest.
//
// Two kinds, as memberlist/serf use them:
//   * named (memberlist's own, name = the node the message is about): queueing replaces
//     any queued broadcast with the same name — only the newest news about a node travels;
//   * unique (serf's, empty name): never replaces anything.
//
// Example:
//
//   BroadcastQueue q(/*retransmit_mult=*/4);
//   q.Queue(EncodeMessage(alive), alive.node);
//   std::vector<std::string> ride = q.GetBroadcasts(/*overhead=*/2, /*limit=*/room, num_nodes);
//
// Not thread-safe: owned by the SWIM core's strand. `on_finished` callbacks run
// synchronously inside Queue/GetBroadcasts/Prune/Reset and must not call back into the queue.
#ifndef CAIRN_GOSSIP_BROADCAST_QUEUE_H_
#define CAIRN_GOSSIP_BROADCAST_QUEUE_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <absl/functional/any_invocable.h>

namespace cairn::gossip {

// memberlist retransmitLimit: mult * ceil(log10(n + 1)).
int RetransmitLimit(int retransmit_mult, int n);

class BroadcastQueue {
 public:
  explicit BroadcastQueue(int retransmit_mult) : retransmit_mult_(retransmit_mult) {}
  ~BroadcastQueue();
  BroadcastQueue(const BroadcastQueue&) = delete;
  BroadcastQueue& operator=(const BroadcastQueue&) = delete;

  // Queues `message`. A non-empty `name` replaces (and finishes) a queued broadcast of the
  // same name. `on_finished` runs once when the broadcast leaves the queue for any reason
  // (sent often enough, replaced, pruned, reset).
  void Queue(std::string message, std::string name = {},
             absl::AnyInvocable<void()> on_finished = nullptr);

  // Pulls messages whose sizes plus `overhead` each fit in `limit` bytes in total, for a
  // cluster of `num_nodes`. Each returned message's transmit count rises by one.
  std::vector<std::string> GetBroadcasts(size_t overhead, size_t limit, int num_nodes);

  // Drops the most-transmitted (then smallest, oldest) broadcasts beyond `max_retain`.
  void Prune(size_t max_retain);
  // Drops everything.
  void Reset();

  size_t size() const { return order_.size(); }

 private:
  struct Entry {
    int transmits = 0;
    size_t length = 0;
    int64_t id = 0;
    std::string message;
    std::string name;
    absl::AnyInvocable<void()> on_finished;
  };
  struct Before {  // memberlist limitedBroadcast.Less
    bool operator()(const Entry* a, const Entry* b) const {
      if (a->transmits != b->transmits) return a->transmits < b->transmits;
      if (a->length != b->length) return a->length > b->length;
      return a->id > b->id;
    }
  };

  void Finish(std::unique_ptr<Entry> entry);
  std::unique_ptr<Entry> Remove(const Entry* entry);

  int retransmit_mult_;
  int64_t next_id_ = 0;
  std::set<const Entry*, Before> order_;
  std::map<const Entry*, std::unique_ptr<Entry>> owned_;
  std::map<std::string, const Entry*, std::less<>> by_name_;
};

}  // namespace cairn::gossip

#endif  // CAIRN_GOSSIP_BROADCAST_QUEUE_H_
