// Register / deregister semantics, indexes, write transactions and watches.
#include <vector>

#include <catch2/catch.hpp>

#include <cairn/catalog/catalog.h>

namespace cairn::catalog {
namespace {

RegisterRequest Req(std::string node, std::string addr = "10.0.0.1") {
  RegisterRequest r;
  r.node.name = std::move(node);
  r.node.address = std::move(addr);
  return r;
}

Service Svc(std::string id, std::string name, std::vector<std::string> tags = {}) {
  Service s;
  s.id = std::move(id);
  s.service = std::move(name);
  s.tags = std::move(tags);
  return s;
}

Check Chk(std::string id, std::string status, std::string service_id = "") {
  Check c;
  c.check_id = std::move(id);
  c.name = c.check_id;
  c.status = std::move(status);
  c.service_id = std::move(service_id);
  return c;
}

WriteResult Apply(Catalog& cat, uint64_t index, const RegisterRequest& r) {
  WriteTxn txn = cat.BeginWrite(index);
  REQUIRE(txn.Register(r).ok());
  auto result = txn.Commit();
  REQUIRE(result.ok());
  return *result;
}

WriteResult Dereg(Catalog& cat, uint64_t index, DeregisterRequest d) {
  WriteTxn txn = cat.BeginWrite(index);
  REQUIRE(txn.Deregister(d).ok());
  auto result = txn.Commit();
  REQUIRE(result.ok());
  return *result;
}

TEST_CASE("register carries node, service and checks atomically", "[unit]") {
  Catalog cat;
  RegisterRequest r = Req("n1");
  r.service = Svc("web-1", "web", {"v1"});
  r.checks = {Chk("alive", "passing", "web-1"), Chk("serfHealth", "passing")};
  Apply(cat, 5, r);
  ReadView v = cat.Read();
  auto node = v.GetNode("n1");
  REQUIRE(node);
  CHECK(node->create_index == 5);
  auto svc = v.GetService("n1", "web-1");
  REQUIRE(svc);
  CHECK(svc->node == "n1");
  auto check = v.GetCheck("n1", "alive");
  REQUIRE(check);
  CHECK(check->service_name == "web");
  CHECK(check->service_tags == std::vector<std::string>{"v1"});
  CHECK(v.TableIndex(Table::kNodes) == 5);
  CHECK(v.TableIndex(Table::kChecks) == 5);
  CHECK(v.ServiceIndex("web") == 5);
  CHECK(v.LastIndex() == 5);

  // A check that names an unknown service fails and nothing of the request is applied.
  RegisterRequest bad = Req("n2");
  bad.service = Svc("db", "db");
  bad.checks = {Chk("c", "passing", "nope")};
  WriteTxn txn = cat.BeginWrite(6);
  absl::Status st = txn.Register(bad);
  CHECK(st.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(st.message() == "Missing service registration");
  REQUIRE(txn.Commit().ok());
  CHECK_FALSE(cat.Read().GetNode("n2"));
  CHECK(cat.Read().ServiceNodes("db", {}).empty());
}

TEST_CASE("register defaults and validation messages", "[unit]") {
  Catalog cat;
  WriteTxn txn = cat.BeginWrite(1);
  RegisterRequest r = Req("");
  CHECK(txn.Register(r).message() == "Must provide node");
  r = Req("n1", "");
  CHECK(txn.Register(r).message() == "Must provide address if SkipNodeUpdate is not set");
  r = Req("n1");
  r.node.id = "not-a-uuid";
  CHECK(txn.Register(r).message() == "Bad node ID: uuid string is wrong length");
  r = Req("n1");
  r.service = Svc("x", "");
  CHECK(txn.Register(r).message() == "Must provide service name with ID");
  r = Req("n1");
  r.checks = {Chk("c", "bogus")};
  CHECK(txn.Register(r).message() == "Invalid check status: \"bogus\"");
  r = Req("n1");
  r.node.meta = {{"bad key", "v"}};
  CHECK(txn.Register(r).message() ==
        "Invalid node metadata: Key contains invalid characters: \"bad key\"");

  r = Req("n1");
  r.service = Svc("", "web");  // ID defaults to the name
  Check c;
  c.name = "my check";  // CheckID defaults to the name; Status to critical
  r.checks = {c};
  REQUIRE(txn.Register(r).ok());
  auto result = txn.Commit();
  REQUIRE(result.ok());
  CHECK(cat.Read().GetService("n1", "web"));
  auto check = cat.Read().GetCheck("n1", "my check");
  REQUIRE(check);
  CHECK(check->status == "critical");
  CHECK(result->checks_critical == std::vector<CheckKey>{{"n1", "my check"}});
}

TEST_CASE("re-registering unchanged data bumps nothing", "[unit]") {
  Catalog cat;
  RegisterRequest r = Req("n1");
  r.service = Svc("web", "web");
  r.checks = {Chk("c", "passing", "web")};
  Apply(cat, 5, r);
  int wakes = 0;
  auto h = cat.WatchService("web", 5, [&](uint64_t) { ++wakes; });
  WriteResult again = Apply(cat, 6, r);
  CHECK_FALSE(again.changed);
  ReadView v = cat.Read();
  CHECK(v.GetNode("n1")->modify_index == 5);
  CHECK(v.GetService("n1", "web")->modify_index == 5);
  CHECK(v.GetCheck("n1", "c")->modify_index == 5);
  CHECK(v.TableIndex(Table::kServices) == 5);
  CHECK(wakes == 0);

  r.checks[0].output = "changed";
  WriteResult changed = Apply(cat, 7, r);
  CHECK(changed.changed);
  v = cat.Read();
  CHECK(v.GetCheck("n1", "c")->modify_index == 7);
  CHECK(v.GetCheck("n1", "c")->create_index == 5);
  CHECK(v.GetService("n1", "web")->modify_index == 5);
  CHECK(v.TableIndex(Table::kChecks) == 7);
  CHECK(v.TableIndex(Table::kServices) == 5);
  CHECK(v.ServiceIndex("web") == 7);  // its health changed
  CHECK(wakes == 1);
}

TEST_CASE("deregister cascades", "[unit]") {
  Catalog cat;
  RegisterRequest r = Req("n1");
  r.service = Svc("web", "web");
  r.checks = {Chk("svc", "passing", "web"), Chk("node", "passing")};
  Apply(cat, 1, r);
  r.service = Svc("db", "db");
  r.checks = {Chk("dbc", "passing", "db")};
  Apply(cat, 2, r);

  WriteResult res = Dereg(cat, 3, {"n1", "web", ""});
  CHECK(res.checks_deregistered == std::vector<CheckKey>{{"n1", "svc"}});
  ReadView v = cat.Read();
  CHECK_FALSE(v.GetService("n1", "web"));
  CHECK_FALSE(v.GetCheck("n1", "svc"));
  CHECK(v.GetCheck("n1", "node"));
  CHECK(v.ServiceIndex("web") == 3);  // gone: falls back to the tables' index

  res = Dereg(cat, 4, {"n1", "", "node"});
  CHECK(res.checks_deregistered == std::vector<CheckKey>{{"n1", "node"}});
  CHECK(cat.Read().GetService("n1", "db"));

  res = Dereg(cat, 5, {"n1", "", ""});
  CHECK(res.nodes_deregistered == std::vector<std::string>{"n1"});
  CHECK(res.checks_deregistered == std::vector<CheckKey>{{"n1", "dbc"}});
  v = cat.Read();
  CHECK(v.Nodes().empty());
  CHECK(v.Services().empty());
  CHECK(v.NodeChecks("n1").empty());

  // Deregistering what does not exist is a no-op that changes no index.
  res = Dereg(cat, 6, {"ghost", "", ""});
  CHECK_FALSE(res.changed);
  CHECK(cat.Read().TableIndex(Table::kNodes) == 5);
}

TEST_CASE("node IDs are unique and rename nodes", "[unit]") {
  Catalog cat;
  const std::string id = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
  RegisterRequest r = Req("old");
  r.node.id = id;
  r.service = Svc("web", "web");
  Apply(cat, 1, r);
  RegisterRequest renamed = Req("new");
  renamed.node.id = id;
  WriteResult res = Apply(cat, 2, renamed);
  CHECK(res.nodes_deregistered == std::vector<std::string>{"old"});
  CHECK_FALSE(cat.Read().GetNode("old"));
  CHECK(cat.Read().GetNode("new")->id == id);

  // Another ID may not take a live node's name.
  RegisterRequest thief = Req("new");
  thief.node.id = "11111111-2222-3333-4444-555555555555";
  WriteTxn txn = cat.BeginWrite(3);
  CHECK(txn.Register(thief).code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("names are case-insensitive keys", "[unit]") {
  Catalog cat;
  RegisterRequest r = Req("Node-A");
  r.service = Svc("Web-1", "Web");
  Apply(cat, 1, r);
  ReadView v = cat.Read();
  CHECK(v.GetNode("node-a")->name == "Node-A");
  CHECK(v.GetService("NODE-A", "web-1"));
  CHECK(v.ServiceNodes("web", {}).size() == 1);
}

TEST_CASE("transaction operations with cas", "[unit]") {
  Catalog cat;
  WriteTxn txn = cat.BeginWrite(10);
  Node n;
  n.name = "n1";
  n.address = "a";
  REQUIRE(txn.SetNode(n, 0).ok());
  CHECK(txn.SetNode(n, 0).message() == "failed to set node \"n1\", index is stale");
  CHECK(txn.View().GetNode("n1"));  // the transaction sees its own writes
  CHECK_FALSE(cat.Read().GetNode("n1"));
  REQUIRE(txn.SetService("n1", Svc("s", "s")).ok());
  CHECK(txn.SetService("n1", Svc("s", "s"), 3).code() == absl::StatusCode::kAborted);
  CHECK(txn.SetService("nope", Svc("s", "s")).message() == "Missing node registration");
  REQUIRE(txn.Commit().ok());
  CHECK(txn.SetNode(n).code() == absl::StatusCode::kFailedPrecondition);

  WriteTxn t2 = cat.BeginWrite(11);
  CHECK(t2.DeleteNode("n1", 9).message() == "failed to delete node \"n1\", index is stale");
  CHECK(t2.DeleteService("n1", "s", 10).ok());
  CHECK(t2.DeleteCheck("n1", "none", 1).code() == absl::StatusCode::kAborted);
  n.address = "b";
  REQUIRE(t2.SetNode(n, 10).ok());
  REQUIRE(t2.Commit().ok());
  CHECK(cat.Read().GetNode("n1")->address == "b");
  CHECK(cat.Read().NodeServices("n1").empty());
}

TEST_CASE("commit rules: index order, discarded and concurrent transactions", "[unit]") {
  Catalog cat;
  Apply(cat, 5, Req("n1"));
  WriteTxn stale = cat.BeginWrite(5);
  CHECK(stale.Register(Req("n2")).code() == absl::StatusCode::kFailedPrecondition);
  CHECK(stale.Commit().status().code() == absl::StatusCode::kFailedPrecondition);
  {
    WriteTxn dropped = cat.BeginWrite(6);
    REQUIRE(dropped.Register(Req("n3")).ok());
  }
  CHECK_FALSE(cat.Read().GetNode("n3"));
  WriteTxn a = cat.BeginWrite(7);
  WriteTxn b = cat.BeginWrite(8);
  REQUIRE(a.Register(Req("a")).ok());
  REQUIRE(b.Register(Req("b")).ok());
  REQUIRE(a.Commit().ok());
  CHECK(b.Commit().status().code() == absl::StatusCode::kAborted);
  CHECK_FALSE(cat.Read().GetNode("b"));
}

TEST_CASE("a reader's view is isolated from later writes", "[unit]") {
  Catalog cat;
  Apply(cat, 1, Req("n1"));
  ReadView before = cat.Read();
  Dereg(cat, 2, {"n1", "", ""});
  CHECK(before.GetNode("n1"));
  CHECK(before.LastIndex() == 1);
  CHECK_FALSE(cat.Read().GetNode("n1"));
}

TEST_CASE("watches wake only what changed", "[unit]") {
  Catalog cat;
  RegisterRequest r = Req("n1");
  r.service = Svc("web", "web");
  Apply(cat, 1, r);
  r = Req("n2");
  r.service = Svc("db", "db");
  Apply(cat, 2, r);

  std::vector<std::string> woke;
  auto on = [&](std::string what) { return [&woke, what](uint64_t) { woke.push_back(what); }; };
  auto w_web = cat.WatchService("web", 2, on("web"));
  auto w_db = cat.WatchService("db", 2, on("db"));
  auto w_web2 = cat.WatchService("web2", 2, on("web2"));
  auto w_n1 = cat.WatchNode("n1", 2, on("n1"));
  auto w_n2 = cat.WatchNode("n2", 2, on("n2"));
  auto w_checks = cat.WatchTable(Table::kChecks, 2, on("checks"));
  auto w_nodes = cat.WatchTable(Table::kNodes, 2, on("nodes"));
  CHECK(cat.watchers() == 7);

  // A service check on web: wakes web, n1 and the checks table only.
  r = Req("n1");
  r.checks = {Chk("c", "passing", "web")};
  Apply(cat, 3, r);
  std::sort(woke.begin(), woke.end());
  CHECK(woke == std::vector<std::string>{"checks", "n1", "web"});
  woke.clear();

  // A node check on n2 changes every instance on n2: db, n2, checks (already fired).
  auto w_checks2 = cat.WatchTable(Table::kChecks, 3, on("checks"));
  r = Req("n2");
  r.checks = {Chk("serfHealth", "critical")};
  Apply(cat, 4, r);
  std::sort(woke.begin(), woke.end());
  CHECK(woke == std::vector<std::string>{"checks", "db", "n2"});
  CHECK(cat.watchers() == 2);  // web2 and nodes still waiting
  CHECK(w_web2.active());
  CHECK(w_nodes.active());
}

}  // namespace
}  // namespace cairn::catalog
