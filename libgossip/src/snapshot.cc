// serf's snapshot file (snapshot.go). The format is serf's so a file written by a serf
// agent restores a Cairn node and the other way round.
#include <cerrno>
#include <cstring>
#include <utility>

#include <absl/strings/numbers.h>
#include <fmt/format.h>

#include <cairn/base/log.h>
#include <cairn/gossip/serf_snapshot.h>

#include "serf_util.h"
#include <fcntl.h>
#include <unistd.h>

namespace cairn::gossip {
namespace {

constexpr size_t kBytesPerNode = 128;
constexpr size_t kCompactionThreshold = 2;

absl::Status Errno(std::string_view what, const std::string& path) {
  return absl::InternalError(fmt::format("{} {}: {}", what, path, std::strerror(errno)));
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

bool ParseClock(std::string_view text, LamportTime* out) {
  LamportTime v = 0;
  if (!absl::SimpleAtoi(absl::string_view(text.data(), text.size()), &v)) return false;
  *out = v;
  return true;
}

std::string Address(const SerfMember& m) { return serf_internal::HostPort(m.addr, m.port); }

}  // namespace

SerfSnapshot::SerfSnapshot(std::string path, bool rejoin_after_leave, size_t min_compact_size)
    : path_(std::move(path)),
      rejoin_after_leave_(rejoin_after_leave),
      min_compact_size_(min_compact_size) {}

SerfSnapshot::~SerfSnapshot() {
  if (file_ != nullptr) {
    (void)Flush();
    std::fclose(file_);
  }
}

absl::StatusOr<std::unique_ptr<SerfSnapshot>> SerfSnapshot::Open(std::string path,
                                                                 bool rejoin_after_leave,
                                                                 size_t min_compact_size) {
  std::unique_ptr<SerfSnapshot> s(
      new SerfSnapshot(std::move(path), rejoin_after_leave, min_compact_size));
  s->file_ = std::fopen(s->path_.c_str(), "a+");
  if (s->file_ == nullptr) return Errno("open snapshot", s->path_);
  if (absl::Status st = s->Replay(); !st.ok()) return st;
  s->current_ = s->previous_;
  return s;
}

absl::Status SerfSnapshot::Replay() {
  std::rewind(file_);
  std::string line;
  int c;
  size_t size = 0;
  while ((c = std::fgetc(file_)) != EOF) {
    ++size;
    if (c != '\n') {
      line.push_back(static_cast<char>(c));
      continue;
    }
    std::string_view l = line;
    if (StartsWith(l, "alive: ")) {
      std::string_view info = l.substr(7);
      size_t sp = info.rfind(' ');
      if (sp == std::string_view::npos) {
        ++skipped_lines_;
      } else {
        previous_.alive[std::string(info.substr(0, sp))] = std::string(info.substr(sp + 1));
      }
    } else if (StartsWith(l, "not-alive: ")) {
      previous_.alive.erase(std::string(l.substr(11)));
    } else if (StartsWith(l, "clock: ")) {
      if (!ParseClock(l.substr(7), &previous_.clock)) ++skipped_lines_;
    } else if (StartsWith(l, "event-clock: ")) {
      if (!ParseClock(l.substr(13), &previous_.event_clock)) ++skipped_lines_;
    } else if (StartsWith(l, "query-clock: ")) {
      if (!ParseClock(l.substr(13), &previous_.query_clock)) ++skipped_lines_;
    } else if (l == "leave") {
      if (!rejoin_after_leave_) previous_ = SnapshotState{};
    } else if (StartsWith(l, "coordinate: ") || StartsWith(l, "#")) {
      // Legacy coordinates and comments.
    } else {
      ++skipped_lines_;
    }
    line.clear();
  }
  // A last line without '\n' is a torn write: serf ignores it too.
  if (std::ferror(file_)) return Errno("read snapshot", path_);
  offset_ = size;
  if (skipped_lines_ > 0) {
    base::LogSystem::Default().Get("serf").Warn("skipped {} unrecognized snapshot lines in {}",
                                                skipped_lines_, path_);
  }
  return absl::OkStatus();
}

std::vector<std::string> SerfSnapshot::RejoinAddresses(const std::string& self) const {
  std::vector<std::string> out;
  for (const auto& [name, addr] : previous_.alive) {
    if (name != self) out.push_back(name + "/" + addr);
  }
  return out;
}

void SerfSnapshot::Append(std::string line) {
  buffer_ += line;
  buffer_ += '\n';
}

void SerfSnapshot::Record(const SerfEvent& event) {
  if (leaving_) return;
  if (auto* m = std::get_if<MemberEvent>(&event)) {
    for (const SerfMember& member : m->members) {
      if (m->type == MemberEventType::kJoin) {
        std::string addr = Address(member);
        current_.alive[member.name] = addr;
        Append(fmt::format("alive: {} {}", member.name, addr));
      } else if (m->type != MemberEventType::kUpdate) {
        current_.alive.erase(member.name);
        Append(fmt::format("not-alive: {}", member.name));
      }
    }
  } else if (auto* u = std::get_if<SerfUserEvent>(&event)) {
    if (u->ltime <= current_.event_clock) return;
    current_.event_clock = u->ltime;
    Append(fmt::format("event-clock: {}", u->ltime));
  } else if (auto* q = std::get_if<IncomingQuery>(&event)) {
    if (q->ltime <= current_.query_clock) return;
    current_.query_clock = q->ltime;
    Append(fmt::format("query-clock: {}", q->ltime));
  }
}

void SerfSnapshot::UpdateClock(LamportTime clock_now) {
  if (leaving_ || clock_now == 0) return;
  LamportTime seen = clock_now - 1;
  if (seen <= current_.clock) return;
  current_.clock = seen;
  Append(fmt::format("clock: {}", seen));
}

absl::Status SerfSnapshot::Flush() {
  if (file_ == nullptr) return absl::FailedPreconditionError("snapshot closed");
  if (!buffer_.empty()) {
    if (std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size() ||
        std::fflush(file_) != 0) {
      return Errno("write snapshot", path_);
    }
    offset_ += buffer_.size();
    buffer_.clear();
  }
  size_t threshold =
      std::max(min_compact_size_, kCompactionThreshold * kBytesPerNode * current_.alive.size());
  if (offset_ > threshold && !leaving_) return Compact();
  return absl::OkStatus();
}

absl::Status SerfSnapshot::Compact() {
  std::string tmp = path_ + ".compact";
  std::string text;
  for (const auto& [name, addr] : current_.alive) text += fmt::format("alive: {} {}\n", name, addr);
  text += fmt::format("clock: {}\nevent-clock: {}\nquery-clock: {}\n", current_.clock,
                      current_.event_clock, current_.query_clock);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return Errno("create", tmp);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(tmp.c_str());
    return Errno("write", tmp);
  }
  if (::rename(tmp.c_str(), path_.c_str()) != 0) return Errno("rename", tmp);
  std::FILE* f = std::fopen(path_.c_str(), "a");
  if (f == nullptr) return Errno("reopen snapshot", path_);
  std::fclose(file_);
  file_ = f;
  offset_ = text.size();
  return absl::OkStatus();
}

absl::Status SerfSnapshot::Leave() {
  if (leaving_) return absl::OkStatus();
  Append("leave");
  absl::Status s = Flush();
  leaving_ = true;
  if (s.ok() && ::fsync(fileno(file_)) != 0) s = Errno("fsync snapshot", path_);
  return s;
}

}  // namespace cairn::gossip
