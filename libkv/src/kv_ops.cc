// KV write operations on a WriteContext, following Consul's state/kvs.go semantics.
// Each operation validates and decides before it mutates, so a false or an error leaves
// the context untouched.
#include <string>

#include <absl/strings/str_cat.h>

#include <cairn/base/status.h>

#include "state.h"

namespace cairn::kv::internal {
namespace {

absl::Status ValidateValue(const Options& o, std::string_view key, std::string_view value) {
  if (value.size() > o.max_value_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("Value for key ", GoQuote(key),
                                                   " is too large (", value.size(), " > ",
                                                   o.max_value_bytes, " bytes)"));
  }
  return absl::OkStatus();
}

absl::Status ValidateWrite(const Options& o, std::string_view key, std::string_view value) {
  CAIRN_RETURN_IF_ERROR(ValidateKey(o, key));
  return ValidateValue(o, key, value);
}

std::optional<Entry> Lookup(const State& st, std::string_view key) {
  const Entry* e = st.entries.Find(key);
  if (!e) return std::nullopt;
  return *e;
}

}  // namespace

absl::Status ValidateKey(const Options& o, std::string_view key) {
  // Consul: "Must provide key". Any other bytes are accepted, '/'-leading keys included.
  if (key.empty()) return absl::InvalidArgumentError("Must provide key");
  if (key.size() > o.max_key_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("Key is too large (", key.size(), " > ", o.max_key_bytes, " bytes)"));
  }
  return absl::OkStatus();
}

void PutEntry(WriteContext& c, Entry e, std::string_view old_session) {
  State& st = c.state;
  std::string_view key = e.key();
  if (old_session != e.session()) {
    if (!old_session.empty()) st.session_locks.Erase(Join2(old_session, key));
    if (!e.session().empty()) st.session_locks.Insert(Join2(e.session(), key), 0);
  }
  // A re-created key needs no tombstone: its new ModifyIndex is above the tombstone's.
  if (!st.tombstones.empty()) st.tombstones.Erase(key);
  c.changed_keys.emplace_back(key);
  st.entries.Insert(key, std::move(e));
  st.kv_index = c.index;
}

void RemoveEntry(WriteContext& c, const Entry& e) {
  State& st = c.state;
  Entry keep = e;  // `e` may live in the slot that is about to be erased
  if (!keep.session().empty()) st.session_locks.Erase(Join2(keep.session(), keep.key()));
  st.entries.Erase(keep.key());
  st.tombstones.Insert(std::string(keep.key()), c.index);
  c.changed_keys.emplace_back(keep.key());
  st.kv_index = c.index;
}

absl::StatusOr<bool> KvSet(WriteContext& c, std::string_view key, std::string_view value,
                           uint64_t flags) {
  CAIRN_RETURN_IF_ERROR(ValidateWrite(*c.options, key, value));
  std::optional<Entry> old = Lookup(c.state, key);
  if (!old) {
    PutEntry(c, Entry::Make(key, value, flags, c.index, c.index, 0, ""), "");
    return true;
  }
  // Consul skips a write identical to the stored entry: no index bump, no wake-up.
  if (old->value() == value && old->flags() == flags) return true;
  PutEntry(c,
           Entry::Make(key, value, flags, old->create_index(), c.index, old->lock_index(),
                       old->session()),
           old->session());
  return true;
}

absl::StatusOr<bool> KvCas(WriteContext& c, std::string_view key, std::string_view value,
                           uint64_t flags, uint64_t index) {
  CAIRN_RETURN_IF_ERROR(ValidateWrite(*c.options, key, value));
  const Entry* old = c.state.entries.Find(key);
  if (index == 0 && old) return false;
  if (index != 0 && (!old || old->modify_index() != index)) return false;
  return KvSet(c, key, value, flags);
}

absl::StatusOr<bool> KvAcquire(WriteContext& c, std::string_view key, std::string_view value,
                               uint64_t flags, std::string_view session, absl::Time now) {
  CAIRN_RETURN_IF_ERROR(ValidateWrite(*c.options, key, value));
  if (session.empty()) return absl::InvalidArgumentError("missing session");
  State& st = c.state;
  if (!st.sessions.Find(session)) {
    return absl::FailedPreconditionError(absl::StrCat("invalid session ", GoQuote(session)));
  }
  const absl::Time* delay = st.lock_delays.Find(key);
  if (delay && now < *delay) return false;
  std::optional<Entry> old = Lookup(st, key);
  uint64_t create = c.index;
  uint64_t lock_index = 1;
  if (old) {
    create = old->create_index();
    if (old->session() == session) {
      lock_index = old->lock_index();  // re-acquire by the holder: no new acquisition
    } else if (!old->session().empty()) {
      return false;  // held by another session
    } else {
      lock_index = old->lock_index() + 1;
    }
  }
  if (delay) st.lock_delays.Erase(key);  // expired: forget it
  std::string old_session(old ? old->session() : std::string_view());
  PutEntry(c, Entry::Make(key, value, flags, create, c.index, lock_index, session), old_session);
  return true;
}

absl::StatusOr<bool> KvRelease(WriteContext& c, std::string_view key, std::string_view value,
                               uint64_t flags, std::string_view session) {
  CAIRN_RETURN_IF_ERROR(ValidateWrite(*c.options, key, value));
  if (session.empty()) return absl::InvalidArgumentError("missing session");
  std::optional<Entry> old = Lookup(c.state, key);
  if (!old || old->session() != session) return false;
  PutEntry(c, Entry::Make(key, value, flags, old->create_index(), c.index, old->lock_index(), ""),
           session);
  return true;
}

absl::StatusOr<bool> KvDelete(WriteContext& c, std::string_view key) {
  CAIRN_RETURN_IF_ERROR(ValidateKey(*c.options, key));
  std::optional<Entry> old = Lookup(c.state, key);
  if (old) RemoveEntry(c, *old);
  return true;
}

absl::StatusOr<bool> KvDeleteCas(WriteContext& c, std::string_view key, uint64_t index) {
  CAIRN_RETURN_IF_ERROR(ValidateKey(*c.options, key));
  std::optional<Entry> old = Lookup(c.state, key);
  if (!old) return true;  // nothing to delete counts as success, whatever the index
  if (old->modify_index() != index) return false;
  RemoveEntry(c, *old);
  return true;
}

absl::StatusOr<bool> KvDeleteTree(WriteContext& c, std::string_view prefix) {
  if (prefix.size() > c.options->max_key_bytes) return ValidateKey(*c.options, prefix);
  std::vector<Entry> doomed;
  for (auto it = c.state.entries.LowerBound(prefix);
       it != c.state.entries.end() && it.key().starts_with(prefix); ++it) {
    doomed.push_back(it.value());
  }
  for (const Entry& e : doomed) RemoveEntry(c, e);
  return true;
}

std::size_t KvReapTombstones(WriteContext& c, uint64_t gc_index) {
  std::vector<std::string> reap;
  for (auto [key, index] : c.state.tombstones) {
    if (index <= gc_index) reap.push_back(key);
  }
  for (const std::string& key : reap) c.state.tombstones.Erase(key);
  if (!reap.empty()) c.state.kv_index = c.index;
  return reap.size();
}

}  // namespace cairn::kv::internal
