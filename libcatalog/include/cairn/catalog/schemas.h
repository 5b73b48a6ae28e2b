// cairn/catalog/schemas.h — filter schemas (see filter.h) for the catalog's result types.
//
// Each function returns a process-lifetime schema naming the selectors Consul accepts for
// that endpoint's elements:
//
//   endpoint                         element            schema
//   /v1/catalog/nodes                Node               NodeSchema()
//   /v1/catalog/service/:name        CatalogService     CatalogServiceSchema()
//   /v1/catalog/node/:n (Services)   Service            ServiceSchema()
//   /v1/health/service/:name         ServiceInstance    ServiceInstanceSchema()
//   /v1/health/{node,checks,state}   Check              CheckSchema()
//
// Example:
//
//   CAIRN_ASSIGN_OR_RETURN(Filter f, Filter::Create(query.filter, CheckSchema()));
//   for (auto& check : checks) if (f.Matches(*check)) out.push_back(check);
//
// Selectors (case-sensitive):
//   Node:    ID Node Address Datacenter TaggedAddresses Meta CreateIndex ModifyIndex
//   Service: Kind ID Service Tags Address Meta Port Weights.Passing Weights.Warning
//            EnableTagOverride CreateIndex ModifyIndex
//   Check:   Node CheckID Name Status Notes Output ServiceID ServiceName ServiceTags Type
//            Definition.{HTTP TLSServerName TLSSkipVerify Method Body TCP H2PING GRPC
//            GRPCUseTLS AliasNode AliasService DockerContainerID Shell ScriptArgs}
//            CreateIndex ModifyIndex
//   ServiceInstance: Node.<Node> Service.<Service> Checks.<Check> (Checks: any element)
//   CatalogService: ID Node Address Datacenter TaggedAddresses NodeMeta ServiceKind
//            ServiceID ServiceName ServiceTags ServiceAddress ServiceMeta ServicePort
//            ServiceWeights.{Passing,Warning} ServiceEnableTagOverride CreateIndex ModifyIndex
// Service tagged addresses (a map of objects) are not filterable.
#ifndef CAIRN_CATALOG_SCHEMAS_H_
#define CAIRN_CATALOG_SCHEMAS_H_

#include <cairn/catalog/filter.h>
#include <cairn/catalog/types.h>

namespace cairn::catalog {

const TypedSchema<Node>& NodeSchema();
const TypedSchema<Service>& ServiceSchema();
const TypedSchema<Check>& CheckSchema();
const TypedSchema<ServiceInstance>& ServiceInstanceSchema();
const TypedSchema<CatalogService>& CatalogServiceSchema();

}  // namespace cairn::catalog

#endif  // CAIRN_CATALOG_SCHEMAS_H_
