// The SWIM state rules (memberlist state.go), one at a time: a Memberlist under test and
// a raw peer endpoint on a SimNetwork that injects alive/suspect/dead messages and
// captures what comes back.
#include <catch2/catch.hpp>

#include <cairn/gossip/packet.h>

#include "sim_cluster.h"

namespace cairn::gossip::testing {
namespace {

class ConflictRecorder : public ConflictDelegate {
 public:
  void NotifyConflict(const Node& existing, const Node& other) override {
    conflicts.emplace_back(existing.Address(), other.Address());
  }
  std::vector<std::pair<std::string, std::string>> conflicts;
};

struct Fixture {
  Fixture() : net(clock, {.seed = 7}) {
    base::LogSystem::Default().SetLevel(base::LogLevel::kOff);
    SimNetwork::Endpoint& me_ep = net.AddNode("10.0.0.1:7946");
    peer = &net.AddNode("10.0.0.2:7946");
    peer->transport().Start({
        .packet =
            [this](std::string_view from, std::string_view bytes) {
              auto p = DecodePacket(bytes);
              if (!p.ok()) return;
              for (auto& m : p->messages) {
                received.push_back(m);
                // The peer is healthy: it answers every ping.
                if (m.type != static_cast<uint8_t>(MessageType::kPing)) continue;
                auto ping = DecodeBody<Ping>(m.body);
                if (ping.ok() && answer_pings) {
                  (void)peer->transport().SendPacket(from,
                                                     EncodeMessage(Ack{.seq_no = ping->seq_no}));
                }
              }
            },
        .stream = [](std::unique_ptr<Stream>) {},
    });
    Memberlist::Options o = Memberlist::Options::LAN("me");
    o.random_seed = 1;
    o.disable_tcp_pings = true;
    auto created = Memberlist::Create(std::move(o), me_ep.transport(), me_ep.clock(),
                                      {.events = &events, .conflict = &conflicts});
    REQUIRE(created.ok());
    ml = std::move(*created);
  }
  ~Fixture() { ml.reset(); }

  void Send(const std::string& message) {
    REQUIRE(peer->transport().SendPacket("10.0.0.1:7946", message).ok());
    clock.Advance(std::chrono::milliseconds(20));
  }
  Alive AliveFor(const std::string& name, uint32_t inc, std::string ip = "10.0.0.2") {
    return Alive{.incarnation = inc,
                 .node = name,
                 .addr = *IpToBytes(ip),
                 .port = 7946,
                 .meta = std::string("m") + std::to_string(inc),
                 .vsn = Vsn{}.ToBytes()};
  }
  // Alive messages about `name` that the memberlist sent to the peer so far.
  std::vector<Alive> AlivesAbout(const std::string& name) {
    std::vector<Alive> out;
    for (auto& m : received) {
      if (m.type != static_cast<uint8_t>(MessageType::kAlive)) continue;
      auto a = DecodeBody<Alive>(m.body);
      if (a.ok() && a->node == name) out.push_back(*a);
    }
    return out;
  }

