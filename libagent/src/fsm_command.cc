// The FSM's commands: building them on the leader and reading them back in Apply.
//
// Decoding is strict where a wrong value would change what apply does (an unknown txn
// verb or session behavior is refused), and permissive where proto3 defaults are the
// intended values, so a command written by an older version still decodes.
#include "fsm_command.h"

#include <string>
#include <utility>

#include <cairn/agent/fsm.h>

namespace cairn::agent {
namespace {

std::string Serialize(proto::Command& command, absl::Time now) {
  command.set_now_unix_nanos(absl::ToUnixNanos(now));
  std::string out;
  command.SerializeToString(&out);
  return out;
}

proto::KvWrite::Op ToProto(KvWriteOp op) {
  switch (op) {
    case KvWriteOp::kSet:
      return proto::KvWrite::SET;
    case KvWriteOp::kCas:
      return proto::KvWrite::CAS;
    case KvWriteOp::kAcquire:
      return proto::KvWrite::ACQUIRE;
    case KvWriteOp::kRelease:
      return proto::KvWrite::RELEASE;
    case KvWriteOp::kDelete:
      return proto::KvWrite::DELETE;
    case KvWriteOp::kDeleteCas:
      return proto::KvWrite::DELETE_CAS;
    case KvWriteOp::kDeleteTree:
      return proto::KvWrite::DELETE_TREE;
  }
  return proto::KvWrite::SET;
}

void ToProto(const catalog::CheckDefinition& d, proto::CheckDefinition* out) {
  out->set_http(d.http);
  out->set_tls_server_name(d.tls_server_name);
  out->set_tls_skip_verify(d.tls_skip_verify);
  for (const auto& [name, values] : d.header) {
    auto& v = (*out->mutable_header())[name];
    for (const auto& value : values) v.add_values(value);
  }
  out->set_method(d.method);
  out->set_body(d.body);
  out->set_tcp(d.tcp);
  out->set_h2ping(d.h2ping);
  out->set_interval_ns(absl::ToInt64Nanoseconds(d.interval));
  out->set_timeout_ns(absl::ToInt64Nanoseconds(d.timeout));
  out->set_deregister_critical_service_after_ns(
      absl::ToInt64Nanoseconds(d.deregister_critical_service_after));
  out->set_output_max_size(d.output_max_size);
  for (const auto& a : d.script_args) out->add_script_args(a);
  out->set_docker_container_id(d.docker_container_id);
  out->set_shell(d.shell);
  out->set_grpc(d.grpc);
  out->set_grpc_use_tls(d.grpc_use_tls);
  out->set_alias_node(d.alias_node);
  out->set_alias_service(d.alias_service);
  out->set_ttl_ns(absl::ToInt64Nanoseconds(d.ttl));
}

catalog::CheckDefinition FromProto(const proto::CheckDefinition& d) {
  catalog::CheckDefinition out;
  out.http = d.http();
  out.tls_server_name = d.tls_server_name();
  out.tls_skip_verify = d.tls_skip_verify();
  for (const auto& [name, values] : d.header()) {
    out.header[name].assign(values.values().begin(), values.values().end());
  }
  out.method = d.method();
  out.body = d.body();
  out.tcp = d.tcp();
  out.h2ping = d.h2ping();
  out.interval = absl::Nanoseconds(d.interval_ns());
  out.timeout = absl::Nanoseconds(d.timeout_ns());
  out.deregister_critical_service_after =
      absl::Nanoseconds(d.deregister_critical_service_after_ns());
  out.output_max_size = d.output_max_size();
  out.script_args.assign(d.script_args().begin(), d.script_args().end());
  out.docker_container_id = d.docker_container_id();
  out.shell = d.shell();
  out.grpc = d.grpc();
  out.grpc_use_tls = d.grpc_use_tls();
  out.alias_node = d.alias_node();
  out.alias_service = d.alias_service();
  out.ttl = absl::Nanoseconds(d.ttl_ns());
  return out;
}

}  // namespace

std::string EncodeKvWrite(const KvWriteRequest& request, absl::Time now) {
  proto::Command c;
  proto::KvWrite* w = c.mutable_kv();
  w->set_op(ToProto(request.op));
  w->set_key(request.key);
  w->set_value(request.value);
  w->set_flags(request.flags);
  w->set_index(request.index);
  w->set_session(request.session);
  return Serialize(c, now);
}

std::string EncodeTxn(const std::vector<kv::TxnOp>& ops, absl::Time now) {
  proto::Command c;
  proto::Txn* t = c.mutable_txn();
  for (const kv::TxnOp& op : ops) {
    proto::TxnOp* p = t->add_ops();
    p->set_verb(static_cast<uint32_t>(op.verb));
    p->set_key(op.key);
    p->set_value(op.value);
    p->set_flags(op.flags);
    p->set_index(op.index);
    p->set_session(op.session);
  }
  return Serialize(c, now);
}

std::string EncodeSessionCreate(const kv::Session& s, absl::Time now) {
  proto::Command c;
  proto::SessionCreate* p = c.mutable_session_create();
  p->set_id(s.id);
  p->set_name(s.name);
  p->set_node(s.node);
  for (const auto& id : s.node_checks) p->add_node_checks(id);
  for (const auto& ref : s.service_checks) {
    proto::ServiceCheckRef* r = p->add_service_checks();
    r->set_id(ref.id);
    r->set_ns(ref.ns);
  }
  for (const auto& id : s.checks) p->add_checks(id);
  p->set_lock_delay_ns(s.lock_delay.count());
  p->set_behavior(s.behavior == kv::SessionBehavior::kDelete ? 1 : 0);
  p->set_ttl_ns(s.ttl.count());
  p->set_ttl_text(s.ttl_text);
  return Serialize(c, now);
}

std::string EncodeSessionDestroy(std::string_view id, bool ttl_expired, absl::Time now) {
  proto::Command c;
  proto::SessionDestroy* d = c.mutable_session_destroy();
  d->set_id(std::string(id));
  d->set_reason(ttl_expired ? proto::SessionDestroy::TTL_EXPIRED : proto::SessionDestroy::EXPLICIT);
  return Serialize(c, now);
}

std::string EncodeRegister(const catalog::RegisterRequest& request, absl::Time now) {
  proto::Command c;
  proto::Register* r = c.mutable_catalog_register();
  proto::CatalogNode* n = r->mutable_node();
  n->set_id(request.node.id);
  n->set_name(request.node.name);
  n->set_address(request.node.address);
  n->set_datacenter(request.node.datacenter);
  n->mutable_tagged_addresses()->insert(request.node.tagged_addresses.begin(),
                                        request.node.tagged_addresses.end());
  n->mutable_meta()->insert(request.node.meta.begin(), request.node.meta.end());
  r->set_skip_node_update(request.skip_node_update);
  if (request.service) {
    const catalog::Service& s = *request.service;
    proto::CatalogService* p = r->mutable_service();
    p->set_kind(s.kind);
    p->set_id(s.id);
    p->set_service(s.service);
    for (const auto& t : s.tags) p->add_tags(t);
    p->set_address(s.address);
    for (const auto& [k, v] : s.tagged_addresses) {
      proto::ServiceAddress& a = (*p->mutable_tagged_addresses())[k];
      a.set_address(v.address);
      a.set_port(v.port);
    }
    p->mutable_meta()->insert(s.meta.begin(), s.meta.end());
    p->set_port(s.port);
    p->set_weight_passing(s.weights.passing);
    p->set_weight_warning(s.weights.warning);
    p->set_enable_tag_override(s.enable_tag_override);
  }
  for (const catalog::Check& ch : request.checks) {
    proto::CatalogCheck* p = r->add_checks();
    p->set_node(ch.node);
    p->set_check_id(ch.check_id);
    p->set_name(ch.name);
    p->set_status(ch.status);
    p->set_notes(ch.notes);
    p->set_output(ch.output);
    p->set_service_id(ch.service_id);
    p->set_service_name(ch.service_name);
    for (const auto& t : ch.service_tags) p->add_service_tags(t);
    p->set_type(ch.type);
    p->set_exposed_port(ch.exposed_port);
    ToProto(ch.definition, p->mutable_definition());
  }
  return Serialize(c, now);
}

std::string EncodeDeregister(const catalog::DeregisterRequest& request, absl::Time now) {
  proto::Command c;
  proto::Deregister* d = c.mutable_catalog_deregister();
  d->set_node(request.node);
  d->set_service_id(request.service_id);
  d->set_check_id(request.check_id);
  return Serialize(c, now);
}

std::string EncodeReapTombstones(uint64_t gc_index, absl::Time now) {
  proto::Command c;
  c.mutable_reap_tombstones()->set_gc_index(gc_index);
  return Serialize(c, now);
}

std::string EncodeRestore(std::string_view fsm_snapshot, absl::Time now) {
  proto::Command c;
  c.mutable_restore()->set_state(std::string(fsm_snapshot));
  return Serialize(c, now);
}

kv::Session ResolveSessionRequest(const SessionCreateRequest& request,
                                  std::string_view default_node, std::string generated_id) {
  static const std::vector<std::string> kSerfHealth = {"serfHealth"};
  kv::Session s;
  s.id = request.id.empty() ? std::move(generated_id) : request.id;
  s.name = request.name;
  s.node = request.node.empty() ? std::string(default_node) : request.node;
  // Consul 1.7+ (agent/session_endpoint.go, fixupEmptySessionChecks): both lists default
  // to serfHealth, then an explicit empty Checks drops the NodeChecks default, a Checks
  // that is just the default defers to NodeChecks, and an explicit empty NodeChecks drops
  // the Checks default.
  s.checks = request.checks.value_or(kSerfHealth);
  s.node_checks = request.node_checks.value_or(kSerfHealth);
  if (s.checks.empty()) {
    s.node_checks.clear();
  } else if (s.checks == kSerfHealth) {
    s.checks.clear();
  } else if (s.node_checks.empty()) {
    s.checks.clear();
  }
  s.service_checks = request.service_checks;
  s.lock_delay = request.lock_delay;
  s.behavior = request.behavior;
  s.ttl = request.ttl;
  s.ttl_text = request.ttl_text;
  return s;
}

namespace internal {

absl::Time CommandTime(const proto::Command& command) {
  return absl::FromUnixNanos(command.now_unix_nanos());
}

absl::StatusOr<std::vector<kv::TxnOp>> DecodeTxnOps(const proto::Txn& txn) {
  std::vector<kv::TxnOp> ops;
  ops.reserve(txn.ops_size());
  for (const proto::TxnOp& p : txn.ops()) {
    if (p.verb() > static_cast<uint32_t>(kv::TxnVerb::kDeleteTree)) {
      return absl::InvalidArgumentError("unknown KV txn verb in command");
    }
    ops.push_back(kv::TxnOp{.verb = static_cast<kv::TxnVerb>(p.verb()),
                            .key = p.key(),
                            .value = p.value(),
                            .flags = p.flags(),
                            .index = p.index(),
                            .session = p.session()});
  }
  return ops;
}

absl::StatusOr<kv::Session> DecodeSession(const proto::SessionCreate& p) {
  if (p.behavior() > 1) return absl::InvalidArgumentError("unknown session behavior in command");
  kv::Session s;
  s.id = p.id();
  s.name = p.name();
  s.node = p.node();
  s.node_checks.assign(p.node_checks().begin(), p.node_checks().end());
  for (const auto& r : p.service_checks()) s.service_checks.push_back({r.id(), r.ns()});
  s.checks.assign(p.checks().begin(), p.checks().end());
  s.lock_delay = base::Duration(p.lock_delay_ns());
  s.behavior = p.behavior() == 1 ? kv::SessionBehavior::kDelete : kv::SessionBehavior::kRelease;
  s.ttl = base::Duration(p.ttl_ns());
  s.ttl_text = p.ttl_text();
  return s;
}

catalog::RegisterRequest DecodeRegister(const proto::Register& r) {
  catalog::RegisterRequest out;
  const proto::CatalogNode& n = r.node();
  out.node.id = n.id();
  out.node.name = n.name();
  out.node.address = n.address();
  out.node.datacenter = n.datacenter();
  out.node.tagged_addresses.insert(n.tagged_addresses().begin(), n.tagged_addresses().end());
  out.node.meta.insert(n.meta().begin(), n.meta().end());
  out.skip_node_update = r.skip_node_update();
  if (r.has_service()) {
    const proto::CatalogService& p = r.service();
    catalog::Service s;
    s.kind = p.kind();
    s.id = p.id();
    s.service = p.service();
    s.tags.assign(p.tags().begin(), p.tags().end());
    s.address = p.address();
    for (const auto& [k, v] : p.tagged_addresses()) {
      s.tagged_addresses[k] = catalog::ServiceAddress{v.address(), v.port()};
    }
    s.meta.insert(p.meta().begin(), p.meta().end());
    s.port = p.port();
    s.weights = catalog::Weights{p.weight_passing(), p.weight_warning()};
    s.enable_tag_override = p.enable_tag_override();
    out.service = std::move(s);
  }
  for (const proto::CatalogCheck& p : r.checks()) {
    catalog::Check c;
    c.node = p.node();
    c.check_id = p.check_id();
    c.name = p.name();
    c.status = p.status();
    c.notes = p.notes();
    c.output = p.output();
    c.service_id = p.service_id();
    c.service_name = p.service_name();
    c.service_tags.assign(p.service_tags().begin(), p.service_tags().end());
    c.type = p.type();
    c.exposed_port = p.exposed_port();
    c.definition = FromProto(p.definition());
    out.checks.push_back(std::move(c));
  }
  return out;
}

catalog::DeregisterRequest DecodeDeregister(const proto::Deregister& d) {
  return catalog::DeregisterRequest{d.node(), d.service_id(), d.check_id()};
}

}  // namespace internal
}  // namespace cairn::agent
