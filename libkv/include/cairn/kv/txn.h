// cairn/kv/txn.h — KV operations of Consul's transaction API (PUT /v1/txn).
//
// A transaction is a list of up to Options::max_txn_ops (128, Consul 1.14+) operations.
// WriteTxn::ApplyTxn runs them in order, each seeing the effect of the ones before it;
// if any fails, nothing is changed and every failing operation is reported with its
// 0-based index and Consul's message (the HTTP layer answers 409). ReadView::ReadTxn runs
// a read-only list (get, get-or-empty, get-tree, check-*) against a snapshot.
//
// Example:
//
//   std::vector<cairn::kv::TxnOp> ops = {
//       {.verb = cairn::kv::TxnVerb::kCheckIndex, .key = "cfg", .index = 42},
//       {.verb = cairn::kv::TxnVerb::kSet, .key = "cfg", .value = "v2"},
//   };
//   absl::StatusOr<cairn::kv::TxnOutcome> out = txn.ApplyTxn(ops, now);
//   if (out.ok() && out->errors.empty()) txn.Commit();
#ifndef CAIRN_KV_TXN_H_
#define CAIRN_KV_TXN_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>

#include <cairn/kv/entry.h>

namespace cairn::kv {

enum class TxnVerb {
  kSet,             // Key, Value, Flags
  kCas,             // + Index (0: create only)
  kLock,            // + Session
  kUnlock,          // + Session
  kGet,             // Key; fails when missing
  kGetOrEmpty,      // Key; a missing key yields an entry with only the key
  kGetTree,         // Key as prefix; one result per entry
  kCheckIndex,      // Key, Index
  kCheckSession,    // Key, Session
  kCheckNotExists,  // Key
  kDelete,          // Key
  kDeleteCas,       // Key, Index (a missing key succeeds)
  kDeleteTree,      // Key as prefix
};

// Consul's verb names: "set", "cas", "lock", "unlock", "get", "get-or-empty", "get-tree",
// "check-index", "check-session", "check-not-exists", "delete", "delete-cas",
// "delete-tree".
std::string_view TxnVerbName(TxnVerb v);
// Unknown names are InvalidArgument "unknown KV verb \"<x>\"".
absl::StatusOr<TxnVerb> ParseTxnVerb(std::string_view name);
// True for the verbs that do not write (get, get-or-empty, get-tree, check-*).
bool IsReadVerb(TxnVerb v);

struct TxnOp {
  TxnVerb verb = TxnVerb::kGet;
  std::string key;
  std::string value;
  uint64_t flags = 0;
  uint64_t index = 0;  // ModifyIndex for cas, check-index, delete-cas
  std::string session;
};

// One result per op that yields one (none for deletes and check-not-exists, one per entry
// for get-tree). `include_value` is false where Consul blanks the value (every verb but
// get, get-or-empty and get-tree); the entry itself always carries the stored bytes.
struct TxnResult {
  Entry entry;
  bool include_value = false;
};

struct TxnError {
  int op_index = 0;
  std::string what;
  friend bool operator==(const TxnError&, const TxnError&) = default;
};

// Either `results` (every op succeeded) or `errors` (at least one failed; no change).
struct TxnOutcome {
  std::vector<TxnResult> results;
  std::vector<TxnError> errors;
};

}  // namespace cairn::kv

#endif  // CAIRN_KV_TXN_H_
