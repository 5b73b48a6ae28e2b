// The Resolver against a real catalog (spec/dns.md §3–§12): every lookup form, health
// filtering, TTLs, limits and truncation, negative answers. Answers are compared as sets
// because the resolver shuffles (spec §16).
#include <atomic>
#include <random>
#include <thread>

#include <catch2/catch.hpp>

#include <cairn/base/clock.h>
#include <cairn/base/metrics.h>
#include <cairn/dns/resolver.h>

#include "resolver_test_util.h"

namespace cairn::dns {
namespace {

using testing::CountType;
using testing::Harness;
using testing::Ip;
using testing::Ips;
using testing::N;
using testing::Target;
using testing::Txts;
using Set = std::multiset<std::string>;

void RequireSoa(const Message& m, std::string_view zone) {
  REQUIRE(m.authorities.size() == 1);
  const ResourceRecord& rr = m.authorities[0];
  REQUIRE(rr.type == RrType::kSoa);
  CHECK(rr.name == N(zone));
  const auto& soa = std::get<SoaRdata>(rr.rdata);
  CHECK(soa.mname == N(std::string("ns.") + std::string(zone)));
  CHECK(soa.rname == N(std::string("hostmaster.") + std::string(zone)));
  CHECK(soa.refresh == 3600);
  CHECK(soa.retry == 600);
  CHECK(soa.expire == 86400);
  CHECK(soa.minimum == 0);
  CHECK(soa.serial > 1'600'000'000u);
}

TEST_CASE("node A lookup answers the address with meta TXT in additional", "[unit]") {
  Harness h;
  Message m = h.Ask("n1.node.consul", RrType::kA);
  CHECK(m.header.rcode == kNoError);
  CHECK(m.header.aa);
  CHECK_FALSE(m.header.ra);
  REQUIRE(m.answers.size() == 1);
  CHECK(m.answers[0].type == RrType::kA);
  CHECK(m.answers[0].name == N("n1.node.consul"));
  CHECK(Ip(m.answers[0]) == "10.0.0.1");
  CHECK(m.answers[0].ttl == 0);
  CHECK(Txts(m.additionals) == std::vector<std::string>{"env=prod", "note=c``d=e", "verbatim"});
  CHECK(m.authorities.empty());
}

TEST_CASE("node ANY puts A and TXT in the answer and TXT gives only meta", "[unit]") {
  Harness h;
  Message any = h.Ask("n1.node.dc1.consul", RrType::kAny, Transport::kTcp);
  CHECK(CountType(any.answers, RrType::kA) == 1);
  CHECK(CountType(any.answers, RrType::kTxt) == 3);
  // Over classic UDP udp_answer_limit (3) applies to these answers too, as in Consul.
  CHECK(h.Ask("n1.node.dc1.consul", RrType::kAny).answers.size() == 3);
  Message txt = h.Ask("n1.node.consul", RrType::kTxt);
  REQUIRE(txt.answers.size() == 3);
  CHECK(CountType(txt.answers, RrType::kTxt) == 3);
  CHECK(txt.additionals.empty());
}

TEST_CASE("node meta TXT in additional can be turned off", "[unit]") {
  DnsConfig c;
  c.enable_additional_node_meta_txt = false;
  Harness h(c);
  Message m = h.Ask("n1.node.consul", RrType::kA);
  REQUIRE(m.answers.size() == 1);
  CHECK(m.additionals.empty());
}

TEST_CASE("unknown node is NXDOMAIN with the SOA", "[unit]") {
  Harness h;
  Message m = h.Ask("nope.node.consul", RrType::kA);
  CHECK(m.header.rcode == kNxDomain);
  CHECK(m.header.aa);
  CHECK(m.answers.empty());
  RequireSoa(m, "consul.");
}

TEST_CASE("node of another family or other qtype is an empty NOERROR", "[unit]") {
  Harness h;
  Message aaaa = h.Ask("n1.node.consul", RrType::kAaaa);
  CHECK(aaaa.header.rcode == kNoError);
  CHECK(aaaa.answers.empty());
  CHECK(aaaa.authorities.empty());
  Message v6 = h.Ask("n6.node.consul", RrType::kAaaa);
  REQUIRE(v6.answers.size() == 1);
  CHECK(Ip(v6.answers[0]) == "2001:db8::6");
  Message mx = h.Ask("n1.node.consul", RrType::kMx);
  CHECK(mx.header.rcode == kNoError);
  CHECK(mx.answers.empty());
}

TEST_CASE("node with a hostname address answers a CNAME", "[unit]") {
  Harness h;
  Message m = h.Ask("ext.node.consul", RrType::kA);
  REQUIRE(m.answers.size() == 1);
  CHECK(m.answers[0].type == RrType::kCname);
  CHECK(Target(m.answers[0]) == "example.org.");
}

TEST_CASE("unknown datacenter is NXDOMAIN and the local one answers", "[unit]") {
  Harness h;
  CHECK(h.Ask("n1.node.dc1.consul", RrType::kA).answers.size() == 1);
  CHECK(h.Ask("n1.node.dc1.dc.consul", RrType::kA).answers.size() == 1);
  Message m = h.Ask("n1.node.dc9.consul", RrType::kA);
  CHECK(m.header.rcode == kNxDomain);
  RequireSoa(m, "consul.");
  Message s = h.Ask("web.service.dc9.consul", RrType::kSrv);
  CHECK(s.header.rcode == kNxDomain);
  RequireSoa(s, "consul.");
}

TEST_CASE("service A returns passing and warning instances but not critical ones", "[unit]") {
  Harness h;
  Message m = h.Ask("web.service.consul", RrType::kA);
  CHECK(m.header.rcode == kNoError);
  CHECK(Ips(m.answers) == Set{"10.0.0.1", "10.0.0.2"});
  for (const ResourceRecord& rr : m.answers) CHECK(rr.name == N("web.service.consul"));
}

TEST_CASE("only_passing drops warning instances", "[unit]") {
  DnsConfig c;
  c.only_passing = true;
  Harness h(c);
  CHECK(Ips(h.Ask("web.service.consul", RrType::kA).answers) == Set{"10.0.0.1"});
}

TEST_CASE("names are case-insensitive and answers keep the question spelling", "[unit]") {
  Harness h;
  Message m = h.Ask("WeB.SeRvIcE.CoNsUl", RrType::kA);
  REQUIRE(m.answers.size() == 2);
  for (const ResourceRecord& rr : m.answers) {
    CHECK(rr.name.ToString() == "WeB.SeRvIcE.CoNsUl.");
  }
  CHECK(h.Ask("N1.NODE.CONSUL", RrType::kA).answers.size() == 1);
  CHECK(Ips(h.Ask("PRIMARY.web.service.consul", RrType::kA).answers) == Set{"10.0.0.1"});
}

TEST_CASE("tag lookups filter instances", "[unit]") {
  Harness h;
  CHECK(Ips(h.Ask("v1.web.service.consul", RrType::kA).answers) == Set{"10.0.0.1"});
  CHECK(Ips(h.Ask("v2.web.service.consul", RrType::kA).answers) == Set{"10.0.0.2"});
  Message none = h.Ask("v9.web.service.consul", RrType::kA);
  CHECK(none.header.rcode == kNxDomain);
  RequireSoa(none, "consul.");
}

TEST_CASE("SRV answers carry node targets with addresses in additional", "[unit]") {
  Harness h;
  Message m = h.Ask("web.service.consul", RrType::kSrv);
  REQUIRE(m.answers.size() == 2);
  std::set<std::string> targets;
  for (const ResourceRecord& rr : m.answers) {
    const auto& srv = std::get<SrvRdata>(rr.rdata);
    CHECK(srv.priority == 1);
    targets.insert(Target(rr));
    if (Target(rr) == "n1.node.dc1.consul.") {
      CHECK(srv.port == 8080);
      CHECK(srv.weight == 10);  // passing weight
    } else {
      CHECK(srv.port == 8081);
      CHECK(srv.weight == 3);  // warning weight
    }
  }
  CHECK(targets == std::set<std::string>{"n1.node.dc1.consul.", "n2.node.dc1.consul."});
  CHECK(Ips(m.additionals) == Set{"10.0.0.1", "10.0.0.2"});
  for (const ResourceRecord& rr : m.additionals) {
    if (rr.type == RrType::kA && Ip(rr) == "10.0.0.1") CHECK(rr.name == N("n1.node.dc1.consul"));
  }
  // Node meta TXT of n1 rides along, named after the node.
  CHECK(Txts(m.additionals).size() == 3);
}

TEST_CASE("SRV for a service address uses the addr form", "[unit]") {
  Harness h;
  Message m = h.Ask("db.service.consul", RrType::kSrv);
  REQUIRE(m.answers.size() == 1);
  CHECK(Target(m.answers[0]) == "c000020a.addr.dc1.consul.");
  CHECK(std::get<SrvRdata>(m.answers[0].rdata).port == 5432);
  REQUIRE(CountType(m.additionals, RrType::kA) == 1);
  const auto it = std::find_if(m.additionals.begin(), m.additionals.end(),
                               [](const ResourceRecord& r) { return r.type == RrType::kA; });
  CHECK(it->name == N("c000020a.addr.dc1.consul"));
  CHECK(Ip(*it) == "192.0.2.10");
  // A questions answer the service address, not the node's.
  CHECK(Ips(h.Ask("db.service.consul", RrType::kA).answers) == Set{"192.0.2.10"});
}

TEST_CASE("RFC 2782 names with and without the service label", "[unit]") {
  Harness h;
  Message tag = h.Ask("_web._v1.service.consul", RrType::kSrv);
  REQUIRE(tag.answers.size() == 1);
  CHECK(Target(tag.answers[0]) == "n1.node.dc1.consul.");
  CHECK(h.Ask("_web._tcp.service.consul", RrType::kSrv).answers.size() == 2);
  CHECK(h.Ask("_web._tcp.consul", RrType::kSrv).answers.size() == 2);
  CHECK(h.Ask("_web._tcp.service.dc1.consul", RrType::kSrv).answers.size() == 2);
  CHECK(h.Ask("_db._primary.service.consul", RrType::kSrv).answers.size() == 1);
  Message udp = h.Ask("_web._udp.service.consul", RrType::kSrv);  // udp is a tag
  CHECK(udp.header.rcode == kNxDomain);
}

TEST_CASE("unknown service is NXDOMAIN and a missing family is NODATA", "[unit]") {
  Harness h;
  Message nx = h.Ask("nope.service.consul", RrType::kA);
  CHECK(nx.header.rcode == kNxDomain);
  RequireSoa(nx, "consul.");
  Message nodata = h.Ask("web.service.consul", RrType::kAaaa);
  CHECK(nodata.header.rcode == kNoError);
  CHECK(nodata.answers.empty());
  RequireSoa(nodata, "consul.");
  Message mx = h.Ask("web.service.consul", RrType::kMx);
  CHECK(mx.header.rcode == kNoError);
  CHECK(mx.answers.empty());
  RequireSoa(mx, "consul.");
  // TXT behaves like A for services (Go quirk).
  CHECK(Ips(h.Ask("web.service.consul", RrType::kTxt).answers) == Set{"10.0.0.1", "10.0.0.2"});
  CHECK(Ips(h.Ask("v6svc.service.consul", RrType::kAaaa).answers) == Set{"2001:db8::6"});
}

TEST_CASE("a service address naming a Consul service is a CNAME resolved inside", "[unit]") {
  Harness h;
  Message m = h.Ask("alias.service.consul", RrType::kA);
  REQUIRE(m.answers.size() >= 3);
  CHECK(m.answers[0].type == RrType::kCname);
  CHECK(Target(m.answers[0]) == "web.service.consul.");
  CHECK(Ips(m.answers) == Set{"10.0.0.1", "10.0.0.2"});
}

TEST_CASE("a hostname SRV target gets its resolved records in additional", "[unit]") {
  Harness h;
  Message m = h.Ask("alias.service.consul", RrType::kSrv);
  REQUIRE(m.answers.size() == 1);
  CHECK(Target(m.answers[0]) == "web.service.consul.");
  CHECK(Ips(m.additionals) == Set{"10.0.0.1", "10.0.0.2"});
}

TEST_CASE("a service address naming the question itself means the node address", "[unit]") {
  Harness h;
  CHECK(Ips(h.Ask("self.service.consul", RrType::kA).answers) == Set{"10.0.0.2"});
  Message srv = h.Ask("self.service.consul", RrType::kSrv);
  REQUIRE(srv.answers.size() == 1);
  CHECK(Target(srv.answers[0]) == "n2.node.dc1.consul.");
  CHECK(Ips(srv.additionals) == Set{"10.0.0.2"});
}

TEST_CASE("a query without a question is FORMERR", "[unit]") {
  Harness h;
  Message q;
  q.header.id = 9;
  testing::Bytes out;
  REQUIRE(h.resolver().Resolve(q, Transport::kUdp, 512, &out) == ResolveOutcome::kAnswered);
  Message reply;
  REQUIRE(DecodeMessage(out, &reply).ok());
  CHECK(reply.header.rcode == kFormErr);
  CHECK(reply.header.id == 9);
}

TEST_CASE("addr names decode the hex address", "[unit]") {
  Harness h;
  Message a = h.Ask("c000020a.addr.consul", RrType::kA);
  REQUIRE(a.answers.size() == 1);
  CHECK(Ip(a.answers[0]) == "192.0.2.10");
  CHECK(a.answers[0].name == N("c000020a.addr.consul"));
  Message v6 = h.Ask("20010db800010002cafe000000001337.addr.dc1.consul", RrType::kAaaa);
  REQUIRE(v6.answers.size() == 1);
  CHECK(Ip(v6.answers[0]) == "2001:db8:1:2:cafe::1337");
  Message other = h.Ask("c000020a.addr.consul", RrType::kAaaa);
  CHECK(other.header.rcode == kNoError);
  CHECK(other.answers.empty());
  CHECK(other.additionals.size() == 1);
  Message bad = h.Ask("zz00020a.addr.consul", RrType::kA);
  CHECK(bad.header.rcode == kNxDomain);
  RequireSoa(bad, "consul.");
}

TEST_CASE("PTR answers node and service addresses", "[unit]") {
  Harness h;
  Message node = h.Ask("1.0.0.10.in-addr.arpa", RrType::kPtr);
  REQUIRE(node.answers.size() == 1);
  CHECK(node.answers[0].type == RrType::kPtr);
  CHECK(Target(node.answers[0]) == "n1.node.dc1.consul.");
  CHECK(node.answers[0].ttl == 0);
  Message svc = h.Ask("10.2.0.192.in-addr.arpa", RrType::kPtr);
  REQUIRE(svc.answers.size() == 1);
  CHECK(Target(svc.answers[0]) == "db.service.dc1.consul.");
  Message v6 = h.Ask("6.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
                     RrType::kPtr);
  REQUIRE(v6.answers.size() == 1);
  CHECK(Target(v6.answers[0]) == "n6.node.dc1.consul.");
  Message nx = h.Ask("9.9.9.10.in-addr.arpa", RrType::kPtr);
  CHECK(nx.header.rcode == kNxDomain);
  RequireSoa(nx, "consul.");
}

TEST_CASE("SOA and NS for any name in the domain", "[unit]") {
  Harness h;
  Message soa = h.Ask("consul", RrType::kSoa);
  REQUIRE(soa.answers.size() == 1);
  CHECK(soa.answers[0].type == RrType::kSoa);
  REQUIRE(soa.authorities.size() == 2);  // the consul service runs on n1 and n6
  std::set<std::string> ns;
  for (const ResourceRecord& rr : soa.authorities) {
    CHECK(rr.type == RrType::kNs);
    CHECK(rr.name == N("consul"));
    ns.insert(Target(rr));
  }
  CHECK(ns == std::set<std::string>{"n1.node.dc1.consul.", "n6.node.dc1.consul."});
  CHECK(Ips(soa.additionals) == Set{"10.0.0.1", "2001:db8::6"});
  Message nsq = h.Ask("web.service.consul", RrType::kNs);
  CHECK(nsq.header.rcode == kNoError);
  CHECK(CountType(nsq.answers, RrType::kNs) == 2);
  CHECK(Ips(nsq.additionals) == Set{"10.0.0.1", "2001:db8::6"});
}

TEST_CASE("names with no valid form are NXDOMAIN and AXFR is NOTIMP", "[unit]") {
  Harness h;
  for (const char* name : {"foo.consul", "consul", "web.connect.consul", "x.query.consul",
                           "web.service.a.b.c.consul"}) {
    Message m = h.Ask(name, RrType::kA);
    CHECK(m.header.rcode == kNxDomain);
    RequireSoa(m, "consul.");
  }
  CHECK(h.Ask("web.service.consul", RrType::kAxfr).header.rcode == kNotImp);
}

TEST_CASE("names outside the domain are REFUSED without recursors", "[unit]") {
  Harness h;
  Message m = h.Ask("example.com", RrType::kA);
  CHECK(m.header.rcode == kRefused);
  CHECK(m.answers.empty());
  CHECK(m.questions.size() == 1);
}

TEST_CASE("alt_domain answers with alt names", "[unit]") {
  DnsConfig c;
  c.alt_domain = "Test-Domain";
  Harness h(c);
  Message m = h.Ask("web.service.test-domain", RrType::kSrv);
  REQUIRE(m.answers.size() == 2);
  for (const ResourceRecord& rr : m.answers) {
    CHECK(N(Target(rr)).IsSubdomainOf(N("test-domain")));
  }
  Message nx = h.Ask("nope.service.test-domain", RrType::kA);
  CHECK(nx.header.rcode == kNxDomain);
  RequireSoa(nx, "test-domain.");
  // PTR always names the primary domain.
  CHECK(Target(h.Ask("1.0.0.10.in-addr.arpa", RrType::kPtr).answers.at(0)) ==
        "n1.node.dc1.consul.");
  CHECK(h.Ask("web.service.consul", RrType::kA).answers.size() == 2);
}

TEST_CASE("node_ttl and service_ttl with wildcards", "[unit]") {
  DnsConfig c;
  c.node_ttl = std::chrono::seconds(10);
  c.service_ttl["*"] = std::chrono::seconds(5);
  c.service_ttl["big*"] = std::chrono::seconds(7);
  c.service_ttl["big1*"] = std::chrono::milliseconds(8900);  // truncated to 8
  c.service_ttl["WEB"] = std::chrono::seconds(9);
  Harness h(c);
  CHECK(h.Ask("n1.node.consul", RrType::kA).answers.at(0).ttl == 10);
  CHECK(h.Ask("c000020a.addr.consul", RrType::kA).answers.at(0).ttl == 10);
  CHECK(h.Ask("web.service.consul", RrType::kA).answers.at(0).ttl == 9);
  CHECK(h.Ask("db.service.consul", RrType::kA).answers.at(0).ttl == 5);
  CHECK(h.Ask("big10.service.consul", RrType::kA).answers.at(0).ttl == 8);
  Message srv = h.Ask("web.service.consul", RrType::kSrv);
  CHECK(srv.answers.at(0).ttl == 9);
  CHECK(srv.additionals.at(0).ttl == 9);
  CHECK(ServiceTtl(c, "bigger") == std::chrono::seconds(7));
  CHECK(ServiceTtl(DnsConfig{}, "web") == std::chrono::seconds(0));
}

TEST_CASE("classic UDP answers are cut to udp_answer_limit without TC", "[unit]") {
  Harness h;
  Message m = h.Ask("big10.service.consul", RrType::kA);
  CHECK(m.answers.size() == 3);
  CHECK_FALSE(m.header.tc);
  Message srv = h.Ask("big10.service.consul", RrType::kSrv);
  CHECK(srv.answers.size() == 3);
  // The additional section follows the SRV answers left.
  std::set<std::string> targets;
  for (const ResourceRecord& rr : srv.answers) targets.insert(Target(rr));
  std::set<std::string> extra;
  for (const ResourceRecord& rr : srv.additionals) extra.insert(rr.name.ToString());
  CHECK(extra == targets);
}

TEST_CASE("enable_truncate sets TC and udp_answer_limit is capped at 8", "[unit]") {
  DnsConfig c;
  c.enable_truncate = true;
  c.udp_answer_limit = 20;
  Harness h(c);
  Message m = h.Ask("big10.service.consul", RrType::kA);
  CHECK(m.answers.size() == 8);
  CHECK(m.header.tc);
  Message small = h.Ask("web.service.consul", RrType::kA);
  CHECK_FALSE(small.header.tc);
}

TEST_CASE("EDNS and TCP give all answers and the size cut applies to big ones", "[unit]") {
  Harness h;
  CHECK(h.Ask("big10.service.consul", RrType::kA, Transport::kUdp, 4096).answers.size() == 10);
  CHECK(h.Ask("big10.service.consul", RrType::kA, Transport::kTcp).answers.size() == 10);
  CHECK(h.Ask("big100.service.consul", RrType::kA, Transport::kTcp).answers.size() == 100);
  Message srv = h.Ask("big100.service.consul", RrType::kSrv, Transport::kTcp);
  CHECK(srv.answers.size() == 100);
  CHECK(CountType(srv.additionals, RrType::kA) == 100);
  // 100 SRV records with their additional records do not fit in 1232 bytes: cut by
  // size, additional kept in step, no TC by default.
  Message cut = h.Ask("big100.service.consul", RrType::kSrv, Transport::kUdp, 1232);
  CHECK(cut.answers.size() > 3);
  CHECK(cut.answers.size() < 100);
  CHECK(h.last_size() <= 1232 - 8);
  CHECK_FALSE(cut.header.tc);
  CHECK(CountType(cut.additionals, RrType::kA) == static_cast<int>(cut.answers.size()));
  REQUIRE(cut.edns.has_value());
  CHECK(cut.edns->udp_size == 1232);
  Message a = h.Ask("big100.service.consul", RrType::kA, Transport::kUdp, 1232);
  CHECK(a.answers.size() > 10);
  CHECK(a.answers.size() < 100);
}

TEST_CASE("a_record_limit caps address answers on UDP and TCP but not SRV", "[unit]") {
  DnsConfig c;
  c.a_record_limit = 2;
  Harness h(c);
  CHECK(h.Ask("big10.service.consul", RrType::kA, Transport::kTcp).answers.size() == 2);
  CHECK(h.Ask("big10.service.consul", RrType::kA, Transport::kUdp, 4096).answers.size() == 2);
  CHECK(h.Ask("big10.service.consul", RrType::kSrv, Transport::kTcp).answers.size() == 10);
}

TEST_CASE("answers are shuffled", "[unit]") {
  Harness h;
  std::set<std::string> firsts;
  for (int i = 0; i < 60 && firsts.size() < 2; ++i) {
    firsts.insert(Ip(h.Ask("big10.service.consul", RrType::kA, Transport::kTcp).answers.at(0)));
  }
  // Ten instances in random order: the chance of 60 equal first answers is 10^-59.
  CHECK(firsts.size() >= 2);
}

TEST_CASE("catalog changes show in the next answer", "[unit]") {
  Harness h;
  CHECK(h.Ask("web.service.consul", RrType::kA).answers.size() == 2);
  testing::Instance down = testing::I("n2", "10.0.0.2", "web", {"v2"}, "", 8081);
  down.service_status = "critical";
  testing::RegisterAll(h.catalog(), {down});
  CHECK(Ips(h.Ask("web.service.consul", RrType::kA).answers) == Set{"10.0.0.1"});
}

TEST_CASE("node meta changes show in cached SRV answers", "[unit]") {
  Harness h;
  CHECK(Txts(h.Ask("db.service.consul", RrType::kSrv).additionals).size() == 3);
  catalog::WriteTxn txn = h.catalog().BeginWrite(h.catalog().Read().LastIndex() + 1);
  catalog::Node n1 = *h.catalog().Read().GetNode("n1");
  n1.meta = {{"env", "dev"}};
  REQUIRE(txn.SetNode(n1).ok());
  REQUIRE(txn.Commit().ok());
  CHECK(Txts(h.Ask("db.service.consul", RrType::kSrv).additionals) ==
        std::vector<std::string>{"env=dev"});
}

// A DnsSource that gives no versions (the interface's default): nothing is cached.
class Unversioned : public catalog::DnsSource {
 public:
  explicit Unversioned(const catalog::Catalog& c) : c_(c) {}
  std::vector<catalog::ServiceInstance> ServiceInstances(std::string_view s, std::string_view t,
                                                         std::string_view dc,
                                                         catalog::HealthFilter f) const override {
    ++calls;
    return c_.ServiceInstances(s, t, dc, f);
  }
  std::shared_ptr<const catalog::Node> LookupNode(std::string_view n) const override {
    return c_.LookupNode(n);
  }
  std::vector<std::shared_ptr<const catalog::Node>> NodesByAddress(
      std::string_view a) const override {
    return c_.NodesByAddress(a);
  }
  std::vector<catalog::CatalogService> ServicesByAddress(std::string_view a) const override {
    return c_.ServicesByAddress(a);
  }
  mutable int calls = 0;

 private:
  const catalog::Catalog& c_;
};

TEST_CASE("a DnsSource without versions is read on every query", "[unit]") {
  catalog::Catalog cat;
  testing::FillCatalog(cat);
  Unversioned source(cat);
  boost::asio::io_context io;
  auto r = Resolver::Create(source, io, ResolverOptions{});
  REQUIRE(r.ok());
  Message q;
  q.questions.push_back({N("web.service.consul"), RrType::kA, kClassIn});
  testing::Bytes out;
  for (int i = 0; i < 3; ++i) {
    REQUIRE((*r)->Resolve(q, Transport::kUdp, 512, &out) == ResolveOutcome::kAnswered);
    Message reply;
    REQUIRE(DecodeMessage(out, &reply).ok());
    CHECK(Ips(reply.answers) == Set{"10.0.0.1", "10.0.0.2"});
  }
  CHECK(source.calls == 3);
}

TEST_CASE("queries run concurrently with catalog writes and reloads", "[unit]") {
  Harness h;
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::atomic<int> answered{0};
  auto reader = [&] {
    Message q;
    q.questions.push_back({N("web.service.consul"), RrType::kSrv, kClassIn});
    testing::Bytes out;
    Message reply;
    // Catch2 is not thread-safe: count problems here, check them on the test thread.
    while (!done.load() || answered.load() < 100) {
      if (h.resolver().Resolve(q, Transport::kTcp, kMaxMessageSize, &out) !=
              ResolveOutcome::kAnswered ||
          !DecodeMessage(out, &reply).ok() || reply.answers.empty() || reply.answers.size() > 2) {
        bad.fetch_add(1);
      }
      answered.fetch_add(1);
    }
  };
  std::thread t1(reader), t2(reader);
  for (int i = 0; i < 200; ++i) {
    testing::Instance n2 = testing::I("n2", "10.0.0.2", "web", {"v2"}, "", 8081);
    n2.service_status = i % 2 == 0 ? "critical" : "passing";
    testing::RegisterAll(h.catalog(), {n2});
    if (i % 50 == 0) {
      DnsConfig c;
      c.only_passing = i % 100 == 0;
      REQUIRE(h.resolver().Reconfigure(c).ok());
    }
  }
  done.store(true);
  t1.join();
  t2.join();
  CHECK(bad.load() == 0);
  CHECK(answered.load() >= 100);
}

TEST_CASE("random questions always get a decodable reply within the size limit", "[unit]") {
  DnsConfig c;
  c.alt_domain = "alt";
  c.a_record_limit = 0;
  c.enable_truncate = true;
  Harness h(c);
  std::mt19937 rng(20261121);  // fixed seed: reproducible
  const std::vector<std::string> labels = {
      "web",  "big10", "big100",  "db",   "alias",  "self",     "ext",     "n1",
      "n6",   "v1",    "Primary", "_web", "_tcp",   "_v1",      "service", "node",
      "addr", "query", "dc1",     "dc",   "dc9",    "c000020a", "connect", "peer",
      "1",    "10",    "in-addr", "arpa", "consul", "alt",      "x"};
  const std::vector<RrType> types = {RrType::kA,   RrType::kAaaa, RrType::kSrv,  RrType::kTxt,
                                     RrType::kAny, RrType::kPtr,  RrType::kSoa,  RrType::kNs,
                                     RrType::kMx,  RrType::kAxfr, RrType::kCname};
  int replies = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string name;
    const int n = 1 + static_cast<int>(rng() % 6);
    for (int k = 0; k < n; ++k) name += labels[rng() % labels.size()] + ".";
    name += rng() % 2 ? "consul." : "alt.";
    Message q;
    q.header.id = static_cast<std::uint16_t>(i);
    q.questions.push_back({N(name), types[rng() % types.size()], kClassIn});
    if (rng() % 2) q.edns = Edns{static_cast<std::uint16_t>(rng() % 5000), 0, false, 0, {}};
    const Transport t = rng() % 3 == 0 ? Transport::kTcp : Transport::kUdp;
    const std::size_t max = t == Transport::kUdp ? MaxUdpResponseSize(q) : kMaxMessageSize;
    testing::Bytes out;
    INFO(name);
    REQUIRE(h.resolver().Resolve(q, t, max, &out) == ResolveOutcome::kAnswered);
    CHECK(out.size() <= max);
    Message reply;
    REQUIRE(DecodeMessage(out, &reply).ok());
    CHECK(reply.header.id == q.header.id);
    ++replies;
  }
  CHECK(replies == 3000);
}

TEST_CASE("Reconfigure swaps the configuration and rejects bad ones", "[unit]") {
  Harness h;
  DnsConfig c;
  c.only_passing = true;
  REQUIRE(h.resolver().Reconfigure(c).ok());
  CHECK(Ips(h.Ask("web.service.consul", RrType::kA).answers) == Set{"10.0.0.1"});
  DnsConfig bad;
  bad.alt_domain = "service.example";
  CHECK(absl::IsInvalidArgument(h.resolver().Reconfigure(bad)));
  bad = DnsConfig{};
  bad.recursors = {"not-an-ip"};
  CHECK(absl::IsInvalidArgument(h.resolver().Reconfigure(bad)));
  CHECK(Ips(h.Ask("web.service.consul", RrType::kA).answers) == Set{"10.0.0.1"});
}

TEST_CASE("DnsConfig defaults equal Consul's and validation rejects bad values", "[unit]") {
  DnsConfig c;
  CHECK(c.domain == "consul.");
  CHECK(c.allow_stale);
  CHECK(c.max_stale == std::chrono::hours(87600));
  CHECK(c.udp_answer_limit == 3);
  CHECK(c.a_record_limit == 0);
  CHECK(c.recursor_timeout == std::chrono::seconds(2));
  CHECK(c.enable_additional_node_meta_txt);
  CHECK(c.port == 8600);
  CHECK(ValidateDnsConfig(c, "dc1").ok());
  c.alt_domain = "dc1.example";
  CHECK(absl::IsInvalidArgument(ValidateDnsConfig(c, "dc1")));
  c.alt_domain = "node";
  CHECK(absl::IsInvalidArgument(ValidateDnsConfig(c, "dc1")));
  c.alt_domain = "";
  c.a_record_limit = -1;
  CHECK(absl::IsInvalidArgument(ValidateDnsConfig(c, "dc1")));
  c.a_record_limit = 0;
  c.domain = "a..b";
  CHECK(absl::IsInvalidArgument(ValidateDnsConfig(c, "dc1")));
  DnsConfig r;
  r.recursors = {"127.0.0.1", "127.0.0.1:53", "[::1]:5353"};
  auto f = ForwarderOptionsFromConfig(r);
  REQUIRE(f.ok());
  CHECK(f->recursors.size() == 2);  // duplicates dropped
  CHECK(f->recursors[1].port == 5353);
}

TEST_CASE("compression can be disabled", "[unit]") {
  DnsConfig c;
  c.disable_compression = true;
  Harness plain(c);
  Harness compressed;
  plain.Ask("web.service.consul", RrType::kSrv, Transport::kTcp);
  compressed.Ask("web.service.consul", RrType::kSrv, Transport::kTcp);
  CHECK(plain.last_size() > compressed.last_size());
}

TEST_CASE("resolver metrics count responses by rcode", "[unit]") {
  base::SimulatedClock clock;
  base::MetricsRegistry metrics(clock);
  {
    Harness h(DnsConfig{}, &metrics);
    h.Ask("web.service.consul", RrType::kA);
    h.Ask("nope.service.consul", RrType::kA);
    h.Ask("1.0.0.10.in-addr.arpa", RrType::kPtr);
    h.Ask("example.com", RrType::kA);
  }
  CHECK(metrics.GetCounter("cairn.dns.responses", {{"rcode", "NOERROR"}}).Value() == 2);
  CHECK(metrics.GetCounter("cairn.dns.responses", {{"rcode", "NXDOMAIN"}}).Value() == 1);
  CHECK(metrics.GetCounter("cairn.dns.responses", {{"rcode", "REFUSED"}}).Value() == 1);
  CHECK(metrics.GetSample("consul.dns.domain_query", {{"node", "agent"}}).Count() == 2);
  CHECK(metrics.GetSample("consul.dns.ptr_query", {{"node", "agent"}}).Count() == 1);
}

}  // namespace
}  // namespace cairn::dns
