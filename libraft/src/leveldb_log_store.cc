#include <filesystem>

#include <absl/strings/str_cat.h>
#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <cairn/base/status.h>
#include <cairn/raft/file_snapshot_store.h>
#include <cairn/raft/leveldb_log_store.h>

namespace cairn::raft {
namespace {

// Keys: 'e' + big-endian index (so entries sort by index), 'h' hard state, 'b' the last
// compacted entry (index, term), which answers TermAt(FirstIndex() - 1).
constexpr char kEntryPrefix = 'e';
const char* const kHardStateKey = "h";
const char* const kBeforeKey = "b";

std::string EntryKey(Index index) {
  std::string k(1, kEntryPrefix);
  for (int i = 7; i >= 0; --i) k.push_back(static_cast<char>((index >> (8 * i)) & 0xff));
  return k;
}

Index KeyIndex(const leveldb::Slice& key) {
  Index index = 0;
  for (size_t i = 1; i < 9; ++i) index = (index << 8) | static_cast<uint8_t>(key[i]);
  return index;
}

void PutFixed64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

bool GetFixed64(std::string_view& in, uint64_t& v) {
  if (in.size() < 8) return false;
  v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{static_cast<uint8_t>(in[i])} << (8 * i);
  in.remove_prefix(8);
  return true;
}

std::string EncodeEntry(const Entry& e) {
  std::string v;
  PutFixed64(v, e.term);
  v.push_back(static_cast<char>(e.type));
  v += e.data;
  return v;
}

bool DecodeEntry(Index index, std::string_view v, Entry* e) {
  e->index = index;
  if (!GetFixed64(v, e->term) || v.empty() || static_cast<uint8_t>(v[0]) > 2) return false;
  e->type = static_cast<EntryType>(v[0]);
  e->data = std::string(v.substr(1));
  return true;
}

}  // namespace

struct LevelDbLogStore::Rep {
  std::string dir;
  LevelDbLogStoreOptions options;
  std::unique_ptr<leveldb::DB> db;
  std::unique_ptr<FileSnapshotStore> snapshots;
  HardState hard_state;
  Index first = 1;  // First stored entry (or last + 1 when none).
  Index last = 0;
  Index before_index = 0;  // The entry just before `first`: index and term.
  Term before_term = 0;

  absl::Status Error(const leveldb::Status& s, std::string_view what) const {
    std::string msg =
        absl::StrCat("raft log ", dir, "/log: ", base::ToAbsl(what), ": ", s.ToString());
    if (s.IsCorruption()) return absl::DataLossError(msg);
    return absl::InternalError(msg);
  }

  absl::Status Write(leveldb::WriteBatch* batch) {
    leveldb::WriteOptions wo;
    wo.sync = options.sync;
    leveldb::Status s = db->Write(wo, batch);
    return s.ok() ? absl::OkStatus() : Error(s, "write");
  }

  absl::StatusOr<Entry> Read(Index index) const {
    leveldb::ReadOptions ro;
    ro.verify_checksums = true;
    std::string v;
    leveldb::Status s = db->Get(ro, EntryKey(index), &v);
    if (!s.ok()) return Error(s, absl::StrCat("read entry ", index));
    Entry e;
    if (!DecodeEntry(index, v, &e)) {
      return absl::DataLossError(
          absl::StrCat("raft log ", dir, "/log: entry ", index, " undecodable"));
    }
    return e;
  }

  void PutBefore(leveldb::WriteBatch& batch, Index index, Term term) {
    std::string v;
    PutFixed64(v, index);
    PutFixed64(v, term);
    batch.Put(kBeforeKey, v);
    before_index = index;
    before_term = term;
  }

  // Deletes every stored entry (the log was replaced by a snapshot).
  void ClearEntries(leveldb::WriteBatch& batch) {
    for (Index i = first; i <= last; ++i) batch.Delete(EntryKey(i));
  }

