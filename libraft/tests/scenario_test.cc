// Scenario scripts as data (STYLE.md (e), after etcd's interaction tests): each file in
// tests/testdata/*.txt drives a testing::Cluster line by line and states what must hold.
// The scripts double as documentation of behaviour.
//
//   cluster N [prevote=off] [checkquorum=off] [lease=on]   start N bootstrapped voters
//   campaign ID | tick N | stabilize | heal | isolate ID | cut FROM TO | down ID | up ID
//   propose ID DATA | read ID REQUEST | transfer ID TARGET
//   add-nonvoter LEADER ID | add-voter LEADER ID | remove LEADER ID
//   expect role ID follower|pre-candidate|candidate|leader
//   expect term ID T | expect leader ID L | expect applied ID a,b,c | expect reads ID N
//   expect refused <command...>     the command must fail with a Status
#include <filesystem>
#include <fstream>
#include <sstream>

#include <absl/strings/str_join.h>
#include <absl/strings/str_split.h>
#include <catch2/catch.hpp>

#include "cluster.h"

#ifndef CAIRN_RAFT_TESTDATA_DIR
#define CAIRN_RAFT_TESTDATA_DIR "libraft/tests/testdata"
#endif

namespace cairn::raft {
namespace {

using testing::Cluster;

class ScenarioRunner {
 public:
  // Runs one command; returns its status (for `expect refused`).
  absl::Status Run(const std::vector<std::string>& w) {
    const std::string& cmd = w.at(0);
    auto id = [&](size_t i) { return static_cast<ServerId>(std::stoull(w.at(i))); };
    if (cmd == "cluster") {
      bool prevote = true, checkquorum = true, lease = false;
      for (size_t i = 2; i < w.size(); ++i) {
        if (w[i] == "prevote=off") prevote = false;
        if (w[i] == "checkquorum=off") checkquorum = false;
        if (w[i] == "lease=on") lease = true;
      }
      c_ = std::make_unique<Cluster>(std::stoi(w.at(1)), [=](CoreConfig& cfg) {
        cfg.pre_vote = prevote;
        cfg.check_quorum = checkquorum;
        cfg.lease_read = lease;
      });
      return absl::OkStatus();
    }
    REQUIRE(c_ != nullptr);
    if (cmd == "campaign") {
      absl::Status s = c_->core(id(1)).Campaign();
      c_->Stabilize();
      return s;
    }
    if (cmd == "tick") return c_->TickAll(std::stoi(w.at(1))), absl::OkStatus();
    if (cmd == "stabilize") return c_->Stabilize(), absl::OkStatus();
    if (cmd == "heal") return c_->Heal(), absl::OkStatus();
    if (cmd == "isolate") return c_->Isolate(id(1)), absl::OkStatus();
    if (cmd == "cut") return c_->Cut(id(1), id(2)), absl::OkStatus();
    if (cmd == "down") return c_->Down(id(1)), absl::OkStatus();
    if (cmd == "up") return c_->Up(id(1)), absl::OkStatus();
    if (cmd == "propose") return Settle(c_->core(id(1)).Propose(w.at(2)).status());
    if (cmd == "read") return Settle(c_->core(id(1)).ReadIndex(std::stoull(w.at(2))));
    if (cmd == "transfer") return Settle(c_->core(id(1)).TransferLeadership(id(2)));
    if (cmd == "add-nonvoter" || cmd == "add-voter" || cmd == "remove") {
      ConfChange::Op op = cmd == "add-nonvoter" ? ConfChange::Op::kAddNonvoter
                          : cmd == "add-voter"  ? ConfChange::Op::kAddVoter
                                                : ConfChange::Op::kRemoveServer;
      if (op == ConfChange::Op::kAddNonvoter) c_->AddNode(id(2));
      return Settle(c_->core(id(1)).ProposeConfChange({op, id(2), "n" + w.at(2)}).status());
    }
    if (cmd == "expect") return Expect(w);
    FAIL("unknown command " << cmd);
    return absl::OkStatus();
  }

 private:
  absl::Status Settle(absl::Status s) {
    c_->Stabilize();
    return s;
  }

  absl::Status Expect(const std::vector<std::string>& w) {
    const std::string& what = w.at(1);
    if (what == "refused") {
      absl::Status s = Run(std::vector<std::string>(w.begin() + 2, w.end()));
      REQUIRE_FALSE(s.ok());
      return absl::OkStatus();
    }
    ServerId id = std::stoull(w.at(2));
    const std::string& want = w.size() > 3 ? w[3] : "";
    CoreStatus s = c_->core(id).Status();
    if (what == "role") {
      REQUIRE(RoleName(s.role) == want);
    } else if (what == "term") {
      REQUIRE(s.term == std::stoull(want));
    } else if (what == "leader") {
      REQUIRE(s.leader == std::stoull(want));
    } else if (what == "applied") {
      std::vector<std::string> got;
      for (const Entry& e : c_->node(id).applied) got.push_back(e.data);
      REQUIRE(absl::StrJoin(got, ",") == want);
    } else if (what == "reads") {
      REQUIRE(c_->node(id).reads.size() == std::stoull(want));
    } else {
      FAIL("unknown expectation " << what);
    }
    return absl::OkStatus();
  }

  std::unique_ptr<Cluster> c_;
};

TEST_CASE("scenario scripts in tests/testdata", "[unit]") {
  std::filesystem::path dir = CAIRN_RAFT_TESTDATA_DIR;
  int scripts = 0;
  for (const auto& file : std::filesystem::directory_iterator(dir)) {
    if (file.path().extension() != ".txt") continue;
    ++scripts;
    std::ifstream in(file.path());
    std::string line;
    int number = 0;
    ScenarioRunner runner;
    while (std::getline(in, line)) {
      ++number;
      std::vector<std::string> words = absl::StrSplit(line, ' ', absl::SkipWhitespace());
      if (words.empty() || words[0].starts_with("#")) continue;
      INFO(file.path().filename().string() << ":" << number << ": " << line);
      REQUIRE(runner.Run(words).ok());
    }
  }
  REQUIRE(scripts >= 3);
}

}  // namespace
}  // namespace cairn::raft
