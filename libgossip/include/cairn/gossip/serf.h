// cairn/gossip/serf.h — the serf layer (serf 0.9.4 semantics) as a clock-free core.
//
// Serf sits on top of memberlist: memberlist says which nodes are reachable, serf adds
// member tags, Lamport-ordered join/leave intents (so a graceful leave is told apart from
// a failure), user events, queries with filters and responses, reaping of failed and left
// members, and name-conflict resolution. This class holds all of that state and logic and
// performs no I/O and reads no clock: the runtime (the Memberlist adapter in
// serf_runtime.h) passes `now` in, implements SerfHost, and forwards memberlist's delegate
// calls (NotifyJoin, NotifyMsg, LocalState ...) to the methods of the same names.
//
// Example:
//
//   SerfConfig config{.node_name = "n1", .tags = {{"role", "web"}}};
//   SerfCore serf(config, host, [](SerfEvent e) { Print(e); }, now);
//   // memberlist delegate calls:
//   serf.NotifyJoin(node, now);  serf.NotifyMsg(bytes, now);  ...
//   serf.UserEvent("deploy", "v1", /*coalesce=*/true);
//   serf.Tick(now);                      // timeouts, reaping, reconnect
//
// Thread-safety: none. One strand owns a SerfCore; SerfHost methods and the event sink
// are called synchronously from inside SerfCore's methods and must not call back into it
// (queue the work instead).
#ifndef CAIRN_GOSSIP_SERF_H_
#define CAIRN_GOSSIP_SERF_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <absl/functional/any_invocable.h>
#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include <cairn/base/clock.h>
#include <cairn/gossip/broadcast_queue.h>
#include <cairn/gossip/dedup_buffer.h>
#include <cairn/gossip/security.h>
#include <cairn/gossip/serf_messages.h>

namespace cairn::gossip {

using base::Duration;
using base::TimePoint;

// What memberlist reports about a node (memberlist.Node).
struct SerfNodeInfo {
  std::string name = {};
  std::string addr = {};  // raw IP bytes (4 or 16)
  uint16_t port = 0;
  std::string meta = {};
  uint8_t pmin = 0, pmax = 0, pcur = 0, dmin = 0, dmax = 0, dcur = 0;
  // memberlist saw the node announce its own death (a graceful memberlist leave). serf
  // 0.9.4 ignores this and shows "failed" when its leave intent was missed; we show
  // "left", which is what happened.
  bool left = false;
};

// serf.Config, library defaults (serf DefaultConfig).
struct SerfConfig {
  std::string node_name = {};
  TagList tags = {};
  std::string advertise_ip = {};  // raw IP bytes: where queries ask to be answered
  uint16_t advertise_port = 0;
  uint8_t protocol_version = kSerfProtocol;
  int retransmit_mult = 4;                                    // memberlist's RetransmitMult
  Duration gossip_interval = std::chrono::milliseconds(200);  // memberlist's
  int query_timeout_mult = 16;
  size_t query_size_limit = 1024;
  size_t query_response_size_limit = 1024;
  size_t user_event_size_limit = 512;
  Duration reap_interval = std::chrono::seconds(15);
  Duration reconnect_interval = std::chrono::seconds(30);
  Duration reconnect_timeout = std::chrono::hours(72);  // Consul's (serf library: 24 h)
  Duration tombstone_timeout = std::chrono::hours(24);
  Duration recent_intent_timeout = std::chrono::minutes(5);
  size_t event_buffer_size = kDefaultDedupSlots;
  size_t query_buffer_size = kDefaultDedupSlots;
  bool enable_name_conflict_resolution = true;
  // Consul's merge delegates: veto members arriving by a join or push/pull merge.
  std::function<absl::Status(const std::vector<SerfMember>&)> merge = nullptr;
};

// What SerfCore needs from memberlist and the runtime.
class SerfHost {
 public:
  virtual ~SerfHost() = default;
  // Sends `serf_message` (serf type byte + body) as a memberlist user message (08 ...)
  // directly to ip:port over UDP, best effort (memberlist SendToAddress).
  virtual void SendToAddress(const std::string& ip, uint16_t port, const std::string& node_name,
                             std::string serf_message) = 0;
  // memberlist's NumMembers(): nodes not dead or left, including ourselves.
  virtual int NumMembers() const = 0;
  // Starts a memberlist join (push/pull) with "name/ip:port" addresses; result ignored.
  virtual void Join(std::vector<std::string> addresses) = 0;
  // Re-announces our memberlist alive with this Meta (tags changed).
  virtual absl::Status UpdateMeta(std::string meta) = 0;
  // The memberlist keyring, or nullptr when encryption is off. Key queries modify it.
  virtual Keyring* keyring() = 0;
  // Called after a key query changed the keyring (persist the keyring file). An error is
  // reported back in the key response.
  virtual absl::Status KeyringChanged() { return absl::OkStatus(); }
  // Name-conflict resolution lost the vote: the node must shut down.
  virtual void ConflictLost() {}
};

enum class MemberEventType { kJoin, kLeave, kFailed, kUpdate, kReap };
std::string_view MemberEventName(MemberEventType t);  // "member-join", ...
std::string_view MemberStatusName(MemberStatus s);    // "alive", "leaving", "left", "failed"

struct MemberEvent {
  MemberEventType type = {};
  std::vector<SerfMember> members = {};
};
struct SerfUserEvent {
  LamportTime ltime = 0;
  std::string name = {};
  std::optional<std::string> payload = {};
  bool coalesce = false;
};
// A query delivered to the application; answer with SerfCore::Respond before `deadline`.
struct IncomingQuery {
  LamportTime ltime = 0;
  uint32_t id = 0;
  std::string name = {};
  std::optional<std::string> payload = {};
  std::string source_node = {};
  std::string addr = {};  // raw IP to answer to
  uint16_t port = 0;
  uint8_t relay_factor = 0;
  TimePoint deadline = {};
};
using SerfEvent = std::variant<MemberEvent, SerfUserEvent, IncomingQuery>;
using SerfEventSink = absl::AnyInvocable<void(SerfEvent)>;

struct QueryParams {
  std::vector<std::string> filter_nodes = {};  // only these nodes process it
  TagList filter_tags = {};  // tag name -> RE2 regexp (unanchored), all must match
  bool request_ack = false;
  uint8_t relay_factor = 0;
  Duration timeout = Duration::zero();  // zero: DefaultQueryTimeout()
};
// Results of a query we started. Run on the owning strand, from NotifyMsg/Tick.
struct QueryCallbacks {
  absl::AnyInvocable<void(const std::string& from)> on_ack = nullptr;
  absl::AnyInvocable<void(const std::string& from, const std::optional<std::string>& payload)>
      on_response = nullptr;
  absl::AnyInvocable<void()> on_done = nullptr;  // deadline reached (or Close)
};

// serf.KeyResponse: the aggregate of every node's answer to a key query.
struct KeyOpResult {
  int num_nodes = 0, num_resp = 0, num_err = 0;
  std::map<std::string, std::string> messages = {};  // node -> error message
  std::map<std::string, int> keys = {};              // base64 key -> nodes that have it
  std::map<std::string, int> primary_keys = {};      // base64 key -> nodes using it as primary
  absl::Status status = {};  // error when any node failed or some did not answer
};
enum class KeyOp { kInstall, kUse, kRemove, kList };

class SerfCore {
 public:
  // `sink` receives member, user and (non-internal) query events. Clocks start at 1.
  SerfCore(SerfConfig config, SerfHost& host, SerfEventSink sink, TimePoint now,
           uint64_t seed = std::random_device{}());
  ~SerfCore();
  SerfCore(const SerfCore&) = delete;
  SerfCore& operator=(const SerfCore&) = delete;

