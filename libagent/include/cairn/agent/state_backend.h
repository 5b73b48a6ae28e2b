// cairn/agent/state_backend.h — how the HTTP API reaches the server's replicated state.
//
// A StateBackend is the one door between request handlers and the server state (the KV
// store, sessions and the catalog, replicated by Raft). Handlers never touch Raft: they
// submit typed writes and get typed results back through a callback, open reads with a
// consistency mode, register blocking-query watches on the stores, and ask for the leader
// and Raft facts /v1/status and /v1/operator/raft show.
//
// Implementations: RaftBackend (<cairn/agent/raft_backend.h>) over a raft::Node and the
// server FSM (<cairn/agent/fsm.h>); its dev-mode constructor runs a single in-memory server.
//
// Example (PUT /v1/kv/<key>?cas=7, then GET /v1/kv/<key> as a blocking query):
//
//   KvWriteRequest w{.op = KvWriteOp::kCas, .key = key, .value = body, .index = 7};
//   backend.KvWrite(std::move(w), [ex](absl::StatusOr<bool> r) {
//     if (!r.ok()) return ex->Reply(HttpResponse::Text(500, std::string(r.status().message())));
//     ex->Reply(HttpResponse::Json(*r, false));
//   });
//
//   backend.Read(opts.consistency, [&, ex](absl::StatusOr<ReadContext> r) {
//     if (!r.ok()) return ex->Reply(HttpResponse::Text(500, std::string(r.status().message())));
//     // r->meta gives X-Consul-KnownLeader / X-Consul-LastContact.
//     RunBlockingQuery(strand, clock, opts, ex,
//         [&] { auto v = backend.kv().Snapshot(); return QueryResult{v.KeyIndex(key), ...}; },
//         [&](uint64_t min, base::WatchHub::Callback cb) {
//           return backend.kv().WatchKey(key, min, std::move(cb));
//         });
//   });
//
// Consistency. kDefault and kConsistent are both linearizable here (leader + ReadIndex;
// Consul's default mode has a stale window, ours has none): the callback runs once this
// server, as leader, has confirmed with a quorum that it still leads and has applied every
// write committed before the call, so the views it hands over (and any later local read)
// include every write acknowledged before Read was called. kStale reads the local state at
// once, on any server, with or without a leader. A blocking query therefore calls Read once
// and re-runs against kv() / catalog() afterwards: a re-run sees newer state still.
//
// Errors (absl::Status; the message is Consul's text, to be sent as the plain-text body):
//   * Unavailable "No cluster leader": no leader appeared within the hold time
//     (RaftBackendOptions::hold_timeout, Consul's RPCHoldTimeout of 7 s). HTTP 500.
//   * Unavailable "not leader (leader is <id> at <address>)": this server is a follower and
//     request forwarding to the leader is not wired yet (see raft_backend.h). HTTP 500.
//   * Unavailable "leadership lost while committing": the write may or may not have been
//     applied (as in any Raft system). HTTP 500.
//   * InvalidArgument: malformed input the stores refused (empty key, oversized value,
//     bad TTL, "Invalid Behavior setting", too many txn ops...). Consul answers most of
//     these with 500 after decoding and 400/413 before; the HTTP layer validates what it
//     can first. FailedPrecondition: `invalid session "<id>"`, "Missing node
//     registration", "Missing check '<id>' registration", "Check '<id>' is in critical
//     state", catalog "Missing service registration". HTTP 500.
//   * NotFound "Session id '<id>' not found" (renew only). HTTP 404.
// A write that fails with InvalidArgument / FailedPrecondition changed nothing.
//
// Thread-safety: every member may be called from any thread, concurrently. Callbacks run
// exactly once, on a backend thread (the Raft strand, a timer, or inline on the calling
// thread for answers known at once: stale reads, validation errors); they must not block
// and may call back into the backend. Post to your own strand if you need it.
#ifndef CAIRN_AGENT_STATE_BACKEND_H_
#define CAIRN_AGENT_STATE_BACKEND_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <absl/functional/any_invocable.h>
#include <absl/status/statusor.h>

