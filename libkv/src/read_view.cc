// ReadView: queries over one immutable version of the state.
#include <absl/strings/str_cat.h>

#include "state.h"

namespace cairn::kv {

using internal::State;

uint64_t ReadView::applied_index() const { return state_->applied_index; }
uint64_t ReadView::kv_index() const { return state_->kv_index; }
uint64_t ReadView::sessions_index() const { return state_->sessions_index; }
std::size_t ReadView::entry_count() const { return state_->entries.size(); }
std::size_t ReadView::tombstone_count() const { return state_->tombstones.size(); }

std::optional<Entry> ReadView::Get(std::string_view key) const {
  const Entry* e = state_->entries.Find(key);
  if (!e) return std::nullopt;
  return *e;
}

uint64_t ReadView::KeyIndex(std::string_view key) const {
  const Entry* e = state_->entries.Find(key);
  return e ? e->modify_index() : state_->kv_index;
}

void ReadView::ForEach(std::string_view prefix, absl::FunctionRef<bool(const Entry&)> fn) const {
  for (auto it = state_->entries.LowerBound(prefix);
       it != state_->entries.end() && it.key().starts_with(prefix); ++it) {
    if (!fn(it.value())) return;
  }
}

std::vector<Entry> ReadView::List(std::string_view prefix) const {
  std::vector<Entry> out;
  ForEach(prefix, [&out](const Entry& e) {
    out.push_back(e);
    return true;
  });
  return out;
}

std::vector<std::string> ReadView::Keys(std::string_view prefix, std::string_view separator) const {
  std::vector<std::string> out;
  const auto& entries = state_->entries;
  auto it = entries.LowerBound(prefix);
  while (it != entries.end() && it.key().starts_with(prefix)) {
    std::string_view key = it.key();
    std::size_t sep =
        separator.empty() ? std::string_view::npos : key.find(separator, prefix.size());
    if (sep == std::string_view::npos) {
      out.emplace_back(key);
      ++it;
      continue;
    }
    // Every key under the cut shares it: emit once and jump past the whole group.
    std::string cut(key.substr(0, sep + separator.size()));
    std::optional<std::string> next = internal::PrefixSuccessor(cut);
    out.push_back(std::move(cut));
    if (!next) break;
    it = entries.LowerBound(std::string_view(*next));
  }
  return out;
}

uint64_t ReadView::PrefixIndex(std::string_view prefix) const {
  if (prefix.empty()) return state_->kv_index;
  uint64_t max = 0;
  std::optional<std::string> hi = internal::PrefixSuccessor(prefix);
  if (hi) {
    max = std::max(state_->entries.Summarize(prefix, std::string_view(*hi)),
                   state_->tombstones.Summarize(prefix, std::string_view(*hi)));
  } else {
    max = std::max(state_->entries.SummarizeFrom(prefix), state_->tombstones.SummarizeFrom(prefix));
  }
  return max != 0 ? max : state_->kv_index;
}

std::optional<absl::Time> ReadView::LockDelayUntil(std::string_view key) const {
  const absl::Time* t = state_->lock_delays.Find(key);
  if (!t) return std::nullopt;
  return *t;
}

std::optional<Session> ReadView::GetSession(std::string_view id) const {
  const std::shared_ptr<const Session>* s = state_->sessions.Find(id);
  if (!s) return std::nullopt;
  return **s;
}

std::vector<Session> ReadView::ListSessions() const {
  std::vector<Session> out;
  out.reserve(state_->sessions.size());
  for (auto [id, s] : state_->sessions) out.push_back(*s);
  return out;
}

std::vector<std::string> ReadView::SessionsForNode(std::string_view node) const {
  std::vector<std::string> out;
  std::string prefix = internal::Join2(node, "");
  for (auto it = state_->node_sessions.LowerBound(prefix);
       it != state_->node_sessions.end() && it.key().starts_with(prefix); ++it) {
    out.push_back(it.key().substr(prefix.size()));
  }
  return out;
}

std::vector<Session> ReadView::ListNodeSessions(std::string_view node) const {
  std::vector<Session> out;
  for (const std::string& id : SessionsForNode(node)) out.push_back(*GetSession(id));
  return out;
}

std::vector<std::string> ReadView::SessionsForCheck(std::string_view node,
                                                    std::string_view check_id) const {
  std::vector<std::string> out;
  std::string prefix = internal::Join3(node, check_id, "");
  for (auto it = state_->check_sessions.LowerBound(prefix);
       it != state_->check_sessions.end() && it.key().starts_with(prefix); ++it) {
    out.push_back(it.key().substr(prefix.size()));
  }
  return out;
}

std::vector<std::string> ReadView::LockedKeys(std::string_view id) const {
  std::vector<std::string> out;
  std::string prefix = internal::Join2(id, "");
  for (auto it = state_->session_locks.LowerBound(prefix);
       it != state_->session_locks.end() && it.key().starts_with(prefix); ++it) {
    out.push_back(it.key().substr(prefix.size()));
  }
  return out;
}

absl::StatusOr<SessionRenewal> ReadView::Renew(std::string_view id, base::TimePoint now) const {
  std::optional<Session> s = GetSession(id);
  if (!s) {
    return absl::NotFoundError(
        absl::StrCat("Session id '", absl::string_view(id.data(), id.size()), "' not found"));
  }
  base::TimePoint deadline = base::TimePoint::max();
  if (s->ttl > base::Duration(0)) deadline = now + 2 * s->ttl;  // SessionTTLMultiplier
  return SessionRenewal{std::move(*s), deadline};
}

absl::StatusOr<TxnOutcome> ReadView::ReadTxn(const std::vector<TxnOp>& ops,
                                             std::size_t max_ops) const {
  if (ops.size() > max_ops) {
    return absl::InvalidArgumentError(absl::StrCat("Transaction contains too many operations (",
                                                   ops.size(), " > ", max_ops, ")"));
  }
  for (const TxnOp& op : ops) {
    if (!IsReadVerb(op.verb)) {
      return absl::InvalidArgumentError(absl::StrCat("verb ", base::ToAbsl(TxnVerbName(op.verb)),
                                                     " writes; not allowed in a read txn"));
    }
  }
  return internal::RunTxn(nullptr, *state_, ops, absl::InfinitePast());
}

}  // namespace cairn::kv
