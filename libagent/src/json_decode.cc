#include <cmath>
#include <limits>

#include <absl/strings/ascii.h>
#include <absl/strings/match.h>
#include <boost/json/stream_parser.hpp>
#include <fmt/format.h>

#include <cairn/base/duration.h>
#include <cairn/base/status.h>

#include "json_codec.h"

namespace cairn::agent::json {

namespace bj = boost::json;

namespace {

// Consul converts lock delays below this many nanoseconds into seconds: clients send `5`
// meaning five seconds.
constexpr int64_t kLockDelayMinThreshold = 1000;

// encoding/json's names for a JSON value's kind, with the literal for numbers.
std::string Kind(const bj::value& v) {
  switch (v.kind()) {
    case bj::kind::string:
      return "string";
    case bj::kind::bool_:
      return "bool";
    case bj::kind::array:
      return "array";
    case bj::kind::object:
      return "object";
    case bj::kind::int64:
      return fmt::format("number {}", v.get_int64());
    case bj::kind::uint64:
      return fmt::format("number {}", v.get_uint64());
    case bj::kind::double_:
      return fmt::format("number {}", v.get_double());
    case bj::kind::null:
      return "null";
  }
  return "value";
}

absl::Status FieldTypeError(const bj::value& v, std::string_view field, std::string_view type) {
  return absl::InvalidArgumentError(fmt::format(
      "json: cannot unmarshal {} into Go struct field {} of type {}", Kind(v), field, type));
}

absl::Status ValueTypeError(const bj::value& v, std::string_view type) {
  return absl::InvalidArgumentError(
      fmt::format("json: cannot unmarshal {} into Go value of type {}", Kind(v), type));
}

// Parses one JSON document with Go-like error texts for the common cases: an empty body is
// "EOF", a truncated one "unexpected EOF".
absl::StatusOr<bj::value> Parse(std::string_view body) {
  std::size_t start = 0;
  while (start < body.size() && absl::ascii_isspace(static_cast<unsigned char>(body[start]))) {
    ++start;
  }
  if (start == body.size()) return absl::InvalidArgumentError("EOF");
  bj::stream_parser p;
  boost::system::error_code ec;
  std::size_t used = p.write(body.data(), body.size(), ec);
  if (!ec) p.finish(ec);
  if (ec) {
    if (used >= body.size()) return absl::InvalidArgumentError("unexpected EOF");
    // Go's quoteChar: the character between single quotes, escaped as %q would.
    char c = body[used];
    std::string quoted = GoQuote(std::string_view(&c, 1));
    quoted = c == '\''  ? "'\\''"
             : c == '"' ? "'\"'"
                        : "'" + quoted.substr(1, quoted.size() - 2) + "'";
    if (used == start) {
      return absl::InvalidArgumentError(
          fmt::format("invalid character {} looking for beginning of value", quoted));
    }
    return absl::InvalidArgumentError(
        fmt::format("invalid character {} at offset {}", quoted, used));
  }
  return p.release();
}

// Case-insensitive field match, as encoding/json does for struct fields.
bool FieldIs(std::string_view key, std::string_view name) {
  return absl::EqualsIgnoreCase(base::ToAbsl(key), base::ToAbsl(name));
}

absl::Status ReadString(const bj::value& v, std::string_view field, std::string& out) {
  if (v.is_null()) return absl::OkStatus();
  if (!v.is_string()) return FieldTypeError(v, field, "string");
  out = std::string(v.get_string());
  return absl::OkStatus();
}

absl::Status ReadUint(const bj::value& v, std::string_view field, uint64_t& out) {
  if (v.is_null()) return absl::OkStatus();
  if (v.is_uint64()) {
    out = v.get_uint64();
  } else if (v.is_int64() && v.get_int64() >= 0) {
    out = static_cast<uint64_t>(v.get_int64());
  } else {
    return FieldTypeError(v, field, "uint64");
  }
  return absl::OkStatus();
}

absl::Status ReadStrings(const bj::value& v, std::string_view field,
                         std::vector<std::string>& out) {
  out.clear();
  if (v.is_null()) return absl::OkStatus();
  if (!v.is_array()) return FieldTypeError(v, field, "[]string");
  for (const bj::value& e : v.get_array()) {
    if (!e.is_string()) return FieldTypeError(e, field, "string");
    out.emplace_back(e.get_string());
  }
  return absl::OkStatus();
}

absl::Status DecodeKvOp(const bj::object& o, TxnRequestOp& op) {
  std::string verb;
  std::string value_b64;
  bool has_value = false;
  for (const auto& m : o) {
    std::string_view k(m.key().data(), m.key().size());
    const bj::value& v = m.value();
    absl::Status st;
    if (FieldIs(k, "Verb")) {
      st = ReadString(v, "TxnOp.KV.Verb", verb);
    } else if (FieldIs(k, "Key")) {
      st = ReadString(v, "TxnOp.KV.Key", op.kv.key);
    } else if (FieldIs(k, "Value")) {
      has_value = !v.is_null();
      st = ReadString(v, "TxnOp.KV.Value", value_b64);
    } else if (FieldIs(k, "Flags")) {
      st = ReadUint(v, "TxnOp.KV.Flags", op.kv.flags);
    } else if (FieldIs(k, "Index")) {
      st = ReadUint(v, "TxnOp.KV.Index", op.kv.index);
    } else if (FieldIs(k, "Session")) {
      st = ReadString(v, "TxnOp.KV.Session", op.kv.session);
    }
    if (!st.ok()) return st;
  }
  if (has_value) {
    absl::StatusOr<std::string> decoded = Base64Decode(value_b64);
    if (!decoded.ok()) return decoded.status();
    op.kv.value = *std::move(decoded);
  }
  absl::StatusOr<kv::TxnVerb> parsed = kv::ParseTxnVerb(verb);
  if (parsed.ok()) {
    op.kv.verb = *parsed;
  } else {
    op.unknown_verb = verb;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<TxnRequestOp>> DecodeTxnOps(std::string_view body) {
  absl::StatusOr<bj::value> doc = Parse(body);
  if (!doc.ok()) return doc.status();
  if (doc->is_null()) return std::vector<TxnRequestOp>{};
  if (!doc->is_array()) return ValueTypeError(*doc, "api.TxnOps");
  std::vector<TxnRequestOp> ops;
  ops.reserve(doc->get_array().size());
  for (const bj::value& e : doc->get_array()) {
    TxnRequestOp op;
    if (e.is_null()) {
      ops.push_back(std::move(op));
      continue;
    }
    if (!e.is_object()) return ValueTypeError(e, "api.TxnOp");
    // Consul looks at KV first, then Node, Service and Check; an element with none of them
    // is dropped.
    const bj::value* kv = nullptr;
    const bj::value* node = nullptr;
    const bj::value* service = nullptr;
    const bj::value* check = nullptr;
    for (const auto& m : e.get_object()) {
      std::string_view k(m.key().data(), m.key().size());
      if (FieldIs(k, "KV")) kv = &m.value();
      if (FieldIs(k, "Node")) node = &m.value();
      if (FieldIs(k, "Service")) service = &m.value();
      if (FieldIs(k, "Check")) check = &m.value();
    }
    for (auto [field, v, type] : {std::tuple{"TxnOp.KV", kv, "api.KVTxnOp"},
                                  std::tuple{"TxnOp.Node", node, "api.NodeTxnOp"},
                                  std::tuple{"TxnOp.Service", service, "api.ServiceTxnOp"},
                                  std::tuple{"TxnOp.Check", check, "api.CheckTxnOp"}}) {
      if (v != nullptr && !v->is_null() && !v->is_object()) return FieldTypeError(*v, field, type);
    }
    if (kv != nullptr && kv->is_object()) {
      op.kind = TxnRequestOp::Kind::kKv;
      if (absl::Status st = DecodeKvOp(kv->get_object(), op); !st.ok()) return st;
    } else if (node != nullptr && node->is_object()) {
      op.kind = TxnRequestOp::Kind::kNode;
    } else if (service != nullptr && service->is_object()) {
      op.kind = TxnRequestOp::Kind::kService;
    } else if (check != nullptr && check->is_object()) {
      op.kind = TxnRequestOp::Kind::kCheck;
    }
    ops.push_back(std::move(op));
  }
  return ops;
}

absl::Status DecodeSessionCreate(std::string_view body, SessionBody& out) {
  absl::StatusOr<bj::value> doc = Parse(body);
  if (!doc.ok()) return doc.status();
  if (doc->is_null()) return absl::OkStatus();
  if (!doc->is_object()) return ValueTypeError(*doc, "structs.Session");
  SessionCreateRequest& r = out.request;
  for (const auto& m : doc->get_object()) {
    std::string_view k(m.key().data(), m.key().size());
    const bj::value& v = m.value();
    absl::Status st;
    if (FieldIs(k, "Name")) {
      st = ReadString(v, "Session.Name", r.name);
    } else if (FieldIs(k, "Node")) {
      st = ReadString(v, "Session.Node", r.node);
    } else if (FieldIs(k, "Behavior")) {
      st = ReadString(v, "Session.Behavior", out.behavior_text);
    } else if (FieldIs(k, "TTL")) {
      st = ReadString(v, "Session.TTL", r.ttl_text);
    } else if (FieldIs(k, "Checks")) {
      // Present, even as null or [], it replaces the default serfHealth check.
      r.checks.emplace();
      st = ReadStrings(v, "Session.Checks", *r.checks);
    } else if (FieldIs(k, "NodeChecks")) {
      if (v.is_null()) {
        r.node_checks.reset();
      } else {
        r.node_checks.emplace();
        st = ReadStrings(v, "Session.NodeChecks", *r.node_checks);
      }
    } else if (FieldIs(k, "ServiceChecks")) {
      r.service_checks.clear();
      if (v.is_array()) {
        for (const bj::value& e : v.get_array()) {
          if (e.is_null()) continue;
          if (!e.is_object())
            return FieldTypeError(e, "Session.ServiceChecks", "structs.ServiceCheck");
          kv::ServiceCheckRef ref;
          for (const auto& f : e.get_object()) {
            std::string_view fk(f.key().data(), f.key().size());
            if (FieldIs(fk, "ID")) st = ReadString(f.value(), "ServiceCheck.ID", ref.id);
            if (FieldIs(fk, "Namespace")) {
              st = ReadString(f.value(), "ServiceCheck.Namespace", ref.ns);
            }
            if (!st.ok()) return st;
          }
          r.service_checks.push_back(std::move(ref));
        }
      } else if (!v.is_null()) {
        st = FieldTypeError(v, "Session.ServiceChecks", "[]structs.ServiceCheck");
      }
    } else if (FieldIs(k, "LockDelay")) {
      // structs.Session.UnmarshalJSON: a Go duration string or a number of nanoseconds;
      // anything else counts as 0. Small values are seconds (see kLockDelayMinThreshold).
      int64_t ns = 0;
      if (v.is_string()) {
        absl::StatusOr<base::Duration> d = base::ParseGoDuration(std::string_view(v.get_string()));
        if (!d.ok()) return absl::InvalidArgumentError(d.status().message());
        ns = d->count();
      } else if (v.is_int64()) {
        ns = v.get_int64();
      } else if (v.is_uint64()) {
        ns = std::numeric_limits<int64_t>::max();
      } else if (v.is_double()) {
        double d = v.get_double();
        constexpr double kMax = 9.2e18;
        ns = d >= kMax    ? std::numeric_limits<int64_t>::max()
             : d <= -kMax ? std::numeric_limits<int64_t>::min()
                          : static_cast<int64_t>(d);
      }
      if (ns >= 0 && ns < kLockDelayMinThreshold) ns *= 1'000'000'000;
      r.lock_delay = base::Duration(ns);
    }
    if (!st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status ValidateSessionFields(SessionBody& body) {
  SessionCreateRequest& r = body.request;
  if (body.behavior_text.empty() || body.behavior_text == "release") {
    r.behavior = kv::SessionBehavior::kRelease;
  } else if (body.behavior_text == "delete") {
    r.behavior = kv::SessionBehavior::kDelete;
  } else {
    return absl::InvalidArgumentError(
        fmt::format("Invalid Behavior setting '{}'", body.behavior_text));
  }
  r.ttl = base::Duration(0);
  if (!r.ttl_text.empty()) {
    absl::StatusOr<base::Duration> d = base::ParseGoDuration(r.ttl_text);
    if (!d.ok()) {
      return absl::InvalidArgumentError(
          fmt::format("Session TTL '{}' invalid: {}", r.ttl_text, d.status().message()));
    }
    r.ttl = *d;
  }
  return absl::OkStatus();
}

}  // namespace cairn::agent::json
