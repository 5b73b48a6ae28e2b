// Private: the state and the protocol code behind cairn::gossip::Memberlist. Split over
// memberlist.cc (lifecycle and public calls), state.cc (probe, gossip, alive/suspect/dead
// rules, merge), memberlist_net.cc (packet receive/send) and memberlist_stream.cc (TCP
// exchanges: push/pull, fallback ping, reliable user messages).
#ifndef CAIRN_GOSSIP_SRC_MEMBERLIST_IMPL_H_
#define CAIRN_GOSSIP_SRC_MEMBERLIST_IMPL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <absl/functional/any_invocable.h>

#include <cairn/gossip/awareness.h>
#include <cairn/gossip/broadcast_queue.h>
#include <cairn/gossip/memberlist.h>
#include <cairn/gossip/packet.h>
#include <cairn/gossip/stream.h>
#include <cairn/gossip/suspicion.h>

namespace cairn::gossip {

struct NodeEntry {
  Node node;
  absl::Time state_change;
  std::unique_ptr<Suspicion> suspicion;  // while suspected
  std::unique_ptr<base::Timer> suspicion_timer;
  uint64_t suspicion_epoch = 0;  // distinguishes successive suspicions
  bool DeadOrLeft() const {
    return node.state == NodeState::kDead || node.state == NodeState::kLeft;
  }
};

class StreamExchange {
 public:
  explicit StreamExchange(std::unique_ptr<Stream> s) : stream(std::move(s)) {}
  std::unique_ptr<Stream> stream;
  std::string buf;
};

class Memberlist::Impl {
 public:
  Impl(Options options, Transport& transport, base::Clock& clock, Delegates delegates);
  ~Impl();

  absl::Status Start();

  // ---- public calls (memberlist.cc)
  void Join(std::vector<std::string> existing,
            absl::AnyInvocable<void(absl::StatusOr<int>) &&> done);
  void Leave(absl::Duration timeout, absl::AnyInvocable<void(absl::Status) &&> done);
  void Shutdown();
  void UpdateNode(absl::Duration timeout, absl::AnyInvocable<void(absl::Status) &&> done);
  absl::Status SendUser(std::string_view address, const Node* node, std::string_view msg);
  void SendReliable(const Node& to, std::string msg,
                    absl::AnyInvocable<void(absl::Status) &&> done);
  std::vector<Node> Members() const;
  int NumMembers() const;
  std::vector<Node> AllNodes() const;
  Node LocalNode() const;
  std::optional<Node> Find(std::string_view name) const;

  Options opts_;
  Transport& transport_;
  base::Clock& clock_;
  Delegates d_;
  base::Logger log_;
  std::mt19937_64 rng_;

  std::string adv_addr_;  // IP text
  uint16_t adv_port_ = 0;
  std::string adv_addr_bytes_;

  std::map<std::string, std::unique_ptr<NodeEntry>, std::less<>> node_map_;
  std::vector<NodeEntry*> nodes_;  // probe order
  size_t probe_index_ = 0;
  uint32_t seq_no_ = 0;
  uint32_t incarnation_ = 0;
  Awareness awareness_;
  BroadcastQueue broadcasts_;
  bool left_ = false;
  absl::AnyInvocable<void()> leave_notify_;  // set by Leave() for DeadNode(self)
  int members_at_last_push_pull_ = 1;
  bool shutdown_ = false;
  Stats stats_;
  int active_push_pulls_ = 0;  // incoming push/pulls being served

  // ---- time and deferred work
  absl::Time Now() const;
  std::unique_ptr<base::Timer> After(absl::Duration d, absl::AnyInvocable<void() &&> fn);
  // Runs `fn` on the executor soon, never inline (user callbacks must not run inside the
  // broadcast queue or half-way through a state change).
  void Post(absl::AnyInvocable<void() &&> fn);
  std::map<uint64_t, std::unique_ptr<base::Timer>> posted_;
  uint64_t next_posted_ = 0;

  std::unique_ptr<base::Timer> probe_timer_, gossip_timer_, push_pull_timer_, growth_timer_;
  absl::Time last_growth_push_pull_ = absl::InfinitePast();
  std::vector<std::unique_ptr<base::Timer>> followup_timers_;

