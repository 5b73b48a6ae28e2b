// A catalog filled with nodes, services and checks, and a Resolver over it, for the
// resolver tests. Replies are decoded with the codec.
#ifndef CAIRN_DNS_TESTS_RESOLVER_TEST_UTIL_H_
#define CAIRN_DNS_TESTS_RESOLVER_TEST_UTIL_H_

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <cairn/catalog/catalog.h>
#include <cairn/dns/resolver.h>

#include "test_util.h"

namespace cairn::dns::testing {

struct Instance {
  std::string node;
  std::string node_address;
  std::string service;
  std::string id;
  std::vector<std::string> tags;
  std::string service_address;
  int port = 80;
  std::string service_status = "passing";
  std::string node_status = "passing";
  catalog::StringMap meta;
};

// An instance with passing checks and no node meta.
inline Instance I(std::string node, std::string node_address, std::string service,
                  std::vector<std::string> tags = {}, std::string service_address = "",
                  int port = 80) {
  Instance in;
  in.node = std::move(node);
  in.node_address = std::move(node_address);
  in.service = service;
  in.id = std::move(service);
  in.tags = std::move(tags);
  in.service_address = std::move(service_address);
  in.port = port;
  return in;
}

inline void RegisterAll(catalog::Catalog& cat, const std::vector<Instance>& instances) {
  std::uint64_t index = cat.Read().LastIndex() + 1;
  catalog::WriteTxn txn = cat.BeginWrite(index);
  std::set<std::string> seen;
  for (const Instance& in : instances) {
    catalog::RegisterRequest r;
    r.skip_node_update = !seen.insert(in.node).second;  // the first entry sets the meta
    r.node.name = in.node;
    r.node.address = in.node_address;
    r.node.datacenter = "dc1";
    r.node.meta = in.meta;
    catalog::Check nc;
    nc.check_id = "serfHealth";
    nc.name = "serf";
    nc.status = in.node_status;
    r.checks.push_back(nc);
    if (!in.service.empty()) {
      catalog::Service s;
      s.id = in.id.empty() ? in.service : in.id;
      s.service = in.service;
      s.tags = in.tags;
      s.address = in.service_address;
      s.port = in.port;
      s.weights = {10, 3};
      r.service = s;
      catalog::Check sc;
      sc.check_id = "svc:" + s.id;
      sc.name = "svc";
      sc.status = in.service_status;
      sc.service_id = s.id;
      r.checks.push_back(sc);
    }
    absl::Status st = txn.Register(r);
    INFO(st.ToString());
    REQUIRE(st.ok());
  }
  REQUIRE(txn.Commit().ok());
}

// The standard fixture (addresses are the test's facts; see resolver_test.cc).
inline void FillCatalog(catalog::Catalog& cat) {
  std::vector<Instance> v;
  Instance n1 = I("n1", "10.0.0.1", "web", {"v1", "Primary"}, "", 8080);
  n1.meta = {{"env", "prod"}, {"rfc1035-raw", "verbatim"}, {"note", "c`d=e"}};
  v.push_back(n1);
  Instance n2 = I("n2", "10.0.0.2", "web", {"v2"}, "", 8081);
  n2.service_status = "warning";
  v.push_back(n2);
  Instance n3 = I("n3", "10.0.0.3", "web", {"v1"}, "", 8082);
  n3.node_status = "critical";
  v.push_back(n3);
  v.push_back(I("n1", "10.0.0.1", "db", {"primary"}, "192.0.2.10", 5432));
  v.push_back(I("n1", "10.0.0.1", "consul", {}, "", 8300));
  v.push_back(I("n6", "2001:db8::6", "v6svc", {}, "", 443));
  v.push_back(I("n6", "2001:db8::6", "consul", {}, "", 8300));
  v.push_back(I("ext", "example.org", "extsvc"));
  v.push_back(I("n2", "10.0.0.2", "alias", {}, "web.service.consul"));
  v.push_back(I("n2", "10.0.0.2", "self", {}, "self.service.consul", 81));
  for (int i = 0; i < 10; ++i) {
    v.push_back(
        I("b" + std::to_string(i), "10.1.0." + std::to_string(i + 1), "big10", {}, "", 9000 + i));
  }
  for (int i = 0; i < 100; ++i) {
    v.push_back(
        I("c" + std::to_string(i), "10.2.0." + std::to_string(i + 1), "big100", {}, "", 7000 + i));
  }
  RegisterAll(cat, v);
}

// Owns a catalog, an (unrun) io_context and a Resolver.
class Harness {
 public:
  explicit Harness(DnsConfig config = {}, base::MetricsRegistry* metrics = nullptr) {
    FillCatalog(catalog_);
    ResolverOptions options;
    options.config = std::move(config);
    options.datacenter = "dc1";
    options.node_name = "agent";
    options.metrics = metrics;
    auto r = Resolver::Create(catalog_, io_, options);
    REQUIRE(r.ok());
    resolver_ = std::move(*r);
  }

