// Catalog snapshot stream, version 1. All integers are unsigned LEB128 varints (signed ones
// zig-zag encoded); strings are a varint length and the bytes.
//
//   "CAIRNCAT"  version=1
//   last_index  table_index[nodes] table_index[services] table_index[checks]
//   count(nodes)    Node...        (id name address datacenter tagged meta create modify)
//   count(services) Service...     (node kind id service tags address tagged{addr port}
//                                   meta port passing warning tag_override create modify)
//   count(checks)   Check...       (node check_id name status notes output service_id
//                                   service_name service_tags type exposed_port definition
//                                   create modify)
//   count(service_index) (name index)...   count(node_index) (node index)...
//   crc32 (IEEE, 4 bytes little-endian) of everything before it
//
// Restore parses into a fresh State and checks every reference before swapping it in.
#include <array>
#include <cstring>

#include "state.h"
#include "str_util.h"

namespace cairn::catalog {
namespace {

using internal::Cat;
using internal::Key2;
using internal::Lower;

constexpr std::string_view kMagic = "CAIRNCAT";
constexpr uint64_t kVersion = 1;
constexpr std::size_t kChunk = 64 * 1024;

uint32_t Crc32Update(uint32_t crc, std::string_view data) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  crc = ~crc;
  for (unsigned char b : data) crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

// Buffers output and hands it to the sink in chunks, checksumming as it goes.
class Writer {
 public:
  explicit Writer(const std::function<absl::Status(std::string_view)>& sink) : sink_(sink) {}
  void U(uint64_t v) {
    while (v >= 0x80) {
      buf_ += static_cast<char>((v & 0x7F) | 0x80);
      v >>= 7;
    }
    buf_ += static_cast<char>(v);
    MaybeFlush();
  }
  void I(int64_t v) { U((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
  void S(std::string_view s) {
    U(s.size());
    buf_.append(s);
    MaybeFlush();
  }
  void Raw(std::string_view s) { buf_.append(s); }
  void Map(const StringMap& m) {
    U(m.size());
    for (const auto& [k, v] : m) {
      S(k);
      S(v);
    }
  }
  void List(const std::vector<std::string>& l) {
    U(l.size());
    for (const auto& s : l) S(s);
  }
  void D(absl::Duration d) { I(absl::ToInt64Nanoseconds(d)); }
  absl::Status Finish() {
    Flush();
    uint32_t crc = crc_;
    char tail[4];
    for (int i = 0; i < 4; ++i) tail[i] = static_cast<char>((crc >> (8 * i)) & 0xFF);
    if (status_.ok()) status_ = sink_(std::string_view(tail, 4));
    return status_;
  }

 private:
  void MaybeFlush() {
    if (buf_.size() >= kChunk) Flush();
  }
  void Flush() {
    if (buf_.empty() || !status_.ok()) return;
    crc_ = Crc32Update(crc_, buf_);
    status_ = sink_(buf_);
    buf_.clear();
  }
  const std::function<absl::Status(std::string_view)>& sink_;
  std::string buf_;
  uint32_t crc_ = 0;
  absl::Status status_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  uint64_t U() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return Fail();
      uint8_t b = static_cast<uint8_t>(in_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return v;
    }
    return Fail();
  }
  int64_t I() {
    uint64_t u = U();
    return static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
  }
  int Int() {
    int64_t v = I();
    if (v < INT32_MIN || v > INT32_MAX) Fail();
    return static_cast<int>(v);
  }
  bool B() { return U() != 0; }
  std::string S() {
    uint64_t n = U();
    if (!ok_ || n > in_.size() - pos_) {
      Fail();
      return {};
    }
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  // A count of items that need at least one byte each: bounded by what is left, so a
  // corrupt count cannot make us allocate or loop for long.
  uint64_t Count() {
    uint64_t n = U();
    if (n > in_.size() - pos_) return Fail();
    return n;
  }
  StringMap Map() {
    StringMap m;
    for (uint64_t i = 0, n = Count(); ok_ && i < n; ++i) {
      std::string k = S();
      m[k] = S();
    }
    return m;
  }
  std::vector<std::string> List() {
    std::vector<std::string> l;
    for (uint64_t i = 0, n = Count(); ok_ && i < n; ++i) l.push_back(S());
    return l;
  }
  absl::Duration D() { return absl::Nanoseconds(I()); }
  bool AtEnd() const { return pos_ == in_.size(); }

 private:
  uint64_t Fail() {
    ok_ = false;
    pos_ = in_.size();
    return 0;
  }
  std::string_view in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

void WriteNode(Writer& w, const Node& n) {
  w.S(n.id), w.S(n.name), w.S(n.address), w.S(n.datacenter);
  w.Map(n.tagged_addresses), w.Map(n.meta), w.U(n.create_index), w.U(n.modify_index);
}

Node ReadNode(Reader& r) {
  Node n;
  n.id = r.S(), n.name = r.S(), n.address = r.S(), n.datacenter = r.S();
  n.tagged_addresses = r.Map(), n.meta = r.Map();
  n.create_index = r.U(), n.modify_index = r.U();
  return n;
}

void WriteService(Writer& w, const Service& s) {
  w.S(s.node), w.S(s.kind), w.S(s.id), w.S(s.service), w.List(s.tags), w.S(s.address);
  w.U(s.tagged_addresses.size());
  for (const auto& [k, a] : s.tagged_addresses) w.S(k), w.S(a.address), w.I(a.port);
  w.Map(s.meta), w.I(s.port), w.I(s.weights.passing), w.I(s.weights.warning);
  w.U(s.enable_tag_override), w.U(s.create_index), w.U(s.modify_index);
}

Service ReadService(Reader& r) {
  Service s;
  s.node = r.S(), s.kind = r.S(), s.id = r.S(), s.service = r.S(), s.tags = r.List();
  s.address = r.S();
  for (uint64_t i = 0, n = r.Count(); r.ok() && i < n; ++i) {
    std::string k = r.S();
    ServiceAddress a;
    a.address = r.S();
    a.port = r.Int();
    s.tagged_addresses[k] = a;
  }
  s.meta = r.Map(), s.port = r.Int(), s.weights.passing = r.Int(), s.weights.warning = r.Int();
  s.enable_tag_override = r.B(), s.create_index = r.U(), s.modify_index = r.U();
  return s;
}

void WriteCheck(Writer& w, const Check& c) {
  w.S(c.node), w.S(c.check_id), w.S(c.name), w.S(c.status), w.S(c.notes), w.S(c.output);
  w.S(c.service_id), w.S(c.service_name), w.List(c.service_tags), w.S(c.type);
  w.I(c.exposed_port);
  const CheckDefinition& d = c.definition;
  w.S(d.http), w.S(d.tls_server_name), w.U(d.tls_skip_verify);
  w.U(d.header.size());
  for (const auto& [k, v] : d.header) w.S(k), w.List(v);
  w.S(d.method), w.S(d.body), w.S(d.tcp), w.S(d.h2ping), w.D(d.interval), w.D(d.timeout);
  w.D(d.deregister_critical_service_after), w.I(d.output_max_size), w.List(d.script_args);
  w.S(d.docker_container_id), w.S(d.shell), w.S(d.grpc), w.U(d.grpc_use_tls);
  w.S(d.alias_node), w.S(d.alias_service), w.D(d.ttl);
  w.U(c.create_index), w.U(c.modify_index);
}

Check ReadCheck(Reader& r) {
  Check c;
  c.node = r.S(), c.check_id = r.S(), c.name = r.S(), c.status = r.S(), c.notes = r.S();
  c.output = r.S(), c.service_id = r.S(), c.service_name = r.S(), c.service_tags = r.List();
  c.type = r.S(), c.exposed_port = r.Int();
  CheckDefinition& d = c.definition;
  d.http = r.S(), d.tls_server_name = r.S(), d.tls_skip_verify = r.B();
  for (uint64_t i = 0, n = r.Count(); r.ok() && i < n; ++i) {
    std::string k = r.S();
    d.header[k] = r.List();
  }
  d.method = r.S(), d.body = r.S(), d.tcp = r.S(), d.h2ping = r.S(), d.interval = r.D();
  d.timeout = r.D(), d.deregister_critical_service_after = r.D(), d.output_max_size = r.Int();
  d.script_args = r.List(), d.docker_container_id = r.S(), d.shell = r.S(), d.grpc = r.S();
  d.grpc_use_tls = r.B(), d.alias_node = r.S(), d.alias_service = r.S(), d.ttl = r.D();
  c.create_index = r.U(), c.modify_index = r.U();
  return c;
}

absl::Status Corrupt(std::string_view why) {
  return absl::DataLossError(Cat("catalog snapshot is corrupt: ", why));
}

// Parses and validates `stream` into a complete State.
absl::StatusOr<internal::State> Parse(std::string_view stream) {
  if (stream.size() < kMagic.size() + 4 || stream.substr(0, kMagic.size()) != kMagic) {
    return absl::InvalidArgumentError("not a catalog snapshot (bad magic)");
  }
  std::string_view body = stream.substr(0, stream.size() - 4);
  uint32_t want = 0;
  for (int i = 0; i < 4; ++i) {
    want |= static_cast<uint32_t>(static_cast<uint8_t>(stream[stream.size() - 4 + i])) << (8 * i);
  }
  if (Crc32Update(0, body) != want) return Corrupt("checksum mismatch");
  Reader r(body.substr(kMagic.size()));
  uint64_t version = r.U();
  if (version != kVersion) {
    return absl::InvalidArgumentError(Cat("unsupported catalog snapshot version ", version));
  }
  internal::State s;
  s.last_index = r.U();
  for (uint64_t& t : s.table_index) t = r.U();
  for (uint64_t i = 0, n = r.Count(); r.ok() && i < n; ++i) {
    Node node = ReadNode(r);
    if (!r.ok()) break;
    CAIRN_RETURN_IF_ERROR(ValidateNode(node, false));
    std::string key = Lower(node.name);
    if (!s.nodes.Insert(std::move(key), std::make_shared<const Node>(std::move(node)))) {
      return Corrupt("duplicate node");
    }
  }
  for (uint64_t i = 0, n = r.Count(); r.ok() && i < n; ++i) {
    Service svc = ReadService(r);
    if (!r.ok()) break;
    CAIRN_RETURN_IF_ERROR(ValidateService(svc));
    if (!s.nodes.Contains(Lower(svc.node))) return Corrupt(Cat("service on unknown node"));
    std::string key = Key2(Lower(svc.node), Lower(svc.id));
    if (!s.services.Insert(key, std::make_shared<const Service>(std::move(svc)))) {
      return Corrupt("duplicate service");
    }
  }
  for (uint64_t i = 0, n = r.Count(); r.ok() && i < n; ++i) {
    Check c = ReadCheck(r);
    if (!r.ok()) break;
    CAIRN_RETURN_IF_ERROR(ValidateCheck(c));
    if (!IsValidStatus(c.status)) return Corrupt("check without a status");
    if (!s.nodes.Contains(Lower(c.node))) return Corrupt("check on unknown node");
    if (!c.service_id.empty() && !s.services.Contains(Key2(Lower(c.node), Lower(c.service_id)))) {
      return Corrupt("check of unknown service");
    }
    std::string key = Key2(Lower(c.node), Lower(c.check_id));
    if (!s.checks.Insert(std::move(key), std::make_shared<const Check>(std::move(c)))) {
      return Corrupt("duplicate check");
    }
  }
  for (auto* table : {&s.service_index, &s.node_index}) {
    for (uint64_t i = 0, n = r.Count(); r.ok() && i < n; ++i) {
      std::string k = r.S();
      uint64_t v = r.U();
      table->Insert(std::move(k), v);
    }
  }
  if (!r.ok()) return Corrupt("truncated record");
  if (!r.AtEnd()) return Corrupt("trailing bytes");
  for (uint64_t t : s.table_index) {
    if (t > s.last_index) return Corrupt("table index above the snapshot index");
  }
  internal::RebuildIndexes(s);
  return s;
}

}  // namespace

absl::Status ReadView::WriteSnapshot(
    const std::function<absl::Status(std::string_view)>& sink) const {
  const internal::State& s = *state_;
  Writer w(sink);
  w.Raw(kMagic);
  w.U(kVersion);
  w.U(s.last_index);
  for (uint64_t t : s.table_index) w.U(t);
  w.U(s.nodes.size());
  for (auto it = s.nodes.begin(); it != s.nodes.end(); ++it) WriteNode(w, *it.value());
  w.U(s.services.size());
  for (auto it = s.services.begin(); it != s.services.end(); ++it) WriteService(w, *it.value());
  w.U(s.checks.size());
  for (auto it = s.checks.begin(); it != s.checks.end(); ++it) WriteCheck(w, *it.value());
  for (const auto* table : {&s.service_index, &s.node_index}) {
    w.U(table->size());
    for (auto it = table->begin(); it != table->end(); ++it) w.S(it.key()), w.U(it.value());
  }
  return w.Finish();
}

absl::Status Catalog::Restore(std::string_view stream) {
  CAIRN_ASSIGN_OR_RETURN(internal::State parsed, Parse(stream));
  uint64_t index = parsed.last_index;
  auto next = std::make_shared<const internal::State>(std::move(parsed));
  {
    std::lock_guard lock(mu_);
    state_ = std::move(next);
  }
  hub_.NotifyAll(index);
  return absl::OkStatus();
}

}  // namespace cairn::catalog
