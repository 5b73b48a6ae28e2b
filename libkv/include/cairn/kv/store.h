// cairn/kv/store.h — the KV state store: entries, tombstones, sessions, locks, watches.
//
// One writer (the FSM apply thread) and any number of readers. The whole state is one
// immutable version built from PersistentMaps (<cairn/base/persistent_map.h>):
//   * Readers call Snapshot() to get a ReadView, a consistent version that stays valid and
//     unchanged for as long as they hold it. Taking one costs a mutex-protected pointer copy,
//     so readers never wait for a write in progress.
//   * The writer calls BeginWrite(raft_index) to get a WriteTxn holding a private copy of the
//     current version (O(1)); every operation changes only that copy (path copying, O(log n)
//     new nodes per key). Commit() publishes the new version atomically and then wakes the
//     watchers of exactly the keys and sessions that changed. Destroying a WriteTxn without
//     Commit() discards it. Several operations (or later, libkv and libcatalog changes of one
//     Raft entry) therefore apply all-or-nothing.
//   * A snapshot for Raft is just a ReadView written out with WriteSnapshot(): it never
//     stalls the writer and costs no copy of the data.
//
// Example (FSM apply, then a blocking query):
//
//   cairn::kv::Store store;
//   {
//     cairn::kv::WriteTxn txn = store.BeginWrite(/*raft_index=*/7);
//     absl::StatusOr<bool> ok = txn.Set("web/config", "v1", /*flags=*/0);
//     txn.Commit();
//   }
//   cairn::kv::ReadView view = store.Snapshot();
//   uint64_t seen = view.PrefixIndex("web/");
//   auto handle = store.WatchPrefix("web/", seen, [](uint64_t index) { /* re-run query */ });
//   if (store.Snapshot().PrefixIndex("web/") > seen) { /* changed meanwhile: re-run now */ }
//
// Indexes (X-Consul-Index): every write carries the Raft index it is applied at. Entries
// carry CreateIndex/ModifyIndex; kv_index() is the last index that changed an entry or a
// tombstone, sessions_index() the last that changed a session. KeyIndex() and
// PrefixIndex() give Consul's blocking-query indexes (see their comments). The prefix index
// is the greatest ModifyIndex under the prefix over entries and tombstones; both maps keep
// the maximum per B-tree subtree, so it costs O(log n), never a scan of the prefix.
//
// Tombstones: deleting a key leaves a tombstone (key, deletion index) so a prefix's index
// never goes backwards; ReapTombstones(gc_index) removes those at or below a point the
// caller (the leader's tombstone GC) advances. Re-creating a key drops its tombstone (the
// new entry's ModifyIndex is larger, so no index goes backwards).
//
// Time: the store never reads a clock. Lock-delay uses wall-clock absl::Time passed in by
// the caller (Consul uses each server's wall clock at apply; an FSM may pass a time carried
// in the log entry for determinism). Session TTLs are timers of the leader: Renew() reports
// the deadline for a base::TimePoint `now` the caller passes.
//
// Thread-safety: Store's members are thread-safe, except that at most one WriteTxn may be
// open at a time (a second BeginWrite is a bug: CAIRN_CHECK). ReadView is immutable and
// may be shared. WriteTxn is used by one thread. Watch callbacks run on the thread calling
// Commit() or Restore(), after the new version is visible; they must not block.
#ifndef CAIRN_KV_STORE_H_
#define CAIRN_KV_STORE_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/functional/function_ref.h>
#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include <cairn/base/clock.h>
#include <cairn/base/watch.h>
#include <cairn/kv/entry.h>
#include <cairn/kv/session.h>
#include <cairn/kv/txn.h>

namespace cairn::kv {

struct Options {
  // Largest value accepted (Consul's kv_max_value_size).
  std::size_t max_value_bytes = 524288;
  // Largest key accepted. Consul has no limit of its own; ours keeps lengths sane.
  std::size_t max_key_bytes = 65536;
  // Operations per transaction (Consul 1.14+: 128; 64 before).
  std::size_t max_txn_ops = 128;
  // Session TTL bounds (session_ttl_min, and Consul's fixed 24h maximum).
  base::Duration min_session_ttl = std::chrono::seconds(10);
  base::Duration max_session_ttl = std::chrono::hours(24);
  // Longer lock delays are capped to this (Consul's MaxLockDelay).
  base::Duration max_lock_delay = std::chrono::seconds(60);
};

namespace internal {
struct State;
struct WriteContext;
}  // namespace internal

// An immutable version of the whole store. Cheap to copy; valid for as long as it is held.
class ReadView {
 public:
  // Raft index of the last applied write (or restored snapshot); 0 when empty.
  uint64_t applied_index() const;
  // Last index that changed an entry or tombstone; 0 before the first.
  uint64_t kv_index() const;
  // Last index that changed a session.
  uint64_t sessions_index() const;