  // Asks `name` `type` and decodes the reply.
  Message Ask(std::string_view name, RrType type, Transport transport = Transport::kUdp,
              std::uint16_t edns_size = 0) {
    Message q;
    q.header.id = 4242;
    q.header.rd = true;
    q.questions.push_back({N(name), type, kClassIn});
    if (edns_size != 0) q.edns = Edns{edns_size, 0, false, 0, {}};
    std::size_t max = transport == Transport::kUdp ? MaxUdpResponseSize(q) : kMaxMessageSize;
    Bytes wire;
    REQUIRE(resolver_->Resolve(q, transport, max, &wire) == ResolveOutcome::kAnswered);
    last_size_ = wire.size();
    REQUIRE(wire.size() <= max);
    Message reply;
    absl::Status s = DecodeMessage(wire, &reply);
    REQUIRE(s.ok());
    REQUIRE(reply.header.id == 4242);
    REQUIRE(reply.header.qr);
    return reply;
  }

  catalog::Catalog& catalog() { return catalog_; }
  Resolver& resolver() { return *resolver_; }
  std::size_t last_size() const { return last_size_; }

 private:
  catalog::Catalog catalog_;
  boost::asio::io_context io_;
  std::unique_ptr<Resolver> resolver_;
  std::size_t last_size_ = 0;
};

inline std::string Ip(const ResourceRecord& rr) {
  if (const auto* a = std::get_if<ARdata>(&rr.rdata)) {
    return std::to_string(a->address[0]) + "." + std::to_string(a->address[1]) + "." +
           std::to_string(a->address[2]) + "." + std::to_string(a->address[3]);
  }
  if (const auto* a = std::get_if<AaaaRdata>(&rr.rdata)) {
    IpAddress ip;
    ip.is_v6 = true;
    ip.bytes = a->address;
    return ip.ToString();
  }
  return "";
}

inline std::multiset<std::string> Ips(const std::vector<ResourceRecord>& rrs) {
  std::multiset<std::string> out;
  for (const ResourceRecord& rr : rrs) {
    if (rr.type == RrType::kA || rr.type == RrType::kAaaa) out.insert(Ip(rr));
  }
  return out;
}

inline std::string Target(const ResourceRecord& rr) {
  if (const auto* s = std::get_if<SrvRdata>(&rr.rdata)) return s->target.ToString();
  if (const auto* d = std::get_if<DomainRdata>(&rr.rdata)) return d->name.ToString();
  return "";
}

inline std::vector<std::string> Txts(const std::vector<ResourceRecord>& rrs) {
  std::vector<std::string> out;
  for (const ResourceRecord& rr : rrs) {
    if (const auto* t = std::get_if<TxtRdata>(&rr.rdata)) {
      std::string joined;
      for (const std::string& s : t->strings) joined += s;
      out.push_back(joined);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline int CountType(const std::vector<ResourceRecord>& rrs, RrType type) {
  return static_cast<int>(std::count_if(rrs.begin(), rrs.end(),
                                        [&](const ResourceRecord& r) { return r.type == type; }));
}

}  // namespace cairn::dns::testing

#endif  // CAIRN_DNS_TESTS_RESOLVER_TEST_UTIL_H_
