#include <algorithm>
#include <cstring>
#include <variant>

#include <absl/strings/str_cat.h>

#include <cairn/dns/message_writer.h>

namespace cairn::dns {
namespace {

constexpr std::uint32_t kFnvPrime = 16777619u;
constexpr std::uint32_t kFnvBasis = 2166136261u;
// Compression pointers hold 14-bit offsets (RFC 1035 §4.1.4).
constexpr std::size_t kMaxPointerTarget = 0x3FFF;

// Hash of a label followed by the suffix whose hash is `tail`; lower-cased so equal names
// in different case share a table entry.
std::uint32_t MixLabel(std::uint32_t tail, const std::uint8_t* label) {
  std::uint32_t h = (tail ^ label[0]) * kFnvPrime;
  for (std::uint8_t i = 1; i <= label[0]; ++i) h = (h ^ AsciiLower(label[i])) * kFnvPrime;
  return h;
}

std::size_t OptSize(const Edns& edns) {
  std::size_t size = 11;  // root name, type, class, ttl, rdlength
  for (const EdnsOption& o : edns.options) size += 4 + o.data.size();
  return size;
}

}  // namespace

MessageWriter::MessageWriter(std::vector<std::uint8_t>* buffer, const EncodeOptions& options)
    : buffer_(buffer), options_(options) {}

void MessageWriter::Start(const Header& header, std::size_t max_size) {
  header_ = header;
  max_size_ = std::clamp<std::size_t>(max_size, kHeaderSize, kMaxMessageSize);
  reserved_ = 0;
  section_ = Section::kQuestion;
  counts_ = {};
  has_edns_ = false;
  edns_.options.clear();
  table_size_ = 0;
  heads_.fill(0);
  buffer_->clear();
  buffer_->resize(kHeaderSize, 0);
}

absl::Status MessageWriter::SetEdns(const Edns& edns) {
  if (has_edns_) return absl::InvalidArgumentError("SetEdns called twice");
  std::size_t opt_size = OptSize(edns);
  for (const EdnsOption& o : edns.options) {
    if (o.data.size() > 0xFFFF) return absl::InvalidArgumentError("EDNS option over 65535 bytes");
  }
  if (opt_size - 11 > 0xFFFF) return absl::InvalidArgumentError("OPT rdata over 65535 bytes");
  if (buffer_->size() + reserved_ + opt_size > max_size_) {
    return absl::ResourceExhaustedError("OPT record does not fit in the size limit");
  }
  edns_ = edns;
  has_edns_ = true;
  reserved_ = opt_size;
  return absl::OkStatus();
}

void MessageWriter::WriteU16(std::uint16_t v) {
  buffer_->push_back(static_cast<std::uint8_t>(v >> 8));
  buffer_->push_back(static_cast<std::uint8_t>(v));
}

void MessageWriter::WriteU32(std::uint32_t v) {
  WriteU16(static_cast<std::uint16_t>(v >> 16));
  WriteU16(static_cast<std::uint16_t>(v));
}

bool MessageWriter::MatchAt(std::size_t offset, const std::uint8_t* suffix) const {
  const std::uint8_t* b = buffer_->data();
  std::size_t p = offset;
  // Everything in the buffer was written by WriteName, so pointers are valid and point
  // backwards; the hop bound is defence in depth only.
  for (int hops = 0; hops < 128;) {
    std::uint8_t len = b[p];
    if ((len & 0xC0) == 0xC0) {
      p = (static_cast<std::size_t>(len & 0x3F) << 8) | b[p + 1];
      ++hops;
      continue;
    }
    if (len != suffix[0]) return false;
    if (len == 0) return true;
    for (std::uint8_t i = 1; i <= len; ++i) {
      if (AsciiLower(b[p + i]) != AsciiLower(suffix[i])) return false;
    }
    p += 1 + len;
    suffix += 1 + len;
  }
  return false;
}

bool MessageWriter::FindSuffix(std::uint32_t hash, const std::uint8_t* suffix,
                               std::uint16_t* offset) const {
  for (int e = heads_[hash % kBuckets]; e != 0; e = table_[e - 1].next) {
    const CompressionEntry& entry = table_[e - 1];
    if (entry.hash == hash && MatchAt(entry.offset, suffix)) {
      *offset = entry.offset;
      return true;
    }
  }
  return false;
}

void MessageWriter::TruncateTable(int size) {
  while (table_size_ > size) {
    const CompressionEntry& entry = table_[--table_size_];
    heads_[entry.hash % kBuckets] = entry.next;
  }
}

void MessageWriter::WriteName(const Name& name, bool allow_pointer) {
  std::span<const std::uint8_t> wire = name.wire();
  if (!options_.compress) {
    buffer_->insert(buffer_->end(), wire.begin(), wire.end());
    return;
  }
  const std::uint8_t* w = wire.data();
  std::array<std::uint8_t, Name::kMaxLabels> starts;
  int n = 0;
  for (std::size_t p = 0; w[p] != 0; p += 1 + w[p]) starts[n++] = static_cast<std::uint8_t>(p);
  std::array<std::uint32_t, Name::kMaxLabels> hashes;
  std::uint32_t h = kFnvBasis;
  for (int i = n - 1; i >= 0; --i) hashes[i] = h = MixLabel(h, w + starts[i]);

  // The longest suffix already in the message wins: labels before it are written
  // literally, then one pointer replaces the rest.
  int match = n;
  std::uint16_t target = 0;
  if (allow_pointer) {
    for (int i = 0; i < n; ++i) {
      if (FindSuffix(hashes[i], w + starts[i], &target)) {
        match = i;
        break;
      }
    }
  }
  for (int i = 0; i < match; ++i) {
    std::size_t at = buffer_->size();
    if (at <= kMaxPointerTarget && table_size_ < kCompressionEntries) {
      std::uint8_t& head = heads_[hashes[i] % kBuckets];
      table_[table_size_] = {hashes[i], static_cast<std::uint16_t>(at), head};
      head = static_cast<std::uint8_t>(++table_size_);
    }
    const std::uint8_t* label = w + starts[i];
    buffer_->insert(buffer_->end(), label, label + 1 + label[0]);
  }
  if (match < n) {
    WriteU16(static_cast<std::uint16_t>(0xC000 | target));
  } else {
    buffer_->push_back(0);
  }
}

absl::Status MessageWriter::AddQuestion(const Question& question) {
  if (section_ != Section::kQuestion) {
    return absl::InvalidArgumentError("question added after a resource record");
  }
  if (counts_[0] == 0xFFFF) return absl::InvalidArgumentError("more than 65535 questions");
  std::size_t start = buffer_->size();
  int saved_table = table_size_;
  WriteName(question.name, true);
  WriteU16(static_cast<std::uint16_t>(question.type));
  WriteU16(question.qclass);
  if (buffer_->size() + reserved_ > max_size_) {
    buffer_->resize(start);
    TruncateTable(saved_table);
    return absl::ResourceExhaustedError("question does not fit in the size limit");
  }
  ++counts_[0];
  return absl::OkStatus();
}

absl::Status MessageWriter::WriteRdata(const ResourceRecord& rr) {
  const Rdata& rd = rr.rdata;
  if (const auto* raw = std::get_if<RawRdata>(&rd)) {
    buffer_->insert(buffer_->end(), raw->bytes.begin(), raw->bytes.end());
    return absl::OkStatus();
  }
  auto mismatch = [&]() {
    return absl::InvalidArgumentError(
        absl::StrCat("rdata does not match record type ", static_cast<int>(rr.type)));
  };
  switch (rr.type) {
    case RrType::kA: {
      const auto* a = std::get_if<ARdata>(&rd);
      if (a == nullptr) return mismatch();
      buffer_->insert(buffer_->end(), a->address.begin(), a->address.end());
      return absl::OkStatus();
    }
    case RrType::kAaaa: {
      const auto* a = std::get_if<AaaaRdata>(&rd);
      if (a == nullptr) return mismatch();
      buffer_->insert(buffer_->end(), a->address.begin(), a->address.end());
      return absl::OkStatus();
    }
    case RrType::kCname:
    case RrType::kNs:
    case RrType::kPtr: {
      const auto* d = std::get_if<DomainRdata>(&rd);
      if (d == nullptr) return mismatch();
      WriteName(d->name, true);
      return absl::OkStatus();
    }
    case RrType::kSrv: {
      const auto* s = std::get_if<SrvRdata>(&rd);
      if (s == nullptr) return mismatch();
      WriteU16(s->priority);
      WriteU16(s->weight);
      WriteU16(s->port);
      WriteName(s->target, /*allow_pointer=*/false);  // RFC 2782: target not compressed
      return absl::OkStatus();
    }
    case RrType::kMx: {
      const auto* m = std::get_if<MxRdata>(&rd);
      if (m == nullptr) return mismatch();
      WriteU16(m->preference);
      WriteName(m->exchange, true);
      return absl::OkStatus();
    }
    case RrType::kSoa: {
      const auto* s = std::get_if<SoaRdata>(&rd);
      if (s == nullptr) return mismatch();
      WriteName(s->mname, true);
      WriteName(s->rname, true);
      WriteU32(s->serial);
      WriteU32(s->refresh);
      WriteU32(s->retry);
      WriteU32(s->expire);
      WriteU32(s->minimum);
      return absl::OkStatus();
    }
    case RrType::kTxt: {
      const auto* t = std::get_if<TxtRdata>(&rd);
      if (t == nullptr) return mismatch();
      for (const std::string& s : t->strings) {
        // A character-string holds at most 255 bytes; longer values are split.
        std::size_t pos = 0;
        do {
          std::size_t len = std::min<std::size_t>(255, s.size() - pos);
          buffer_->push_back(static_cast<std::uint8_t>(len));
          buffer_->insert(buffer_->end(), s.begin() + pos, s.begin() + pos + len);
          pos += len;
        } while (pos < s.size());
      }
      return absl::OkStatus();
    }
    default:
      return mismatch();
  }
}

absl::Status MessageWriter::AddRecord(Section section, const ResourceRecord& rr) {
  if (section == Section::kQuestion || section < section_) {
    return absl::InvalidArgumentError("records must be added in section order");
  }
  if (rr.type == RrType::kOpt) return absl::InvalidArgumentError("OPT goes through SetEdns");
  int index = static_cast<int>(section);
  if (counts_[index] == 0xFFFF) return absl::InvalidArgumentError("more than 65535 records");
  std::size_t start = buffer_->size();
  int saved_table = table_size_;
  auto rollback = [&]() {
    buffer_->resize(start);
    TruncateTable(saved_table);
  };
  WriteName(rr.name, true);
  WriteU16(static_cast<std::uint16_t>(rr.type));
  WriteU16(rr.rrclass);
  WriteU32(rr.ttl);
  std::size_t rdlength_at = buffer_->size();
  WriteU16(0);
  absl::Status s = WriteRdata(rr);
  if (!s.ok()) {
    rollback();
    return s;
  }
  std::size_t rdlength = buffer_->size() - rdlength_at - 2;
  if (rdlength > 0xFFFF) {
    rollback();
    return absl::InvalidArgumentError("rdata over 65535 bytes");
  }
  if (buffer_->size() + reserved_ > max_size_) {
    rollback();
    return absl::ResourceExhaustedError("record does not fit in the size limit");
  }
  (*buffer_)[rdlength_at] = static_cast<std::uint8_t>(rdlength >> 8);
  (*buffer_)[rdlength_at + 1] = static_cast<std::uint8_t>(rdlength);
  section_ = section;
  ++counts_[index];
  return absl::OkStatus();
}

absl::Status MessageWriter::Finish() {
  if (header_.rcode > 0xFFF) return absl::InvalidArgumentError("RCODE over 12 bits");
  if (header_.rcode > 15 && !has_edns_) {
    return absl::InvalidArgumentError("RCODE above 15 needs an OPT record");
  }
  std::uint16_t arcount = counts_[3];
  if (has_edns_) {
    if (arcount == 0xFFFF) return absl::InvalidArgumentError("more than 65535 records");
    buffer_->push_back(0);  // root owner
    WriteU16(static_cast<std::uint16_t>(RrType::kOpt));
    WriteU16(edns_.udp_size);
    std::uint32_t ttl = (static_cast<std::uint32_t>(header_.rcode >> 4) << 24) |
                        (static_cast<std::uint32_t>(edns_.version) << 16) |
                        (edns_.dnssec_ok ? 0x8000u : 0u) | (edns_.flags & 0x7FFFu);
    WriteU32(ttl);
    WriteU16(static_cast<std::uint16_t>(reserved_ - 11));
    for (const EdnsOption& o : edns_.options) {
      WriteU16(o.code);
      WriteU16(static_cast<std::uint16_t>(o.data.size()));
      buffer_->insert(buffer_->end(), o.data.begin(), o.data.end());
    }
    ++arcount;
  }
  std::uint8_t* h = buffer_->data();
  h[0] = static_cast<std::uint8_t>(header_.id >> 8);
  h[1] = static_cast<std::uint8_t>(header_.id);
  h[2] = static_cast<std::uint8_t>((header_.qr ? 0x80 : 0) | ((header_.opcode & 0xF) << 3) |
                                   (header_.aa ? 0x04 : 0) | (header_.tc ? 0x02 : 0) |
                                   (header_.rd ? 0x01 : 0));
  h[3] = static_cast<std::uint8_t>((header_.ra ? 0x80 : 0) | (header_.z ? 0x40 : 0) |
                                   (header_.ad ? 0x20 : 0) | (header_.cd ? 0x10 : 0) |
                                   (header_.rcode & 0xF));
  const std::uint16_t counts[4] = {counts_[0], counts_[1], counts_[2], arcount};
  for (int i = 0; i < 4; ++i) {
    h[4 + 2 * i] = static_cast<std::uint8_t>(counts[i] >> 8);
    h[5 + 2 * i] = static_cast<std::uint8_t>(counts[i]);
  }
  return absl::OkStatus();
}

}  // namespace cairn::dns