#include <cairn/agent/query_options.h>
#include <cairn/catalog/catalog.h>
#include <cairn/catalog/types.h>
#include <cairn/kv/session.h>
#include <cairn/kv/store.h>
#include <cairn/kv/txn.h>

namespace cairn::agent {

// A one-shot result callback (see the thread-safety note above).
template <typename T>
using ResultCallback = absl::AnyInvocable<void(absl::StatusOr<T>) &&>;

// ---- Writes ----

// The single-key KV writes of PUT / DELETE /v1/kv/<key>.
enum class KvWriteOp {
  kSet,         // PUT: key, value, flags
  kCas,         // PUT ?cas=index (0: create only)
  kAcquire,     // PUT ?acquire=session
  kRelease,     // PUT ?release=session
  kDelete,      // DELETE
  kDeleteCas,   // DELETE ?cas=index
  kDeleteTree,  // DELETE ?recurse (key is the prefix; "" = everything)
};

struct KvWriteRequest {
  KvWriteOp op = KvWriteOp::kSet;
  std::string key{};
  std::string value{};
  uint64_t flags = 0;
  uint64_t index = 0;     // kCas, kDeleteCas
  std::string session{};  // kAcquire, kRelease
};

// PUT /v1/session/create, as decoded from the body. Fields left empty take Consul's
// defaults here, so the handler passes exactly what the client sent:
//   * id: empty = the leader generates a random UUID (the normal case).
//   * node: empty = this agent's node name.
//   * checks / node_checks: nullopt when the JSON key was absent, an empty vector for
//     `[]`. Consul 1.7+ rules: both absent -> NodeChecks ["serfHealth"]; `Checks: []` or
//     `NodeChecks: []` drops serfHealth; a non-empty Checks alone keeps serfHealth in
//     NodeChecks; a non-empty NodeChecks replaces the default.
// Every check must exist on the node and not be critical (see the errors above).
struct SessionCreateRequest {
  std::string id{};
  std::string name{};
  std::string node{};
  std::optional<std::vector<std::string>> checks{};
  std::optional<std::vector<std::string>> node_checks{};
  std::vector<kv::ServiceCheckRef> service_checks{};
  base::Duration lock_delay = std::chrono::seconds(15);  // capped at 60 s by the store
  kv::SessionBehavior behavior = kv::SessionBehavior::kRelease;
  base::Duration ttl{0};   // 0: none; else [10s, 24h]
  std::string ttl_text{};  // TTL as the client wrote it, echoed back in JSON
};

// What a catalog write did: the index it was applied at (0 when it changed nothing and no
// entry was needed — never the case for a Raft write, kept for future local shortcuts).
struct CatalogWriteResult {
  uint64_t index = 0;
};

// ---- Reads ----

// X-Consul-KnownLeader / X-Consul-LastContact.
struct QueryMeta {
  bool known_leader = false;
  // Time since this server last heard from the leader: zero on the leader; -1 when no
  // leader has been heard from (send it as 0 with KnownLeader false).
  std::chrono::milliseconds last_contact{-1};
};

// A consistent pair of views (each store's own point in time; both taken after the read
// barrier) plus the header facts.
struct ReadContext {
  kv::ReadView kv;
  catalog::ReadView catalog;
  QueryMeta meta;
};

// GET /v1/snapshot: the FSM's snapshot stream (the archive's state.bin) and the Raft
// index it reflects (X-Consul-Index, meta.json).
struct SnapshotData {
  uint64_t index = 0;
  uint64_t term = 0;
  std::string state{};
};

// One server of /v1/operator/raft/configuration and /v1/status/peers.
struct RaftServerInfo {
  uint64_t id = 0;        // raft::ServerId; libagent maps it to the node's UUID/name
  std::string address{};  // "ip:port" (server RPC)
  bool leader = false;
  bool voter = true;
};

struct RaftInfo {
  std::vector<RaftServerInfo> servers{};
  uint64_t index = 0;  // the configuration's log index
};

class StateBackend {
 public:
  virtual ~StateBackend() = default;

