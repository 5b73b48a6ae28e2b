// Event coalescing (serf coalesce_*_test.go behaviour) and the snapshot file format
// (serf snapshot.go: replay, leave, compaction, a file in serf's own format).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include <cairn/gossip/serf_coalesce.h>
#include <cairn/gossip/serf_snapshot.h>

#include <unistd.h>

namespace cairn::gossip {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

SerfMember M(std::string name, uint16_t port = 7946) {
  return SerfMember{
      .name = std::move(name), .addr = std::string("\x7f\x00\x00\x01", 4), .port = port};
}

TEST_CASE("coalesce member events keep the latest per member and drop repeats", "[unit]") {
  TimePoint t0(seconds(100));
  EventCoalescer c(seconds(3), seconds(1));
  CHECK_FALSE(c.NextDeadline().has_value());
  CHECK(c.Add(MemberEvent{MemberEventType::kJoin, {M("a")}}, t0).empty());
  CHECK(c.Add(MemberEvent{MemberEventType::kFailed, {M("a")}}, t0 + milliseconds(500)).empty());
  CHECK(c.Add(MemberEvent{MemberEventType::kJoin, {M("b")}}, t0 + milliseconds(600)).empty());
  CHECK(*c.NextDeadline() == t0 + milliseconds(1600));  // quiescent period after the last
  CHECK(c.Flush(t0 + milliseconds(1500)).empty());
  std::vector<SerfEvent> out = c.Flush(t0 + milliseconds(1600));
  REQUIRE(out.size() == 2);
  auto& join = std::get<MemberEvent>(out[0]);
  auto& failed = std::get<MemberEvent>(out[1]);
  CHECK(join.type == MemberEventType::kJoin);
  CHECK(join.members[0].name == "b");
  CHECK(failed.type == MemberEventType::kFailed);
  CHECK(failed.members[0].name == "a");
  // The same type again for b is dropped; updates always go out.
  c.Add(MemberEvent{MemberEventType::kJoin, {M("b")}}, t0 + seconds(10));
  c.Add(MemberEvent{MemberEventType::kUpdate, {M("a")}}, t0 + seconds(10));
  out = c.Flush(t0 + seconds(20));
  REQUIRE(out.size() == 1);
  CHECK(std::get<MemberEvent>(out[0]).type == MemberEventType::kUpdate);
}

TEST_CASE("coalesce bursts end at the coalesce period even when events keep coming", "[unit]") {
  TimePoint t0(seconds(100));
  EventCoalescer c(seconds(3), seconds(1));
  for (int i = 0; i < 10; ++i) {
    c.Add(
        SerfUserEvent{.ltime = static_cast<LamportTime>(i + 1), .name = "deploy", .coalesce = true},
        t0 + milliseconds(500 * i));
  }
  CHECK(*c.NextDeadline() == t0 + seconds(3));
  std::vector<SerfEvent> out = c.Flush(t0 + seconds(3));
  REQUIRE(out.size() == 1);
  CHECK(std::get<SerfUserEvent>(out[0]).ltime == 10);
}

TEST_CASE("coalesce user events per name at the highest LTime, others pass through", "[unit]") {
  TimePoint t0(seconds(100));
  EventCoalescer c(seconds(3), seconds(1));
  auto ev = [](LamportTime t, std::string name, std::string payload, bool cc) {
    return SerfUserEvent{
        .ltime = t, .name = std::move(name), .payload = std::move(payload), .coalesce = cc};
  };
  CHECK(c.Add(ev(1, "a", "1", true), t0).empty());
  CHECK(c.Add(ev(3, "a", "3", true), t0).empty());
  CHECK(c.Add(ev(3, "a", "3b", true), t0).empty());
  CHECK(c.Add(ev(2, "a", "2", true), t0).empty());
  CHECK(c.Add(ev(1, "b", "b1", true), t0).empty());
  CHECK(c.Add(ev(5, "c", "c", false), t0).size() == 1);
  CHECK(c.Add(IncomingQuery{.name = "q"}, t0).size() == 1);
  std::vector<SerfEvent> out = c.Flush(t0 + seconds(1));
  REQUIRE(out.size() == 3);
  CHECK(std::get<SerfUserEvent>(out[0]).payload == std::optional<std::string>("3"));
  CHECK(std::get<SerfUserEvent>(out[1]).payload == std::optional<std::string>("3b"));
  CHECK(std::get<SerfUserEvent>(out[2]).name == "b");
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "serf-snap-XXXXXX").string();
    path = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string File(const char* name) const { return (path / name).string(); }
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST_CASE("snapshot replays a file written by serf 0.9.4", "[unit]") {
  TempDir dir;
  std::string path = dir.File("snap");
  {
    std::ofstream out(path);
    out << "alive: s1 127.0.0.1:17946\nalive: s2 127.0.0.1:17947\nclock: 1\nevent-clock: 1\n"
           "query-clock: 1\nnot-alive: s2\ncoordinate: {}\n# comment\nbogus line\nclock: x\n"
           "alive: torn";
  }
  auto snap = SerfSnapshot::Open(path, false);
  REQUIRE(snap.ok());
  const SnapshotState& prev = (*snap)->previous();
  CHECK(prev.alive == std::map<std::string, std::string>{{"s1", "127.0.0.1:17946"}});
  CHECK(prev.clock == 1);
  CHECK(prev.event_clock == 1);
  CHECK(prev.query_clock == 1);
  CHECK((*snap)->skipped_lines() == 2);
  CHECK((*snap)->RejoinAddresses("me") == std::vector<std::string>{"s1/127.0.0.1:17946"});
  CHECK((*snap)->RejoinAddresses("s1").empty());
}

TEST_CASE("snapshot records members and clocks, and a leave forgets them", "[unit]") {
  TempDir dir;
  std::string path = dir.File("snap");
  {
    auto snap = SerfSnapshot::Open(path, false);
    REQUIRE(snap.ok());
    SerfSnapshot& s = **snap;
    s.Record(MemberEvent{MemberEventType::kJoin, {M("a", 1), M("b", 2)}});
    s.Record(MemberEvent{MemberEventType::kUpdate, {M("a", 1)}});
    s.Record(MemberEvent{MemberEventType::kFailed, {M("b", 2)}});
    s.Record(SerfUserEvent{.ltime = 7, .name = "e"});
    s.Record(SerfUserEvent{.ltime = 5, .name = "older"});
    s.Record(IncomingQuery{.ltime = 9, .name = "q"});
    s.UpdateClock(4);
    s.UpdateClock(4);
    REQUIRE(s.Flush().ok());
  }
  CHECK(Slurp(path) ==
        "alive: a 127.0.0.1:1\nalive: b 127.0.0.1:2\nnot-alive: b\nevent-clock: 7\n"
        "query-clock: 9\nclock: 3\n");
  {
    auto snap = SerfSnapshot::Open(path, false);
    REQUIRE(snap.ok());
    CHECK((*snap)->previous().alive.size() == 1);
    CHECK((*snap)->previous().event_clock == 7);
    REQUIRE((*snap)->Leave().ok());
    (*snap)->Record(MemberEvent{MemberEventType::kJoin, {M("c", 3)}});  // ignored
  }
  {
    auto snap = SerfSnapshot::Open(path, false);
    REQUIRE(snap.ok());
    CHECK((*snap)->previous().alive.empty());
    CHECK((*snap)->previous().clock == 0);
  }
  auto rejoin = SerfSnapshot::Open(path, /*rejoin_after_leave=*/true);
  REQUIRE(rejoin.ok());
  CHECK((*rejoin)->previous().alive.size() == 1);
  CHECK((*rejoin)->previous().query_clock == 9);
}

TEST_CASE("snapshot compacts past the threshold and keeps the state", "[unit]") {
  TempDir dir;
  std::string path = dir.File("snap");
  {
    auto snap = SerfSnapshot::Open(path, false, /*min_compact_size=*/1024);
    REQUIRE(snap.ok());
    for (int i = 0; i < 100; ++i) {
      (*snap)->Record(MemberEvent{MemberEventType::kJoin, {M("flappy", 1)}});
      (*snap)->Record(MemberEvent{MemberEventType::kFailed, {M("flappy", 1)}});
      REQUIRE((*snap)->Flush().ok());
    }
    (*snap)->Record(MemberEvent{MemberEventType::kJoin, {M("stays", 5)}});
    (*snap)->UpdateClock(42);
    REQUIRE((*snap)->Flush().ok());
  }
  CHECK(std::filesystem::file_size(path) < 1024);
  CHECK_FALSE(std::filesystem::exists(path + ".compact"));
  auto snap = SerfSnapshot::Open(path, false);
  REQUIRE(snap.ok());
  CHECK((*snap)->previous().alive == std::map<std::string, std::string>{{"stays", "127.0.0.1:5"}});
  CHECK((*snap)->previous().clock == 41);
}

TEST_CASE("snapshot open fails clearly on an unusable path", "[unit]") {
  auto snap = SerfSnapshot::Open("/nonexistent-dir/x/snap", false);
  REQUIRE_FALSE(snap.ok());
  CHECK(snap.status().message().find("/nonexistent-dir/x/snap") != absl::string_view::npos);
}

}  // namespace
}  // namespace cairn::gossip
