#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "json_codec.h"

namespace cairn::agent::json {

namespace bj = boost::json;

// Field order follows structs.DirEntry: LockIndex, Key, Flags, Value, Session, then the
// embedded RaftIndex. Value is a []byte, so Go writes base64 and `null` for an empty one.
bj::object EntryToJson(const kv::Entry& e, bool include_value) {
  bj::object o;
  o.reserve(7);
  o.emplace("LockIndex", e.lock_index());
  o.emplace("Key", JsonString(e.key()));
  o.emplace("Flags", e.flags());
  if (include_value && !e.value().empty()) {
    o.emplace("Value", Base64Encode(e.value()));
  } else {
    o.emplace("Value", nullptr);
  }
  if (!e.session().empty()) o.emplace("Session", JsonString(e.session()));
  o.emplace("CreateIndex", e.create_index());
  o.emplace("ModifyIndex", e.modify_index());
  return o;
}

bj::object EmptyEntryToJson(std::string_view key) {
  bj::object o;
  o.emplace("LockIndex", 0);
  o.emplace("Key", JsonString(key));
  o.emplace("Flags", 0);
  o.emplace("Value", nullptr);
  o.emplace("CreateIndex", 0);
  o.emplace("ModifyIndex", 0);
  return o;
}

// structs.Session: ID, Name, Node, LockDelay (a time.Duration: integer nanoseconds),
// Behavior, TTL, NodeChecks, ServiceChecks, Checks (omitempty, deprecated in 1.7), RaftIndex.
// Nil slices are `null` in Go; an empty list is what a nil slice becomes after the Raft
// round trip, so empty lists are written as null too.
bj::object SessionToJson(const kv::Session& s) {
  auto strings = [](const std::vector<std::string>& v) -> bj::value {
    if (v.empty()) return nullptr;
    bj::array a;
    for (const auto& x : v) a.emplace_back(JsonString(x));
    return a;
  };
  bj::object o;
  o.reserve(11);
  o.emplace("ID", JsonString(s.id));
  o.emplace("Name", JsonString(s.name));
  o.emplace("Node", JsonString(s.node));
  o.emplace("LockDelay", static_cast<int64_t>(s.lock_delay.count()));
  o.emplace("Behavior", kv::SessionBehaviorName(s.behavior));
  o.emplace("TTL", JsonString(s.ttl_text));
  o.emplace("NodeChecks", strings(s.node_checks));
  if (s.service_checks.empty()) {
    o.emplace("ServiceChecks", nullptr);
  } else {
    bj::array a;
    for (const auto& c : s.service_checks) {
      a.emplace_back(bj::object{{"ID", JsonString(c.id)}, {"Namespace", JsonString(c.ns)}});
    }
    o.emplace("ServiceChecks", std::move(a));
  }
  if (!s.checks.empty()) o.emplace("Checks", strings(s.checks));
  o.emplace("CreateIndex", s.create_index);
  o.emplace("ModifyIndex", s.modify_index);
  return o;
}

bj::array SessionsToJson(const std::vector<kv::Session>& sessions) {
  bj::array a;
  a.reserve(sessions.size());
  for (const auto& s : sessions) a.emplace_back(SessionToJson(s));
  return a;
}

// structs.TxnResponse: {Results, Errors}. A failed transaction has no results (nil) and a
// successful one no errors (nil); each result is a TxnResult with only its KV member set.
bj::object TxnOutcomeToJson(const kv::TxnOutcome& outcome) {
  bj::object o;
  if (!outcome.errors.empty()) {
    o.emplace("Results", nullptr);
    bj::array errors;
    for (const auto& e : outcome.errors) {
      errors.emplace_back(bj::object{{"OpIndex", e.op_index}, {"What", JsonString(e.what)}});
    }
    o.emplace("Errors", std::move(errors));
    return o;
  }
  bj::array results;
  results.reserve(outcome.results.size());
  for (const auto& r : outcome.results) {
    bj::object kv =
        r.entry ? EntryToJson(r.entry, r.include_value) : EmptyEntryToJson(std::string_view());
    results.emplace_back(bj::object{{"KV", std::move(kv)}});
  }
  o.emplace("Results", std::move(results));
  o.emplace("Errors", nullptr);
  return o;
}

}  // namespace cairn::agent::json
