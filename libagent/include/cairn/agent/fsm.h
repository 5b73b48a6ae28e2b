// cairn/agent/fsm.h — the server state machine: one KV store and one catalog over Raft.
//
// Every write to the server state is a Command (libagent/proto/commands.proto) in one Raft
// entry. Fsm::Apply decodes it and applies it to kv::Store and catalog::Catalog with one
// write transaction per store touched, all-or-nothing: a command that fails (bad input,
// a failed CAS, a rolled-back txn) changes nothing. Consul's cross-store rules live here:
//   * a session is created only if its node is registered and each of its checks exists
//     and is not critical ("Missing node registration", "Missing check '<id>'
//     registration", "Check '<id>' is in critical state");
//   * deregistering a node, or a check turning critical or being deregistered, destroys
//     (invalidates) every session depending on it, releasing or deleting its locks.
// Apply reads no clock: lock-delays use the leader's wall-clock time carried in the
// command, and session IDs are chosen by the leader before proposing.
//
// Indexes. Each store index is the Raft index plus an offset, normally 0. Restoring a
// snapshot taken on another cluster (PUT /v1/snapshot) may bring store indexes ahead of
// this cluster's Raft log; the offset then keeps every later store index above them, so
// X-Consul-Index never goes backwards after such a restore. The offset is part of the
// state (and of snapshots), so every server computes the same indexes.
//
// Snapshots (format version 1, all integers little-endian):
//   "CAIRNFSM" u32 version | u64 raft_index | u64 index_offset
//   u8 1 (kv)      then chunks: u32 length + bytes, ..., u32 0   (kv::ReadView stream)
//   u8 2 (catalog) then chunks as above                          (catalog::ReadView stream)
//   u8 255 | u32 CRC-32C of every byte before it
// Restore reads the whole stream, checks magic, version, structure and checksum, then
// restores both store streams into scratch stores (each validates its own stream fully);
// only if everything succeeds are the live stores replaced. On any error the FSM is
// unchanged.
//
// Example (what RaftBackend does; tests drive Apply directly):
//
//   cairn::agent::Fsm fsm;
//   raft::Entry e{.index = 5, .term = 1, .data = EncodeKvWrite({.key = "a", .value = "1"},
//                                                              absl::Now())};
//   std::any r = fsm.Apply(e);
//   absl::StatusOr<bool> ok = TakeResult<bool>(r);
//
// Thread-safety: Apply, Restore and Snapshot are called by the raft::Node on its strand,
// never concurrently. Capture(), SnapshotBytes(), the store accessors and the index getters
// may be called from any thread. The session observer runs on the Apply thread, after the
// change is visible, and must not block.
#ifndef CAIRN_AGENT_FSM_H_
#define CAIRN_AGENT_FSM_H_

#include <any>
#include <atomic>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include <cairn/agent/state_backend.h>
#include <cairn/base/log.h>
#include <cairn/catalog/catalog.h>
#include <cairn/kv/store.h>
#include <cairn/raft/node.h>

