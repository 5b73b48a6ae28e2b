// serf queries: sending, filtering, acks, responses, relays, and the internal `_serf_`
// queries (ping, conflict, key install/use/remove/list) — serf query.go,
// internal_query.go, keymanager.go and the conflict resolution of serf.go.
#include <algorithm>
#include <cmath>
#include <memory>
#include <utility>

#include <fmt/format.h>

#include <cairn/base/log.h>
#include <cairn/gossip/serf.h>

#include <re2/re2.h>

namespace cairn::gossip {
namespace {

base::Logger& Log() {
  static base::Logger log = base::LogSystem::Default().Get("serf");
  return log;
}

constexpr std::string_view kInternalPrefix = "_serf_";
constexpr size_t kMinEncodedKeyLength = 25;  // base64 of a 16-byte key, plus framing

std::string_view KeyOpName(KeyOp op) {
  switch (op) {
    case KeyOp::kInstall:
      return "install-key";
    case KeyOp::kUse:
      return "use-key";
    case KeyOp::kRemove:
      return "remove-key";
    case KeyOp::kList:
      return "list-keys";
  }
  return "";
}

}  // namespace

Duration SerfCore::DefaultQueryTimeout() const {
  int n = NumNodes();
  auto scale = static_cast<int64_t>(std::ceil(std::log10(static_cast<double>(n) + 1)));
  return config_.gossip_interval * config_.query_timeout_mult * std::max<int64_t>(scale, 1);
}

absl::StatusOr<uint32_t> SerfCore::Query(std::string_view name, std::optional<std::string> payload,
                                         QueryParams params, QueryCallbacks callbacks,
                                         TimePoint now) {
  if (config_.protocol_version < 4) {
    return absl::FailedPreconditionError("Feature not supported");
  }
  if (params.timeout <= Duration::zero()) params.timeout = DefaultQueryTimeout();
  gossip::Query q{.ltime = query_clock_.Time(),
                  .id = static_cast<uint32_t>(std::uniform_int_distribution<uint32_t>(
                      0, 0x7fffffff)(rng_)),  // Go: uint32(rand.Int31())
                  .addr = config_.advertise_ip,
                  .port = config_.advertise_port,
                  .source_node = config_.node_name,
                  .flags = params.request_ack ? kQueryFlagAck : 0u,
                  .relay_factor = params.relay_factor,
                  .timeout_ns = params.timeout.count(),
                  .name = std::string(name),
                  .payload = std::move(payload)};
  if (!params.filter_nodes.empty())
    q.filters.push_back(EncodeFilter(NodeFilter{params.filter_nodes}));
  for (auto& [tag, expr] : params.filter_tags) {
    q.filters.push_back(EncodeFilter(TagFilter{.tag = tag, .expr = expr}));
  }
  std::string raw = EncodeSerfMessage(q);
  if (raw.size() > config_.query_size_limit) {
    return absl::InvalidArgumentError(
        fmt::format("query exceeds limit of {} bytes", config_.query_size_limit));
  }
  // A newer query at the same LTime replaces the older one, as serf's map does.
  pending_queries_[q.ltime] =
      PendingQuery{.id = q.id, .deadline = now + params.timeout, .callbacks = std::move(callbacks)};
  HandleQuery(q, now);
  Broadcast(query_broadcasts_, std::move(raw));
  return q.id;
}

bool SerfCore::ShouldProcessQuery(const std::vector<std::string>& filters) const {
  for (const std::string& raw : filters) {
    absl::StatusOr<QueryFilter> f = DecodeFilter(raw);
    if (!f.ok()) {
      Log().Warn("query filter rejected: {}", f.status().ToString());
      return false;
    }
    if (auto* nodes = std::get_if<NodeFilter>(&*f)) {
      if (std::find(nodes->nodes.begin(), nodes->nodes.end(), config_.node_name) ==
          nodes->nodes.end()) {
        return false;
      }
    } else {
      const auto& tf = std::get<TagFilter>(*f);
      std::string value;
      for (const auto& [k, v] : config_.tags) {
        if (k == tf.tag) value = v;
      }
      RE2::Options opts;
      opts.set_log_errors(false);
      RE2 re(tf.expr, opts);
      if (!re.ok()) {
        Log().Warn("failed to compile filter regex ({}): {}", tf.expr, re.error());
        return false;
      }
      if (!RE2::PartialMatch(value, re)) return false;
    }
  }
  return true;
}

bool SerfCore::HandleQuery(const gossip::Query& q, TimePoint now) {
  query_clock_.Witness(q.ltime);
  query_buffer_.set_min_time(query_min_time_);
  Admission a = query_buffer_.Record(q.ltime, query_clock_.Time(), q.id);
  if (a == Admission::kTooOld) {
    Log().Warn("received old query {} from time {} (current: {})", q.name, q.ltime,
               query_clock_.Time());
  }
  if (a != Admission::kNew) return false;
  bool rebroadcast = (q.flags & kQueryFlagNoBroadcast) == 0;
  if (!ShouldProcessQuery(q.filters)) return rebroadcast;
  if (q.flags & kQueryFlagAck) {
    QueryResponse ack{
        .ltime = q.ltime, .id = q.id, .from = config_.node_name, .flags = kQueryFlagAck};
    host_.SendToAddress(q.addr, q.port, q.source_node, EncodeSerfMessage(ack));
    RelayResponse(q.relay_factor, q.addr, q.port, q.source_node, ack);
  }
  IncomingQuery in{.ltime = q.ltime,
                   .id = q.id,
                   .name = q.name,
                   .payload = q.payload,
                   .source_node = q.source_node,
                   .addr = q.addr,
                   .port = q.port,
                   .relay_factor = q.relay_factor,
                   .deadline = now + std::chrono::nanoseconds(q.timeout_ns)};
  answered_[{q.ltime, q.id}] = Answered{.deadline = in.deadline};
  if (std::string_view(q.name).substr(0, kInternalPrefix.size()) == kInternalPrefix) {
    HandleInternalQuery(in, now);
  } else if (sink_) {
    sink_(std::move(in));
  }
  return rebroadcast;
}

void SerfCore::HandleQueryResponse(const QueryResponse& r) {
  auto it = pending_queries_.find(r.ltime);
  if (it == pending_queries_.end()) {
    Log().Warn("reply for non-running query (LTime: {}, ID: {}) From: {}", r.ltime, r.id, r.from);
    return;
  }
  PendingQuery& q = it->second;
  if (q.id != r.id) {
    Log().Warn("query reply ID mismatch (Local: {}, Response: {})", q.id, r.id);
    return;
  }
  if (r.flags & kQueryFlagAck) {
    if (!q.acks.insert(r.from).second) return;
    if (q.callbacks.on_ack) q.callbacks.on_ack(r.from);
  } else {
    if (!q.responses.insert(r.from).second) return;
    if (q.callbacks.on_response) q.callbacks.on_response(r.from, r.payload);
  }
}

void SerfCore::RelayResponse(uint8_t relay_factor, const std::string& ip, uint16_t port,
                             const std::string& dest, const QueryResponse& resp) {
  if (relay_factor == 0) return;
  if (members_.size() < static_cast<size_t>(relay_factor) + 1) return;
  Relay relay{
      .dest_ip = ip, .dest_port = port, .dest_name = dest, .inner = EncodeSerfMessage(resp)};
  std::string raw = EncodeSerfMessage(relay);
  if (raw.size() > config_.query_response_size_limit) {
    Log().Error("relayed response exceeds limit of {} bytes", config_.query_response_size_limit);
    return;
  }
  std::vector<const SerfMember*> candidates;
  for (const auto& [name, st] : members_) {
    if (name == config_.node_name || st.member.status != MemberStatus::kAlive ||
        st.member.protocol_max < 5) {
      continue;
    }
    candidates.push_back(&st.member);
  }
  std::shuffle(candidates.begin(), candidates.end(), rng_);
  if (candidates.size() > relay_factor) candidates.resize(relay_factor);
  for (const SerfMember* m : candidates) host_.SendToAddress(m->addr, m->port, m->name, raw);
}

absl::Status SerfCore::SendResponse(const IncomingQuery& q, const QueryResponse& resp,
                                    const std::string& raw, TimePoint now) {
  if (raw.size() > config_.query_response_size_limit) {
    return absl::InvalidArgumentError(
        fmt::format("response exceeds limit of {} bytes", config_.query_response_size_limit));
  }
  auto it = answered_.find({q.ltime, q.id});
  if (it == answered_.end() || it->second.responded) {
    return absl::FailedPreconditionError("response already sent");
  }
  if (now > it->second.deadline) {
    return absl::FailedPreconditionError("response is past the deadline");
  }
  host_.SendToAddress(q.addr, q.port, q.source_node, raw);
  RelayResponse(q.relay_factor, q.addr, q.port, q.source_node, resp);
  it->second.responded = true;
  return absl::OkStatus();
}

absl::Status SerfCore::Respond(const IncomingQuery& q, std::optional<std::string> payload,
                               TimePoint now) {
  QueryResponse resp{
      .ltime = q.ltime, .id = q.id, .from = config_.node_name, .payload = std::move(payload)};
  return SendResponse(q, resp, EncodeSerfMessage(resp), now);
}

// ---- internal queries.

void SerfCore::HandleInternalQuery(const IncomingQuery& q, TimePoint now) {
  std::string_view op = std::string_view(q.name).substr(kInternalPrefix.size());
  if (op == "ping") return;
  if (op == "conflict") {
    std::string node = q.payload.value_or("");
    if (node == config_.node_name) return;
    ConflictResponse cr;
    if (auto it = members_.find(node); it != members_.end()) cr.member = it->second.member;
    absl::Status s = Respond(q, EncodeSerfMessage(cr), now);
    if (!s.ok()) Log().Error("Failed to respond to conflict query: {}", s.ToString());
    return;
  }
  if (op == "install-key" || op == "use-key" || op == "remove-key" || op == "list-keys") {
    HandleKeyQuery(q, op, now);
    return;
  }
  Log().Warn("Unhandled internal query '{}'", op);
}

void SerfCore::HandleKeyQuery(const IncomingQuery& q, std::string_view op, TimePoint now) {
  KeyResponse resp;
  Keyring* ring = host_.keyring();
  if (op == "list-keys") {
    if (ring == nullptr) {
      resp.message = "Keyring is empty (encryption not enabled)";
    } else {
      resp.keys = ring->KeysBase64();
      resp.primary_key = Base64Encode(ring->primary());
      resp.result = true;
    }
    SendKeyResponse(q, std::move(resp), now);
    return;
  }
  absl::StatusOr<SerfMessage> req =
      q.payload ? DecodeSerfMessage(*q.payload) : absl::InvalidArgumentError("no payload");
  const KeyRequest* kr = req.ok() ? std::get_if<KeyRequest>(&*req) : nullptr;
  if (kr == nullptr) {
    Log().Error("Failed to decode key request");
  } else if (ring == nullptr) {
    resp.message = "No keyring to modify (encryption not enabled)";
  } else {
    Log().Info("Received {} query", op);
    std::string key = kr->key.value_or("");
    absl::Status s = op == "install-key" ? ring->AddKey(key)
                     : op == "use-key"   ? ring->UseKey(key)
                                         : ring->RemoveKey(key);
    if (s.ok()) s = host_.KeyringChanged();
    if (s.ok()) {
      resp.result = true;
    } else {
      resp.message = std::string(s.message());
      Log().Error("Failed to {}: {}", op, s.ToString());
    }
  }
  SendKeyResponse(q, std::move(resp), now);
}

void SerfCore::SendKeyResponse(const IncomingQuery& q, KeyResponse resp, TimePoint now) {
  size_t actual = resp.keys ? resp.keys->size() : 0;
  // list-keys truncates the list until the response fits (internal_query.go).
  for (size_t i = config_.query_response_size_limit / kMinEncodedKeyLength + 1; i-- > 0;) {
    QueryResponse qr{.ltime = q.ltime,
                     .id = q.id,
                     .from = config_.node_name,
                     .payload = EncodeSerfMessage(resp)};
    std::string raw = EncodeSerfMessage(qr);
    if (raw.size() > config_.query_response_size_limit && resp.keys) {
      if (resp.keys->size() > i) resp.keys->resize(i);
      resp.message =
          fmt::format("truncated key list response, showing first {} of {} keys", i, actual);
      continue;
    }
    absl::Status s = SendResponse(q, qr, raw, now);
    if (!s.ok()) Log().Error("Failed to respond to key query: {}", s.ToString());
    return;
  }
  Log().Error("Failed to truncate response so that it fits into message");
}

absl::Status SerfCore::KeyOperation(KeyOp op, std::string_view key_b64, uint8_t relay_factor,
                                    absl::AnyInvocable<void(KeyOpResult)> on_done, TimePoint now) {
  std::string key;
  if (op != KeyOp::kList) {
    absl::StatusOr<std::string> raw = Base64Decode(key_b64);
    if (!raw.ok()) return raw.status();
    key = *std::move(raw);
  }
  struct Shared {
    KeyOpResult result;
    absl::AnyInvocable<void(KeyOpResult)> on_done;
    bool done = false;
    void Finish() {
      if (done) return;
      done = true;
      if (result.num_err != 0) {
        result.status = absl::UnknownError(
            fmt::format("{}/{} nodes reported failure", result.num_err, result.num_nodes));
      } else if (result.num_resp != result.num_nodes) {
        result.status = absl::UnknownError(
            fmt::format("{}/{} nodes reported success", result.num_resp, result.num_nodes));
      }
      if (on_done) on_done(std::move(result));
    }
  };
  auto shared = std::make_shared<Shared>();
  shared->on_done = std::move(on_done);
  shared->result.num_nodes = host_.NumMembers();
  QueryCallbacks cb;
  cb.on_response = [shared, op](const std::string& from,
                                const std::optional<std::string>& payload) {
    if (shared->done) return;
    KeyOpResult& r = shared->result;
    r.num_resp++;
    absl::StatusOr<SerfMessage> m =
        payload ? DecodeSerfMessage(*payload) : absl::InvalidArgumentError("empty");
    const KeyResponse* kr = m.ok() ? std::get_if<KeyResponse>(&*m) : nullptr;
    if (kr == nullptr) {
      r.messages[from] = "Invalid key query response";
      r.num_err++;
    } else {
      if (!kr->result) {
        r.messages[from] = kr->message;
        r.num_err++;
      } else if (!kr->message.empty()) {
        r.messages[from] = kr->message;  // e.g. a truncated list
      }
      if (kr->keys) {
        for (const std::string& k : *kr->keys) r.keys[k]++;
      }
      if (kr->result && op == KeyOp::kList) r.primary_keys[kr->primary_key]++;
    }
    if (r.num_resp == r.num_nodes) shared->Finish();
  };
  cb.on_done = [shared] { shared->Finish(); };
  std::string payload = EncodeSerfMessage(KeyRequest{.key = key});
  QueryParams params{.relay_factor = relay_factor};
  absl::StatusOr<uint32_t> id = Query(fmt::format("{}{}", kInternalPrefix, KeyOpName(op)), payload,
                                      std::move(params), std::move(cb), now);
  return id.status();
}

// ---- name conflicts.

void SerfCore::NotifyConflict(const SerfNodeInfo& existing, const SerfNodeInfo& other,
                              TimePoint now) {
  if (existing.name != config_.node_name) {
    Log().Warn("Name conflict for '{}' both {}:{} and {}:{} are claiming", existing.name,
               Base64Encode(existing.addr), existing.port, Base64Encode(other.addr), other.port);
    return;
  }
  Log().Error(
      "Node name conflicts with another node at port {}. Names must be unique! "
      "(Resolution enabled: {})",
      other.port, config_.enable_name_conflict_resolution);
  if (config_.enable_name_conflict_resolution) ResolveConflict(now);
}

void SerfCore::ResolveConflict(TimePoint now) {
  struct Tally {
    int responses = 0, matching = 0;
  };
  auto tally = std::make_shared<Tally>();
  QueryCallbacks cb;
  std::string ip = config_.advertise_ip;
  uint16_t port = config_.advertise_port;
  cb.on_response = [tally, ip, port](const std::string&, const std::optional<std::string>& p) {
    absl::StatusOr<SerfMessage> m = p ? DecodeSerfMessage(*p) : absl::InvalidArgumentError("empty");
    const ConflictResponse* cr = m.ok() ? std::get_if<ConflictResponse>(&*m) : nullptr;
    if (cr == nullptr) {
      Log().Error("Invalid conflict query response");
      return;
    }
    tally->responses++;
    if (cr->member && cr->member->addr == ip && cr->member->port == port) tally->matching++;
  };
  SerfHost* host = &host_;
  cb.on_done = [tally, host] {
    int majority = tally->responses / 2 + 1;
    if (tally->matching >= majority) {
      Log().Info("majority in name conflict resolution [{} / {}]", tally->matching,
                 tally->responses);
      return;
    }
    Log().Warn("minority in name conflict resolution, quitting [{} / {}]", tally->matching,
               tally->responses);
    host->ConflictLost();
  };
  absl::StatusOr<uint32_t> id = Query("_serf_conflict", config_.node_name, {}, std::move(cb), now);
  if (!id.ok()) Log().Error("Failed to start name resolution query: {}", id.status().ToString());
}

}  // namespace cairn::gossip