  absl::Status Recover();
};

absl::Status LevelDbLogStore::Rep::Recover() {
  leveldb::ReadOptions ro;
  ro.verify_checksums = true;
  std::string v;
  leveldb::Status s = db->Get(ro, kHardStateKey, &v);
  if (s.ok()) {
    std::string_view in = v;
    if (!GetFixed64(in, hard_state.term) || !GetFixed64(in, hard_state.vote) ||
        !GetFixed64(in, hard_state.commit) || !in.empty()) {
      return absl::DataLossError(absl::StrCat("raft log ", dir, "/log: hard state undecodable"));
    }
  } else if (!s.IsNotFound()) {
    return Error(s, "read hard state");
  }
  s = db->Get(ro, kBeforeKey, &v);
  if (s.ok()) {
    std::string_view in = v;
    if (!GetFixed64(in, before_index) || !GetFixed64(in, before_term)) {
      return absl::DataLossError(absl::StrCat("raft log ", dir, "/log: compaction mark bad"));
    }
  } else if (!s.IsNotFound()) {
    return Error(s, "read compaction mark");
  }
  // Scan every entry: contiguous indexes, decodable records. The scan also verifies every
  // block's checksum once at startup.
  std::unique_ptr<leveldb::Iterator> it(db->NewIterator(ro));
  bool any = false;
  Index prev = 0;
  for (it->Seek(std::string(1, kEntryPrefix)); it->Valid(); it->Next()) {
    leveldb::Slice key = it->key();
    if (key.size() != 9 || key[0] != kEntryPrefix) break;
    Index index = KeyIndex(key);
    Entry e;
    if (!DecodeEntry(index, std::string_view(it->value().data(), it->value().size()), &e)) {
      return absl::DataLossError(
          absl::StrCat("raft log ", dir, "/log: entry ", index, " undecodable; refusing to start"));
    }
    if (any && index != prev + 1) {
      return absl::DataLossError(absl::StrCat("raft log ", dir, "/log: entries ", prev + 1, "..",
                                              index - 1, " missing; refusing to start"));
    }
    if (!any) first = index;
    any = true;
    prev = index;
  }
  if (!it->status().ok()) return Error(it->status(), "scan");
  const SnapshotMeta& snap = snapshots->latest().meta;
  if (!any) {
    first = std::max(before_index, snap.index) + 1;
    last = first - 1;
  } else {
    last = prev;
  }
  if (any && first != 1 && first != before_index + 1) {
    return absl::DataLossError(absl::StrCat("raft log ", dir, "/log: first entry ", first,
                                            " does not follow compaction mark ", before_index));
  }
  // Raft §7: a log that does not contain the snapshot's last entry with its term is
  // superseded by the snapshot. (A crash after saving an installed snapshot and before
  // clearing the old log leaves this.)
  if (snap.index > 0) {
    bool holds = false;
    if (snap.index >= first && snap.index <= last) {
      CAIRN_ASSIGN_OR_RETURN(Entry e, Read(snap.index));
      holds = e.term == snap.term;
    } else if (snap.index == before_index) {
      holds = before_term == snap.term;
    }
    if (!holds) {
      leveldb::WriteBatch batch;
      ClearEntries(batch);
      PutBefore(batch, snap.index, snap.term);
      CAIRN_RETURN_IF_ERROR(Write(&batch));
      first = snap.index + 1;
      last = snap.index;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<LevelDbLogStore>> LevelDbLogStore::Open(
    const std::string& dir, const LevelDbLogStoreOptions& options) {
  auto rep = std::make_unique<Rep>();
  rep->dir = dir;
  rep->options = options;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("raft log: mkdir ", dir, ": ", ec.message()));
  CAIRN_ASSIGN_OR_RETURN(rep->snapshots,
                         FileSnapshotStore::Open(dir + "/snapshots", options.retain_snapshots));
  leveldb::Options lo;
  lo.create_if_missing = true;
  // Corruption anywhere but a torn tail of LevelDB's own write-ahead log fails the open.
  lo.paranoid_checks = true;
  leveldb::DB* db = nullptr;
  leveldb::Status s = leveldb::DB::Open(lo, dir + "/log", &db);
  if (!s.ok()) return rep->Error(s, "open");
  rep->db.reset(db);
  CAIRN_RETURN_IF_ERROR(rep->Recover());
  return std::unique_ptr<LevelDbLogStore>(new LevelDbLogStore(std::move(rep)));
}

LevelDbLogStore::LevelDbLogStore(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
LevelDbLogStore::~LevelDbLogStore() = default;

HardState LevelDbLogStore::GetHardState() const { return rep_->hard_state; }
SnapshotMeta LevelDbLogStore::GetSnapshotMeta() const { return rep_->snapshots->latest().meta; }
Index LevelDbLogStore::FirstIndex() const { return rep_->first; }
Index LevelDbLogStore::LastIndex() const { return rep_->last; }
uint64_t LevelDbLogStore::SnapshotSize() const { return rep_->snapshots->latest().data.size(); }

absl::StatusOr<Term> LevelDbLogStore::TermAt(Index index) const {
  if (index == 0) return Term{0};
  if (index + 1 == rep_->first) {
    const SnapshotMeta& snap = GetSnapshotMeta();
    if (index == snap.index) return snap.term;
    if (index == rep_->before_index) return rep_->before_term;
  }
  if (index < rep_->first || index > rep_->last) {
    return absl::OutOfRangeError(absl::StrCat("raft log: no entry ", index));
  }
  CAIRN_ASSIGN_OR_RETURN(Entry e, rep_->Read(index));
  return e.term;
}

absl::StatusOr<std::vector<Entry>> LevelDbLogStore::Entries(Index lo, Index hi,
                                                            uint64_t max_bytes) const {
  if (lo < rep_->first || hi > rep_->last + 1 || lo >= hi) {
    return absl::OutOfRangeError(absl::StrCat("raft log: bad range [", lo, ", ", hi, ")"));
  }
  leveldb::ReadOptions ro;
  ro.verify_checksums = true;
  std::unique_ptr<leveldb::Iterator> it(rep_->db->NewIterator(ro));
  std::vector<Entry> out;
  uint64_t bytes = 0;
  Index want = lo;
  for (it->Seek(EntryKey(lo)); it->Valid() && want < hi; it->Next(), ++want) {
    leveldb::Slice key = it->key();
    Entry e;
    if (key.size() != 9 || key[0] != kEntryPrefix || KeyIndex(key) != want ||
        !DecodeEntry(want, std::string_view(it->value().data(), it->value().size()), &e)) {
      return absl::DataLossError(
          absl::StrCat("raft log ", rep_->dir, "/log: entry ", want, " missing or undecodable"));
    }
    if (!out.empty() && bytes + e.data.size() > max_bytes) break;
    bytes += e.data.size();
    out.push_back(std::move(e));
  }
  if (!it->status().ok()) return rep_->Error(it->status(), "read entries");
  if (out.empty()) {
    return absl::DataLossError(
        absl::StrCat("raft log ", rep_->dir, "/log: entry ", lo, " missing"));
  }
  return out;
}

absl::StatusOr<std::string> LevelDbLogStore::SnapshotChunk(Index snapshot_index, uint64_t offset,
                                                           uint64_t max_bytes) const {
  const Snapshot& s = rep_->snapshots->latest();
  if (snapshot_index != s.meta.index) {
    return absl::FailedPreconditionError("raft log: snapshot replaced");
  }
  if (offset > s.data.size()) return absl::OutOfRangeError("raft log: snapshot offset");
  return s.data.substr(offset, max_bytes);
}

absl::Status LevelDbLogStore::Persist(const Output& out) {
  Rep& r = *rep_;
  leveldb::WriteBatch batch;
  Index first = r.first, last = r.last;
  if (out.snapshot) {
    const SnapshotMeta& meta = out.snapshot->meta;
    CAIRN_RETURN_IF_ERROR(r.snapshots->Save(meta, out.snapshot->data));
    r.ClearEntries(batch);
    r.PutBefore(batch, meta.index, meta.term);
    first = meta.index + 1;
    last = meta.index;
  }
  if (!out.entries.empty()) {
    Index from = out.entries.front().index;
    if (from < first || from > last + 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("raft log: append at ", from, " outside [", first, ", ", last + 1, "]"));
    }
    for (Index i = from; i <= last; ++i) batch.Delete(EntryKey(i));
    for (const Entry& e : out.entries) batch.Put(EntryKey(e.index), EncodeEntry(e));
    last = out.entries.back().index;
  }
  if (out.hard_state) {
    std::string v;
    PutFixed64(v, out.hard_state->term);
    PutFixed64(v, out.hard_state->vote);
    PutFixed64(v, out.hard_state->commit);
    batch.Put(kHardStateKey, v);
  }
  if (!out.snapshot && out.entries.empty() && !out.hard_state) return absl::OkStatus();
  CAIRN_RETURN_IF_ERROR(r.Write(&batch));
  r.first = first;
  r.last = last;
  if (out.hard_state) r.hard_state = *out.hard_state;
  return absl::OkStatus();
}

absl::Status LevelDbLogStore::Compact(const Snapshot& snapshot, uint64_t trailing) {
  Rep& r = *rep_;
  Index index = snapshot.meta.index;
  if (index < GetSnapshotMeta().index || index > r.last) {
    return absl::InvalidArgumentError(absl::StrCat("raft log: snapshot at ", index, " outside [",
                                                   GetSnapshotMeta().index, ", ", r.last, "]"));
  }
  CAIRN_RETURN_IF_ERROR(r.snapshots->Save(snapshot.meta, snapshot.data));
  Index keep_from = index + 1 > trailing ? index + 1 - trailing : 1;
  if (keep_from <= r.first) return absl::OkStatus();
  CAIRN_ASSIGN_OR_RETURN(Term before_term, TermAt(keep_from - 1));
  leveldb::WriteBatch batch;
  for (Index i = r.first; i < keep_from; ++i) batch.Delete(EntryKey(i));
  Index old_before = r.before_index;
  Term old_before_term = r.before_term;
  r.PutBefore(batch, keep_from - 1, before_term);
  absl::Status s = r.Write(&batch);
  if (!s.ok()) {
    r.before_index = old_before;
    r.before_term = old_before_term;
    return s;
  }
  r.first = keep_from;
  return absl::OkStatus();
}

}  // namespace cairn::raft
