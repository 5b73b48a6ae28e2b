// Randomized comparison against a deliberately simple reference model (plain std::maps,
// no structural sharing, no secondary indexes), plus concurrent readers during writes
// (run under -DCAIRN_TSAN=ON for the data-race check).
#include <atomic>
#include <cstdio>
#include <map>
#include <random>
#include <thread>

#include <catch2/catch.hpp>

#include <cairn/catalog/catalog.h>

namespace cairn::catalog {
namespace {

// The model: what each record holds and the index at which it last changed.
struct Model {
  struct NodeRec {
    std::string address;
    uint64_t modify = 0;
  };
  struct SvcRec {
    std::string name;
    std::vector<std::string> tags;
    uint64_t modify = 0;
  };
  struct CheckRec {
    std::string status, service_id;
    uint64_t modify = 0;
    // The service's name and tags when the check was written (Consul copies them in).
    std::string service_name;
    std::vector<std::string> service_tags;
  };
  std::map<std::string, NodeRec> nodes;
  std::map<std::pair<std::string, std::string>, SvcRec> services;
  std::map<std::pair<std::string, std::string>, CheckRec> checks;
  uint64_t table_index[3] = {0, 0, 0};

  // Applies a register; returns false (and changes nothing) when it must fail.
  bool Register(const RegisterRequest& r, uint64_t idx) {
    Model next = *this;
    std::string n = r.node.name;
    auto& node = next.nodes[n];
    if (node.modify == 0 || node.address != r.node.address) {
      node.address = r.node.address;
      node.modify = idx;
      next.table_index[0] = idx;
    }
    if (r.service) {
      auto& s = next.services[{n, r.service->id}];
      if (s.modify == 0 || s.name != r.service->service || s.tags != r.service->tags) {
        s = {r.service->service, r.service->tags, idx};
        next.table_index[1] = idx;
      }
    }
    for (const Check& c : r.checks) {
      std::string svc_name;
      std::vector<std::string> svc_tags;
      if (!c.service_id.empty()) {
        auto svc = next.services.find({n, c.service_id});
        if (svc == next.services.end()) return false;
        svc_name = svc->second.name;
        svc_tags = svc->second.tags;
      }
      auto& rec = next.checks[{n, c.check_id}];
      if (rec.modify == 0 || rec.status != c.status || rec.service_id != c.service_id ||
          rec.service_name != svc_name || rec.service_tags != svc_tags) {
        rec = {c.status, c.service_id, idx, svc_name, svc_tags};
        next.table_index[2] = idx;
      }
    }
    *this = std::move(next);
    return true;
  }

  void DropChecks(const std::string& n, const std::string* sid, uint64_t idx) {
    for (auto it = checks.begin(); it != checks.end();) {
      if (it->first.first == n && (!sid || it->second.service_id == *sid)) {
        it = checks.erase(it);
        table_index[2] = idx;
      } else {
        ++it;
      }
    }
  }