  // ---- memberlist delegates.
  // Our tags as Meta; kInvalidArgument if they do not fit (checked at SetTags too).
  std::string NodeMeta(size_t limit) const;
  void NotifyMsg(std::string_view msg, TimePoint now);
  std::vector<std::string> GetBroadcasts(size_t overhead, size_t limit);
  std::string LocalState(bool join) const;
  void MergeRemoteState(std::string_view state, bool join, TimePoint now);
  void NotifyJoin(const SerfNodeInfo& node, TimePoint now);
  void NotifyLeave(const SerfNodeInfo& node, TimePoint now);
  void NotifyUpdate(const SerfNodeInfo& node, TimePoint now);
  void NotifyConflict(const SerfNodeInfo& existing, const SerfNodeInfo& other, TimePoint now);
  absl::Status NotifyMerge(const std::vector<SerfNodeInfo>& nodes);

  // ---- application API.
  // Broadcasts a join intent; call after memberlist joined at least one node.
  void BroadcastJoinIntent();
  // First step of a graceful leave: mark leaving and broadcast the leave intent.
  // `on_sent` runs once the intent has been gossiped enough (or dropped); the runtime
  // then runs memberlist's leave. Returns kFailedPrecondition if already leaving.
  absl::Status Leave(absl::AnyInvocable<void()> on_sent);
  // Called by the runtime when the leave finished (state becomes left).
  void LeaveDone() { state_ = State::kLeft; }
  // Errors: kInvalidArgument over the size limits.
  absl::Status UserEvent(std::string_view name, std::optional<std::string> payload, bool coalesce,
                         TimePoint now);
  absl::StatusOr<uint32_t> Query(std::string_view name, std::optional<std::string> payload,
                                 QueryParams params, QueryCallbacks callbacks, TimePoint now);
  // Answers a delivered query (once, before its deadline). kFailedPrecondition if already
  // answered or late, kInvalidArgument if too large.
  absl::Status Respond(const IncomingQuery& query, std::optional<std::string> payload,
                       TimePoint now);
  // Changes our tags; the runtime's UpdateMeta re-announces us.
  absl::Status SetTags(TagList tags);
  // Cluster-wide key operation through `_serf_<op>-key`; `key_b64` is ignored for kList.
  // `on_done` runs when every member answered or the query timed out.
  absl::Status KeyOperation(KeyOp op, std::string_view key_b64, uint8_t relay_factor,
                            absl::AnyInvocable<void(KeyOpResult)> on_done, TimePoint now);

