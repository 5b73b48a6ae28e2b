// Snapshot stream writer and validating restore.
//
// Format, version 1 (all integers little-endian):
//
//   "CAIRNKV1"  u32 version
//   record*     u8 type | u32 payload length | payload | u32 CRC-32C of (type, payload)
//
//   type 1 meta       u64 applied_index, u64 kv_index, u64 sessions_index   (exactly once,
//                     first)
//   type 2 session    str id, str name, str node, list<str> node_checks,
//                     list<(str id, str ns)> service_checks, list<str> checks,
//                     i64 lock_delay_ns, u8 behavior (0 release, 1 delete), i64 ttl_ns,
//                     str ttl_text, u64 create_index, u64 modify_index
//   type 3 entry      str key, str value, u64 flags, u64 create_index, u64 modify_index,
//                     u64 lock_index, str session
//   type 4 tombstone  str key, u64 index
//   type 255 end      u64 sessions, u64 entries, u64 tombstones   (last; then end of stream)
//
//   str = u32 length + bytes; list<T> = u32 count + T*.
// Records appear in type order, each kind sorted by key, so a restore can check order and
// session references in one pass and build the maps with appends. Secondary indexes and
// lock-delays are not stored: the former are rebuilt, the latter are not replicated state.
#include <array>
#include <cstring>

#include <absl/strings/str_cat.h>

#include <cairn/base/status.h>

#include "state.h"

