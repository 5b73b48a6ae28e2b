// cairn/kv/session.h — Consul sessions: the owners of KV locks.
//
// A Session ties locks to a node and a set of health checks. libkv stores sessions and
// does the lock bookkeeping; it knows nothing of the catalog, so the caller (the agent's
// FSM) is trusted for everything that needs it:
//   * before CreateSession: the node exists and none of the session's checks is critical
//     (Consul: "Missing node registration", "Missing check '<id>' registration",
//     "Check '<id>' is in critical state"), and the default check list (serfHealth) has
//     been filled in per Consul's Checks/NodeChecks rules;
//   * invalidation: when a node is deregistered or a listed check turns critical or is
//     deregistered, the FSM asks ReadView::SessionsForNode / SessionsForCheck and calls
//     WriteTxn::DestroySession for each; on TTL expiry the leader's timer does the same.
//
// Example (FSM apply of a session create, after validating against the catalog):
//
//   cairn::kv::Session s;
//   s.id = uuid; s.node = "node-1"; s.node_checks = {"serfHealth"};
//   s.ttl = std::chrono::seconds(15); s.behavior = cairn::kv::SessionBehavior::kDelete;
//   absl::StatusOr<cairn::kv::Session> stored = txn.CreateSession(s);
#ifndef CAIRN_KV_SESSION_H_
#define CAIRN_KV_SESSION_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>

#include <cairn/base/clock.h>

namespace cairn::kv {

// What happens to a session's locked keys when it is invalidated.
enum class SessionBehavior {
  kRelease,  // "release": clear the key's Session, keep its value and LockIndex
  kDelete,   // "delete": delete the key (leaving a tombstone)
};

// "release" | "delete" (and "" meaning release), as Consul spells them.
std::string_view SessionBehaviorName(SessionBehavior b);
// Parses a Behavior field; anything else is InvalidArgument
// "Invalid Behavior setting '<x>'".
absl::StatusOr<SessionBehavior> ParseSessionBehavior(std::string_view text);

// A service check a session watches (Consul 1.7+ ServiceChecks entry).
struct ServiceCheckRef {
  std::string id;
  std::string ns;  // Namespace; always empty in CE
  friend bool operator==(const ServiceCheckRef&, const ServiceCheckRef&) = default;
};

struct Session {
  std::string id;                        // chosen by the caller (a UUID); no '\0'
  std::string name;                      // free text
  std::string node;                      // node name; non-empty, no '\0'
  std::vector<std::string> node_checks;  // NodeChecks (check IDs on `node`)
  std::vector<ServiceCheckRef> service_checks;
  std::vector<std::string> checks;  // legacy Checks field, kept for output
  // Keys released by this session's invalidation refuse acquire for this long.
  // Negative is invalid; values over Options::max_lock_delay are capped.
  base::Duration lock_delay = std::chrono::seconds(15);
  SessionBehavior behavior = SessionBehavior::kRelease;
  // Zero: no TTL. Otherwise within [Options::min_session_ttl, max_session_ttl].
  base::Duration ttl{0};
  std::string ttl_text;       // TTL as the client wrote it ("15.0s"), echoed in JSON
  uint64_t create_index = 0;  // set by the store
  uint64_t modify_index = 0;  // set by the store

  // Every check ID the session depends on (checks, node_checks and service_checks),
  // without duplicates, in first-seen order. All of them live on `node`.
  std::vector<std::string> AllCheckIds() const;

  friend bool operator==(const Session&, const Session&) = default;
};

// What a renew returns: the session and when the leader should invalidate it unless it is
// renewed again (now + 2 x TTL, Consul's SessionTTLMultiplier; TimePoint::max() without
// a TTL).
struct SessionRenewal {
  Session session;
  base::TimePoint deadline;
};

}  // namespace cairn::kv

#endif  // CAIRN_KV_SESSION_H_
