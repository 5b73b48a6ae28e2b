// Session create/destroy on a WriteContext (Consul's state/session.go and the validation
// of agent/consul/session_endpoint.go that does not need the catalog).
#include <algorithm>
#include <string>

#include <absl/strings/str_cat.h>

#include <cairn/base/duration.h>
#include <cairn/base/status.h>

#include "state.h"

namespace cairn::kv::internal {
namespace {

absl::Status ValidateName(const char* what, std::string_view s) {
  if (s.empty()) return absl::InvalidArgumentError(absl::StrCat("Missing ", what));
  if (s.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("Invalid ", what, ": contains a NUL byte"));
  }
  return absl::OkStatus();
}

absl::Status Validate(const Options& o, const Session& s) {
  CAIRN_RETURN_IF_ERROR(ValidateName("session ID", s.id));
  CAIRN_RETURN_IF_ERROR(ValidateName("node name", s.node));
  for (const std::string& check : s.AllCheckIds()) {
    CAIRN_RETURN_IF_ERROR(ValidateName("check ID", check));
  }
  if (s.lock_delay < base::Duration(0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Invalid LockDelay '", base::FormatGoDuration(s.lock_delay), "'"));
  }
  if (s.ttl != base::Duration(0) && (s.ttl < o.min_session_ttl || s.ttl > o.max_session_ttl)) {
    return absl::InvalidArgumentError(absl::StrCat("Invalid Session TTL '", s.ttl.count(),
                                                   "', must be between [",
                                                   base::FormatGoDuration(o.min_session_ttl), "=",
                                                   base::FormatGoDuration(o.max_session_ttl), "]"));
  }
  return absl::OkStatus();
}

void NoteSessionChange(WriteContext& c, const Session& s) {
  c.changed_sessions.push_back(absl::StrCat("id/", s.id));
  c.changed_sessions.push_back(absl::StrCat("node/", s.node));
  c.state.sessions_index = c.index;
}

}  // namespace

void IndexSession(State& st, const Session& s) {
  st.node_sessions.Insert(Join2(s.node, s.id), 0);
  for (const std::string& check : s.AllCheckIds()) {
    st.check_sessions.Insert(Join3(s.node, check, s.id), 0);
  }
}

absl::StatusOr<Session> SessionCreate(WriteContext& c, Session s) {
  CAIRN_RETURN_IF_ERROR(Validate(*c.options, s));
  if (c.state.sessions.Find(s.id)) {
    return absl::AlreadyExistsError(absl::StrCat("Session ", GoQuote(s.id), " already exists"));
  }
  s.lock_delay = std::min(s.lock_delay, c.options->max_lock_delay);
  s.create_index = c.index;
  s.modify_index = c.index;
  c.state.sessions.Insert(s.id, std::make_shared<const Session>(s));
  IndexSession(c.state, s);
  NoteSessionChange(c, s);
  return s;
}

absl::StatusOr<bool> SessionDestroy(WriteContext& c, std::string_view id, absl::Time now) {
  State& st = c.state;
  const std::shared_ptr<const Session>* found = st.sessions.Find(id);
  if (!found) return false;
  std::shared_ptr<const Session> s = *found;

  // Release or delete every held key, and put it in lock-delay.
  std::string row_prefix = Join2(id, "");
  std::vector<std::string> keys;
  for (auto it = st.session_locks.LowerBound(row_prefix);
       it != st.session_locks.end() && it.key().starts_with(row_prefix); ++it) {
    keys.push_back(it.key().substr(row_prefix.size()));
  }
  absl::Time delay_end = now + absl::FromChrono(s->lock_delay);
  for (const std::string& key : keys) {
    const Entry* held = st.entries.Find(key);
    CAIRN_CHECK_MSG(held && held->session() == id, "lock index out of step for key {}", key);
    Entry e = *held;
    if (s->behavior == SessionBehavior::kDelete) {
      RemoveEntry(c, e);
    } else {
      PutEntry(
          c,
          Entry::Make(e.key(), e.value(), e.flags(), e.create_index(), c.index, e.lock_index(), ""),
          id);
    }
    if (s->lock_delay > base::Duration(0)) st.lock_delays.Insert(key, delay_end);
  }

  // Forget lock-delays that have passed, so the map only holds live ones.
  std::vector<std::string> expired;
  for (auto [key, until] : st.lock_delays) {
    if (until <= now) expired.push_back(key);
  }
  for (const std::string& key : expired) st.lock_delays.Erase(key);

  st.node_sessions.Erase(Join2(s->node, s->id));
  for (const std::string& check : s->AllCheckIds()) {
    st.check_sessions.Erase(Join3(s->node, check, s->id));
  }
  st.sessions.Erase(id);
  NoteSessionChange(c, *s);
  return true;
}

}  // namespace cairn::kv::internal