  base::SimulatedClock clock;
  SimNetwork net;
  SimNetwork::Endpoint* peer;
  Recorder events;
  ConflictRecorder conflicts;
  std::unique_ptr<Memberlist> ml;
  std::vector<PacketMessage> received;
  bool answer_pings = true;
};

TEST_CASE("state: an alive for an unknown node adds it and notifies a join", "[unit]") {
  Fixture f;
  const int joins_before = f.events.joins;  // our own join at Create
  f.Send(EncodeMessage(f.AliveFor("p", 1)));
  std::optional<Node> p = f.ml->Find("p");
  REQUIRE(p.has_value());
  CHECK(p->state == NodeState::kAlive);
  CHECK(p->incarnation == 1);
  CHECK(p->meta == "m1");
  CHECK(p->Address() == "10.0.0.2:7946");
  CHECK(f.events.joins == joins_before + 1);
  CHECK(f.ml->NumMembers() == 2);
}

TEST_CASE("state: alive with an old or equal incarnation is ignored, a newer one updates",
          "[unit]") {
  Fixture f;
  f.Send(EncodeMessage(f.AliveFor("p", 5)));
  Alive stale = f.AliveFor("p", 5);
  stale.meta = "changed";
  f.Send(EncodeMessage(stale));
  CHECK(f.ml->Find("p")->meta == "m5");
  f.Send(EncodeMessage(f.AliveFor("p", 4)));
  CHECK(f.ml->Find("p")->incarnation == 5);
  f.Send(EncodeMessage(f.AliveFor("p", 6)));
  CHECK(f.ml->Find("p")->meta == "m6");
  CHECK(f.events.updates == 1);
}

TEST_CASE("state: suspect marks suspect and the timeout declares dead unless refuted", "[unit]") {
  Fixture f;
  f.Send(EncodeMessage(f.AliveFor("p", 3)));
  // A suspicion about an older incarnation is ignored.
  f.Send(EncodeMessage(Suspect{.incarnation = 2, .node = "p", .from = "x"}));
  CHECK(f.ml->Find("p")->state == NodeState::kAlive);
  f.Send(EncodeMessage(Suspect{.incarnation = 3, .node = "p", .from = "x"}));
  CHECK(f.ml->Find("p")->state == NodeState::kSuspect);
  // 2 known nodes: k = 0, so the timeout is min = 4 * 1 s (log10 scale floor 1).
  f.clock.Advance(std::chrono::milliseconds(3900));
  CHECK(f.ml->Find("p")->state == NodeState::kSuspect);
  f.clock.Advance(std::chrono::milliseconds(200));
  CHECK(f.ml->Find("p")->state == NodeState::kDead);
  REQUIRE(f.events.failed.size() == 1);
  CHECK(f.events.failed[0] == "p");
}

TEST_CASE("state: a newer alive refutes a suspicion and cancels its timer", "[unit]") {
  Fixture f;
  f.Send(EncodeMessage(f.AliveFor("p", 3)));
  f.Send(EncodeMessage(Suspect{.incarnation = 3, .node = "p", .from = "x"}));
  REQUIRE(f.ml->Find("p")->state == NodeState::kSuspect);
  f.Send(EncodeMessage(f.AliveFor("p", 4)));
  CHECK(f.ml->Find("p")->state == NodeState::kAlive);
  f.clock.Advance(std::chrono::seconds(30));
  CHECK(f.events.failed.empty());
  CHECK(f.ml->Find("p")->state == NodeState::kAlive);
}

TEST_CASE("state: a suspicion about ourselves is refuted with a higher incarnation", "[unit]") {
  Fixture f;
  f.Send(EncodeMessage(f.AliveFor("p", 1)));  // someone to gossip the refutation to
  const uint32_t inc = f.ml->LocalNode().incarnation;
  f.Send(EncodeMessage(Suspect{.incarnation = inc + 7, .node = "me", .from = "p"}));
  CHECK(f.ml->LocalNode().incarnation == inc + 8);
  CHECK(f.ml->LocalNode().state == NodeState::kAlive);
  CHECK(f.ml->GetHealthScore() == 1);  // Lifeguard: having to refute means we may be slow
  f.clock.Advance(std::chrono::seconds(2));
  std::vector<Alive> sent = f.AlivesAbout("me");
  REQUIRE_FALSE(sent.empty());
  CHECK(sent.back().incarnation == inc + 8);
}

TEST_CASE("state: a dead message about ourselves is refuted", "[unit]") {
  Fixture f;
  f.Send(EncodeMessage(f.AliveFor("p", 1)));
  const uint32_t inc = f.ml->LocalNode().incarnation;
  f.Send(EncodeMessage(Dead{.incarnation = inc, .node = "me", .from = "p"}));
  CHECK(f.ml->LocalNode().state == NodeState::kAlive);
  CHECK(f.ml->LocalNode().incarnation > inc);
}

TEST_CASE("state: dead from the node itself means left, from another means dead", "[unit]") {
  Fixture f;
  f.Send(EncodeMessage(f.AliveFor("p", 1)));
  f.Send(EncodeMessage(f.AliveFor("q", 1, "10.0.0.3")));
  f.Send(EncodeMessage(Dead{.incarnation = 1, .node = "p", .from = "p"}));
  f.Send(EncodeMessage(Dead{.incarnation = 1, .node = "q", .from = "p"}));
  CHECK(f.ml->Find("p")->state == NodeState::kLeft);
  CHECK(f.ml->Find("q")->state == NodeState::kDead);
  CHECK(f.ml->NumMembers() == 1);
  // An older dead is ignored; a dead node comes back with a newer alive (a rejoin).
  const int joins = f.events.joins;
  f.Send(EncodeMessage(f.AliveFor("q", 1, "10.0.0.3")));
  CHECK(f.ml->Find("q")->state == NodeState::kDead);
  f.Send(EncodeMessage(f.AliveFor("q", 2, "10.0.0.3")));
  CHECK(f.ml->Find("q")->state == NodeState::kAlive);
  CHECK(f.events.joins == joins + 1);
}

TEST_CASE("state: an alive from another address is a conflict unless the node left", "[unit]") {
  Fixture f;
  f.Send(EncodeMessage(f.AliveFor("p", 1)));
  f.Send(EncodeMessage(f.AliveFor("p", 2, "10.0.0.9")));
  REQUIRE(f.conflicts.conflicts.size() == 1);
  CHECK(f.conflicts.conflicts[0].first == "10.0.0.2:7946");
  CHECK(f.conflicts.conflicts[0].second == "10.0.0.9:7946");
  CHECK(f.ml->Find("p")->addr == "10.0.0.2");
  // Once p left, its name may come back from a new address.
  f.Send(EncodeMessage(Dead{.incarnation = 1, .node = "p", .from = "p"}));
  f.Send(EncodeMessage(f.AliveFor("p", 1, "10.0.0.9")));
  CHECK(f.ml->Find("p")->addr == "10.0.0.9");
  CHECK(f.ml->Find("p")->state == NodeState::kAlive);
}

TEST_CASE("state: alives with invalid protocol versions are ignored", "[unit]") {
  Fixture f;
  Alive a = f.AliveFor("p", 1);
  a.vsn = std::string("\x03\x01\x02\x00\x00\x00", 6);  // min > max
  f.Send(EncodeMessage(a));
  CHECK_FALSE(f.ml->Find("p").has_value());
}

TEST_CASE("state: garbage packets are counted and dropped", "[unit]") {
  Fixture f;
  f.Send(std::string("\x07\x05\x00", 3));      // compound with a missing table
  f.Send(std::string("\x04\x81\xa4Node", 7));  // truncated alive
  f.Send(std::string("\xc8hello", 6));         // unknown message type
  f.Send(AddCrc(EncodeMessage(f.AliveFor("p", 1))).replace(1, 1, "\xff"));  // bad CRC
  CHECK(f.ml->stats().packets_dropped >= 4);
  CHECK(f.ml->NumMembers() == 1);
}

TEST_CASE("state: a ping is answered with an ack carrying the same sequence number", "[unit]") {
  Fixture f;
  f.Send(EncodeMessage(Ping{.seq_no = 77, .node = "me"}));
  bool acked = false;
  for (auto& m : f.received) {
    if (m.type != static_cast<uint8_t>(MessageType::kAck)) continue;
    auto ack = DecodeBody<Ack>(m.body);
    acked |= ack.ok() && ack->seq_no == 77;
  }
  CHECK(acked);
  // A ping for another name is not answered.
  f.received.clear();
  f.Send(EncodeMessage(Ping{.seq_no = 78, .node = "someone-else"}));
  CHECK(f.received.empty());
}

TEST_CASE("state: a peer that stops answering probes is suspected then declared dead", "[unit]") {
  Fixture f;
  f.Send(EncodeMessage(f.AliveFor("p", 1)));
  f.clock.Advance(std::chrono::seconds(10));
  CHECK(f.ml->Find("p")->state == NodeState::kAlive);
  CHECK(f.ml->GetHealthScore() == 0);
  f.answer_pings = false;
  // Probe interval 1 s, then suspicion min 4 s (2 nodes, k = 0).
  f.clock.Advance(std::chrono::seconds(3));
  CHECK(f.ml->Find("p")->state == NodeState::kSuspect);
  f.clock.Advance(std::chrono::seconds(5));
  CHECK(f.ml->Find("p")->state == NodeState::kDead);
  CHECK(f.ml->stats().probe_failures >= 1);
}

TEST_CASE("state: options are validated at Create", "[unit]") {
  base::SimulatedClock clock;
  SimNetwork net(clock, {});
  SimNetwork::Endpoint& ep = net.AddNode("10.0.0.1:7946");
  Memberlist::Options o = Memberlist::Options::LAN("");
  CHECK_FALSE(Memberlist::Create(o, ep.transport(), ep.clock(), {}).ok());
  o.name = "x";
  o.protocol_version = 9;
  CHECK_FALSE(Memberlist::Create(o, ep.transport(), ep.clock(), {}).ok());
  Memberlist::Options wan = Memberlist::Options::WAN("w");
  CHECK(wan.probe_interval == absl::Seconds(5));
  CHECK(wan.suspicion_mult == 6);
  Memberlist::Options local = Memberlist::Options::Local("l");
  CHECK(local.probe_timeout == absl::Milliseconds(200));
  CHECK(local.retransmit_mult == 2);
}

}  // namespace
}  // namespace cairn::gossip::testing
