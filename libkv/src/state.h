// Private: the versioned state behind Store, and the write context its operations use.
#ifndef CAIRN_KV_SRC_STATE_H_
#define CAIRN_KV_SRC_STATE_H_

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include <cairn/base/persistent_map.h>
#include <cairn/kv/entry.h>
#include <cairn/kv/session.h>
#include <cairn/kv/store.h>
#include <cairn/kv/txn.h>

namespace cairn::kv::internal {

// Keeps the greatest ModifyIndex per subtree: PrefixIndex without scanning the prefix.
struct MaxModifyIndex {
  using Value = uint64_t;
  static Value Identity() { return 0; }
  static Value Of(std::string_view, const Entry& e) { return e.modify_index(); }
  static Value Of(const std::string&, uint64_t index) { return index; }
  static Value Combine(Value a, Value b) { return std::max(a, b); }
};

// Entries are keyed by a view of their own key bytes: the Entry in the same slot keeps
// them alive, and the slot is 24 bytes instead of 40 with a std::string key.
using EntryMap = base::PersistentMap<std::string_view, Entry, std::less<>, MaxModifyIndex>;
// Deleted key -> index of the deletion.
using TombstoneMap = base::PersistentMap<std::string, uint64_t, std::less<>, MaxModifyIndex>;
using SessionMap = base::PersistentMap<std::string, std::shared_ptr<const Session>, std::less<>>;
// Secondary indexes as sets of composite keys "a\0b[\0c]" (the value is unused).
using KeySet = base::PersistentMap<std::string, char, std::less<>>;
using DelayMap = base::PersistentMap<std::string, absl::Time, std::less<>>;

struct State {
  EntryMap entries;
  TombstoneMap tombstones;
  SessionMap sessions;
  KeySet session_locks;   // session id \0 key
  KeySet node_sessions;   // node \0 session id
  KeySet check_sessions;  // node \0 check id \0 session id
  DelayMap lock_delays;   // key -> end of lock-delay (not snapshotted)
  uint64_t applied_index = 0;
  uint64_t kv_index = 0;
  uint64_t sessions_index = 0;
};

// The smallest string greater than every string with prefix `p`, or nullopt when none
// (p is empty or all 0xff).
std::optional<std::string> PrefixSuccessor(std::string_view p);
std::string Join2(std::string_view a, std::string_view b);
std::string Join3(std::string_view a, std::string_view b, std::string_view c);
// Go's %q of a string, for error messages that must match Consul's.
std::string GoQuote(std::string_view s);

// Everything a write operation needs: the private state, the index, and the lists of
// changed keys and session watch keys to notify on commit.
struct WriteContext {
  State state;
  uint64_t index = 0;
  const Options* options = nullptr;
  std::vector<std::string> changed_keys;
  std::vector<std::string> changed_sessions;  // session watch keys ("id/<id>", "node/<n>")
  bool done = false;
};

// KV operations (kv_ops.cc). Return as WriteTxn's methods do.
absl::Status ValidateKey(const Options& o, std::string_view key);
absl::StatusOr<bool> KvSet(WriteContext& c, std::string_view key, std::string_view value,
                           uint64_t flags);
absl::StatusOr<bool> KvCas(WriteContext& c, std::string_view key, std::string_view value,
                           uint64_t flags, uint64_t index);
absl::StatusOr<bool> KvAcquire(WriteContext& c, std::string_view key, std::string_view value,
                               uint64_t flags, std::string_view session, absl::Time now);
absl::StatusOr<bool> KvRelease(WriteContext& c, std::string_view key, std::string_view value,
                               uint64_t flags, std::string_view session);
absl::StatusOr<bool> KvDelete(WriteContext& c, std::string_view key);
absl::StatusOr<bool> KvDeleteCas(WriteContext& c, std::string_view key, uint64_t index);
absl::StatusOr<bool> KvDeleteTree(WriteContext& c, std::string_view prefix);
std::size_t KvReapTombstones(WriteContext& c, uint64_t gc_index);
// Removes `key` leaving a tombstone; `e` is its current entry.
void RemoveEntry(WriteContext& c, const Entry& e);
// Writes `e` (replacing any entry for its key) and keeps the lock index in step.
void PutEntry(WriteContext& c, Entry e, std::string_view old_session);

// Session operations (session_ops.cc).
absl::StatusOr<Session> SessionCreate(WriteContext& c, Session s);
absl::StatusOr<bool> SessionDestroy(WriteContext& c, std::string_view id, absl::Time now);
void IndexSession(State& st, const Session& s);  // adds node/check index rows

// Transactions (txn.cc): runs ops on `c` (writes allowed) or on a read-only state.
TxnOutcome RunTxn(WriteContext* c, const State& read_state, const std::vector<TxnOp>& ops,
                  absl::Time now);

}  // namespace cairn::kv::internal

#endif  // CAIRN_KV_SRC_STATE_H_
