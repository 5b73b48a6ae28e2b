// cairn/gossip/memberlist.h — SWIM membership with Lifeguard, wire-compatible with
// hashicorp/memberlist (the layer under serf and Consul's gossip pools).
//
// A Memberlist keeps the list of members of a gossip pool and detects failures:
//   * probes: every ProbeInterval it pings one member over UDP; without an ack within
//     ProbeTimeout it asks IndirectChecks other members to ping it (with nacks) and
//     tries a TCP ping; still nothing by the end of the interval makes it suspect;
//   * suspicion (Lifeguard): a suspect that does not refute within a timeout that shrinks
//     with independent confirmations is declared dead; the local health score (awareness)
//     stretches probe timing while this node itself is slow;
//   * gossip: alive/suspect/dead news and the delegate's broadcasts ride on probes and on
//     GossipInterval packets to GossipNodes random members, each sent at most
//     RetransmitMult * ceil(log10(N + 1)) times;
//   * push/pull: full state exchange over TCP on join and every PushPullInterval;
//   * encryption (AES-GCM keyring), CRC, LZW, labels and protocol versions as memberlist.
//
// Example:
//
//   cairn::gossip::Memberlist::Options opts = cairn::gossip::Memberlist::Options::LAN("n1");
//   CAIRN_ASSIGN_OR_RETURN(std::unique_ptr<cairn::gossip::NetTransport> net,
//                          cairn::gossip::NetTransport::Create(strand, {"127.0.0.1", 7946}));
//   cairn::base::RealClock clock(strand);
//   CAIRN_ASSIGN_OR_RETURN(auto ml, cairn::gossip::Memberlist::Create(opts, *net, clock, {}));
//   boost::asio::post(strand, [&] {
//     ml->Join({"127.0.0.1:7947"}, [](absl::StatusOr<int> n) { ... });
//   });
//
// Threading: a Memberlist is not thread-safe. It lives on one executor — the executor of
// its Transport and Clock (a strand in the agent; in a simulation the one thread that
// drives the SimulatedClock) — and every method, the constructor's Create and the
// destructor must be called there. Completion callbacks (Join, Leave, UpdateNode,
// SendReliable) and every delegate method run there too, synchronously from inside the
// Memberlist; they must not block (they stall probes and packet handling). Delegates may
// call the const accessors (Members, NumMembers, LocalNode, GetHealthScore, ...) and the
// Send* methods re-entrantly; they must not destroy the Memberlist.
//
// Compatibility notes: we send what memberlist 0.2.2 sends (no label unless one is
// configured, CRC only to peers advertising protocol max >= 5, LZW when it shrinks a
// packet) and accept what any memberlist from 0.2.2 to 0.5 sends. Join-time convergence
// is better than memberlist's (see Options::join_followup_push_pulls) while every byte
// on the wire stays a memberlist message.
#ifndef CAIRN_GOSSIP_MEMBERLIST_H_
#define CAIRN_GOSSIP_MEMBERLIST_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/functional/any_invocable.h>
#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include <cairn/base/clock.h>
#include <cairn/base/log.h>
#include <cairn/base/metrics.h>
#include <cairn/gossip/messages.h>
#include <cairn/gossip/security.h>
#include <cairn/gossip/transport.h>

namespace cairn::gossip {

// A member as this node sees it (memberlist's Node plus its state).
struct Node {
  std::string name;
  std::string addr;  // IP text, e.g. "10.0.0.1" or "::1"
  uint16_t port = 0;
  std::string meta;  // the node's delegate meta (serf: its encoded tags), <= kMetaMaxSize
  NodeState state = NodeState::kAlive;
  uint32_t incarnation = 0;
  // Protocol ranges and current versions from the node's Vsn: memberlist, then delegate.
  uint8_t pmin = 0, pmax = 0, pcur = 0;
  uint8_t dmin = 0, dmax = 0, dcur = 0;