  // ---- KV (GET /v1/kv) ----
  std::optional<Entry> Get(std::string_view key) const;
  // Blocking index of a single-key read: its ModifyIndex, or kv_index() when missing.
  uint64_t KeyIndex(std::string_view key) const;
  // Every entry whose key starts with `prefix` (byte-wise, not segment-aware), sorted.
  std::vector<Entry> List(std::string_view prefix) const;
  // Calls `fn` for each entry under `prefix` in order until it returns false.
  void ForEach(std::string_view prefix, absl::FunctionRef<bool(const Entry&)> fn) const;
  // Keys under `prefix`; with a non-empty `separator` each key is cut after the first
  // separator following the prefix and duplicates are dropped ("web/sub/").
  std::vector<std::string> Keys(std::string_view prefix, std::string_view separator) const;
  // Blocking index of a recurse/keys read: for "" the kv_index(); otherwise the greatest
  // ModifyIndex of entries and tombstones under `prefix`, or kv_index() when there are none.
  uint64_t PrefixIndex(std::string_view prefix) const;
  // Number of live entries and of tombstones.
  std::size_t entry_count() const;
  std::size_t tombstone_count() const;
  // When the key's lock-delay ends, if one was set and not yet cleared.
  std::optional<absl::Time> LockDelayUntil(std::string_view key) const;

  // ---- Sessions (GET /v1/session) ----
  std::optional<Session> GetSession(std::string_view id) const;
  std::vector<Session> ListSessions() const;  // sorted by id
  std::vector<Session> ListNodeSessions(std::string_view node) const;
  // IDs of sessions on `node` (for node deregistration), sorted.
  std::vector<std::string> SessionsForNode(std::string_view node) const;
  // IDs of sessions that list check `check_id` of `node` (node, legacy or service check).
  std::vector<std::string> SessionsForCheck(std::string_view node, std::string_view check_id) const;
  // Keys currently locked by session `id`, sorted.
  std::vector<std::string> LockedKeys(std::string_view id) const;
  // Session renew (PUT /v1/session/renew): NotFound "Session id '<id>' not found" when
  // missing. Renew is not a write in Consul: the leader resets its timer to the deadline.
  absl::StatusOr<SessionRenewal> Renew(std::string_view id, base::TimePoint now) const;

  // ---- Transactions ----
  // Runs read-only ops (IsReadVerb) against this version. InvalidArgument when an op writes
  // or there are more than `max_ops`.
  absl::StatusOr<TxnOutcome> ReadTxn(const std::vector<TxnOp>& ops,
                                     std::size_t max_ops = 128) const;

  // ---- Snapshot ----
  // Writes this version as a snapshot stream (format: libkv/doc/design.md
  // and Store::Restore) in chunks to `sink`; stops at the first error `sink` returns.
  absl::Status WriteSnapshot(absl::FunctionRef<absl::Status(std::string_view)> sink) const;

 private:
  friend class Store;
  friend class WriteTxn;
  explicit ReadView(std::shared_ptr<const internal::State> state) : state_(std::move(state)) {}
  std::shared_ptr<const internal::State> state_;
};

// The single writer's batch of changes at one Raft index. Obtained from Store::BeginWrite;
// borrows the Store, which must outlive it. Movable, not copyable.
//
// KV writes return StatusOr<bool>: the bool is the HTTP API's true/false answer (false: a
// cas index mismatch, a lock held by another session or in lock-delay, a release by a
// non-holder); an error Status means bad input (InvalidArgument: empty or oversized key,
// oversized value; FailedPrecondition: `invalid session "<id>"`). A call that returns an
// error or false changes nothing.
class WriteTxn {
 public:
  WriteTxn(WriteTxn&&) noexcept;
  WriteTxn& operator=(WriteTxn&&) = delete;
  ~WriteTxn();  // discards unless committed

  uint64_t index() const { return index_; }

  // PUT /v1/kv/<key>: stores value and flags; keeps the Session and LockIndex. Writing
  // exactly what is stored changes nothing (no index bump, no wake-up).
  absl::StatusOr<bool> Set(std::string_view key, std::string_view value, uint64_t flags);
  // ?cas=<index>: 0 creates only if absent; N writes only if ModifyIndex == N.
  absl::StatusOr<bool> Cas(std::string_view key, std::string_view value, uint64_t flags,
                           uint64_t index);
  // ?acquire=<session>: the key need not exist. Unlocked: takes the lock (Session set,
  // LockIndex + 1) and writes value and flags. Held by the same session: writes them,
  // LockIndex unchanged. Held by another session, or `now` inside the key's lock-delay:
  // false. Unknown session: FailedPrecondition `invalid session "<id>"`.
  absl::StatusOr<bool> Acquire(std::string_view key, std::string_view value, uint64_t flags,
                               std::string_view session, absl::Time now);
  // ?release=<session>: only the holder may release; writes value and flags.
  absl::StatusOr<bool> Release(std::string_view key, std::string_view value, uint64_t flags,
                               std::string_view session);
  // DELETE: a missing key is success (true).
  absl::StatusOr<bool> Delete(std::string_view key);
  // DELETE ?cas=N: deletes only if ModifyIndex == N; a missing key is success (true).
  absl::StatusOr<bool> DeleteCas(std::string_view key, uint64_t index);
  // DELETE ?recurse: every key under `prefix` ("" = all), locked or not.
  absl::StatusOr<bool> DeleteTree(std::string_view prefix);

