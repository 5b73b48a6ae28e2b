// The Serf runtime (SerfCore on Memberlist) over the seeded simulated network: a pool of
// five converges, a user event and a query reach everyone, a graceful leave is "left"
// and a crash is "failed" everywhere, and a snapshot restores the clocks.
#include <filesystem>
#include <map>
#include <memory>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cairn/base/log.h>
#include <cairn/gossip/serf_runtime.h>
#include <cairn/gossip/sim_network.h>

#include <unistd.h>

namespace cairn::gossip {
namespace {

using std::chrono::milliseconds;

struct SimNode {
  std::string name;
  SimNetwork::Endpoint* ep = nullptr;
  std::unique_ptr<Serf> serf;
  std::vector<SerfEvent> events;
  int user_events(const std::string& name) const {
    int n = 0;
    for (const SerfEvent& e : events) {
      if (auto* u = std::get_if<SerfUserEvent>(&e); u && u->name == name) ++n;
    }
    return n;
  }
};

struct Pool {
  base::SimulatedClock clock;
  SimNetwork net{clock, {.seed = 7}};
  std::vector<std::unique_ptr<SimNode>> nodes;

  Pool() { base::LogSystem::Default().SetLevel(base::LogLevel::kOff); }
  ~Pool() {
    for (auto& n : nodes) n->serf.reset();
  }

  SimNode& Add(std::string snapshot = {}) {
    auto n = std::make_unique<SimNode>();
    int i = static_cast<int>(nodes.size());
    n->name = fmt::format("n{}", i);
    n->ep = &net.AddNode(fmt::format("10.0.0.{}:7946", i + 1));
    Serf::Options o;
    o.memberlist = Memberlist::Options::Local(n->name);
    o.memberlist.random_seed = 100 + i;
    o.serf.tags = {{"role", i % 2 ? "web" : "db"}};
    o.snapshot_path = std::move(snapshot);
    SimNode* raw = n.get();
    auto serf = Serf::Create(std::move(o), n->ep->transport(), n->ep->clock(), [raw](SerfEvent e) {
      if (auto* q = std::get_if<IncomingQuery>(&e)) {
        (void)raw->serf->Respond(*q, "from " + raw->name);
      }
      raw->events.push_back(std::move(e));
    });
    REQUIRE(serf.ok());
    n->serf = *std::move(serf);
    nodes.push_back(std::move(n));
    return *raw;
  }
  bool RunUntil(const std::function<bool()>& cond,
                std::chrono::seconds limit = std::chrono::seconds(60)) {
    for (auto end = clock.Now() + limit; clock.Now() < end;) {
      if (cond()) return true;
      clock.Advance(milliseconds(50));
    }
    return cond();
  }
  static MemberStatus StatusOf(SimNode& at, const std::string& name) {
    auto m = at.serf->core().Member(name);
    return m ? m->status : MemberStatus::kNone;
  }
};

TEST_CASE("serf runtime pool converges, gossips events and queries, tells left from failed",
          "[sim]") {
  Pool p;
  for (int i = 0; i < 5; ++i) p.Add();
  bool joined = false;
  for (int i = 1; i < 5; ++i) {
    p.nodes[i]->serf->Join({"10.0.0.1:7946"}, false,
                           [&](absl::StatusOr<int> n) { joined = n.ok(); });
  }
  REQUIRE(p.RunUntil([&] {
    for (auto& n : p.nodes) {
      if (n->serf->Members().size() != 5) return false;
    }
    return true;
  }));
  CHECK(joined);
  CHECK(p.nodes[0]->serf->core().Member("n3")->tags == TagList{{"role", "web"}});

  REQUIRE(p.nodes[3]->serf->UserEvent("deploy", std::string("v1"), false).ok());
  CHECK(p.RunUntil([&] {
    for (auto& n : p.nodes) {
      if (n->user_events("deploy") != 1) return false;
    }
    return true;
  }));

  std::map<std::string, std::string> responses;
  bool done = false;
  QueryCallbacks cb;
  cb.on_response = [&](const std::string& from, const std::optional<std::string>& payload) {
    responses[from] = payload.value_or("");
  };
  cb.on_done = [&] { done = true; };
  REQUIRE(
      p.nodes[1]
          ->serf
          ->Query("who", std::nullopt, QueryParams{.filter_tags = {{"role", "web"}}}, std::move(cb))
          .ok());
  CHECK(p.RunUntil([&] { return done; }));
  CHECK(responses == std::map<std::string, std::string>{{"n1", "from n1"}, {"n3", "from n3"}});

  bool left = false;
  p.nodes[4]->serf->Leave([&](absl::Status) { left = true; });
  CHECK(p.RunUntil([&] { return left; }));
  CHECK(p.RunUntil([&] {
    for (int i = 0; i < 4; ++i) {
      if (Pool::StatusOf(*p.nodes[i], "n4") != MemberStatus::kLeft) return false;
    }
    return true;
  }));

  p.net.Crash("10.0.0.3:7946");
  CHECK(p.RunUntil([&] {
    for (int i : {0, 1, 3}) {
      if (Pool::StatusOf(*p.nodes[i], "n2") != MemberStatus::kFailed) return false;
    }
    return true;
  }));
  CHECK(Pool::StatusOf(*p.nodes[0], "n4") == MemberStatus::kLeft);
}

TEST_CASE("serf runtime snapshot restores clocks and re-joins after a restart", "[sim]") {
  std::string tmpl = (std::filesystem::temp_directory_path() / "serf-sim-XXXXXX").string();
  std::string dir = mkdtemp(tmpl.data());
  std::string snap = dir + "/n1.snapshot";
  {
    Pool p;
    p.Add();
    p.Add(snap);
    p.nodes[1]->serf->Join({"10.0.0.1:7946"}, false, [](absl::StatusOr<int>) {});
    REQUIRE(p.RunUntil([&] { return p.nodes[1]->serf->Members().size() == 2; }));
    for (int i = 0; i < 3; ++i)
      REQUIRE(p.nodes[0]->serf->UserEvent("e", std::to_string(i), false).ok());
    REQUIRE(p.RunUntil([&] { return p.nodes[1]->user_events("e") == 3; }));
    p.clock.Advance(std::chrono::seconds(1));  // snapshot flush
  }
  Pool p;
  p.Add();
  SimNode& n1 = p.Add(snap);  // no Join call: the snapshot lists n0
  CHECK(n1.serf->core().event_clock() >= 4);
  CHECK(p.RunUntil([&] { return n1.serf->Members().size() == 2; }));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cairn::gossip
