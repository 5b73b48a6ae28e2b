// Encoding of configurations, message validation, quorum arithmetic and the in-memory
// store: the small pieces the core is built from.
#include <catch2/catch.hpp>

#include <cairn/raft/memory_log_store.h>
#include <cairn/raft/message.h>
#include <cairn/raft/types.h>

#include "../src/quorum.h"

namespace cairn::raft {
namespace {

TEST_CASE("a configuration survives encoding, and damaged encodings are refused", "[unit]") {
  Configuration c{{{1, "10.0.0.1:8300", Suffrage::kVoter}, {7, "", Suffrage::kNonvoter}}};
  std::string bytes = EncodeConfiguration(c);
  REQUIRE(DecodeConfiguration(bytes).value() == c);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    REQUIRE_FALSE(DecodeConfiguration(bytes.substr(0, cut)).ok());
  }
  REQUIRE_FALSE(DecodeConfiguration(bytes + "x").ok());
  std::string bad_suffrage = bytes;
  bad_suffrage[1 + 8 + 8] = 5;
  REQUIRE_FALSE(DecodeConfiguration(bad_suffrage).ok());
  Configuration dup{{{1, "", Suffrage::kVoter}, {1, "", Suffrage::kVoter}}};
  REQUIRE_FALSE(DecodeConfiguration(EncodeConfiguration(dup)).ok());
  REQUIRE(c.Voters() == std::vector<ServerId>{1});
  REQUIRE(c.IsVoter(1));
  REQUIRE_FALSE(c.IsVoter(7));
}

TEST_CASE("ValidateMessage checks the shape of each message type", "[unit]") {
  Message m;
  m.type = MessageType::kAppend;
  m.from = 1;
  m.to = 2;
  m.term = 3;
  m.log_index = 4;
  m.log_term = 2;
  m.entries = {Entry{5, 2, EntryType::kNormal, "a"}, Entry{6, 3, EntryType::kNoop, ""}};
  REQUIRE(ValidateMessage(m).ok());
  Message bad = m;
  bad.entries[1].term = 1;  // Decreasing.
  REQUIRE_FALSE(ValidateMessage(bad).ok());
  bad = m;
  bad.type = static_cast<MessageType>(42);
  REQUIRE_FALSE(ValidateMessage(bad).ok());
  bad = m;
  bad.type = MessageType::kHeartbeat;  // Entries outside kAppend.
  REQUIRE_FALSE(ValidateMessage(bad).ok());
  bad = m;
  bad.from = 2;
  REQUIRE_FALSE(ValidateMessage(bad).ok());
  Message vote;
  vote.type = MessageType::kVote;
  vote.from = 1;
  vote.to = 2;
  vote.term = 2;
  vote.log_index = 3;
  vote.log_term = 5;
  REQUIRE_FALSE(ValidateMessage(vote).ok());
  REQUIRE(DebugString(m).find("Append 1->2") == 0);
}

TEST_CASE("quorum arithmetic over single configurations", "[unit]") {
  using internal::QuorumValue;
  REQUIRE(QuorumValue({}) == 0);
  REQUIRE(QuorumValue({5}) == 5);
  REQUIRE(QuorumValue({5, 1, 3}) == 3);
  REQUIRE(QuorumValue({5, 1, 3, 4}) == 3);
  REQUIRE(QuorumValue({9, 9, 1, 1, 2}) == 2);
  absl::flat_hash_map<ServerId, bool> votes{{1, true}, {2, false}};
  REQUIRE(internal::TallyVotes({1, 2, 3}, votes) == internal::VoteOutcome::kPending);
  votes[3] = true;
  REQUIRE(internal::TallyVotes({1, 2, 3}, votes) == internal::VoteOutcome::kWon);
  votes[3] = false;
  REQUIRE(internal::TallyVotes({1, 2, 3}, votes) == internal::VoteOutcome::kLost);
  votes[9] = true;  // Not a voter: ignored.
  REQUIRE(internal::TallyVotes({1, 2, 3}, votes) == internal::VoteOutcome::kLost);
}

TEST_CASE("MemoryLogStore persists outputs and compacts with a trailing log", "[unit]") {
  MemoryLogStore s;
  Output out;
  for (Index i = 1; i <= 5; ++i) out.entries.push_back({i, 1, EntryType::kNormal, "x"});
  out.hard_state = HardState{1, 1, 3};
  s.Persist(out);
  REQUIRE(s.LastIndex() == 5);
  REQUIRE(s.GetHardState().commit == 3);
  Output overwrite;
  overwrite.entries = {{4, 2, EntryType::kNormal, "y"}};
  s.Persist(overwrite);
  REQUIRE(s.LastIndex() == 4);
  REQUIRE(s.TermAt(4).value() == 2);
  REQUIRE(s.Entries(1, 5, 2).value().size() == 2);  // Size cap.
  REQUIRE(s.Compact({{3, 1, {}}, "snap"}, /*trailing=*/1).ok());
  REQUIRE(s.FirstIndex() == 3);
  REQUIRE(s.TermAt(2).value() == 1);
  REQUIRE_FALSE(s.TermAt(1).ok());
  REQUIRE(s.SnapshotChunk(3, 1, 2).value() == "na");
  REQUIRE(s.SnapshotChunk(2, 0, 2).status().code() == absl::StatusCode::kFailedPrecondition);
  REQUIRE_FALSE(s.Compact({{9, 1, {}}, ""}, 0).ok());
}

}  // namespace
}  // namespace cairn::raft