  // Timers: query deadlines, reap (ReapInterval), reconnect (ReconnectInterval).
  void Tick(TimePoint now);
  // The earliest time Tick has something to do.
  TimePoint NextDeadline() const;

  // Restores clocks from a snapshot (events/queries at or before them are not
  // delivered again).
  void RestoreClocks(LamportTime clock, LamportTime event_clock, LamportTime query_clock);
  // serf's "ignore old events" on join: events older than the remote clock are dropped.
  void set_ignore_events_on_join(bool v) { event_join_ignore_ = v; }

  // ---- inspection.
  std::vector<SerfMember> Members() const;
  std::optional<SerfMember> Member(std::string_view name) const;
  LamportTime clock() const { return clock_.Time(); }
  LamportTime event_clock() const { return event_clock_.Time(); }
  LamportTime query_clock() const { return query_clock_.Time(); }
  const SerfConfig& config() const { return config_; }
  Duration DefaultQueryTimeout() const;
  bool leaving() const { return state_ == State::kLeaving; }
  bool encryption_enabled() { return host_.keyring() != nullptr; }

 private:
  enum class State { kAlive, kLeaving, kLeft };
  struct MemberState {
    SerfMember member;
    LamportTime status_ltime = 0;
    TimePoint leave_time{};
  };
  struct Intent {
    SerfMessageType type;
    LamportTime ltime;
    TimePoint when = {};
  };
  struct PendingQuery {
    uint32_t id;
    TimePoint deadline = {};
    std::set<std::string> acks, responses;
    QueryCallbacks callbacks;
  };
  struct Answered {  // queries delivered to the application, for Respond
    TimePoint deadline = {};
    bool responded = false;
  };

  bool HandleLeaveIntent(const SerfLeave& m, TimePoint now);
  bool HandleJoinIntent(const SerfJoin& m, TimePoint now);
  bool HandleUserEvent(const gossip::UserEvent& m);
  bool HandleQuery(const gossip::Query& q, TimePoint now);
  void HandleQueryResponse(const QueryResponse& r);
  void HandleInternalQuery(const IncomingQuery& q, TimePoint now);
  void HandleKeyQuery(const IncomingQuery& q, std::string_view op, TimePoint now);
  void SendKeyResponse(const IncomingQuery& q, KeyResponse resp, TimePoint now);
  bool ShouldProcessQuery(const std::vector<std::string>& filters) const;
  void RelayResponse(uint8_t relay_factor, const std::string& ip, uint16_t port,
                     const std::string& dest, const QueryResponse& resp);
  absl::Status SendResponse(const IncomingQuery& q, const QueryResponse& resp,
                            const std::string& raw, TimePoint now);
  void ResolveConflict(TimePoint now);
  void Prune(const std::string& name);
  void Reap(std::vector<std::string>& list, TimePoint now, Duration timeout);
  void Reconnect();
  void Emit(MemberEventType type, const SerfMember& m);
  void Broadcast(BroadcastQueue& q, std::string msg, absl::AnyInvocable<void()> done = nullptr);
  TagList DecodeTagsOrEmpty(std::string_view meta) const;
  int NumNodes() const;

  SerfConfig config_;
  SerfHost& host_;
  SerfEventSink sink_;
  std::mt19937_64 rng_;
  State state_ = State::kAlive;
  LamportClock clock_, event_clock_, query_clock_;
  LamportTime event_min_time_ = 0, query_min_time_ = 0;
  bool event_join_ignore_ = false;
  std::map<std::string, MemberState, std::less<>> members_ = {};
  std::vector<std::string> failed_members_, left_members_;
  std::map<std::string, Intent, std::less<>> recent_intents_ = {};
  EventBuffer event_buffer_;
  QueryBuffer query_buffer_;
  BroadcastQueue broadcasts_, event_broadcasts_, query_broadcasts_;
  std::map<LamportTime, PendingQuery> pending_queries_ = {};
  std::map<std::pair<LamportTime, uint32_t>, Answered> answered_ = {};
  TimePoint next_reap_, next_reconnect_;
  std::string meta_ = {};  // encoded once per tag change (Go map order is random; keep it stable)
};

}  // namespace cairn::gossip

#endif  // CAIRN_GOSSIP_SERF_H_