namespace cairn::agent {

// ---- Commands (built by the leader) ----
// `now` is the leader's wall clock; it is carried in the entry for lock-delays.

std::string EncodeKvWrite(const KvWriteRequest& request, absl::Time now);
std::string EncodeTxn(const std::vector<kv::TxnOp>& ops, absl::Time now);
// `session` must be complete (ID chosen, defaults applied: see ResolveSessionRequest).
std::string EncodeSessionCreate(const kv::Session& session, absl::Time now);
std::string EncodeSessionDestroy(std::string_view id, bool ttl_expired, absl::Time now);
std::string EncodeRegister(const catalog::RegisterRequest& request, absl::Time now);
std::string EncodeDeregister(const catalog::DeregisterRequest& request, absl::Time now);
std::string EncodeReapTombstones(uint64_t gc_index, absl::Time now);
std::string EncodeRestore(std::string_view fsm_snapshot, absl::Time now);

// Applies Consul's session-create defaults (state_backend.h, SessionCreateRequest) and
// returns the session to propose; `id` is kept when given, else `generated_id` is used;
// an empty node becomes `default_node`.
kv::Session ResolveSessionRequest(const SessionCreateRequest& request,
                                  std::string_view default_node, std::string generated_id);

// ---- Results ----
// The std::any Apply returns holds, by command kind:
//   KvWrite -> absl::StatusOr<bool>          Txn -> absl::StatusOr<kv::TxnOutcome>
//   SessionCreate -> absl::StatusOr<kv::Session>   SessionDestroy -> absl::StatusOr<bool>
//   Register, Deregister -> absl::StatusOr<CatalogWriteResult>
//   ReapTombstones -> absl::StatusOr<uint64_t> (tombstones removed)
//   Restore -> absl::StatusOr<uint64_t> (the Raft index of the restore)
// and an absl::Status (InvalidArgument) for an entry that does not decode.
// TakeResult<T> unwraps one; a value of another type is Internal.
template <typename T>
absl::StatusOr<T> TakeResult(std::any& value) {
  if (auto* r = std::any_cast<absl::StatusOr<T>>(&value)) return std::move(*r);
  if (auto* s = std::any_cast<absl::Status>(&value)) {
    if (!s->ok()) return *s;
  }
  return absl::InternalError("unexpected state machine result type");
}

// A point-in-time pair of views, both as of the same applied entry.
struct FsmViews {
  kv::ReadView kv;
  catalog::ReadView catalog;
  uint64_t raft_index = 0;
  uint64_t index_offset = 0;
};

// The snapshot stream of `views` (Fsm::Capture()) as bytes.
absl::StatusOr<std::string> EncodeSnapshot(const FsmViews& views);

// Session lifecycle events for the leader's TTL timers.
struct SessionObserver {
  std::function<void(const kv::Session&)> created{};  // only sessions with a TTL
  std::function<void(const std::string& id)> destroyed{};
  std::function<void()> reset{};  // after a restore replaced every session
};

class Fsm : public raft::StateMachine {
 public:
  // `log` (optional) receives the rare apply-path errors.
  explicit Fsm(kv::Options kv_options = {}, std::optional<base::Logger> log = std::nullopt);
  ~Fsm() override;
  Fsm(const Fsm&) = delete;
  Fsm& operator=(const Fsm&) = delete;

  // raft::StateMachine.
  std::any Apply(const raft::Entry& entry) override;
  absl::StatusOr<std::unique_ptr<raft::StateMachineSnapshot>> Snapshot() override;
  absl::Status Restore(std::istream& in) override;

  // Both views as of one applied entry (never in the middle of one). Any thread.
  FsmViews Capture() const;
  // The snapshot stream of Capture() as bytes (GET /v1/snapshot, tests).
  absl::StatusOr<std::string> SnapshotBytes() const;
  // Checks a snapshot stream completely without changing anything.
  absl::Status ValidateSnapshot(std::string_view stream) const;

  // The live stores: read and watch only (Fsm is their single writer).
  kv::Store& kv() { return kv_; }
  catalog::Catalog& catalog() { return catalog_; }

  // Raft index of the last entry applied (or snapshot restored).
  uint64_t last_applied() const { return last_applied_.load(std::memory_order_acquire); }
  uint64_t index_offset() const { return offset_.load(std::memory_order_acquire); }

  // Set before the node starts (not synchronized with Apply).
  void SetSessionObserver(SessionObserver observer) { observer_ = std::move(observer); }

 private:
  struct Parsed;
  class Applier;
  absl::StatusOr<Parsed> Parse(std::string_view stream) const;
  // Validates `stream` and replaces the state; on error nothing changed.
  absl::Status RestoreParsed(const Parsed& parsed, uint64_t raft_index, uint64_t offset);

  const kv::Options kv_options_;
  kv::Store kv_;
  catalog::Catalog catalog_;
  // Held while an entry is applied, and by Capture(), so a capture never sees half of one.
  mutable std::mutex apply_mu_;
  std::atomic<uint64_t> last_applied_{0};
  std::atomic<uint64_t> offset_{0};
  SessionObserver observer_;
  std::optional<base::Logger> log_;
};

}  // namespace cairn::agent

#endif  // CAIRN_AGENT_FSM_H_