  // "addr:port" (brackets for IPv6), usable with Transport and SendToAddress.
  std::string Address() const;
  bool operator==(const Node&) const = default;
};

// ---- Delegates: C++ forms of memberlist's delegate interfaces. All are borrowed (they
// must outlive the Memberlist), all are optional, and all run on the Memberlist's
// executor (see the threading note at the top). None may block.

// memberlist Delegate: what the application (serf) adds to the protocol.
class Delegate {
 public:
  virtual ~Delegate() = default;
  // This node's meta, at most `limit` bytes (longer is an error at Create/UpdateNode).
  // Called at Create, on UpdateNode and when refuting.
  virtual std::string NodeMeta(size_t limit) = 0;
  // A user message (type 8) arrived, by UDP or stream; `msg` is the payload after the
  // type byte and is valid only during the call.
  virtual void NotifyMsg(std::string_view msg) = 0;
  // Broadcasts to piggyback: each already framed as a whole message (serf: with its own
  // type byte; the Memberlist adds the memberlist user byte 8), each costing `overhead`
  // bytes plus its size, all of them within `limit` in total.
  virtual std::vector<std::string> GetBroadcasts(size_t overhead, size_t limit) = 0;
  // The user-state part of a push/pull we send (`join`: this is a join exchange).
  virtual std::string LocalState(bool join) = 0;
  // The peer's user state from a push/pull, after its node list was merged.
  virtual void MergeRemoteState(std::string_view buf, bool join) = 0;
};

// memberlist EventDelegate: membership changes, after the state has changed (the node
// list seen from inside the callback already has them).
class EventDelegate {
 public:
  virtual ~EventDelegate() = default;
  virtual void NotifyJoin(const Node& node) = 0;    // new, or back from dead/left
  virtual void NotifyLeave(const Node& node) = 0;   // dead (state kDead) or left (kLeft)
  virtual void NotifyUpdate(const Node& node) = 0;  // meta changed
};

// memberlist ConflictDelegate: an alive message claims a known name from another
// address while the known node is neither left nor reclaimable. The old entry is kept.
class ConflictDelegate {
 public:
  virtual ~ConflictDelegate() = default;
  virtual void NotifyConflict(const Node& existing, const Node& other) = 0;
};

// memberlist MergeDelegate: may veto merging a peer's node list during push/pull (join
// or periodic). A non-OK status aborts the merge (and fails that join attempt).
class MergeDelegate {
 public:
  virtual ~MergeDelegate() = default;
  virtual absl::Status NotifyMerge(const std::vector<Node>& peers) = 0;
};

// memberlist AliveDelegate: may veto an alive message (incl. from push/pull) for a node.
class AliveDelegate {
 public:
  virtual ~AliveDelegate() = default;
  virtual absl::Status NotifyAlive(const Node& peer) = 0;
};

// memberlist PingDelegate: payload carried by our acks (serf: its Vivaldi coordinate) and
// the round-trip times of our successful direct probes.
class PingDelegate {
 public:
  virtual ~PingDelegate() = default;
  virtual std::string AckPayload() = 0;
  virtual void NotifyPingComplete(const Node& other, absl::Duration rtt,
                                  std::string_view payload) = 0;
};

// The delegates a Memberlist uses; every pointer may be null.
struct Delegates {
  Delegate* delegate = nullptr;
  EventDelegate* events = nullptr;
  ConflictDelegate* conflict = nullptr;
  MergeDelegate* merge = nullptr;
  AliveDelegate* alive = nullptr;
  PingDelegate* ping = nullptr;
};

class Memberlist {
 public:
  // memberlist Config. The three factories give memberlist's DefaultLANConfig,
  // DefaultWANConfig and DefaultLocalConfig timings.
  struct Options {
    std::string name;  // unique in the pool; required
    // What we announce to peers. Empty address / port 0: the transport's LocalAddress().
    std::string advertise_addr;
    uint16_t advertise_port = 0;

    uint8_t protocol_version = kProtocolVersion;  // within [kProtocolVersionMin, Max]
    // The delegate's (serf's) protocol versions, advertised in our Vsn.
    uint8_t delegate_protocol_version = 0;
    uint8_t delegate_protocol_min = 0;
    uint8_t delegate_protocol_max = 0;

    absl::Duration tcp_timeout = absl::Seconds(10);
    int indirect_checks = 3;
    int retransmit_mult = 4;
    int suspicion_mult = 4;
    int suspicion_max_timeout_mult = 6;
    absl::Duration push_pull_interval = absl::Seconds(30);  // zero disables periodic ones
    absl::Duration probe_interval = absl::Seconds(1);
    absl::Duration probe_timeout = absl::Milliseconds(500);
    bool disable_tcp_pings = false;
    int awareness_max_multiplier = 8;
    absl::Duration gossip_interval = absl::Milliseconds(200);
    int gossip_nodes = 3;
    absl::Duration gossip_to_the_dead_time = absl::Seconds(30);
    absl::Duration dead_node_reclaim_time = absl::ZeroDuration();  // 0 = never reclaim
    bool enable_compression = true;
    size_t udp_buffer_size = 1400;  // largest packet we build

    // Encryption: when set, traffic is sealed with the primary key and opened with any.
    std::optional<Keyring> keyring;
    bool gossip_verify_incoming = true;
    bool gossip_verify_outgoing = true;
    // memberlist >= 0.3 label: prefixed to every packet/stream and required on input
    // (unless skip_inbound_label_check). Empty (the default) talks to memberlist 0.2.2.
    std::string label;
    bool skip_inbound_label_check = false;

    // ---- Cairn extensions (local policy only; nothing changes on the wire).
    //
    // Why: memberlist spreads news of a joiner only by gossip until the next periodic
    // push/pull (30 s, and 60 s once the pool has more than 32 nodes). When many nodes join
    // at once, each alive broadcast is dropped after RetransmitMult * ceil(log10(N + 1))
    // sends, with N the (small) pool size known at that moment, so an unlucky member can
    // miss a joiner until the next push/pull: serf's "60 s tail". Measured on the simulated
    // network (bench/gossip_sim_bench --nodes 50 --seeds 20 --loss 0.01 --join-window-ms 0):
    // memberlist's behaviour converges in 1.0 s median but 29.9 s at worst; with the two
    // rules below, 0.7 s median and 1.0 s at worst.
    //
    // After a successful Join, push/pull again with a random alive member at these
    // offsets (each exchange fixes both sides' views). Empty: off.
    std::vector<absl::Duration> join_followup_push_pulls = {absl::Seconds(1), absl::Seconds(3),
                                                            absl::Seconds(8)};
    // When the member count has grown by a quarter or more since our last push/pull,
    // push/pull with a random member early (at most this often, with jitter). A pool that
    // forms converges quickly; a single join into a large pool triggers nothing. Zero: off.
    absl::Duration growth_push_pull_interval = absl::Seconds(5);