  // ---- probe state (state.cc)
  struct AckHandler {
    absl::AnyInvocable<void(std::string_view payload, absl::Time at)> on_ack;
    absl::AnyInvocable<void()> on_nack;
    absl::AnyInvocable<void()> on_timeout;
    std::unique_ptr<base::Timer> expiry;
  };
  std::map<uint32_t, AckHandler> ack_handlers_;
  void SetAckHandler(uint32_t seq, absl::AnyInvocable<void(std::string_view, absl::Time)> on_ack,
                     absl::AnyInvocable<void()> on_nack, absl::AnyInvocable<void()> on_timeout,
                     absl::Duration timeout);
  void InvokeAck(const Ack& ack, absl::Time at);
  void InvokeNack(const Nack& nack);

  struct Probe {
    std::string target;
    uint32_t seq = 0;
    uint32_t incarnation = 0;  // the target's, when the probe began
    absl::Time start;
    absl::Time deadline;  // start + the awareness-scaled probe interval
    bool done = false;
    bool indirect = false;
    int expected_nacks = 0;
    int nacks = 0;
    bool fallback_pending = false;
    bool fallback_contacted = false;
    bool deadline_passed = false;
    std::unique_ptr<base::Timer> timer;
  };
  std::unique_ptr<Probe> probe_;
  void ScheduleProbe(absl::Duration after);
  void ProbeTick();
  void ProbeNode(NodeEntry& node);
  void ProbeIndirect();
  void ProbeFinish(bool success);
  void ResetNodes();
  void GossipTick();
  void PushPullTick();
  void PushPullRandom();
  void OnMembershipGrew();
  std::vector<NodeEntry*> RandomNodes(size_t k, absl::AnyInvocable<bool(const NodeEntry&)> exclude);

  // ---- state rules (state.cc)
  void AliveNode(const Alive& a, bool bootstrap, absl::AnyInvocable<void()> notify = nullptr);
  void SuspectNode(const Suspect& s);
  void DeadNode(const Dead& d);
  void Refute(NodeEntry& me, uint32_t accused_inc);
  void MergeState(const std::vector<PushNodeState>& remote);
  void ScheduleSuspicionTimer(NodeEntry& e);
  void SuspicionExpired(const std::string& name, uint64_t epoch);
  int EstNumNodes() const { return static_cast<int>(nodes_.size()); }
  uint32_t NextIncarnation() { return ++incarnation_; }
  std::string VsnBytes() const;
  void QueueBroadcast(const std::string& name, std::string msg,
                      absl::AnyInvocable<void()> notify = nullptr);
  std::vector<std::string> GetBroadcasts(size_t overhead, size_t limit);
  bool AnyAlive() const;
  NodeEntry* Self();

  // ---- packets (memberlist_net.cc)
  void IngestPacket(std::string_view from, std::string_view packet);
  void HandleMessage(uint8_t type, std::string_view body, std::string_view from, absl::Time at);
  void HandlePing(std::string_view body, std::string_view from);
  void HandleIndirectPing(std::string_view body, std::string_view from);
  // Sends `msg` (one whole message) with broadcasts piggybacked when there is room.
  absl::Status SendMsg(std::string_view to, std::string msg);
  // compress (if smaller), CRC (when `node` has PMax >= 5), encrypt, label.
  absl::Status RawSendPacket(std::string_view to, const Node* node, std::string msg);
  void DropPacket(std::string_view from, const absl::Status& why);
  size_t EncryptOverhead() const;
  bool Encrypting() const { return opts_.keyring.has_value() && opts_.gossip_verify_outgoing; }

  // ---- streams (memberlist_stream.cc)
  std::map<uint64_t, std::unique_ptr<StreamExchange>> exchanges_;
  uint64_t next_exchange_ = 0;
  void HandleStream(std::unique_ptr<Stream> stream);
  // Push/pull with `address`; `done` gets the merge result.
  void PushPullNode(std::string address, bool join, absl::AnyInvocable<void(absl::Status) &&> done);
  void StreamPing(std::string address, const Ping& ping, absl::Duration timeout,
                  absl::AnyInvocable<void(bool contacted) &&> done);
  std::string EncodeLocalState(bool join);
  absl::Status MergeRemoteState(const PushPull& remote);
  absl::StatusOr<std::string> FrameStream(std::string message) const;
  StreamReadOptions ReadOptions() const;
  void JoinNext(std::shared_ptr<struct JoinState> js);
  void ScheduleJoinFollowups();
  uint64_t NewExchange(std::unique_ptr<Stream> stream);
  void EndExchange(uint64_t id);
};

}  // namespace cairn::gossip

#endif  // CAIRN_GOSSIP_SRC_MEMBERLIST_IMPL_H_
