// The durable store: round trips through reopen, torn tails, corruption, snapshot files,
// and a core restarted on top of it.
#include <filesystem>
#include <fstream>
#include <random>

#include <catch2/catch.hpp>

#include <cairn/raft/file_snapshot_store.h>
#include <cairn/raft/leveldb_log_store.h>

#include <unistd.h>

namespace cairn::raft {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  TempDir() {
    path = (fs::temp_directory_path() /
            ("cairn-raft-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)))
               .string();
    fs::remove_all(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string path;
  static inline int counter = 0;
};

Output Batch(Index from, Index to, Term term, std::optional<HardState> hs = std::nullopt) {
  Output out;
  for (Index i = from; i <= to; ++i) {
    out.entries.push_back({i, term, EntryType::kNormal, "data" + std::to_string(i)});
  }
  out.hard_state = hs;
  return out;
}

std::unique_ptr<LevelDbLogStore> OpenStore(const std::string& dir) {
  auto s = LevelDbLogStore::Open(dir, {});
  INFO(s.status().ToString());
  REQUIRE(s.ok());
  return *std::move(s);
}

// LevelDB's write-ahead log file(s) (NNNNNN.log, not the LOG info file).
std::vector<fs::path> WalFiles(const std::string& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir + "/log")) {
    if (e.path().extension() == ".log") out.push_back(e.path());
  }
  return out;
}

TEST_CASE("leveldb store: entries and hard state survive a reopen", "[unit]") {
  TempDir d;
  {
    auto s = OpenStore(d.path);
    REQUIRE(s->LastIndex() == 0);
    REQUIRE(s->FirstIndex() == 1);
    REQUIRE(s->Persist(Batch(1, 5, 1, HardState{1, 2, 3})).ok());
    REQUIRE(s->Persist(Batch(4, 6, 2)).ok());  // Overwrites 4 and 5.
  }
  auto s = OpenStore(d.path);
  REQUIRE(s->GetHardState() == HardState{1, 2, 3});
  REQUIRE(s->FirstIndex() == 1);
  REQUIRE(s->LastIndex() == 6);
  REQUIRE(s->TermAt(3).value() == 1);
  REQUIRE(s->TermAt(4).value() == 2);
  std::vector<Entry> e = s->Entries(2, 7, 1 << 20).value();
  REQUIRE(e.size() == 5);
  REQUIRE(e[2].data == "data4");
  REQUIRE(s->Entries(1, 7, 1).value().size() == 1);  // Size cap, at least one.
  REQUIRE(s->Persist(Batch(9, 9, 2)).code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("leveldb store: compaction keeps a trailing log and survives a reopen", "[unit]") {
  TempDir d;
  Configuration conf{{{1, "a", Suffrage::kVoter}}};
  {
    auto s = OpenStore(d.path);
    REQUIRE(s->Persist(Batch(1, 20, 1, HardState{1, 1, 20})).ok());
    REQUIRE(s->Compact({{15, 1, conf}, "state@15"}, /*trailing=*/5).ok());
    REQUIRE(s->FirstIndex() == 11);
    REQUIRE(s->TermAt(10).value() == 1);
    REQUIRE_FALSE(s->TermAt(9).ok());
    REQUIRE(s->Compact({{10, 1, conf}, "older"}, 0).code() == absl::StatusCode::kInvalidArgument);
  }
  auto s = OpenStore(d.path);
  REQUIRE(s->FirstIndex() == 11);
  REQUIRE(s->LastIndex() == 20);
  REQUIRE(s->GetSnapshotMeta().index == 15);
  REQUIRE(s->GetSnapshotMeta().configuration == conf);
  REQUIRE(s->SnapshotChunk(15, 5, 100).value() == "@15");
  REQUIRE(s->SnapshotChunk(14, 0, 100).status().code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("leveldb store: an installed snapshot replaces the log", "[unit]") {
  TempDir d;
  {
    auto s = OpenStore(d.path);
    REQUIRE(s->Persist(Batch(1, 5, 1)).ok());
    Output out;
    out.snapshot = Snapshot{{50, 3, {{{1, "", Suffrage::kVoter}}}}, "fifty"};
    out.entries = {{51, 3, EntryType::kNormal, "x"}};
    out.hard_state = HardState{3, 0, 50};
    REQUIRE(s->Persist(out).ok());
    REQUIRE(s->FirstIndex() == 51);
    REQUIRE(s->TermAt(50).value() == 3);
  }
  auto s = OpenStore(d.path);
  REQUIRE(s->FirstIndex() == 51);
  REQUIRE(s->LastIndex() == 51);
  REQUIRE(s->TermAt(50).value() == 3);
  REQUIRE(s->GetHardState().commit == 50);
}

TEST_CASE("leveldb store: a log that lacks the newest snapshot's entry is discarded on open",
          "[unit]") {
  TempDir d;
  {
    auto s = OpenStore(d.path);
    REQUIRE(s->Persist(Batch(1, 10, 1)).ok());
  }
  {
    // A crash after the snapshot file was saved, before the old log was cleared.
    auto snaps = FileSnapshotStore::Open(d.path + "/snapshots", 2).value();
    REQUIRE(snaps->Save({8, 2, {{{1, "", Suffrage::kVoter}}}}, "s").ok());
  }
  auto s = OpenStore(d.path);
  REQUIRE(s->FirstIndex() == 9);
  REQUIRE(s->LastIndex() == 8);
  REQUIRE(s->TermAt(8).value() == 2);
}

TEST_CASE("leveldb store: a torn tail (a write that never returned) is dropped", "[unit]") {
  TempDir d;
  {
    auto s = OpenStore(d.path);
    REQUIRE(s->Persist(Batch(1, 3, 1)).ok());
    REQUIRE(s->Persist(Batch(4, 6, 1)).ok());
  }
  std::vector<fs::path> wal = WalFiles(d.path);
  REQUIRE(wal.size() == 1);
  fs::resize_file(wal[0], fs::file_size(wal[0]) - 10);  // Cut into the last record.
  auto s = OpenStore(d.path);
  REQUIRE(s->LastIndex() == 3);
  REQUIRE(s->Entries(1, 4, 1 << 20).value().size() == 3);
}

TEST_CASE("leveldb store: corruption before the tail refuses to start, naming the store",
          "[unit]") {
  TempDir d;
  {
    auto s = OpenStore(d.path);
    REQUIRE(s->Persist(Batch(1, 3, 1)).ok());
    REQUIRE(s->Persist(Batch(4, 6, 1)).ok());
  }
  std::vector<fs::path> wal = WalFiles(d.path);
  REQUIRE(wal.size() == 1);
  {
    std::fstream f(wal[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(20);  // Inside the first record's payload.
    f.put('\xff');
  }
  auto s = LevelDbLogStore::Open(d.path, {});
  REQUIRE(s.status().code() == absl::StatusCode::kDataLoss);
  REQUIRE(s.status().message().find(d.path) != absl::string_view::npos);
}

TEST_CASE("snapshot store: keeps the newest N, drops crashed temp files, detects corruption",
          "[unit]") {
  TempDir d;
  Configuration conf{{{1, "a", Suffrage::kVoter}, {2, "b", Suffrage::kNonvoter}}};
  {
    auto s = FileSnapshotStore::Open(d.path, 2).value();
    REQUIRE(s->latest().meta.index == 0);
    for (Index i : {10, 20, 30}) REQUIRE(s->Save({i, 2, conf}, "data" + std::to_string(i)).ok());
    REQUIRE(s->List().size() == 2);
    REQUIRE(s->Save({5, 1, conf}, "old").code() == absl::StatusCode::kFailedPrecondition);
    std::ofstream(d.path + "/snap-x.bin.tmp") << "half written";
  }
  std::string newest;
  {
    auto s = FileSnapshotStore::Open(d.path, 2).value();
    REQUIRE(s->latest().meta == SnapshotMeta{30, 2, conf});
    REQUIRE(s->latest().data == "data30");
    REQUIRE_FALSE(fs::exists(d.path + "/snap-x.bin.tmp"));
    newest = d.path + "/" + s->List().front();
  }
  {
    std::fstream f(newest, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(30);
    f.put('\x01');
  }
  auto s = FileSnapshotStore::Open(d.path, 2);
  REQUIRE(s.status().code() == absl::StatusCode::kDataLoss);
  REQUIRE(s.status().message().find(newest) != absl::string_view::npos);
}

TEST_CASE("leveldb store: a core restarted on it recovers term, vote, log and commit", "[unit]") {
  TempDir d;
  std::mt19937_64 rng(3);
  CoreConfig cfg;
  cfg.id = 1;
  CoreStatus before;
  {
    auto store = OpenStore(d.path);
    auto core = Core::Create(cfg, *store, rng).value();
    REQUIRE(core->Bootstrap({{{1, "", Suffrage::kVoter}}}).ok());
    REQUIRE(core->Campaign().ok());
    auto drain = [&] {
      while (core->HasOutput()) {
        Output out = core->TakeOutput();
        REQUIRE(store->Persist(out).ok());
        core->Advance(out);
      }
    };
    drain();
    for (int i = 0; i < 5; ++i) REQUIRE(core->Propose("p" + std::to_string(i)).ok());
    drain();
    before = core->Status();
    REQUIRE(before.commit == before.last_index);
  }
  auto store = OpenStore(d.path);
  auto core = Core::Create(cfg, *store, rng).value();
  CoreStatus after = core->Status();
  REQUIRE(after.term == before.term);
  REQUIRE(after.vote == before.vote);
  REQUIRE(after.last_index == before.last_index);
  REQUIRE(after.commit == before.commit);
  REQUIRE(after.configuration == before.configuration);
  // Committed entries are handed out again for the fresh state machine.
  Output out = core->TakeOutput();
  REQUIRE(out.committed.size() == before.last_index);
}

}  // namespace
}  // namespace cairn::raft
