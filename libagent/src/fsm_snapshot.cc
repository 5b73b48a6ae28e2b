// The FSM's snapshot container: both stores' own snapshot streams, framed, in one stream.
//
// Each store already writes a canonical, checksummed stream and validates it completely on
// restore. The container adds what neither store knows: the Raft index and the index
// offset of the capture, and one CRC-32C over everything, so a truncated or corrupted file
// is refused before either store parses a byte of it. Sections are written in chunks as
// the stores produce them, so a snapshot is never held in memory while it is written.
#include <algorithm>
#include <array>
#include <cstring>
#include <functional>
#include <istream>
#include <iterator>
#include <ostream>
#include <string>
#include <utility>

#include <fmt/format.h>

#include <cairn/agent/fsm.h>

#include "fsm_internal.h"

namespace cairn::agent {
namespace {

constexpr std::string_view kMagic = "CAIRNFSM";
constexpr uint32_t kVersion = 1;
constexpr uint8_t kSectionKv = 1;
constexpr uint8_t kSectionCatalog = 2;
constexpr uint8_t kSectionEnd = 255;

// CRC-32C (Castagnoli), reflected, table-driven.
const std::array<uint32_t, 256>& CrcTable() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  return table;
}

uint32_t CrcExtend(uint32_t crc, std::string_view data) {
  const auto& t = CrcTable();
  crc = ~crc;
  for (unsigned char ch : data) crc = t[(crc ^ ch) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

// Writes the container to a byte sink, keeping the running checksum.
class Writer {
 public:
  explicit Writer(std::function<absl::Status(std::string_view)> sink) : sink_(std::move(sink)) {}

  absl::Status Raw(std::string_view bytes) {
    crc_ = CrcExtend(crc_, bytes);
    return sink_(bytes);
  }
  absl::Status U8(uint8_t v) { return Raw(std::string_view(reinterpret_cast<char*>(&v), 1)); }
  absl::Status U32(uint32_t v) {
    char b[4];
    for (int i = 0; i < 4; ++i) b[i] = static_cast<char>(v >> (8 * i));
    return Raw(std::string_view(b, 4));
  }
  absl::Status U64(uint64_t v) {
    char b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
    return Raw(std::string_view(b, 8));
  }
  // One chunk of a section; empty chunks are skipped (0 ends the section).
  absl::Status Chunk(std::string_view bytes) {
    while (!bytes.empty()) {
      std::string_view part = bytes.substr(0, 1u << 30);
      if (absl::Status s = U32(static_cast<uint32_t>(part.size())); !s.ok()) return s;
      if (absl::Status s = Raw(part); !s.ok()) return s;
      bytes.remove_prefix(part.size());
    }
    return absl::OkStatus();
  }
  absl::Status Trailer() {
    if (absl::Status s = U8(kSectionEnd); !s.ok()) return s;
    uint32_t crc = crc_;
    char b[4];
    for (int i = 0; i < 4; ++i) b[i] = static_cast<char>(crc >> (8 * i));
    return sink_(std::string_view(b, 4));
  }

 private:
  std::function<absl::Status(std::string_view)> sink_;
  uint32_t crc_ = 0;
};

absl::Status WriteViews(const FsmViews& v, std::function<absl::Status(std::string_view)> sink) {
  Writer w(std::move(sink));
  absl::Status s = w.Raw(kMagic);
  if (s.ok()) s = w.U32(kVersion);
  if (s.ok()) s = w.U64(v.raft_index);
  if (s.ok()) s = w.U64(v.index_offset);
  if (s.ok()) s = w.U8(kSectionKv);
  if (s.ok()) s = v.kv.WriteSnapshot([&](std::string_view b) { return w.Chunk(b); });
  if (s.ok()) s = w.U32(0);
  if (s.ok()) s = w.U8(kSectionCatalog);
  if (s.ok()) s = v.catalog.WriteSnapshot([&](std::string_view b) { return w.Chunk(b); });
  if (s.ok()) s = w.U32(0);
  if (s.ok()) s = w.Trailer();
  return s;
}

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool U8(uint8_t* v) {
    if (data_.size() < 1) return false;
    *v = static_cast<uint8_t>(data_[0]);
    data_.remove_prefix(1);
    return true;
  }
  bool U32(uint32_t* v) {
    if (data_.size() < 4) return false;
    *v = 0;
    for (int i = 0; i < 4; ++i) *v |= uint32_t{static_cast<uint8_t>(data_[i])} << (8 * i);
    data_.remove_prefix(4);
    return true;
  }
  bool U64(uint64_t* v) {
    if (data_.size() < 8) return false;
    *v = 0;
    for (int i = 0; i < 8; ++i) *v |= uint64_t{static_cast<uint8_t>(data_[i])} << (8 * i);
    data_.remove_prefix(8);
    return true;
  }
  bool Bytes(std::size_t n, std::string_view* out) {
    if (data_.size() < n) return false;
    *out = data_.substr(0, n);
    data_.remove_prefix(n);
    return true;
  }
  // Reads chunks up to the zero terminator into `out`.
  bool Section(std::string* out) {
    for (;;) {
      uint32_t n;
      if (!U32(&n)) return false;
      if (n == 0) return true;
      std::string_view part;
      if (!Bytes(n, &part)) return false;
      out->append(part);
    }
  }
  bool empty() const { return data_.empty(); }

 private:
  std::string_view data_;
};

absl::Status Corrupt(std::string_view what) {
  return absl::DataLossError(fmt::format("invalid state snapshot: {}", what));
}

// A snapshot for raft::Node: the views were captured on the strand; WriteTo runs later on
// another thread and touches nothing live.
class FsmSnapshot final : public raft::StateMachineSnapshot {
 public:
  explicit FsmSnapshot(FsmViews views) : views_(std::move(views)) {}
  absl::Status WriteTo(std::ostream& out) override {
    absl::Status s = WriteViews(views_, [&](std::string_view b) {
      out.write(b.data(), static_cast<std::streamsize>(b.size()));
      return out ? absl::OkStatus() : absl::DataLossError("writing the state snapshot failed");
    });
    if (s.ok()) out.flush();
    if (s.ok() && !out) s = absl::DataLossError("writing the state snapshot failed");
    return s;
  }

 private:
  FsmViews views_;
};

}  // namespace

FsmViews Fsm::Capture() const {
  std::lock_guard<std::mutex> lock(apply_mu_);
  return FsmViews{kv_.Snapshot(), catalog_.Read(), last_applied_.load(), offset_.load()};
}

absl::StatusOr<std::string> Fsm::SnapshotBytes() const { return EncodeSnapshot(Capture()); }

absl::StatusOr<std::string> EncodeSnapshot(const FsmViews& views) {
  std::string out;
  absl::Status s = WriteViews(views, [&](std::string_view b) {
    out.append(b);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::unique_ptr<raft::StateMachineSnapshot>> Fsm::Snapshot() {
  return std::unique_ptr<raft::StateMachineSnapshot>(new FsmSnapshot(Capture()));
}

absl::StatusOr<Fsm::Parsed> Fsm::Parse(std::string_view stream) const {
  if (stream.size() < kMagic.size() + 4 + 8 + 8 + 1 + 4) return Corrupt("truncated");
  if (stream.substr(0, kMagic.size()) != kMagic) return Corrupt("not a Cairn state snapshot");
  std::string_view body = stream.substr(0, stream.size() - 4);
  Reader crc_reader(stream.substr(stream.size() - 4));
  uint32_t want_crc = 0;
  crc_reader.U32(&want_crc);
  if (CrcExtend(0, body) != want_crc) return Corrupt("checksum mismatch");

  Reader r(body.substr(kMagic.size()));
  Parsed p;
  uint32_t version = 0;
  if (!r.U32(&version)) return Corrupt("truncated header");
  if (version != kVersion) {
    return absl::InvalidArgumentError(fmt::format(
        "unsupported state snapshot version {} (this server reads {})", version, kVersion));
  }
  uint8_t section = 0;
  if (!r.U64(&p.raft_index) || !r.U64(&p.index_offset)) return Corrupt("truncated header");
  if (!r.U8(&section) || section != kSectionKv) return Corrupt("missing KV section");
  if (!r.Section(&p.kv)) return Corrupt("truncated KV section");
  if (!r.U8(&section) || section != kSectionCatalog) return Corrupt("missing catalog section");
  if (!r.Section(&p.catalog)) return Corrupt("truncated catalog section");
  if (!r.U8(&section) || section != kSectionEnd || !r.empty()) {
    return Corrupt("unexpected data after the catalog section");
  }

  // Each store validates its own stream completely; scratch stores keep the live ones
  // untouched until both are known good.
  kv::Store kv_scratch(kv_options_);
  std::string_view kv_rest = p.kv;
  absl::Status s = kv_scratch.Restore([&](char* buf, std::size_t n) -> absl::StatusOr<std::size_t> {
    std::size_t k = std::min(n, kv_rest.size());
    std::memcpy(buf, kv_rest.data(), k);
    kv_rest.remove_prefix(k);
    return k;
  });
  if (!s.ok()) return Corrupt(fmt::format("KV: {}", std::string(s.message())));
  catalog::Catalog catalog_scratch;
  s = catalog_scratch.Restore(p.catalog);
  if (!s.ok()) return Corrupt(fmt::format("catalog: {}", std::string(s.message())));
  p.max_store_index =
      std::max(kv_scratch.Snapshot().applied_index(), catalog_scratch.Read().LastIndex());
  return p;
}

absl::Status Fsm::ValidateSnapshot(std::string_view stream) const { return Parse(stream).status(); }

absl::Status Fsm::RestoreParsed(const Parsed& p, uint64_t raft_index, uint64_t offset) {
  // Both streams were validated by Parse on scratch stores, so these cannot fail short of
  // a libkv/libcatalog bug; the catalog goes second so a failure there is reported loudly.
  std::string_view kv_rest = p.kv;
  absl::Status s = kv_.Restore([&](char* buf, std::size_t n) -> absl::StatusOr<std::size_t> {
    std::size_t k = std::min(n, kv_rest.size());
    std::memcpy(buf, kv_rest.data(), k);
    kv_rest.remove_prefix(k);
    return k;
  });
  if (!s.ok()) return s;
  s = catalog_.Restore(p.catalog);
  if (!s.ok()) {
    if (log_) log_->Error("catalog restore failed after validation: {}", s.ToString());
    return s;
  }
  offset_.store(offset, std::memory_order_release);
  last_applied_.store(raft_index, std::memory_order_release);
  return absl::OkStatus();
}

absl::Status Fsm::Restore(std::istream& in) {
  std::string stream((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return absl::DataLossError("reading the state snapshot failed");
  absl::StatusOr<Parsed> parsed = Parse(stream);
  if (!parsed.ok()) return parsed.status();
  absl::Status s;
  {
    std::lock_guard<std::mutex> lock(apply_mu_);
    s = RestoreParsed(*parsed, parsed->raft_index, parsed->index_offset);
  }
  if (s.ok() && observer_.reset) observer_.reset();
  return s;
}

}  // namespace cairn::agent