  // Stores a new session; fills create/modify index; caps lock_delay. Errors:
  // InvalidArgument (empty id/node, '\0' in an id, node or check id, negative lock delay,
  // TTL out of range: "Invalid Session TTL '<ns>', must be between [10s=24h0m0s]"),
  // AlreadyExists (id in use).
  absl::StatusOr<Session> CreateSession(Session session);
  // Destroys or invalidates a session: each key it holds is released or deleted per its
  // Behavior and enters lock-delay until now + LockDelay. Unknown ids are not an error
  // (returns false); true when a session was removed.
  absl::StatusOr<bool> DestroySession(std::string_view id, absl::Time now);

  // Removes tombstones whose deletion index <= gc_index. Returns how many.
  std::size_t ReapTombstones(uint64_t gc_index);

  // Applies a transaction atomically (see txn.h). InvalidArgument when there are no ops or
  // more than Options::max_txn_ops; otherwise per-op failures are in TxnOutcome::errors
  // and the txn's state is as before the call.
  absl::StatusOr<TxnOutcome> ApplyTxn(const std::vector<TxnOp>& ops, absl::Time now);

  // The txn's current (uncommitted) state, for reads by the FSM. O(1).
  ReadView View() const;

  // Publishes every change made so far and fires watches. The txn is finished afterwards.
  void Commit();

 private:
  friend class Store;
  WriteTxn(class Store* store, uint64_t index);
  class Store* store_;
  uint64_t index_;
  std::unique_ptr<internal::WriteContext> ctx_;
};

class Store {
 public:
  explicit Store(Options options = {});
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const Options& options() const { return options_; }

  // The current committed version. Never blocks on a write in progress.
  ReadView Snapshot() const;

  // Starts the single writer's batch at `raft_index`, which must be > the last applied
  // index (CAIRN_CHECK: the FSM applies entries in order).
  WriteTxn BeginWrite(uint64_t raft_index);

  // Replaces the whole state with a snapshot stream read through `source` (returns the
  // number of bytes put in `buf`, 0 at the end). The stream is fully read and validated
  // (magic, version, per-record CRC-32C, ordering, counts, index sanity, locks referring to
  // existing sessions) before anything is replaced; on any error the store is unchanged.
  // Lock-delays are not part of snapshots (as in Consul). Fires every watch afterwards.
  absl::Status Restore(
      absl::FunctionRef<absl::StatusOr<std::size_t>(char* buf, std::size_t n)> source);

  // ---- Watches (blocking queries) ----
  // Register first, then re-read the index (see <cairn/base/watch.h>). Callbacks receive
  // the index of the write that woke them.
  [[nodiscard]] base::WatchHub::Handle WatchKey(std::string_view key, uint64_t min_index,
                                                base::WatchHub::Callback cb);
  [[nodiscard]] base::WatchHub::Handle WatchPrefix(std::string_view prefix, uint64_t min_index,
                                                   base::WatchHub::Callback cb);
  // Any session change / changes to session `id` / to sessions on `node`.
  [[nodiscard]] base::WatchHub::Handle WatchSessions(uint64_t min_index,
                                                     base::WatchHub::Callback cb);
  [[nodiscard]] base::WatchHub::Handle WatchSession(std::string_view id, uint64_t min_index,
                                                    base::WatchHub::Callback cb);
  [[nodiscard]] base::WatchHub::Handle WatchNodeSessions(std::string_view node, uint64_t min_index,
                                                         base::WatchHub::Callback cb);
  // Registered waiters (KV, sessions), for metrics and tests.
  std::size_t kv_waiters() const { return kv_hub_.size(); }
  std::size_t session_waiters() const { return session_hub_.size(); }

 private:
  friend class WriteTxn;
  void Publish(std::shared_ptr<const internal::State> state);

  const Options options_;
  // std::mutex rather than absl::Mutex: Debian's prebuilt Abseil is not instrumented for
  // ThreadSanitizer, which would then not see this lock's synchronization.
  mutable std::mutex mu_;
  std::shared_ptr<const internal::State> current_;  // guarded by mu_
  bool writer_open_ = false;                        // guarded by mu_
  base::WatchHub kv_hub_;
  base::WatchHub session_hub_;
};

}  // namespace cairn::kv

#endif  // CAIRN_KV_STORE_H_
