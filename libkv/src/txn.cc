// KV transactions (Consul's state/txn.go txnKVS): ops run in order, each failure is
// recorded with its index and Consul's message, and the caller rolls back on any failure.
#include <string>

#include <absl/strings/str_cat.h>

#include "state.h"

namespace cairn::kv::internal {
namespace {

std::string Q(std::string_view s) { return GoQuote(s); }

// Turns a write op's StatusOr<bool> into an error message, or "" on success.
std::string WriteFailure(const absl::StatusOr<bool>& r, const std::string& on_false) {
  if (!r.ok()) return std::string(r.status().message());
  return *r ? std::string() : on_false;
}

}  // namespace

TxnOutcome RunTxn(WriteContext* c, const State& read_state, const std::vector<TxnOp>& ops,
                  absl::Time now) {
  TxnOutcome out;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const TxnOp& op = ops[i];
    const State& st = c ? c->state : read_state;
    std::string error;
    // The entry to report after a successful write or check, if any.
    auto report = [&](bool include_value) {
      const State& now_state = c ? c->state : read_state;
      if (const Entry* e = now_state.entries.Find(op.key))
        out.results.push_back({*e, include_value});
    };
    const Entry* cur = st.entries.Find(op.key);
    switch (op.verb) {
      case TxnVerb::kSet:
        error = WriteFailure(KvSet(*c, op.key, op.value, op.flags), "");
        if (error.empty()) report(false);
        break;
      case TxnVerb::kCas:
        error = WriteFailure(KvCas(*c, op.key, op.value, op.flags, op.index),
                             absl::StrCat("failed to set key ", Q(op.key), ", index is stale"));
        if (error.empty()) report(false);
        break;
      case TxnVerb::kLock:
        error =
            WriteFailure(KvAcquire(*c, op.key, op.value, op.flags, op.session, now),
                         absl::StrCat("failed to lock key ", Q(op.key), ", lock is already held"));
        if (error.empty()) report(false);
        break;
      case TxnVerb::kUnlock:
        error = WriteFailure(KvRelease(*c, op.key, op.value, op.flags, op.session),
                             absl::StrCat("failed to unlock key ", Q(op.key),
                                          ", lock isn't held, or is held by another session"));
        if (error.empty()) report(false);
        break;
      case TxnVerb::kDelete:
        error = WriteFailure(KvDelete(*c, op.key), "");
        break;
      case TxnVerb::kDeleteCas:
        error = WriteFailure(KvDeleteCas(*c, op.key, op.index),
                             absl::StrCat("failed to delete key ", Q(op.key), ", index is stale"));
        break;
      case TxnVerb::kDeleteTree:
        error = WriteFailure(KvDeleteTree(*c, op.key), "");
        break;
      case TxnVerb::kGet:
        if (!cur) {
          error = absl::StrCat("key ", Q(op.key), " doesn't exist");
        } else {
          out.results.push_back({*cur, true});
        }
        break;
      case TxnVerb::kGetOrEmpty:
        out.results.push_back({cur ? *cur : Entry::Make(op.key, "", 0, 0, 0, 0, ""), true});
        break;
      case TxnVerb::kGetTree:
        for (auto it = st.entries.LowerBound(std::string_view(op.key));
             it != st.entries.end() && it.key().starts_with(op.key); ++it) {
          out.results.push_back({it.value(), true});
        }
        break;
      case TxnVerb::kCheckIndex:
        if (!cur) {
          error = absl::StrCat("failed to check index, key ", Q(op.key), " doesn't exist");
        } else if (cur->modify_index() != op.index) {
          error = absl::StrCat("failed index check for key ", Q(op.key), ", current modify index ",
                               cur->modify_index(), " != ", op.index);
        } else {
          out.results.push_back({*cur, false});
        }
        break;
      case TxnVerb::kCheckSession:
        if (!cur) {
          error = absl::StrCat("failed to check session, key ", Q(op.key), " doesn't exist");
        } else if (cur->session() != op.session) {
          error = absl::StrCat("failed session check for key ", Q(op.key), ", current session ",
                               Q(cur->session()), " != ", Q(op.session));
        } else {
          out.results.push_back({*cur, false});
        }
        break;
      case TxnVerb::kCheckNotExists:
        if (cur) error = absl::StrCat("key ", Q(op.key), " exists");
        break;
    }
    if (!error.empty()) out.errors.push_back({static_cast<int>(i), std::move(error)});
  }
  if (!out.errors.empty()) out.results.clear();
  return out;
}

}  // namespace cairn::kv::internal
