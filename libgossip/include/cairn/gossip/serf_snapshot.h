// cairn/gossip/serf_snapshot.h — serf's snapshot file (snapshot.go), the same text
// format the serf agent writes with `-snapshot` and Consul keeps in serf/local.snapshot.
//
// Append-only, one record per line:
//   alive: <name> <ip:port>     a member joined
//   not-alive: <name>           a member left, failed or was reaped
//   clock: <n>                  member clock (the last time seen, clock - 1)
//   event-clock: <n>            highest user-event LTime delivered
//   query-clock: <n>            highest query LTime delivered
//   leave                       we left gracefully: replay forgets members and clocks
//                               (unless rejoin_after_leave)
//   coordinate: ..., #...       ignored
// On open the file is replayed into previous(): the members to re-join and the clocks to
// restore (SerfCore::RestoreClocks), then appended to. Records are buffered and written
// by Flush() (the runtime calls it every 500 ms, as serf does); when the file grows past
// max(min_compact_size, 2 * 128 bytes * alive members) it is rewritten to `<path>.compact`
// with only the live state, fsynced, and renamed over the original.
//
// Example:
//
//   CAIRN_ASSIGN_OR_RETURN(auto snap, SerfSnapshot::Open(dir + "/serf.snapshot", false));
//   core.RestoreClocks(snap->previous().clock, snap->previous().event_clock,
//                      snap->previous().query_clock);
//   ... for every SerfEvent: snap->Record(event);  every 500 ms: snap->UpdateClock(core.clock());
//   snap->Flush();
//
// Not thread-safe: owned by the serf runtime's strand. Errors: bad lines are skipped
// (counted in skipped_lines()); I/O errors are returned by Open/Flush/Leave.
#ifndef CAIRN_GOSSIP_SERF_SNAPSHOT_H_
#define CAIRN_GOSSIP_SERF_SNAPSHOT_H_

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <absl/status/statusor.h>

#include <cairn/gossip/serf.h>

namespace cairn::gossip {

struct SnapshotState {
  std::map<std::string, std::string> alive;  // name -> "ip:port"
  LamportTime clock = 0, event_clock = 0, query_clock = 0;
};

class SerfSnapshot {
 public:
  static constexpr size_t kDefaultMinCompactSize = 128 * 1024;

  // Opens (creating) and replays `path`. Errors: the file cannot be opened or read.
  static absl::StatusOr<std::unique_ptr<SerfSnapshot>> Open(
      std::string path, bool rejoin_after_leave, size_t min_compact_size = kDefaultMinCompactSize);
  ~SerfSnapshot();
  SerfSnapshot(const SerfSnapshot&) = delete;
  SerfSnapshot& operator=(const SerfSnapshot&) = delete;

  // What the file said at Open: members to re-join ("name/ip:port" via
  // RejoinAddresses()) and clocks.
  const SnapshotState& previous() const { return previous_; }
  std::vector<std::string> RejoinAddresses(const std::string& self) const;
  int skipped_lines() const { return skipped_lines_; }

  // Records a member or user event / query (ignored after Leave()).
  void Record(const SerfEvent& event);
  // Records the member clock if it moved (serf writes clock.Time() - 1).
  void UpdateClock(LamportTime clock_now);
  // Writes buffered records (and compacts when due).
  absl::Status Flush();
  // Records a graceful leave and flushes + fsyncs; later records are dropped.
  absl::Status Leave();

 private:
  SerfSnapshot(std::string path, bool rejoin_after_leave, size_t min_compact_size);
  absl::Status Replay();
  absl::Status Compact();
  void Append(std::string line);

  std::string path_;
  bool rejoin_after_leave_;
  size_t min_compact_size_;
  std::FILE* file_ = nullptr;
  size_t offset_ = 0;
  SnapshotState previous_;
  SnapshotState current_;
  std::string buffer_;
  bool leaving_ = false;
  int skipped_lines_ = 0;
};

}  // namespace cairn::gossip

#endif  // CAIRN_GOSSIP_SERF_SNAPSHOT_H_