  void Deregister(const DeregisterRequest& d, uint64_t idx) {
    if (!d.service_id.empty()) {
      if (services.erase({d.node, d.service_id})) {
        table_index[1] = idx;
        DropChecks(d.node, &d.service_id, idx);
      }
    } else if (!d.check_id.empty()) {
      if (checks.erase({d.node, d.check_id})) table_index[2] = idx;
    } else if (nodes.erase(d.node)) {
      table_index[0] = idx;
      DropChecks(d.node, nullptr, idx);
      for (auto it = services.begin(); it != services.end();) {
        if (it->first.first == d.node) {
          it = services.erase(it);
          table_index[1] = idx;
        } else {
          ++it;
        }
      }
    }
  }
};

void Compare(const Model& m, const ReadView& v) {
  auto nodes = v.Nodes();
  REQUIRE(nodes.size() == m.nodes.size());
  for (const auto& n : nodes) {
    auto it = m.nodes.find(n->name);
    REQUIRE(it != m.nodes.end());
    CHECK(n->address == it->second.address);
    CHECK(n->modify_index == it->second.modify);
  }
  std::size_t services = 0;
  for (const auto& [key, rec] : m.services) {
    auto s = v.GetService(key.first, key.second);
    REQUIRE(s);
    CHECK(s->service == rec.name);
    CHECK(s->tags == rec.tags);
    CHECK(s->modify_index == rec.modify);
    ++services;
  }
  std::size_t listed = 0;
  for (const auto& n : nodes) listed += v.NodeServices(n->name).size();
  CHECK(listed == services);
  auto all = v.ChecksInState("any");
  REQUIRE(all.ok());
  REQUIRE(all->size() == m.checks.size());
  for (const auto& c : *all) {
    auto it = m.checks.find({c->node, c->check_id});
    REQUIRE(it != m.checks.end());
    CHECK(c->status == it->second.status);
    CHECK(c->service_id == it->second.service_id);
    CHECK(c->modify_index == it->second.modify);
  }
  for (int t = 0; t < 3; ++t) CHECK(v.TableIndex(static_cast<Table>(t)) == m.table_index[t]);
  // Health: an instance passes when its node checks and its own checks all pass.
  for (const char* name : {"web", "db", "cache"}) {
    std::size_t want = 0, want_all = 0;
    for (const auto& [key, rec] : m.services) {
      if (rec.name != name) continue;
      ++want_all;
      bool ok = true;
      for (const auto& [ck, crec] : m.checks) {
        if (ck.first == key.first && (crec.service_id.empty() || crec.service_id == key.second))
          ok = ok && crec.status == "passing";
      }
      want += ok;
    }
    ServiceQuery q;
    CHECK(v.HealthService(name, q).size() == want_all);
    q.passing_only = true;
    CHECK(v.HealthService(name, q).size() == want);
  }
}

TEST_CASE("catalog matches a reference model over random operations", "[unit]") {
  const uint32_t seed = 20261121;
  std::printf("catalog model test seed %u\n", seed);
  std::mt19937 rng(seed);
  auto pick = [&](std::initializer_list<const char*> xs) {
    return std::string(xs.begin()[rng() % xs.size()]);
  };
  Catalog cat;
  Model model;
  uint64_t idx = 0;
  for (int step = 0; step < 3000; ++step) {
    ++idx;
    WriteTxn txn = cat.BeginWrite(idx);
    std::string node = pick({"n1", "n2", "n3", "n4"});
    int op = static_cast<int>(rng() % 10);
    INFO("seed " << seed << " step " << step << " op " << op);
    if (op < 6) {
      RegisterRequest r;
      r.node.name = node;
      r.node.address = pick({"10.0.0.1", "10.0.0.2"});
      if (rng() % 2) {
        r.service = Service{};
        r.service->id = pick({"s1", "s2", "s3"});
        r.service->service = pick({"web", "db", "cache"});
        if (rng() % 2) r.service->tags = {pick({"a", "b"})};
      }
      for (int i = static_cast<int>(rng() % 3); i > 0; --i) {
        Check c;
        c.check_id = pick({"c1", "c2", "c3"});
        c.status = pick({"passing", "passing", "warning", "critical", "maintenance"});
        if (rng() % 2) c.service_id = pick({"s1", "s2", "s3"});
        // Within one request a check ID may appear twice; the last one wins in both.
        r.checks.push_back(c);
      }
      bool model_ok = model.Register(r, idx);
      absl::Status st = txn.Register(r);
      REQUIRE(st.ok() == model_ok);
      if (!st.ok()) CHECK(st.message() == "Missing service registration");
    } else {
      DeregisterRequest d;
      d.node = node;
      if (op == 7) d.service_id = pick({"s1", "s2", "s3"});
      if (op == 8) d.check_id = pick({"c1", "c2", "c3"});
      model.Deregister(d, idx);
      REQUIRE(txn.Deregister(d).ok());
    }
    REQUIRE(txn.Commit().ok());
    if (step % 10 == 0 || step > 2950) Compare(model, cat.Read());
  }
  // The final state survives a snapshot round trip.
  std::string stream;
  REQUIRE(cat.Read()
              .WriteSnapshot([&](std::string_view c) {
                stream.append(c);
                return absl::OkStatus();
              })
              .ok());
  Catalog restored;
  REQUIRE(restored.Restore(stream).ok());
  Compare(model, restored.Read());
}

TEST_CASE("concurrent readers always see a consistent catalog", "[unit]") {
  Catalog cat;
  std::atomic<bool> done{false};
  std::atomic<int> views{0};
  std::atomic<int> broken{0};  // Catch2 assertions are not thread-safe: count instead
  auto reader = [&] {
    while (!done.load()) {
      ReadView v = cat.Read();
      for (const auto& n : v.Nodes()) {
        for (const auto& s : v.NodeServices(n->name)) {
          if (!v.GetNode(s->node)) broken.fetch_add(1);
        }
      }
      auto instances = v.HealthService("web", {});
      // Each instance is registered with its node check and its service check at once.
      for (const auto& inst : instances) {
        if (inst.checks.size() != 2) broken.fetch_add(1);
      }
      views.fetch_add(1);
    }
  };
  std::thread r1(reader), r2(reader);
  for (uint64_t i = 1; i <= 2000; ++i) {
    WriteTxn txn = cat.BeginWrite(i);
    RegisterRequest r;
    r.node.name = "n" + std::to_string(i % 50);
    r.node.address = "10.0.0.1";
    r.service = Service{};
    r.service->id = "web";
    r.service->service = "web";
    r.service->port = static_cast<int>(i);
    Check a, b;
    a.check_id = "node";
    a.status = i % 2 ? "passing" : "critical";
    b.check_id = "svc";
    b.service_id = "web";
    b.status = "passing";
    r.checks = {a, b};
    REQUIRE(txn.Register(r).ok());
    if (i % 7 == 0) REQUIRE(txn.Deregister({"n" + std::to_string((i + 3) % 50), "", ""}).ok());
    REQUIRE(txn.Commit().ok());
  }
  done.store(true);
  r1.join();
  r2.join();
  CHECK(views.load() > 0);
  CHECK(broken.load() == 0);
  CHECK(cat.Read().LastIndex() == 2000);
}

}  // namespace
}  // namespace cairn::catalog
