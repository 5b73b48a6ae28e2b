// Core behaviour mapped to the claims of the Raft paper (Ongaro & Ousterhout, "In Search
// of an Understandable Consensus Algorithm", extended version), as etcd's
// raft_paper_test.go does. Section numbers refer to that paper.
#include <catch2/catch.hpp>

#include "cluster.h"

namespace cairn::raft {
namespace {

using testing::Cluster;

// The algorithm as the paper states it: no PreVote, no CheckQuorum (and so no vote
// stickiness), which the features test covers.
void PaperRaft(CoreConfig& c) {
  c.pre_vote = false;
  c.check_quorum = false;
}

std::vector<std::string> Data(const std::vector<Entry>& entries) {
  std::vector<std::string> out;
  for (const Entry& e : entries) out.push_back(e.data);
  return out;
}

TEST_CASE("5.1 a server that sees a higher term adopts it and becomes a follower", "[unit]") {
  Cluster c(3, PaperRaft);
  c.Elect(1);
  REQUIRE(c.core(1).role() == Role::kLeader);
  Term t = c.core(1).term();
  c.Isolate(1);
  c.Elect(2);
  REQUIRE(c.core(2).role() == Role::kLeader);
  REQUIRE(c.core(2).term() == t + 1);
  REQUIRE(c.core(1).role() == Role::kLeader);  // Still believes it leads.
  c.Heal();
  c.TickAll(1);  // Heartbeats cross; the stale leader hears term t+1.
  REQUIRE(c.core(1).role() == Role::kFollower);
  REQUIRE(c.core(1).term() == t + 1);
  REQUIRE(c.core(1).leader() == 2);
}

TEST_CASE("5.1 a request with a stale term is rejected", "[unit]") {
  Cluster c(3, PaperRaft);
  c.Elect(1);
  c.Elect(2);
  Message m;
  m.type = MessageType::kAppend;
  m.from = 1;
  m.to = 3;
  m.term = 1;
  absl::Status s = c.core(3).Step(m);
  REQUIRE(s.code() == absl::StatusCode::kFailedPrecondition);
  REQUIRE(c.core(3).leader() == 2);
  // The deposed sender is told the current term.
  c.Process(3);
  bool told = false;
  for (const Message& sent : c.TakeSent()) {
    told |= sent.to == 1 && sent.type == MessageType::kAppendResponse && sent.term == 3;
  }
  REQUIRE(told);
}

TEST_CASE("5.2 a follower that hears nothing for an election timeout campaigns", "[unit]") {
  Cluster c(3, PaperRaft);
  c.Isolate(1);
  for (int i = 0; i < 20 && c.core(1).role() == Role::kFollower; ++i) c.core(1).Tick();
  REQUIRE(c.core(1).role() == Role::kCandidate);
  REQUIRE(c.core(1).term() == 2);
  REQUIRE(c.core(1).Status().vote == 1);
}

TEST_CASE("5.2 election timeouts are randomized between E and 2E ticks", "[unit]") {
  std::set<int> timeouts;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    MemoryLogStore store;
    std::mt19937_64 rng(seed);
    CoreConfig cfg;
    cfg.id = 1;
    auto core = Core::Create(cfg, store, rng).value();
    REQUIRE(core->Bootstrap({{{1, "", Suffrage::kVoter}, {2, "", Suffrage::kVoter}}}).ok());
    int ticks = 0;
    while (core->role() == Role::kFollower) {
      core->Tick();
      ++ticks;
    }
    REQUIRE(ticks >= cfg.election_ticks);
    REQUIRE(ticks < 2 * cfg.election_ticks);
    timeouts.insert(ticks);
  }
  REQUIRE(timeouts.size() > 3);
}

TEST_CASE("5.2 a candidate that wins a majority becomes leader", "[unit]") {
  Cluster c(5, PaperRaft);
  c.Down(4);
  c.Down(5);
  c.Elect(1);
  REQUIRE(c.core(1).role() == Role::kLeader);
  c.Down(3);
  c.Elect(2);  // Only 1 and 2 left: no majority of five.
  REQUIRE(c.core(2).role() == Role::kCandidate);
}

TEST_CASE("5.2 each server votes for at most one candidate per term", "[unit]") {
  Cluster c(3, PaperRaft);
  Message vote;
  vote.type = MessageType::kVote;
  vote.to = 3;
  vote.term = 5;
  vote.log_index = 1;
  vote.log_term = 1;
  vote.from = 1;
  REQUIRE(c.core(3).Step(vote).ok());
  vote.from = 2;
  REQUIRE(c.core(3).Step(vote).ok());
  c.Process(3);
  std::vector<Message> sent = c.TakeSent();
  REQUIRE(sent.size() == 2);
  REQUIRE_FALSE(sent[0].reject);
  REQUIRE(sent[1].reject);
  REQUIRE(c.core(3).Status().vote == 1);
}

TEST_CASE("5.2 a candidate that hears from a leader of its term steps down", "[unit]") {
  Cluster c(3, PaperRaft);
  c.Isolate(3);
  c.Elect(3);  // Candidate in term 2, cannot win.
  REQUIRE(c.core(3).role() == Role::kCandidate);
  c.Heal();
  c.Cut(3, 1);
  c.Cut(3, 2);
  c.Isolate(1);
  c.Heal();
  // Node 2 campaigns in term 3 and wins; 3 (term 2) follows on the first append.
  c.Elect(2);
  REQUIRE(c.core(2).role() == Role::kLeader);
  REQUIRE(c.core(3).role() == Role::kFollower);
  REQUIRE(c.core(3).leader() == 2);
}

TEST_CASE("5.3 the leader replicates entries and commits them once a majority has them", "[unit]") {
  Cluster c(3);
  c.Elect(1);
  REQUIRE(c.core(1).Propose("a").ok());
  REQUIRE(c.core(1).Propose("b").ok());
  c.Stabilize();
  for (ServerId id : {1, 2, 3}) {
    REQUIRE(Data(c.node(id).applied) == std::vector<std::string>{"a", "b"});
  }
  c.Down(2);
  c.Down(3);
  REQUIRE(c.core(1).Propose("c").ok());
  c.Stabilize();
  REQUIRE(c.node(1).applied.size() == 2);  // No majority: not committed.
  c.Up(2);
  c.TickAll(2);  // The lost append is resent after a heartbeat interval without progress.
  REQUIRE(Data(c.node(1).applied) == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("5.3 proposals are batched and pipelined to followers", "[unit]") {
  Cluster c(3);
  c.Elect(1);
  c.TakeSent();
  for (int i = 0; i < 10; ++i) REQUIRE(c.core(1).Propose(std::to_string(i)).ok());
  c.Process(1);
  std::vector<Message> sent = c.TakeSent();
  int appends_to_2 = 0;
  for (const Message& m : sent) {
    if (m.type == MessageType::kAppend && m.to == 2) {
      ++appends_to_2;
      REQUIRE(m.entries.size() == 10);  // One batch for all ten proposals.
    }
  }
  REQUIRE(appends_to_2 == 1);
  // Pipelining: more proposals go out before the first batch is acknowledged.
  REQUIRE(c.core(1).Propose("x").ok());
  c.Process(1);
  int more = 0;
  for (const Message& m : c.TakeSent()) more += m.type == MessageType::kAppend && m.to == 2;
  REQUIRE(more == 1);
}

TEST_CASE("5.3 flow control: a follower's inflight window bounds unacknowledged appends",
          "[unit]") {
  Cluster c(3, [](CoreConfig& cfg) {
    cfg.max_inflight = 2;
    cfg.max_append_bytes = 1;
  });
  c.Elect(1);
  c.Cut(2, 1);  // 2's acknowledgements are lost.
  c.TakeSent();
  for (int i = 0; i < 5; ++i) {
    REQUIRE(c.core(1).Propose("e" + std::to_string(i)).ok());
    c.Process(1);
  }
  int to_2 = 0;
  for (const Message& m : c.TakeSent()) to_2 += m.type == MessageType::kAppend && m.to == 2;
  REQUIRE(to_2 == 2);
}

TEST_CASE(
    "5.3 log matching: a follower rejects an append whose previous entry differs and "
    "conflicting entries are overwritten",
    "[unit]") {
  Cluster c(3, PaperRaft);
  c.Elect(1);
  // Leader 1 gets entries its followers never see.
  c.Isolate(1);
  REQUIRE(c.core(1).Propose("lost1").ok());
  REQUIRE(c.core(1).Propose("lost2").ok());
  c.Stabilize();
  c.Heal();
  c.Isolate(1);
  c.Elect(2);
  REQUIRE(c.core(2).Propose("kept").ok());
  c.Stabilize();
  c.Heal();
  c.TickAll(2);
  for (ServerId id : {1, 2, 3}) {
    REQUIRE(Data(c.node(id).applied) == std::vector<std::string>{"kept"});
    REQUIRE(c.core(id).Status().last_index == c.core(2).Status().last_index);
  }
}

TEST_CASE("5.3 fast backtracking skips a conflicting term per round trip", "[unit]") {
  Cluster c(3, PaperRaft);
  c.Elect(1);
  c.Isolate(1);
  for (int i = 0; i < 50; ++i) REQUIRE(c.core(1).Propose("stale").ok());
  c.Stabilize();
  c.Heal();
  c.Isolate(1);
  c.Elect(2);
  for (int i = 0; i < 50; ++i) REQUIRE(c.core(2).Propose("new").ok());
  c.Stabilize();
  c.Heal();
  c.TakeSent();
  c.TickAll(1);
  int rejections = 0;
  for (const Message& m : c.TakeSent()) {
    rejections += m.type == MessageType::kAppendResponse && m.reject && m.from == 1;
  }
  REQUIRE(rejections <= 2);  // Not fifty.
  REQUIRE(c.core(1).Status().last_index == c.core(2).Status().last_index);
}

TEST_CASE("5.4.1 a voter denies a candidate whose log is less up-to-date", "[unit]") {
  Cluster c(3, PaperRaft);
  c.Elect(1);
  c.Cut(1, 3);
  REQUIRE(c.core(1).Propose("x").ok());
  c.Stabilize();  // 1 and 2 have "x"; 3 does not.
  c.Heal();
  c.Isolate(1);
  c.Elect(3);
  REQUIRE(c.core(3).role() != Role::kLeader);
  c.Elect(2);
  REQUIRE(c.core(2).role() == Role::kLeader);
}

TEST_CASE(
    "5.4.2 figure 8: counting replicas of an older-term entry does not commit "
    "it",
    "[unit]") {
  // Built directly on one core: a leader of term 4 whose log holds an uncommitted term-2
  // entry, replicated to a majority, and its own no-op replicated to nobody.
  MemoryLogStore store;
  Configuration conf{
      {{1, "", Suffrage::kVoter}, {2, "", Suffrage::kVoter}, {3, "", Suffrage::kVoter}}};
  Output seed;
  seed.entries = {Entry{1, 1, EntryType::kConfiguration, EncodeConfiguration(conf)},
                  Entry{2, 2, EntryType::kNormal, "from term 2"}};
  seed.hard_state = HardState{3, 0, 1};
  store.Persist(seed);
  std::mt19937_64 rng(1);
  CoreConfig cfg;
  cfg.id = 1;
  cfg.pre_vote = false;
  auto core = Core::Create(cfg, store, rng).value();
  REQUIRE(core->Campaign().ok());  // Term 4.
  auto flush = [&] {
    Output out = core->TakeOutput();
    store.Persist(out);
    core->Advance(out);
    return out;
  };
  flush();
  for (ServerId v : {2, 3}) {
    Message r;
    r.type = MessageType::kVoteResponse;
    r.from = v;
    r.to = 1;
    r.term = 4;
    REQUIRE(core->Step(r).ok());
  }
  REQUIRE(core->role() == Role::kLeader);
  flush();  // The no-op (index 3, term 4) is durable on the leader only.
  // Follower 2 acknowledges index 2 (the term-2 entry), not the no-op.
  Message ack;
  ack.type = MessageType::kAppendResponse;
  ack.from = 2;
  ack.to = 1;
  ack.term = 4;
  ack.index = 2;
  REQUIRE(core->Step(ack).ok());
  flush();
  REQUIRE(core->Status().commit == 1);  // Index 2 is on a majority but not committed.
  ack.index = 3;
  REQUIRE(core->Step(ack).ok());
  Output out = flush();
  REQUIRE(core->Status().commit == 3);  // The current-term entry commits both.
  REQUIRE(out.committed.size() == 2);
}

TEST_CASE("5.4.3 leader completeness: every later leader holds every committed entry", "[unit]") {
  Cluster c(5, PaperRaft);
  c.Elect(1);
  for (int i = 0; i < 5; ++i) REQUIRE(c.core(1).Propose("v" + std::to_string(i)).ok());
  c.Stabilize();
  Index committed = c.core(1).Status().commit;
  c.Down(1);
  for (ServerId next : {2, 3}) {
    c.Elect(next);
    REQUIRE(c.core(next).role() == Role::kLeader);
    REQUIRE(c.core(next).Status().last_index >= committed);
    REQUIRE(Data(c.node(next).applied).size() == 5);
    c.Down(next);
    if (next == 3) break;
  }
}

TEST_CASE("8 a new leader appends a no-op of its term and commits it", "[unit]") {
  Cluster c(3);
  c.Elect(1);
  CoreStatus s = c.core(1).Status();
  REQUIRE(s.last_term == s.term);
  REQUIRE(s.commit == s.last_index);
}

TEST_CASE("5.5 a restarted server recovers its term, vote and log from storage", "[unit]") {
  Cluster c(3, PaperRaft);
  c.Elect(1);
  REQUIRE(c.core(1).Propose("durable").ok());
  c.Stabilize();
  CoreStatus before = c.core(2).Status();
  c.Restart(2);
  CoreStatus after = c.core(2).Status();
  REQUIRE(after.term == before.term);
  REQUIRE(after.vote == before.vote);
  REQUIRE(after.last_index == before.last_index);
  c.Stabilize();
  REQUIRE(Data(c.node(2).applied) == std::vector<std::string>{"durable"});
}

}  // namespace
}  // namespace cairn::raft
