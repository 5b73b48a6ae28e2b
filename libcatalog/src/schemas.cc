#include <cairn/catalog/schemas.h>

namespace cairn::catalog {
namespace {

using K = FieldKind;

void AddNodeFields(TypedSchema<Node>& s) {
  s.Field("ID", K::kString, [](const Node& n) { return &n.id; })
      .Field("Node", K::kString, [](const Node& n) { return &n.name; })
      .Field("Address", K::kString, [](const Node& n) { return &n.address; })
      .Field("Datacenter", K::kString, [](const Node& n) { return &n.datacenter; })
      .Field("TaggedAddresses", K::kStringMap, [](const Node& n) { return &n.tagged_addresses; })
      .Field("Meta", K::kStringMap, [](const Node& n) { return &n.meta; })
      .Field("CreateIndex", K::kUint64, [](const Node& n) { return &n.create_index; })
      .Field("ModifyIndex", K::kUint64, [](const Node& n) { return &n.modify_index; });
}

const TypedSchema<Weights>& WeightsSchema() {
  static const auto* s = [] {
    auto* w = new TypedSchema<Weights>();
    w->Field("Passing", K::kInt, [](const Weights& x) {
       return &x.passing;
     }).Field("Warning", K::kInt, [](const Weights& x) { return &x.warning; });
    return w;
  }();
  return *s;
}

const TypedSchema<CheckDefinition>& DefinitionSchema() {
  using D = CheckDefinition;
  static const auto* s = [] {
    auto* d = new TypedSchema<D>();
    d->Field("HTTP", K::kString, [](const D& x) { return &x.http; })
        .Field("TLSServerName", K::kString, [](const D& x) { return &x.tls_server_name; })
        .Field("TLSSkipVerify", K::kBool, [](const D& x) { return &x.tls_skip_verify; })
        .Field("Method", K::kString, [](const D& x) { return &x.method; })
        .Field("Body", K::kString, [](const D& x) { return &x.body; })
        .Field("TCP", K::kString, [](const D& x) { return &x.tcp; })
        .Field("H2PING", K::kString, [](const D& x) { return &x.h2ping; })
        .Field("GRPC", K::kString, [](const D& x) { return &x.grpc; })
        .Field("GRPCUseTLS", K::kBool, [](const D& x) { return &x.grpc_use_tls; })
        .Field("AliasNode", K::kString, [](const D& x) { return &x.alias_node; })
        .Field("AliasService", K::kString, [](const D& x) { return &x.alias_service; })
        .Field("DockerContainerID", K::kString, [](const D& x) { return &x.docker_container_id; })
        .Field("Shell", K::kString, [](const D& x) { return &x.shell; })
        .Field("ScriptArgs", K::kStringList, [](const D& x) { return &x.script_args; });
    return d;
  }();
  return *s;
}

}  // namespace

const TypedSchema<Node>& NodeSchema() {
  static const auto* s = [] {
    auto* n = new TypedSchema<Node>();
    AddNodeFields(*n);
    return n;
  }();
  return *s;
}

const TypedSchema<Service>& ServiceSchema() {
  using S = Service;
  static const auto* s = [] {
    auto* v = new TypedSchema<S>();
    v->Field("Kind", K::kString, [](const S& x) { return &x.kind; })
        .Field("ID", K::kString, [](const S& x) { return &x.id; })
        .Field("Service", K::kString, [](const S& x) { return &x.service; })
        .Field("Tags", K::kStringList, [](const S& x) { return &x.tags; })
        .Field("Address", K::kString, [](const S& x) { return &x.address; })
        .Field("Meta", K::kStringMap, [](const S& x) { return &x.meta; })
        .Field("Port", K::kInt, [](const S& x) { return &x.port; })
        .Struct("Weights", WeightsSchema(), [](const S& x) { return &x.weights; })
        .Field("EnableTagOverride", K::kBool, [](const S& x) { return &x.enable_tag_override; })
        .Field("CreateIndex", K::kUint64, [](const S& x) { return &x.create_index; })
        .Field("ModifyIndex", K::kUint64, [](const S& x) { return &x.modify_index; });
    return v;
  }();
  return *s;
}

const TypedSchema<Check>& CheckSchema() {
  using C = Check;
  static const auto* s = [] {
    auto* c = new TypedSchema<C>();
    c->Field("Node", K::kString, [](const C& x) { return &x.node; })
        .Field("CheckID", K::kString, [](const C& x) { return &x.check_id; })
        .Field("Name", K::kString, [](const C& x) { return &x.name; })
        .Field("Status", K::kString, [](const C& x) { return &x.status; })
        .Field("Notes", K::kString, [](const C& x) { return &x.notes; })
        .Field("Output", K::kString, [](const C& x) { return &x.output; })
        .Field("ServiceID", K::kString, [](const C& x) { return &x.service_id; })
        .Field("ServiceName", K::kString, [](const C& x) { return &x.service_name; })
        .Field("ServiceTags", K::kStringList, [](const C& x) { return &x.service_tags; })
        .Field("Type", K::kString, [](const C& x) { return &x.type; })
        .Struct("Definition", DefinitionSchema(), [](const C& x) { return &x.definition; })
        .Field("CreateIndex", K::kUint64, [](const C& x) { return &x.create_index; })
        .Field("ModifyIndex", K::kUint64, [](const C& x) { return &x.modify_index; });
    return c;
  }();
  return *s;
}

const TypedSchema<ServiceInstance>& ServiceInstanceSchema() {
  using I = ServiceInstance;
  using Checks = std::vector<std::shared_ptr<const Check>>;
  static const auto* s = [] {
    auto* i = new TypedSchema<I>();
    i->Struct("Node", NodeSchema(), [](const I& x) { return x.node.get(); })
        .Struct("Service", ServiceSchema(), [](const I& x) { return x.service.get(); })
        .List<Checks>(
            "Checks", CheckSchema(), [](const I& x) { return &x.checks; },
            [](const std::shared_ptr<const Check>& c) { return c.get(); });
    return i;
  }();
  return *s;
}

const TypedSchema<CatalogService>& CatalogServiceSchema() {
  using CS = CatalogService;
  static const auto* s = [] {
    auto* c = new TypedSchema<CS>();
    c->Field("ID", K::kString, [](const CS& x) { return &x.node->id; })
        .Field("Node", K::kString, [](const CS& x) { return &x.node->name; })
        .Field("Address", K::kString, [](const CS& x) { return &x.node->address; })
        .Field("Datacenter", K::kString, [](const CS& x) { return &x.node->datacenter; })
        .Field("TaggedAddresses", K::kStringMap,
               [](const CS& x) { return &x.node->tagged_addresses; })
        .Field("NodeMeta", K::kStringMap, [](const CS& x) { return &x.node->meta; })
        .Field("ServiceKind", K::kString, [](const CS& x) { return &x.service->kind; })
        .Field("ServiceID", K::kString, [](const CS& x) { return &x.service->id; })
        .Field("ServiceName", K::kString, [](const CS& x) { return &x.service->service; })
        .Field("ServiceTags", K::kStringList, [](const CS& x) { return &x.service->tags; })
        .Field("ServiceAddress", K::kString, [](const CS& x) { return &x.service->address; })
        .Field("ServiceMeta", K::kStringMap, [](const CS& x) { return &x.service->meta; })
        .Field("ServicePort", K::kInt, [](const CS& x) { return &x.service->port; })
        .Struct("ServiceWeights", WeightsSchema(), [](const CS& x) { return &x.service->weights; })
        .Field("ServiceEnableTagOverride", K::kBool,
               [](const CS& x) { return &x.service->enable_tag_override; })
        .Field("CreateIndex", K::kUint64, [](const CS& x) { return &x.service->create_index; })
        .Field("ModifyIndex", K::kUint64, [](const CS& x) { return &x.service->modify_index; });
    return c;
  }();
  return *s;
}

}  // namespace cairn::catalog