  // ---- writes (all go through the leader and Raft) ----

  // PUT / DELETE /v1/kv/<key>: the bool is the API's true/false answer.
  virtual void KvWrite(KvWriteRequest request, ResultCallback<bool> done) = 0;
  // PUT /v1/txn with at least one write verb: one atomic entry. `errors` non-empty means
  // rolled back (HTTP 409); InvalidArgument for no ops or too many (> 128).
  // Read-only txns are reads: Read() then ReadContext::kv.ReadTxn(ops).
  virtual void Txn(std::vector<kv::TxnOp> ops, ResultCallback<kv::TxnOutcome> done) = 0;
  // PUT /v1/session/create: the stored session (ID, indexes filled in).
  virtual void CreateSession(SessionCreateRequest request, ResultCallback<kv::Session> done) = 0;
  // PUT /v1/session/destroy/<id>: true (also for unknown ids, as Consul).
  virtual void DestroySession(std::string id, ResultCallback<bool> done) = 0;
  // PUT /v1/session/renew/<id>: not a Raft write; the leader resets the session's TTL
  // timer. NotFound "Session id '<id>' not found" when missing.
  virtual void RenewSession(std::string id, ResultCallback<kv::Session> done) = 0;
  // PUT /v1/catalog/register and /deregister (agent anti-entropy uses them too).
  virtual void Register(catalog::RegisterRequest request,
                        ResultCallback<CatalogWriteResult> done) = 0;
  virtual void Deregister(catalog::DeregisterRequest request,
                          ResultCallback<CatalogWriteResult> done) = 0;

  // ---- reads ----

  // See "Consistency" above. kStale answers inline.
  virtual void Read(Consistency consistency, ResultCallback<ReadContext> done) = 0;
  // The local stores, for blocking-query watches (Watch*) and re-runs (Snapshot()/Read()).
  // Handlers must use only their read and watch members: the FSM is their only writer.
  virtual kv::Store& kv() = 0;
  virtual catalog::Catalog& catalog() = 0;
  // Header facts for responses that did not go through Read (e.g. a blocking re-run).
  virtual QueryMeta Meta() const = 0;

  // ---- status / operator ----

  // /v1/status/leader: the leader's server RPC address ("ip:port"), "" when none.
  virtual std::string LeaderAddress() const = 0;
  // /v1/status/peers: every server of the Raft configuration, voters and non-voters.
  virtual std::vector<std::string> Peers() const = 0;
  // /v1/operator/raft/configuration (local view; the handler may Read() first).
  virtual RaftInfo RaftConfiguration() const = 0;
  // DELETE /v1/operator/raft/peer?id= / ?address=: leader only. NotFound when no such
  // server.
  virtual void RemovePeer(uint64_t id, ResultCallback<bool> done) = 0;
  virtual void RemovePeerByAddress(std::string address, ResultCallback<bool> done) = 0;
  // POST /v1/operator/raft/transfer-leader?id= (0: the most up-to-date voter).
  virtual void TransferLeader(uint64_t id, ResultCallback<bool> done) = 0;

  // ---- snapshots ----

  // GET /v1/snapshot: a snapshot of the state after a read barrier per `consistency`.
  virtual void SaveSnapshot(Consistency consistency, ResultCallback<SnapshotData> done) = 0;
  // PUT /v1/snapshot: replaces the whole state on every server (one Raft entry carrying
  // the stream). InvalidArgument/DataLoss for a stream that does not validate; nothing is
  // changed then. Returns the index at which the restore was applied.
  virtual void RestoreSnapshot(std::string state, ResultCallback<uint64_t> done) = 0;
};

}  // namespace cairn::agent

#endif  // CAIRN_AGENT_STATE_BACKEND_H_
