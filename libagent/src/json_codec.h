// json_codec.h (private) — Consul's JSON shapes for KV entries, sessions and transactions,
// and the decoders for the request bodies of /v1/txn and /v1/session/create.
//
// Encoders emit fields in the order Consul's Go structs declare them (clients that diff raw
// JSON, and humans, see the same thing). Decoders follow encoding/json: field names match
// case-insensitively, unknown fields are ignored, `null` leaves a field at its default, and
// type mismatches are errors in Go's wording ("json: cannot unmarshal ...").
#ifndef CAIRN_AGENT_SRC_JSON_CODEC_H_
#define CAIRN_AGENT_SRC_JSON_CODEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>
#include <boost/json/value.hpp>

#include <cairn/agent/state_backend.h>
#include <cairn/kv/entry.h>
#include <cairn/kv/session.h>
#include <cairn/kv/txn.h>

namespace cairn::agent::json {

// ---- small helpers ----

// Standard base64 with padding (Go's base64.StdEncoding).
std::string Base64Encode(std::string_view bytes);
// Go's StdEncoding.DecodeString: padding required, '\r' and '\n' skipped; errors read
// "illegal base64 data at input byte N".
absl::StatusOr<std::string> Base64Decode(std::string_view text);
// Go's %q / strconv.Quote for a (byte) string: `"a\"b\n"`, invalid UTF-8 as \xNN.
std::string GoQuote(std::string_view s);
// `s` as valid UTF-8: every byte that does not start a valid sequence becomes U+FFFD, as
// encoding/json does when it writes a string.
std::string ValidUtf8(std::string_view s);
// A boost::json string holding ValidUtf8(s).
boost::json::string JsonString(std::string_view s);
// Go's url.Values.Encode(): keys sorted, each value query-escaped, "k=v&k2=v2".
std::string GoQueryEncode(std::vector<std::pair<std::string, std::string>> params);
// strconv.ParseUint(s, 10, 64) with Go's error text
// ("strconv.ParseUint: parsing \"x\": invalid syntax" / "...: value out of range").
absl::StatusOr<uint64_t> GoParseUint(std::string_view s);

// ---- encoders ----

// KVPair: LockIndex, Key, Flags, Value (base64; null when empty or !include_value),
// Session (only while locked), CreateIndex, ModifyIndex.
boost::json::object EntryToJson(const kv::Entry& e, bool include_value = true);
// A missing key's get-or-empty result: only the key (Value null, indexes 0).
boost::json::object EmptyEntryToJson(std::string_view key);
// Session: ID, Name, Node, LockDelay (ns), Behavior, TTL, NodeChecks, ServiceChecks,
// Checks (omitted when empty), CreateIndex, ModifyIndex.
boost::json::object SessionToJson(const kv::Session& s);
boost::json::array SessionsToJson(const std::vector<kv::Session>& sessions);
// {"Results": [...] | null, "Errors": [...] | null}.
boost::json::object TxnOutcomeToJson(const kv::TxnOutcome& outcome);

// ---- decoders ----

// One element of a /v1/txn body. Only KV operations are carried out; the others are
// recognised so that the handler can refuse them by name.
struct TxnRequestOp {
  enum class Kind { kNone, kKv, kNode, kService, kCheck };
  Kind kind = Kind::kNone;
  kv::TxnOp kv;
  // A KV verb Consul does not know: the op fails with `unknown KV verb "<verb>"` (409).
  std::optional<std::string> unknown_verb;
};

// Parses a /v1/txn body (a JSON array). Errors are InvalidArgument with the text that
// follows "Failed to parse body: ".
absl::StatusOr<std::vector<TxnRequestOp>> DecodeTxnOps(std::string_view body);

// Parses a /v1/session/create body into `out` (which holds the defaults). Errors are
// InvalidArgument with the text that follows "Request decode failed: ". Behavior and TTL
// are checked by ValidateSessionFields (Consul rejects them later, with a 500).
struct SessionBody {
  SessionCreateRequest request;
  std::string behavior_text;  // as sent ("" = release)
};
absl::Status DecodeSessionCreate(std::string_view body, SessionBody& out);
// Behavior and TTL, as Consul's Session.Apply checks them: "Invalid Behavior setting
// '<x>'", "Session TTL '<x>' invalid: <err>". Fills request.behavior / ttl.
absl::Status ValidateSessionFields(SessionBody& body);

}  // namespace cairn::agent::json

#endif  // CAIRN_AGENT_SRC_JSON_CODEC_H_