    // Seeds probe order, target choice and jitter; 0 picks a random seed.
    uint64_t random_seed = 0;
    // Log module "memberlist" by default.
    std::optional<base::Logger> logger;
    // Counters ("memberlist.*") when set; borrowed, must outlive the Memberlist.
    base::MetricsRegistry* metrics = nullptr;

    static Options LAN(std::string name);
    static Options WAN(std::string name);
    static Options Local(std::string name);
  };

  // Counts kept whether or not a MetricsRegistry is attached.
  struct Stats {
    uint64_t packets_sent = 0, packets_received = 0;
    uint64_t bytes_sent = 0, bytes_received = 0;
    uint64_t packets_dropped = 0;  // garbage, truncated, wrongly keyed/labelled, unknown type
    uint64_t streams_dropped = 0;  // the same for TCP exchanges
    uint64_t push_pulls = 0;       // exchanges we initiated that completed
    uint64_t probes = 0, probe_failures = 0;
  };

  // Validates `options`, reads the delegate's meta, marks itself alive (incarnation 1)
  // and starts the probe, gossip and push/pull timers (each with a random stagger) and
  // the transport. Errors: kInvalidArgument for a missing name, a protocol version out of
  // range, meta over kMetaMaxSize, a label over 255 bytes, an unparseable advertise
  // address. `transport` and `clock` are borrowed and must outlive the Memberlist.
  static absl::StatusOr<std::unique_ptr<Memberlist>> Create(Options options, Transport& transport,
                                                            base::Clock& clock,
                                                            Delegates delegates);
  // Shuts down (without leaving) if not done yet.
  ~Memberlist();
  Memberlist(const Memberlist&) = delete;
  Memberlist& operator=(const Memberlist&) = delete;

  // Push/pull (join) with each of `existing` ("ip:port", "ip" for our own port, or
  // "name/ip:port"), one after another. `done` gets the number that succeeded, or the
  // last error if none did. Host names must be resolved by the caller.
  void Join(std::vector<std::string> existing,
            absl::AnyInvocable<void(absl::StatusOr<int>) &&> done);

  // Graceful leave: broadcasts dead(self, from self) and calls `done` once it has been
  // sent to enough members or `timeout` passed (kDeadlineExceeded), or at once when we
  // are alone. Keeps answering probes until Shutdown. A second call is a no-op (OK).
  void Leave(absl::Duration timeout, absl::AnyInvocable<void(absl::Status) &&> done);

  // Stops timers and the transport; later calls do nothing and sends fail
  // (kFailedPrecondition). Does not leave: peers will see us fail. Idempotent.
  void Shutdown();

  // Re-reads our meta from the delegate, bumps our incarnation and broadcasts the alive;
  // `done` (may be null) gets OK once it went out to enough members, kDeadlineExceeded
  // after `timeout`, or kInvalidArgument (nothing changed) for meta over kMetaMaxSize.
  void UpdateNode(absl::Duration timeout, absl::AnyInvocable<void(absl::Status) &&> done);

  // User message (type 8 + msg) by UDP, with queued broadcasts piggybacked when room.
  absl::Status SendBestEffort(const Node& to, std::string_view msg);
  absl::Status SendToAddress(std::string_view address, std::string_view msg);
  // User message over a stream (userMsgHeader); `done` (may be null) gets the result.
  void SendReliable(const Node& to, std::string msg,
                    absl::AnyInvocable<void(absl::Status) &&> done);

  // Alive and suspect members, this node included (memberlist Members()).
  std::vector<Node> Members() const;
  // How many members Members() would return.
  int NumMembers() const;
  // Every known node, dead and left ones included.
  std::vector<Node> AllNodes() const;
  // Our own node as we advertise it.
  Node LocalNode() const;
  // A known node by name (any state).
  std::optional<Node> Find(std::string_view name) const;
  // Lifeguard's local health score: 0 is healthy, higher means we are slow.
  int GetHealthScore() const;
  uint8_t ProtocolVersion() const;
  bool has_left() const;
  bool has_shutdown() const;
  Stats stats() const;

  // The keyring used for encryption (null when not configured). The serf key manager
  // installs/uses/removes keys through it; changes take effect for the next packet.
  Keyring* keyring();
  const Keyring* keyring() const;

  class Impl;  // private; defined in src/

 private:
  explicit Memberlist(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cairn::gossip

#endif  // CAIRN_GOSSIP_MEMBERLIST_H_
