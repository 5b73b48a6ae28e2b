// SerfCore against serf 0.9.4's rules (serf.go, delegate.go, query.go,
// internal_query.go, keymanager.go): a few cores wired by a fake host that plays
// memberlist (direct delivery of user messages and of every queued broadcast).
#include <map>
#include <memory>

#include <catch2/catch.hpp>

#include <cairn/gossip/serf.h>

namespace cairn::gossip {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

struct Cluster;

struct Node : SerfHost {
  Cluster* cluster = nullptr;
  std::string name;
  std::unique_ptr<SerfCore> core;
  std::vector<SerfEvent> events;
  std::optional<Keyring> ring;
  std::vector<std::string> joins;
  std::string meta;
  bool lost = false;

  void SendToAddress(const std::string& ip, uint16_t port, const std::string&,
                     std::string msg) override;
  int NumMembers() const override;
  void Join(std::vector<std::string> a) override { joins.insert(joins.end(), a.begin(), a.end()); }
  absl::Status UpdateMeta(std::string m) override {
    meta = std::move(m);
    return absl::OkStatus();
  }
  Keyring* keyring() override { return ring ? &*ring : nullptr; }
  void ConflictLost() override { lost = true; }

  SerfNodeInfo Info() const {
    return SerfNodeInfo{.name = name,
                        .addr = std::string("\x7f\x00\x00\x01", 4),
                        .port = Port(),
                        .meta = core->NodeMeta(512),
                        .pmin = 1,
                        .pmax = 5,
                        .pcur = 2,
                        .dmin = 2,
                        .dmax = 5,
                        .dcur = 5};
  }
  uint16_t Port() const { return core->config().advertise_port; }

  std::vector<SerfUserEvent> UserEvents() const {
    std::vector<SerfUserEvent> out;
    for (const SerfEvent& e : events) {
      if (auto* u = std::get_if<SerfUserEvent>(&e)) out.push_back(*u);
    }
    return out;
  }
  std::vector<std::pair<MemberEventType, std::string>> MemberEvents() const {
    std::vector<std::pair<MemberEventType, std::string>> out;
    for (const SerfEvent& e : events) {
      if (auto* m = std::get_if<MemberEvent>(&e)) out.emplace_back(m->type, m->members[0].name);
    }
    return out;
  }
};

struct Cluster {
  TimePoint now = TimePoint(std::chrono::hours(1));
  std::vector<std::unique_ptr<Node>> nodes;
  int alive = 0;

