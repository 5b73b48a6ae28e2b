// Health and catalog queries: passing filter, tag and node-meta filters, check states, and
// the DNS read interface.
#include <catch2/catch.hpp>

#include <cairn/catalog/catalog.h>

namespace cairn::catalog {
namespace {

// Three instances of "web": n1 all passing, n2 with a warning service check, n3 with its
// node in maintenance. One "db" on n1.
Catalog& Fixture() {
  static Catalog* cat = [] {
    auto* c = new Catalog();
    WriteTxn txn = c->BeginWrite(1);
    auto add = [&](std::string node, std::string dc, std::string env, std::string sid,
                   std::vector<std::string> tags, std::string svc_status, std::string node_status) {
      RegisterRequest r;
      r.node.name = node;
      r.node.address = "10.0.0." + std::to_string(node.back() - '0');
      r.node.datacenter = dc;
      r.node.meta = {{"env", env}};
      r.node.tagged_addresses = {{"wan", "192.0.2." + std::to_string(node.back() - '0')}};
      r.service = Service{};
      r.service->id = sid;
      r.service->service = "web";
      r.service->tags = tags;
      Check sc;
      sc.check_id = "svc:" + sid;
      sc.status = svc_status;
      sc.service_id = sid;
      Check nc;
      nc.check_id = "serfHealth";
      nc.status = node_status;
      r.checks = {sc, nc};
      REQUIRE(txn.Register(r).ok());
    };
    add("n1", "dc1", "prod", "web-1", {"v1", "Primary"}, "passing", "passing");
    add("n2", "dc1", "prod", "web-2", {"v1"}, "warning", "passing");
    add("n3", "dc2", "dev", "web-3", {"v2"}, "passing", "maintenance");
    RegisterRequest db;
    db.node.name = "n1";
    db.node.address = "10.0.0.1";
    db.node.datacenter = "dc1";
    db.node.meta = {{"env", "prod"}};
    db.node.tagged_addresses = {{"wan", "192.0.2.1"}};
    db.service = Service{};
    db.service->id = "db";
    db.service->service = "db";
    db.service->tags = {"v1", "a"};
    db.service->address = "10.9.9.9";
    REQUIRE(txn.Register(db).ok());
    REQUIRE(txn.Commit().ok());
    return c;
  }();
  return *cat;
}

std::vector<std::string> Nodes(const std::vector<ServiceInstance>& v) {
  std::vector<std::string> out;
  for (const auto& i : v) out.push_back(i.node->name);
  return out;
}

TEST_CASE("health service returns instances with node and service checks", "[unit]") {
  ReadView v = Fixture().Read();
  auto all = v.HealthService("web", {});
  REQUIRE(Nodes(all) == std::vector<std::string>{"n1", "n2", "n3"});
  REQUIRE(all[0].checks.size() == 2);
  CHECK(all[0].checks[0]->check_id == "serfHealth");  // node checks first
  CHECK(all[0].checks[1]->check_id == "svc:web-1");
  CHECK(all[0].AggregatedStatus() == "passing");
  CHECK(all[1].AggregatedStatus() == "warning");
  CHECK(all[2].AggregatedStatus() == "maintenance");
  CHECK(v.HealthService("nope", {}).empty());
}

TEST_CASE("passing filter drops warning, critical and maintenance", "[unit]") {
  ReadView v = Fixture().Read();
  ServiceQuery q;
  q.passing_only = true;
  CHECK(Nodes(v.HealthService("web", q)) == std::vector<std::string>{"n1"});
}

TEST_CASE("tag filters: all must match, case-insensitively", "[unit]") {
  ReadView v = Fixture().Read();
  ServiceQuery q;
  q.tags = {"v1"};
  CHECK(Nodes(v.HealthService("web", q)) == std::vector<std::string>{"n1", "n2"});
  q.tags = {"v1", "primary"};
  CHECK(Nodes(v.HealthService("web", q)) == std::vector<std::string>{"n1"});
  q.tags = {"v1", "v2"};
  CHECK(v.HealthService("web", q).empty());
  CHECK(v.ServiceNodes("web", q).empty());
  q.tags = {"V2"};
  CHECK(v.ServiceNodes("web", q).size() == 1);
}

TEST_CASE("node meta filters", "[unit]") {
  ReadView v = Fixture().Read();
  ServiceQuery q;
  q.node_meta = {{"env", "prod"}};
  CHECK(Nodes(v.HealthService("web", q)) == std::vector<std::string>{"n1", "n2"});
  CHECK(v.Nodes({{"env", "dev"}}).size() == 1);
  CHECK(v.Nodes({{"env", "dev"}, {"x", "y"}}).empty());
  CHECK(v.Services({{"env", "dev"}}).size() == 1);
  auto checks = v.ChecksInState("any", {{"env", "dev"}});
  REQUIRE(checks.ok());
  CHECK(checks->size() == 2);
}

TEST_CASE("checks by state", "[unit]") {
  ReadView v = Fixture().Read();
  auto count = [&](std::string_view state) {
    auto r = v.ChecksInState(state);
    REQUIRE(r.ok());
    return r->size();
  };
  CHECK(count("any") == 6);
  CHECK(count("passing") == 4);
  CHECK(count("warning") == 1);
  CHECK(count("critical") == 1);  // maintenance counts as critical
  CHECK(count("maintenance") == 1);
  CHECK(v.ChecksInState("bogus").status().message() == "Invalid check state: \"bogus\"");
  CHECK(v.NodeChecks("n2").size() == 2);
  CHECK(v.ServiceChecks("web").size() == 3);
}

TEST_CASE("catalog services and node services", "[unit]") {
  ReadView v = Fixture().Read();
  auto services = v.Services();
  REQUIRE(services.size() == 2);
  CHECK(services["web"] == std::vector<std::string>{"Primary", "v1", "v2"});
  CHECK(services["db"] == std::vector<std::string>{"a", "v1"});
  CHECK(v.NodeServices("n1").size() == 2);
  CHECK(v.ServiceNodes("db", {}).size() == 1);
}

TEST_CASE("dns source: health filters, tags, datacenter, addresses", "[unit]") {
  const DnsSource& dns = Fixture();
  CHECK(Nodes(dns.ServiceInstances("web", "", "", HealthFilter::kAll)).size() == 3);
  CHECK(Nodes(dns.ServiceInstances("WEB", "", "", HealthFilter::kNotCritical)) ==
        std::vector<std::string>{"n1", "n2"});
  CHECK(Nodes(dns.ServiceInstances("web", "", "", HealthFilter::kPassingOnly)) ==
        std::vector<std::string>{"n1"});
  CHECK(Nodes(dns.ServiceInstances("web", "v2", "", HealthFilter::kAll)) ==
        std::vector<std::string>{"n3"});
  CHECK(Nodes(dns.ServiceInstances("web", "", "dc2", HealthFilter::kAll)) ==
        std::vector<std::string>{"n3"});
  CHECK(dns.LookupNode("N2")->address == "10.0.0.2");
  CHECK_FALSE(dns.LookupNode("n9"));
  CHECK(dns.NodesByAddress("10.0.0.3").size() == 1);
  CHECK(dns.NodesByAddress("192.0.2.1").size() == 1);  // tagged addresses too
  auto by_addr = dns.ServicesByAddress("10.9.9.9");
  REQUIRE(by_addr.size() == 1);
  CHECK(by_addr[0].service->id == "db");
  CHECK(by_addr[0].node->name == "n1");
}

}  // namespace
}  // namespace cairn::catalog
