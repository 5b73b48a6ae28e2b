// Decoder for untrusted DNS messages. Every read goes through Reader, which checks bounds
// before touching a byte; names are the only place bytes outside the current record are
// read (compression pointers), and those reads are bounded by the rules in ReadName.
#include <cstring>

#include <absl/strings/str_cat.h>

#include <cairn/base/status.h>
#include <cairn/dns/message.h>

namespace cairn::dns {
namespace {

// Legitimate messages need a handful of hops (a pointer to a name that itself ends in a
// pointer); 64 leaves room for any encoder and still bounds the work per name.
constexpr int kMaxPointerHops = 64;

absl::Status Malformed(std::string_view what) {
  return absl::InvalidArgumentError(std::string("malformed DNS message: ").append(what));
}

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> data) : data_(data) {}

  std::size_t pos() const { return pos_; }
  std::size_t remaining() const { return data_.size() - pos_; }

  bool U8(std::uint8_t* v) {
    if (remaining() < 1) return false;
    *v = data_[pos_++];
    return true;
  }
  bool U16(std::uint16_t* v) {
    if (remaining() < 2) return false;
    *v = static_cast<std::uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool U32(std::uint32_t* v) {
    if (remaining() < 4) return false;
    *v = (static_cast<std::uint32_t>(data_[pos_]) << 24) |
         (static_cast<std::uint32_t>(data_[pos_ + 1]) << 16) |
         (static_cast<std::uint32_t>(data_[pos_ + 2]) << 8) | data_[pos_ + 3];
    pos_ += 4;
    return true;
  }
  bool Bytes(std::uint8_t* out, std::size_t n) {
    if (remaining() < n) return false;
    std::memcpy(out, data_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  std::span<const std::uint8_t> Take(std::size_t n) {
    std::span<const std::uint8_t> s = data_.subspan(pos_, n);
    pos_ += n;
    return s;
  }

  // Reads a possibly compressed name. Labels read in place must end before `limit` (the
  // end of the current rdata, or of the message); labels reached through pointers may be
  // anywhere before the pointer. Each pointer must point strictly before the start of the
  // label run that contains it, so the positions visited strictly decrease and no loop
  // is possible; kMaxPointerHops bounds the work regardless.
  absl::Status Name(std::size_t limit, dns::Name* out) {
    std::uint8_t wire[Name::kMaxWireLength];
    std::size_t length = 0;
    std::size_t p = pos_;
    std::size_t run_start = pos_;
    std::size_t end = limit;
    bool jumped = false;
    int hops = 0;
    while (true) {
      if (p >= end) return Malformed("name runs past the end");
      std::uint8_t len = data_[p];
      if ((len & 0xC0) == 0xC0) {
        if (p + 1 >= end) return Malformed("compression pointer runs past the end");
        std::size_t target = (static_cast<std::size_t>(len & 0x3F) << 8) | data_[p + 1];
        if (target >= run_start) return Malformed("compression pointer does not point backwards");
        if (++hops > kMaxPointerHops) return Malformed("too many compression pointers");
        if (!jumped) pos_ = p + 2;
        jumped = true;
        p = run_start = target;
        end = data_.size();
        continue;
      }
      if ((len & 0xC0) != 0) return Malformed("unsupported label type");
      if (length + 1 + len > Name::kMaxWireLength) return Malformed("name longer than 255 bytes");
      if (len == 0) {
        wire[length++] = 0;
        if (!jumped) pos_ = p + 1;
        break;
      }
      if (p + 1 + len > end) return Malformed("label runs past the end");
      std::memcpy(wire + length, data_.data() + p, 1 + len);
      length += 1 + len;
      p += 1 + len;
    }
    absl::StatusOr<dns::Name> name = Name::FromWire({wire, length});
    if (!name.ok()) return Malformed(base::ToStd(name.status().message()));
    *out = *name;
    return absl::OkStatus();
  }

 private:
  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
};

void ParseHeader(std::span<const std::uint8_t> p, Header* h) {
  h->id = static_cast<std::uint16_t>((p[0] << 8) | p[1]);
  h->qr = p[2] & 0x80;
  h->opcode = (p[2] >> 3) & 0xF;
  h->aa = p[2] & 0x04;
  h->tc = p[2] & 0x02;
  h->rd = p[2] & 0x01;
  h->ra = p[3] & 0x80;
  h->z = p[3] & 0x40;
  h->ad = p[3] & 0x20;
  h->cd = p[3] & 0x10;
  h->rcode = p[3] & 0xF;
  h->qdcount = static_cast<std::uint16_t>((p[4] << 8) | p[5]);
  h->ancount = static_cast<std::uint16_t>((p[6] << 8) | p[7]);
  h->nscount = static_cast<std::uint16_t>((p[8] << 8) | p[9]);
  h->arcount = static_cast<std::uint16_t>((p[10] << 8) | p[11]);
}

// Decodes the rdata of `rr` from r, which must consume exactly up to `end`.
absl::Status ReadRdata(Reader& r, std::size_t end, ResourceRecord* rr) {
  std::size_t rdlength = end - r.pos();
  auto fixed = [&](std::size_t want) -> absl::Status {
    if (rdlength != want) {
      return Malformed(absl::StrCat("rdata of type ", static_cast<int>(rr->type), " is ", rdlength,
                                    " bytes, want ", want));
    }
    return absl::OkStatus();
  };
  switch (rr->type) {
    case RrType::kA: {
      absl::Status s = fixed(4);
      if (!s.ok()) return s;
      ARdata a;
      r.Bytes(a.address.data(), 4);
      rr->rdata = a;
      break;
    }
    case RrType::kAaaa: {
      absl::Status s = fixed(16);
      if (!s.ok()) return s;
      AaaaRdata a;
      r.Bytes(a.address.data(), 16);
      rr->rdata = a;
      break;
    }
    case RrType::kCname:
    case RrType::kNs:
    case RrType::kPtr: {
      DomainRdata d;
      absl::Status s = r.Name(end, &d.name);
      if (!s.ok()) return s;
      rr->rdata = d;
      break;
    }
    case RrType::kSrv: {
      SrvRdata srv;
      if (rdlength < 7 || !r.U16(&srv.priority) || !r.U16(&srv.weight) || !r.U16(&srv.port)) {
        return Malformed("SRV rdata too short");
      }
      absl::Status s = r.Name(end, &srv.target);
      if (!s.ok()) return s;
      rr->rdata = srv;
      break;
    }
    case RrType::kMx: {
      MxRdata mx;
      if (rdlength < 3 || !r.U16(&mx.preference)) return Malformed("MX rdata too short");
      absl::Status s = r.Name(end, &mx.exchange);
      if (!s.ok()) return s;
      rr->rdata = mx;
      break;
    }
    case RrType::kSoa: {
      SoaRdata soa;
      absl::Status s = r.Name(end, &soa.mname);
      if (s.ok()) s = r.Name(end, &soa.rname);
      if (!s.ok()) return s;
      if (end - r.pos() != 20) return Malformed("SOA rdata has the wrong length");
      r.U32(&soa.serial);
      r.U32(&soa.refresh);
      r.U32(&soa.retry);
      r.U32(&soa.expire);
      r.U32(&soa.minimum);
      rr->rdata = soa;
      break;
    }
    case RrType::kTxt: {
      TxtRdata txt;
      while (r.pos() < end) {
        std::uint8_t len = 0;
        r.U8(&len);
        if (r.pos() + len > end) return Malformed("TXT string runs past the rdata");
        std::span<const std::uint8_t> s = r.Take(len);
        txt.strings.emplace_back(reinterpret_cast<const char*>(s.data()), s.size());
      }
      rr->rdata = std::move(txt);
      break;
    }
    default: {
      std::span<const std::uint8_t> s = r.Take(rdlength);
      rr->rdata = RawRdata{std::vector<std::uint8_t>(s.begin(), s.end())};
      break;
    }
  }
  if (r.pos() != end) return Malformed("rdata shorter than its declared length");
  return absl::OkStatus();
}

absl::Status ReadOpt(Reader& r, std::size_t end, const ResourceRecord& rr, Message* msg) {
  if (!rr.name.is_root()) return Malformed("OPT record not owned by the root");
  if (msg->edns.has_value()) return Malformed("more than one OPT record");
  Edns edns;
  edns.udp_size = rr.rrclass;
  edns.version = static_cast<std::uint8_t>(rr.ttl >> 16);
  edns.dnssec_ok = (rr.ttl & 0x8000) != 0;
  edns.flags = static_cast<std::uint16_t>(rr.ttl & 0x7FFF);
  while (r.pos() < end) {
    EdnsOption o;
    std::uint16_t len = 0;
    if (end - r.pos() < 4) return Malformed("EDNS option header runs past the rdata");
    r.U16(&o.code);
    r.U16(&len);
    if (end - r.pos() < len) return Malformed("EDNS option runs past the rdata");
    std::span<const std::uint8_t> d = r.Take(len);
    o.data.assign(d.begin(), d.end());
    edns.options.push_back(std::move(o));
  }
  msg->header.rcode = static_cast<std::uint16_t>(msg->header.rcode | ((rr.ttl >> 24) << 4));
  msg->edns = std::move(edns);
  return absl::OkStatus();
}

absl::Status ReadRecords(Reader& r, int count, bool additional, std::vector<ResourceRecord>* out,
                         Message* msg) {
  for (int i = 0; i < count; ++i) {
    ResourceRecord rr;
    absl::Status s = r.Name(r.pos() + r.remaining(), &rr.name);
    if (!s.ok()) return s;
    std::uint16_t type = 0;
    std::uint16_t rdlength = 0;
    if (!r.U16(&type) || !r.U16(&rr.rrclass) || !r.U32(&rr.ttl) || !r.U16(&rdlength)) {
      return Malformed("record header runs past the end");
    }
    rr.type = static_cast<RrType>(type);
    if (rdlength > r.remaining()) return Malformed("rdata runs past the end");
    std::size_t end = r.pos() + rdlength;
    if (rr.type == RrType::kOpt) {
      if (!additional) return Malformed("OPT record outside the additional section");
      s = ReadOpt(r, end, rr, msg);
      if (!s.ok()) return s;
      continue;
    }
    s = ReadRdata(r, end, &rr);
    if (!s.ok()) return s;
    out->push_back(std::move(rr));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status DecodeHeader(std::span<const std::uint8_t> packet, Header* out) {
  if (packet.size() < kHeaderSize) return Malformed("shorter than the 12-byte header");
  ParseHeader(packet, out);
  return absl::OkStatus();
}

absl::Status DecodeMessage(std::span<const std::uint8_t> packet, Message* out) {
  out->Clear();
  if (packet.size() < kHeaderSize) return Malformed("shorter than the 12-byte header");
  ParseHeader(packet, &out->header);
  Reader r(packet);
  r.Take(kHeaderSize);
  for (int i = 0; i < out->header.qdcount; ++i) {
    Question q;
    absl::Status s = r.Name(packet.size(), &q.name);
    if (!s.ok()) return s;
    std::uint16_t type = 0;
    if (!r.U16(&type) || !r.U16(&q.qclass)) return Malformed("question runs past the end");
    q.type = static_cast<RrType>(type);
    out->questions.push_back(q);
  }
  absl::Status s = ReadRecords(r, out->header.ancount, false, &out->answers, out);
  if (s.ok()) s = ReadRecords(r, out->header.nscount, false, &out->authorities, out);
  if (s.ok()) s = ReadRecords(r, out->header.arcount, true, &out->additionals, out);
  // Bytes after the last record are ignored, as miekg/dns (Consul's library) does.
  return s;
}

}  // namespace cairn::dns
