// Store and WriteTxn: publishing versions and firing watches.
//
// Publication is a shared_ptr swap under mu_: a reader's Snapshot() holds the lock only
// to copy the pointer, and the writer holds it only to swap it, so neither waits on the
// other's work. Old versions are freed by whichever thread drops the last reference.
#include <absl/strings/str_cat.h>

#include <cairn/base/status.h>
#include <cairn/kv/store.h>

#include "state.h"

namespace cairn::kv {

using internal::State;
using internal::WriteContext;

Store::Store(Options options)
    : options_(std::move(options)), current_(std::make_shared<const State>()) {}

Store::~Store() = default;

ReadView Store::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ReadView(current_);
}

WriteTxn Store::BeginWrite(uint64_t raft_index) {
  std::shared_ptr<const State> base;
  {
    std::lock_guard<std::mutex> lock(mu_);
    CAIRN_CHECK_MSG(!writer_open_, "a WriteTxn is already open");
    CAIRN_CHECK_MSG(raft_index > current_->applied_index,
                    "write index {} not above applied index {}", raft_index,
                    current_->applied_index);
    writer_open_ = true;
    base = current_;
  }
  WriteTxn txn(this, raft_index);
  txn.ctx_->state = *base;  // O(1): every map copy shares its root
  return txn;
}

void Store::Publish(std::shared_ptr<const State> state) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::swap(current_, state);
    writer_open_ = false;
  }
  // `state` now holds the superseded version and is released here, outside the lock:
  // freeing its unshared nodes must not hold up readers waiting for mu_.
}

base::WatchHub::Handle Store::WatchKey(std::string_view key, uint64_t min_index,
                                       base::WatchHub::Callback cb) {
  return kv_hub_.WaitKey(key, min_index, std::move(cb));
}
base::WatchHub::Handle Store::WatchPrefix(std::string_view prefix, uint64_t min_index,
                                          base::WatchHub::Callback cb) {
  return kv_hub_.WaitPrefix(prefix, min_index, std::move(cb));
}
base::WatchHub::Handle Store::WatchSessions(uint64_t min_index, base::WatchHub::Callback cb) {
  return session_hub_.WaitPrefix("", min_index, std::move(cb));
}
base::WatchHub::Handle Store::WatchSession(std::string_view id, uint64_t min_index,
                                           base::WatchHub::Callback cb) {
  return session_hub_.WaitKey(absl::StrCat("id/", base::ToAbsl(id)), min_index, std::move(cb));
}
base::WatchHub::Handle Store::WatchNodeSessions(std::string_view node, uint64_t min_index,
                                                base::WatchHub::Callback cb) {
  return session_hub_.WaitKey(absl::StrCat("node/", base::ToAbsl(node)), min_index, std::move(cb));
}

// ---- WriteTxn ----

WriteTxn::WriteTxn(Store* store, uint64_t index)
    : store_(store), index_(index), ctx_(std::make_unique<WriteContext>()) {
  ctx_->index = index;
  ctx_->options = &store->options_;
}

WriteTxn::WriteTxn(WriteTxn&& o) noexcept
    : store_(std::exchange(o.store_, nullptr)), index_(o.index_), ctx_(std::move(o.ctx_)) {}

WriteTxn::~WriteTxn() {
  if (!store_ || !ctx_ || ctx_->done) return;
  std::lock_guard<std::mutex> lock(store_->mu_);
  store_->writer_open_ = false;
}

absl::StatusOr<bool> WriteTxn::Set(std::string_view key, std::string_view value, uint64_t flags) {
  return internal::KvSet(*ctx_, key, value, flags);
}
absl::StatusOr<bool> WriteTxn::Cas(std::string_view key, std::string_view value, uint64_t flags,
                                   uint64_t index) {
  return internal::KvCas(*ctx_, key, value, flags, index);
}
absl::StatusOr<bool> WriteTxn::Acquire(std::string_view key, std::string_view value, uint64_t flags,
                                       std::string_view session, absl::Time now) {
  return internal::KvAcquire(*ctx_, key, value, flags, session, now);
}
absl::StatusOr<bool> WriteTxn::Release(std::string_view key, std::string_view value, uint64_t flags,
                                       std::string_view session) {
  return internal::KvRelease(*ctx_, key, value, flags, session);
}
absl::StatusOr<bool> WriteTxn::Delete(std::string_view key) {
  return internal::KvDelete(*ctx_, key);
}
absl::StatusOr<bool> WriteTxn::DeleteCas(std::string_view key, uint64_t index) {
  return internal::KvDeleteCas(*ctx_, key, index);
}
absl::StatusOr<bool> WriteTxn::DeleteTree(std::string_view prefix) {
  return internal::KvDeleteTree(*ctx_, prefix);
}
absl::StatusOr<Session> WriteTxn::CreateSession(Session session) {
  return internal::SessionCreate(*ctx_, std::move(session));
}
absl::StatusOr<bool> WriteTxn::DestroySession(std::string_view id, absl::Time now) {
  return internal::SessionDestroy(*ctx_, id, now);
}
std::size_t WriteTxn::ReapTombstones(uint64_t gc_index) {
  return internal::KvReapTombstones(*ctx_, gc_index);
}

absl::StatusOr<TxnOutcome> WriteTxn::ApplyTxn(const std::vector<TxnOp>& ops, absl::Time now) {
  std::size_t max = store_->options_.max_txn_ops;
  if (ops.empty()) return absl::InvalidArgumentError("Transaction contains no operations");
  if (ops.size() > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("Transaction contains too many operations (", ops.size(), " > ", max, ")"));
  }
  // Rolling back is restoring a copy of the persistent state: O(1) to take.
  State saved = ctx_->state;
  std::size_t keys_mark = ctx_->changed_keys.size();
  std::size_t sessions_mark = ctx_->changed_sessions.size();
  TxnOutcome out = internal::RunTxn(ctx_.get(), ctx_->state, ops, now);
  if (!out.errors.empty()) {
    ctx_->state = std::move(saved);
    ctx_->changed_keys.resize(keys_mark);
    ctx_->changed_sessions.resize(sessions_mark);
  }
  return out;
}

ReadView WriteTxn::View() const { return ReadView(std::make_shared<const State>(ctx_->state)); }

void WriteTxn::Commit() {
  CAIRN_CHECK_MSG(!ctx_->done, "WriteTxn committed twice");
  ctx_->done = true;
  ctx_->state.applied_index = index_;
  store_->Publish(std::make_shared<const State>(std::move(ctx_->state)));
  // Wake-ups after publication: a woken reader re-reads and must see the change.
  for (const std::string& key : ctx_->changed_keys) store_->kv_hub_.Notify(key, index_);
  for (const std::string& key : ctx_->changed_sessions) store_->session_hub_.Notify(key, index_);
  ctx_->changed_keys.clear();
  ctx_->changed_sessions.clear();
}

}  // namespace cairn::kv