namespace cairn::kv {
namespace {

using internal::State;

constexpr char kMagic[8] = {'C', 'A', 'I', 'R', 'N', 'K', 'V', '1'};
constexpr uint32_t kVersion = 1;
constexpr uint8_t kMeta = 1, kSession = 2, kEntry = 3, kTombstone = 4, kEnd = 255;
constexpr uint32_t kMaxRecord = 64u << 20;

uint32_t Crc32c(uint32_t crc, const char* data, std::size_t n) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0x82F63B78u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  crc = ~crc;
  for (std::size_t i = 0; i < n; ++i) {
    crc = table[(crc ^ static_cast<uint8_t>(data[i])) & 0xff] ^ (crc >> 8);
  }
  return ~crc;
}

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
void PutStr(std::string& out, std::string_view s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

// Reads fields from one record's payload; any overrun marks it bad.
class Decoder {
 public:
  explicit Decoder(std::string_view in) : in_(in) {}
  uint64_t U64() { return Fixed(8); }
  uint32_t U32() { return static_cast<uint32_t>(Fixed(4)); }
  uint8_t U8() { return static_cast<uint8_t>(Fixed(1)); }
  std::string_view Str() {
    uint32_t n = U32();
    if (bad_ || n > in_.size()) {
      bad_ = true;
      return {};
    }
    std::string_view s = in_.substr(0, n);
    in_.remove_prefix(n);
    return s;
  }
  // True when every byte was consumed and no read overran.
  bool Done() const { return !bad_ && in_.empty(); }
  bool ok() const { return !bad_; }

 private:
  uint64_t Fixed(int n) {
    if (bad_ || in_.size() < static_cast<std::size_t>(n)) {
      bad_ = true;
      return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= uint64_t{static_cast<uint8_t>(in_[i])} << (8 * i);
    in_.remove_prefix(n);
    return v;
  }
  std::string_view in_;
  bool bad_ = false;
};

class RecordWriter {
 public:
  explicit RecordWriter(absl::FunctionRef<absl::Status(std::string_view)> sink) : sink_(sink) {}
  absl::Status Raw(std::string_view bytes) {
    buf_.append(bytes);
    return MaybeFlush();
  }
  absl::Status Record(uint8_t type, const std::string& payload) {
    std::size_t start = buf_.size();
    buf_.push_back(static_cast<char>(type));
    PutU32(buf_, static_cast<uint32_t>(payload.size()));
    buf_.append(payload);
    uint32_t crc = Crc32c(0, &buf_[start], 1);
    crc = Crc32c(crc, payload.data(), payload.size());
    PutU32(buf_, crc);
    return MaybeFlush();
  }
  absl::Status Flush() {
    if (buf_.empty()) return absl::OkStatus();
    absl::Status s = sink_(buf_);
    buf_.clear();
    return s;
  }

 private:
  absl::Status MaybeFlush() { return buf_.size() >= (64u << 10) ? Flush() : absl::OkStatus(); }
  absl::FunctionRef<absl::Status(std::string_view)> sink_;
  std::string buf_;
};

std::string EncodeSession(const Session& s) {
  std::string p;
  PutStr(p, s.id);
  PutStr(p, s.name);
  PutStr(p, s.node);
  PutU32(p, static_cast<uint32_t>(s.node_checks.size()));
  for (const auto& c : s.node_checks) PutStr(p, c);
  PutU32(p, static_cast<uint32_t>(s.service_checks.size()));
  for (const auto& c : s.service_checks) {
    PutStr(p, c.id);
    PutStr(p, c.ns);
  }
  PutU32(p, static_cast<uint32_t>(s.checks.size()));
  for (const auto& c : s.checks) PutStr(p, c);
  PutU64(p, static_cast<uint64_t>(s.lock_delay.count()));
  p.push_back(s.behavior == SessionBehavior::kDelete ? 1 : 0);
  PutU64(p, static_cast<uint64_t>(s.ttl.count()));
  PutStr(p, s.ttl_text);
  PutU64(p, s.create_index);
  PutU64(p, s.modify_index);
  return p;
}

absl::Status Corrupt(std::string_view what) {
  return absl::DataLossError(absl::StrCat("kv snapshot: ", base::ToAbsl(what)));
}

// Reads exactly n bytes (or reports a short stream).
class StreamReader {
 public:
  explicit StreamReader(absl::FunctionRef<absl::StatusOr<std::size_t>(char*, std::size_t)> src)
      : src_(src) {}
  absl::Status ReadExact(char* out, std::size_t n, bool* eof_at_start = nullptr) {
    std::size_t got = 0;
    while (got < n) {
      absl::StatusOr<std::size_t> r = src_(out + got, n - got);
      if (!r.ok()) return r.status();
      if (*r == 0) {
        if (got == 0 && eof_at_start) {
          *eof_at_start = true;
          return absl::OkStatus();
        }
        return Corrupt("stream ends in the middle of a record");
      }
      got += *r;
    }
    return absl::OkStatus();
  }

 private:
  absl::FunctionRef<absl::StatusOr<std::size_t>(char*, std::size_t)> src_;
};

absl::StatusOr<Session> DecodeSession(Decoder& d) {
  Session s;
  s.id = d.Str();
  s.name = d.Str();
  s.node = d.Str();
  for (uint32_t n = d.U32(); n > 0 && d.ok(); --n) s.node_checks.emplace_back(d.Str());
  for (uint32_t n = d.U32(); n > 0 && d.ok(); --n) {
    ServiceCheckRef c;
    c.id = d.Str();
    c.ns = d.Str();
    s.service_checks.push_back(std::move(c));
  }
  for (uint32_t n = d.U32(); n > 0 && d.ok(); --n) s.checks.emplace_back(d.Str());
  s.lock_delay = base::Duration(static_cast<int64_t>(d.U64()));
  uint8_t behavior = d.U8();
  s.ttl = base::Duration(static_cast<int64_t>(d.U64()));
  s.ttl_text = d.Str();
  s.create_index = d.U64();
  s.modify_index = d.U64();
  if (!d.Done()) return Corrupt("malformed session record");
  if (behavior > 1) return Corrupt("bad session behavior");
  s.behavior = behavior == 1 ? SessionBehavior::kDelete : SessionBehavior::kRelease;
  if (s.id.empty() || s.node.empty() || s.lock_delay < base::Duration(0) ||
      s.ttl < base::Duration(0)) {
    return Corrupt("invalid session fields");
  }
  return s;
}

}  // namespace

absl::Status ReadView::WriteSnapshot(absl::FunctionRef<absl::Status(std::string_view)> sink) const {
  RecordWriter w(sink);
  std::string header(kMagic, sizeof kMagic);
  PutU32(header, kVersion);
  CAIRN_RETURN_IF_ERROR(w.Raw(header));
  std::string p;
  PutU64(p, state_->applied_index);
  PutU64(p, state_->kv_index);
  PutU64(p, state_->sessions_index);
  CAIRN_RETURN_IF_ERROR(w.Record(kMeta, p));
  for (auto [id, s] : state_->sessions)
    CAIRN_RETURN_IF_ERROR(w.Record(kSession, EncodeSession(*s)));
  for (auto [key, e] : state_->entries) {
    p.clear();
    PutStr(p, e.key());
    PutStr(p, e.value());
    PutU64(p, e.flags());
    PutU64(p, e.create_index());
    PutU64(p, e.modify_index());
    PutU64(p, e.lock_index());
    PutStr(p, e.session());
    CAIRN_RETURN_IF_ERROR(w.Record(kEntry, p));
  }
  for (auto [key, index] : state_->tombstones) {
    p.clear();
    PutStr(p, key);
    PutU64(p, index);
    CAIRN_RETURN_IF_ERROR(w.Record(kTombstone, p));
  }
  p.clear();
  PutU64(p, state_->sessions.size());
  PutU64(p, state_->entries.size());
  PutU64(p, state_->tombstones.size());
  CAIRN_RETURN_IF_ERROR(w.Record(kEnd, p));
  return w.Flush();
}

namespace {

// Reads and validates the whole stream into a fresh State.
absl::StatusOr<std::shared_ptr<State>> ReadSnapshot(
    absl::FunctionRef<absl::StatusOr<std::size_t>(char*, std::size_t)> source) {
  StreamReader r(source);
  char header[12];
  CAIRN_RETURN_IF_ERROR(r.ReadExact(header, sizeof header));
  if (std::memcmp(header, kMagic, sizeof kMagic) != 0) return Corrupt("bad magic");
  uint32_t version = Decoder(std::string_view(header + 8, 4)).U32();
  if (version != kVersion) {
    return Corrupt(absl::StrCat("unsupported version ", version));
  }
  auto st = std::make_shared<State>();
  int last_type = 0;
  bool ended = false;
  std::string payload;
  std::string last_key;
  while (!ended) {
    char head[5];
    CAIRN_RETURN_IF_ERROR(r.ReadExact(head, sizeof head));
    uint8_t type = static_cast<uint8_t>(head[0]);
    uint32_t len = Decoder(std::string_view(head + 1, 4)).U32();
    if (len > kMaxRecord) return Corrupt("record too large");
    payload.resize(len);
    if (len > 0) CAIRN_RETURN_IF_ERROR(r.ReadExact(payload.data(), len));
    char crc_bytes[4];
    CAIRN_RETURN_IF_ERROR(r.ReadExact(crc_bytes, 4));
    uint32_t crc = Crc32c(Crc32c(0, head, 1), payload.data(), payload.size());
    if (crc != Decoder(std::string_view(crc_bytes, 4)).U32()) return Corrupt("checksum mismatch");
    if (type < last_type || (last_type == 0 && type != kMeta) ||
        (type == kMeta && last_type != 0)) {
      return Corrupt("records out of order");
    }
    if (type != last_type) last_key.clear();
    bool first_of_kind = type != last_type;
    last_type = type;
    Decoder d(payload);
    switch (type) {
      case kMeta:
        st->applied_index = d.U64();
        st->kv_index = d.U64();
        st->sessions_index = d.U64();
        if (!d.Done()) return Corrupt("malformed meta record");
        if (st->kv_index > st->applied_index || st->sessions_index > st->applied_index) {
          return Corrupt("table index above applied index");
        }
        break;
      case kSession: {
        CAIRN_ASSIGN_OR_RETURN(Session s, DecodeSession(d));
        if (!first_of_kind && s.id <= last_key) return Corrupt("sessions out of order");
        if (s.create_index > s.modify_index || s.modify_index > st->sessions_index) {
          return Corrupt("bad session indexes");
        }
        last_key = s.id;
        internal::IndexSession(*st, s);
        std::string id = s.id;
        st->sessions.Insert(std::move(id), std::make_shared<const Session>(std::move(s)));
        break;
      }
      case kEntry: {
        std::string_view key = d.Str(), value = d.Str();
        uint64_t flags = d.U64(), create = d.U64(), modify = d.U64(), lock = d.U64();
        std::string_view session = d.Str();
        if (!d.Done()) return Corrupt("malformed entry record");
        if (key.empty() || (!first_of_kind && key <= last_key)) {
          return Corrupt("entry keys out of order");
        }
        if (create > modify || modify > st->kv_index) return Corrupt("bad entry indexes");
        if (!session.empty()) {
          if (!st->sessions.Find(session)) return Corrupt("entry locked by an unknown session");
          st->session_locks.Insert(internal::Join2(session, key), 0);
        }
        last_key.assign(key);
        Entry e = Entry::Make(key, value, flags, create, modify, lock, session);
        std::string_view stored_key = e.key();
        st->entries.Insert(stored_key, std::move(e));
        break;
      }
      case kTombstone: {
        std::string_view key = d.Str();
        uint64_t index = d.U64();
        if (!d.Done()) return Corrupt("malformed tombstone record");
        if (key.empty() || (!first_of_kind && key <= last_key)) {
          return Corrupt("tombstones out of order");
        }
        if (index > st->kv_index) return Corrupt("bad tombstone index");
        if (st->entries.Find(key)) return Corrupt("tombstone for a live key");
        last_key.assign(key);
        st->tombstones.Insert(std::string(key), index);
        break;
      }
      case kEnd: {
        uint64_t sessions = d.U64(), entries = d.U64(), tombstones = d.U64();
        if (!d.Done()) return Corrupt("malformed end record");
        if (sessions != st->sessions.size() || entries != st->entries.size() ||
            tombstones != st->tombstones.size()) {
          return Corrupt("record counts do not match the end record");
        }
        ended = true;
        break;
      }
      default:
        return Corrupt(absl::StrCat("unknown record type ", type));
    }
  }
  char extra;
  bool eof = false;
  CAIRN_RETURN_IF_ERROR(r.ReadExact(&extra, 1, &eof));
  if (!eof) return Corrupt("trailing bytes after the end record");
  return st;
}

}  // namespace

absl::Status Store::Restore(
    absl::FunctionRef<absl::StatusOr<std::size_t>(char* buf, std::size_t n)> source) {
  CAIRN_ASSIGN_OR_RETURN(std::shared_ptr<State> fresh, ReadSnapshot(source));
  uint64_t index = fresh->applied_index;
  std::shared_ptr<const State> old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (writer_open_) return absl::FailedPreconditionError("kv restore: a write is in progress");
    old = std::exchange(current_, std::move(fresh));
  }
  old.reset();
  kv_hub_.NotifyAll(index);
  session_hub_.NotifyAll(index);
  return absl::OkStatus();
}

}  // namespace cairn::kv