  Node& Add(std::string name, TagList tags = {}) {
    auto n = std::make_unique<Node>();
    n->cluster = this;
    n->name = name;
    SerfConfig c{.node_name = name,
                 .tags = std::move(tags),
                 .advertise_ip = std::string("\x7f\x00\x00\x01", 4),
                 .advertise_port = static_cast<uint16_t>(7000 + nodes.size())};
    Node* raw = n.get();
    n->core = std::make_unique<SerfCore>(
        std::move(c), *n, [raw](SerfEvent e) { raw->events.push_back(std::move(e)); }, now,
        /*seed=*/nodes.size() + 1);
    nodes.push_back(std::move(n));
    return *raw;
  }
  // Everyone learns of everyone through "memberlist".
  void JoinAll() {
    alive = static_cast<int>(nodes.size());
    for (auto& a : nodes) {
      for (auto& b : nodes) a->core->NotifyJoin(b->Info(), now);
    }
  }
  Node* ByPort(uint16_t port) {
    for (auto& n : nodes) {
      if (n->Port() == port) return n.get();
    }
    return nullptr;
  }
  // Gossip rounds: each node's broadcasts go to every other node.
  void Gossip(int rounds = 20) {
    for (int r = 0; r < rounds; ++r) {
      for (auto& from : nodes) {
        for (std::string& msg : from->core->GetBroadcasts(2, 1400)) {
          for (auto& to : nodes) {
            if (to.get() != from.get()) to->core->NotifyMsg(msg, now);
          }
        }
      }
    }
  }
  void Advance(Duration d) {
    now += d;
    for (auto& n : nodes) n->core->Tick(now);
  }
};

void Node::SendToAddress(const std::string&, uint16_t port, const std::string&, std::string msg) {
  if (Node* to = cluster->ByPort(port)) to->core->NotifyMsg(msg, cluster->now);
}
int Node::NumMembers() const { return cluster->alive; }

TEST_CASE("serf clocks start at 1 and a user event reaches every node once", "[unit]") {
  Cluster c;
  Node& a = c.Add("a");
  Node& b = c.Add("b");
  Node& d = c.Add("d");
  c.JoinAll();
  CHECK(a.core->clock() == 1);
  CHECK(a.core->event_clock() == 1);
  REQUIRE(a.core->UserEvent("deploy", std::string("v1"), true, c.now).ok());
  CHECK(a.core->event_clock() == 2);
  c.Gossip();
  for (Node* n : {&a, &b, &d}) {
    auto evs = n->UserEvents();
    REQUIRE(evs.size() == 1);
    CHECK(evs[0].name == "deploy");
    CHECK(evs[0].payload == std::optional<std::string>("v1"));
    CHECK(evs[0].ltime == 1);
    CHECK(evs[0].coalesce);
  }
  // Push/pull replays the ring: still delivered once.
  b.core->MergeRemoteState(a.core->LocalState(false), false, c.now);
  CHECK(b.UserEvents().size() == 1);
  CHECK(b.core->event_clock() >= 2);
}

TEST_CASE("serf user event size limits", "[unit]") {
  Cluster c;
  Node& a = c.Add("a");
  c.JoinAll();
  CHECK(a.core->UserEvent(std::string(600, 'x'), std::nullopt, false, c.now).code() ==
        absl::StatusCode::kInvalidArgument);
  // Fits before encoding, not after.
  CHECK(a.core->UserEvent(std::string(500, 'x'), std::nullopt, false, c.now).code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(a.core->event_clock() == 1);
}

TEST_CASE("serf graceful leave is left, silent death is failed, then reaped", "[unit]") {
  Cluster c;
  Node& a = c.Add("a");
  Node& b = c.Add("b");
  Node& d = c.Add("d");
  c.JoinAll();
  bool sent = false;
  REQUIRE(b.core->Leave([&] { sent = true; }).ok());
  CHECK(b.core->Leave(nullptr).code() == absl::StatusCode::kFailedPrecondition);
  c.Gossip();
  CHECK(sent);
  REQUIRE(a.core->Member("b")->status == MemberStatus::kLeaving);
  a.core->NotifyLeave(b.Info(), c.now);
  CHECK(a.core->Member("b")->status == MemberStatus::kLeft);
  a.core->NotifyLeave(d.Info(), c.now);
  CHECK(a.core->Member("d")->status == MemberStatus::kFailed);
  auto ev = a.MemberEvents();
  REQUIRE(ev.size() == 5);
  CHECK(ev[3] == std::pair{MemberEventType::kLeave, std::string("b")});
  CHECK(ev[4] == std::pair{MemberEventType::kFailed, std::string("d")});
  // Left members travel in push/pull so others move failed -> left.
  Node& e = c.Add("e");
  e.core->NotifyJoin(a.Info(), c.now);
  e.core->NotifyJoin(b.Info(), c.now);
  e.core->NotifyLeave(b.Info(), c.now);
  CHECK(e.core->Member("b")->status == MemberStatus::kFailed);
  e.core->MergeRemoteState(a.core->LocalState(false), false, c.now);
  CHECK(e.core->Member("b")->status == MemberStatus::kLeft);
  // Tombstones go after 24 h, failed members after reconnect_timeout (72 h by default).
  c.Advance(std::chrono::hours(23));
  CHECK(a.core->Member("b").has_value());
  c.Advance(std::chrono::hours(2));
  CHECK_FALSE(a.core->Member("b").has_value());
  CHECK(a.core->Member("d").has_value());
  c.Advance(std::chrono::hours(48));
  CHECK_FALSE(a.core->Member("d").has_value());
  CHECK(a.MemberEvents().back().first == MemberEventType::kReap);
}

TEST_CASE("serf a failed member that comes back is a join again", "[unit]") {
  Cluster c;
  Node& a = c.Add("a");
  Node& b = c.Add("b");
  c.JoinAll();
  a.core->NotifyLeave(b.Info(), c.now);
  CHECK(a.core->Member("b")->status == MemberStatus::kFailed);
  // Reconnect: with one failed of one alive, the probability is 1.
  c.Advance(seconds(31));
  REQUIRE(a.joins.size() == 1);
  CHECK(a.joins[0] == "b/127.0.0.1:7001");
  a.core->NotifyJoin(b.Info(), c.now);
  CHECK(a.core->Member("b")->status == MemberStatus::kAlive);
  c.Advance(std::chrono::hours(80));
  CHECK(a.core->Member("b").has_value());
}

TEST_CASE("serf intents: stale leave about ourselves is refuted, early intents buffered",
          "[unit]") {
  Cluster c;
  Node& a = c.Add("a");
  Node& b = c.Add("b");
  c.JoinAll();
  // A leave intent for b from the past: b refutes with a join at a newer time.
  b.core->NotifyMsg(EncodeSerfMessage(SerfLeave{.ltime = 5, .node = "b"}), c.now);
  CHECK(b.core->Member("b")->status == MemberStatus::kAlive);
  CHECK(b.core->clock() >= 6);
  a.core->NotifyMsg(EncodeSerfMessage(SerfLeave{.ltime = 5, .node = "b"}), c.now);
  CHECK(a.core->Member("b")->status == MemberStatus::kLeaving);
  c.Gossip();
  CHECK(a.core->Member("b")->status == MemberStatus::kAlive);
  // Intent for a node memberlist has not told us about yet.
  a.core->NotifyMsg(EncodeSerfMessage(SerfLeave{.ltime = 50, .node = "z"}), c.now);
  SerfNodeInfo z{.name = std::string(1, 'z'), .addr = b.Info().addr, .port = 9999, .meta = {}};
  a.core->NotifyJoin(z, c.now);
  CHECK(a.core->Member("z")->status == MemberStatus::kLeaving);
  // Prune erases the member.
  a.core->NotifyMsg(EncodeSerfMessage(SerfLeave{.ltime = 51, .node = "z", .prune = true}), c.now);
  CHECK_FALSE(a.core->Member("z").has_value());
}

TEST_CASE("serf query with ack, response and filters", "[unit]") {
  Cluster c;
  Node& a = c.Add("a", {{"role", "web"}});
  Node& b = c.Add("b", {{"role", "db"}});
  Node& d = c.Add("d", {{"role", "web"}, {"dc", "dc1"}});
  c.JoinAll();
  std::vector<std::string> acks;
  std::map<std::string, std::string> responses;
  bool done = false;
  QueryCallbacks cb;
  cb.on_ack = [&](const std::string& from) { acks.push_back(from); };
  cb.on_response = [&](const std::string& from, const std::optional<std::string>& p) {
    responses[from] = p.value_or("");
  };
  cb.on_done = [&] { done = true; };
  QueryParams params{.filter_tags = {{"role", "^w.b$"}}, .request_ack = true};
  auto id = a.core->Query("uptime", std::string("x"), params, std::move(cb), c.now);
  REQUIRE(id.ok());
  c.Gossip();
  std::sort(acks.begin(), acks.end());
  CHECK(acks == std::vector<std::string>{"a", "d"});
  CHECK(b.events.size() == 3);  // three joins only: the filter kept b out
  for (Node* n : {&a, &d}) {
    auto* q = std::get_if<IncomingQuery>(&n->events.back());
    REQUIRE(q != nullptr);
    CHECK(q->name == "uptime");
    REQUIRE(n->core->Respond(*q, "up " + n->name, c.now).ok());
    CHECK(n->core->Respond(*q, "again", c.now).code() == absl::StatusCode::kFailedPrecondition);
  }
  CHECK(responses == std::map<std::string, std::string>{{"a", "up a"}, {"d", "up d"}});
  CHECK(a.core->DefaultQueryTimeout() == milliseconds(3200));
  c.Advance(seconds(2));
  CHECK_FALSE(done);
  c.Advance(seconds(2));
  CHECK(done);
  // Node filter and a bad regexp.
  auto id2 = a.core->Query("n", std::nullopt, QueryParams{.filter_nodes = {"b"}}, {}, c.now);
  REQUIRE(id2.ok());
  auto id3 =
      a.core->Query("r", std::nullopt, QueryParams{.filter_tags = {{"role", "("}}}, {}, c.now);
  REQUIRE(id3.ok());
  c.Gossip();
  auto* qb = std::get_if<IncomingQuery>(&b.events.back());
  REQUIRE(qb != nullptr);
  CHECK(qb->name == "n");
  CHECK(std::get_if<IncomingQuery>(&d.events.back())->name == "uptime");
}

TEST_CASE("serf query response is late past the deadline", "[unit]") {
  Cluster c;
  Node& a = c.Add("a");
  Node& b = c.Add("b");
  c.JoinAll();
  REQUIRE(a.core->Query("q", std::nullopt, QueryParams{.timeout = seconds(1)}, {}, c.now).ok());
  c.Gossip();
  auto* q = std::get_if<IncomingQuery>(&b.events.back());
  REQUIRE(q != nullptr);
  c.now += seconds(2);
  CHECK(b.core->Respond(*q, "late", c.now).code() == absl::StatusCode::kFailedPrecondition);
  CHECK(b.core->Respond(*q, std::string(2000, 'x'), c.now).code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("serf query responses are relayed through other members", "[unit]") {
  Cluster c;
  Node& a = c.Add("a");
  c.Add("b");
  c.Add("d");
  c.JoinAll();
  std::map<std::string, int> got;
  QueryCallbacks cb;
  cb.on_response = [&](const std::string& from, const std::optional<std::string>&) { got[from]++; };
  REQUIRE(
      a.core->Query("q", std::nullopt, QueryParams{.relay_factor = 1}, std::move(cb), c.now).ok());
  c.Gossip();
  for (auto& n : c.nodes) {
    auto* q = std::get_if<IncomingQuery>(&n->events.back());
    REQUIRE(q != nullptr);
    REQUIRE(n->core->Respond(*q, "r", c.now).ok());
  }
  // Direct plus relayed copies arrive; each responder counts once.
  CHECK(got == std::map<std::string, int>{{"a", 1}, {"b", 1}, {"d", 1}});
}

TEST_CASE("serf key operations install use remove list across the cluster", "[unit]") {
  Cluster c;
  std::string k1(32, '\x01'), k2(32, '\x02');
  for (const char* name : {"a", "b", "d"}) c.Add(name).ring = *Keyring::Create({k1});
  c.JoinAll();
  Node& a = *c.nodes[0];
  std::optional<KeyOpResult> res;
  auto run = [&](KeyOp op, std::string key) {
    res.reset();
    REQUIRE(a.core
                ->KeyOperation(
                    op, Base64Encode(key), 0, [&](KeyOpResult r) { res = std::move(r); }, c.now)
                .ok());
    c.Gossip();
    REQUIRE(res.has_value());  // finished once all three answered, before the timeout
  };
  run(KeyOp::kInstall, k2);
  CHECK(res->status.ok());
  CHECK(res->num_resp == 3);
  for (auto& n : c.nodes) CHECK(n->ring->keys().size() == 2);
  run(KeyOp::kUse, k2);
  CHECK(res->status.ok());
  for (auto& n : c.nodes) CHECK(n->ring->primary() == k2);
  run(KeyOp::kList, "");
  CHECK(res->keys == std::map<std::string, int>{{Base64Encode(k1), 3}, {Base64Encode(k2), 3}});
  CHECK(res->primary_keys == std::map<std::string, int>{{Base64Encode(k2), 3}});
  run(KeyOp::kRemove, k2);  // the primary: every node refuses
  CHECK_FALSE(res->status.ok());
  CHECK(res->num_err == 3);
  CHECK(res->messages.at("b") == "removing the primary key is not allowed");
  run(KeyOp::kRemove, k1);
  CHECK(res->status.ok());
  for (auto& n : c.nodes) CHECK(n->ring->keys() == std::vector<std::string>{k2});
  CHECK(a.core->KeyOperation(KeyOp::kInstall, "!!", 0, nullptr, c.now).code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("serf key operations without encryption report failure", "[unit]") {
  Cluster c;
  Node& a = c.Add("a");
  c.Add("b");
  c.JoinAll();
  std::optional<KeyOpResult> res;
  REQUIRE(a.core
              ->KeyOperation(
                  KeyOp::kList, "", 0, [&](KeyOpResult r) { res = std::move(r); }, c.now)
              .ok());
  c.Gossip();
  REQUIRE(res.has_value());
  CHECK(res->num_err == 2);
  CHECK(res->messages.at("b") == "Keyring is empty (encryption not enabled)");
}

TEST_CASE("serf name conflict resolution keeps the majority's node", "[unit]") {
  Cluster c;
  Node& a = c.Add("a");
  Node& b = c.Add("b");
  Node& d = c.Add("d");
  c.JoinAll();
  SerfNodeInfo other = a.Info();
  other.port = 9999;
  a.core->NotifyConflict(a.Info(), other, c.now);
  c.Gossip();
  c.Advance(seconds(5));
  CHECK_FALSE(a.lost);  // b and d both know a at 7000
  // Now b and d believe "a" lives elsewhere: a loses the vote.
  for (Node* n : {&b, &d}) n->core->NotifyJoin(other, c.now);
  a.core->NotifyConflict(a.Info(), other, c.now);
  c.Gossip();
  c.Advance(seconds(5));
  CHECK(a.lost);
}

TEST_CASE("serf tags: meta, update events and the size limit", "[unit]") {
  Cluster c;
  Node& a = c.Add("a", {{"role", "web"}});
  Node& b = c.Add("b");
  c.JoinAll();
  CHECK(b.core->Member("a")->tags == TagList{{"role", "web"}});
  REQUIRE(a.core->SetTags({{"role", "db"}}).ok());
  CHECK(a.meta == *EncodeTags({{"role", "db"}}));
  b.core->NotifyUpdate(a.Info(), c.now);
  CHECK(b.core->Member("a")->tags == TagList{{"role", "db"}});
  CHECK(b.MemberEvents().back().first == MemberEventType::kUpdate);
  CHECK(a.core->SetTags({{"big", std::string(600, 'x')}}).code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(a.core->NodeMeta(512) == *EncodeTags({{"role", "db"}}));
}

TEST_CASE("serf restored clocks do not replay old events", "[unit]") {
  Cluster c;
  Node& a = c.Add("a");
  c.JoinAll();
  a.core->RestoreClocks(10, 20, 30);
  CHECK(a.core->clock() == 11);
  CHECK(a.core->event_clock() == 21);
  a.core->NotifyMsg(EncodeSerfMessage(UserEvent{.ltime = 20, .name = "old"}), c.now);
  a.core->NotifyMsg(EncodeSerfMessage(UserEvent{.ltime = 21, .name = "new"}), c.now);
  auto evs = a.UserEvents();
  REQUIRE(evs.size() == 1);
  CHECK(evs[0].name == "new");
}

TEST_CASE("serf garbage messages are dropped", "[unit]") {
  Cluster c;
  Node& a = c.Add("a");
  c.JoinAll();
  for (std::string bad :
       {std::string("\x03"), std::string("\x63\x01"), std::string("\x04\x81\xa1")}) {
    a.core->NotifyMsg(bad, c.now);
  }
  a.core->MergeRemoteState("\x02\xc1", false, c.now);
  a.core->MergeRemoteState("\x05", false, c.now);
  CHECK(a.core->Members().size() == 1);
  CHECK(a.UserEvents().empty());
}

}  // namespace
}  // namespace cairn::gossip
