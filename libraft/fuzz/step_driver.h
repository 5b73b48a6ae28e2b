// Drives one Core with an arbitrary byte string read as a sequence of hostile messages
// and local calls (Tick, Propose, ReadIndex, membership changes, transfers), persisting
// every Output to a MemoryLogStore. Shared by the libFuzzer target (fuzz/CMakeLists.txt,
// fuzz_raft_step) and a unit test that feeds it seeded random bytes. A CAIRN_CHECK
// failure or a broken monotonicity invariant aborts: that is the bug being looked for.
#ifndef CAIRN_RAFT_FUZZ_STEP_DRIVER_H_
#define CAIRN_RAFT_FUZZ_STEP_DRIVER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <string>

#include <cairn/base/status.h>
#include <cairn/raft/core.h>
#include <cairn/raft/memory_log_store.h>

namespace cairn::raft::fuzz {

class StepDriver {
 public:
  // Server 1 of {1, 2, 3}; the leader when `leader`, else a follower of 2.
  explicit StepDriver(bool leader) : rng_(7) {
    CoreConfig cfg;
    cfg.id = 1;
    cfg.lease_read = true;
    cfg.snapshot_chunk_bytes = 8;
    cfg.max_append_bytes = 16;
    core_ = Core::Create(cfg, store_, rng_).value();
    Configuration conf{
        {{1, "a", Suffrage::kVoter}, {2, "b", Suffrage::kVoter}, {3, "c", Suffrage::kVoter}}};
    CAIRN_CHECK(core_->Bootstrap(conf).ok());
    Drain();
    if (leader) {
      CAIRN_CHECK(core_->Campaign().ok());
      Drain();
      Message grant;
      grant.type = MessageType::kVoteResponse;
      grant.from = 2;
      grant.to = 1;
      grant.term = core_->term();
      CAIRN_CHECK(core_->Step(grant).ok());
    } else {
      Message hb;
      hb.type = MessageType::kHeartbeat;
      hb.from = 2;
      hb.to = 1;
      hb.term = 2;
      CAIRN_CHECK(core_->Step(hb).ok());
    }
    Drain();
  }

  void Run(const uint8_t* data, size_t size) {
    data_ = data;
    size_ = size;
    pos_ = 0;
    while (pos_ < size_) {
      uint8_t op = Byte();
      if (op < 200) {
        core_->Step(ReadMessage(op)).IgnoreError();
      } else if (op < 220) {
        core_->Tick();
      } else if (op < 230) {
        core_->Propose(std::string(Byte() % 8, 'p')).IgnoreError();
      } else if (op < 236) {
        core_->ReadIndex(Byte()).IgnoreError();
      } else if (op < 242) {
        ConfChange cc{static_cast<ConfChange::Op>(Byte() % 3), ServerId(Byte() % 6), "x"};
        core_->ProposeConfChange(cc).IgnoreError();
      } else if (op < 246) {
        core_->TransferLeadership(Byte() % 5).IgnoreError();
      } else if (op < 250) {
        core_->ReportUnreachable(Byte() % 5);
      } else {
        Compact();
      }
      Drain();
    }
  }

 private:
  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  // A value near `base`: most hostile inputs that matter are off by a little.
  uint64_t Near(uint64_t base) {
    int delta = static_cast<int8_t>(Byte()) / 16;
    if (delta < 0 && static_cast<uint64_t>(-delta) > base) return 0;
    return base + delta;
  }

  Message ReadMessage(uint8_t type) {
    CoreStatus s = core_->Status();
    Message m;
    m.type = static_cast<MessageType>(type % 12);  // 11 is not a valid type.
    m.from = Byte() % 5;
    m.to = Byte() % 4 == 0 ? Byte() % 5 : 1;
    m.term = Near(s.term);
    m.log_index = Near(s.last_index);
    m.log_term = Near(s.last_term);
    m.commit = Near(s.commit);
    uint8_t flags = Byte();
    m.reject = flags & 1;
    m.transfer = flags & 2;
    m.done = flags & 4;
    m.index = Near(s.last_index);
    m.hint_index = Near(s.last_index);
    m.hint_term = Near(s.last_term);
    m.context = Byte();
    int n = Byte() % 4;
    for (int i = 0; i < n; ++i) {
      Entry e;
      e.index = m.log_index + 1 + i;
      e.term = Near(m.term);
      e.type = static_cast<EntryType>(Byte() % 4);
      if (e.type == EntryType::kConfiguration && Byte() % 2) {
        Configuration c{{{ServerId(1 + Byte() % 4), "", Suffrage::kVoter}}};
        e.data = EncodeConfiguration(c);
      } else {
        e.data = std::string(Byte() % 4, 'e');
      }
      m.entries.push_back(std::move(e));
    }
    if (flags & 8) {
      m.snapshot.index = Near(s.last_index + 4);
      m.snapshot.term = Near(s.term);
      m.snapshot.configuration = {{{1, "", Suffrage::kVoter}, {2, "", Suffrage::kVoter}}};
      m.offset = Byte() % 24;
      m.data = std::string(Byte() % 10, 's');
    }
    return m;
  }

  void Compact() {
    CoreStatus s = core_->Status();
    absl::StatusOr<SnapshotMeta> meta = core_->SnapshotMetaAt(s.applied);
    if (meta.ok() && meta->index > store_.snapshot_index()) {
      CAIRN_CHECK(store_.Compact({*meta, "snapshot-bytes"}, Byte() % 4).ok());
    }
  }

  void Drain() {
    while (core_->HasOutput()) {
      Output out = core_->TakeOutput();
      store_.Persist(out);
      core_->Advance(out);
    }
    CoreStatus s = core_->Status();
    CAIRN_CHECK(s.term >= last_term_);
    CAIRN_CHECK(s.commit >= last_commit_);
    CAIRN_CHECK(s.commit <= s.last_index);
    CAIRN_CHECK(s.applied <= s.commit);
    last_term_ = s.term;
    last_commit_ = s.commit;
  }

  std::mt19937_64 rng_;
  MemoryLogStore store_;
  std::unique_ptr<Core> core_;
  Term last_term_ = 0;
  Index last_commit_ = 0;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t pos_ = 0;
};

}  // namespace cairn::raft::fuzz

#endif  // CAIRN_RAFT_FUZZ_STEP_DRIVER_H_
