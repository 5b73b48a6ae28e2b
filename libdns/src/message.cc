#include <algorithm>

#include <cairn/dns/message.h>
#include <cairn/dns/message_writer.h>

namespace cairn::dns {

ResourceRecord ResourceRecord::A(const Name& name, std::uint32_t ttl,
                                 std::array<std::uint8_t, 4> a) {
  return {name, RrType::kA, kClassIn, ttl, ARdata{a}};
}
ResourceRecord ResourceRecord::Aaaa(const Name& name, std::uint32_t ttl,
                                    const std::array<std::uint8_t, 16>& a) {
  return {name, RrType::kAaaa, kClassIn, ttl, AaaaRdata{a}};
}
ResourceRecord ResourceRecord::Cname(const Name& name, std::uint32_t ttl, const Name& target) {
  return {name, RrType::kCname, kClassIn, ttl, DomainRdata{target}};
}
ResourceRecord ResourceRecord::Ns(const Name& name, std::uint32_t ttl, const Name& host) {
  return {name, RrType::kNs, kClassIn, ttl, DomainRdata{host}};
}
ResourceRecord ResourceRecord::Ptr(const Name& name, std::uint32_t ttl, const Name& target) {
  return {name, RrType::kPtr, kClassIn, ttl, DomainRdata{target}};
}
ResourceRecord ResourceRecord::Srv(const Name& name, std::uint32_t ttl, std::uint16_t priority,
                                   std::uint16_t weight, std::uint16_t port, const Name& target) {
  return {name, RrType::kSrv, kClassIn, ttl, SrvRdata{priority, weight, port, target}};
}
ResourceRecord ResourceRecord::Txt(const Name& name, std::uint32_t ttl,
                                   std::vector<std::string> s) {
  return {name, RrType::kTxt, kClassIn, ttl, TxtRdata{std::move(s)}};
}
ResourceRecord ResourceRecord::Soa(const Name& name, std::uint32_t ttl, const SoaRdata& soa) {
  return {name, RrType::kSoa, kClassIn, ttl, soa};
}

void Message::Clear() {
  header = Header();
  questions.clear();
  answers.clear();
  authorities.clear();
  additionals.clear();
  edns.reset();
}

absl::Status EncodeMessage(const Message& msg, std::size_t max_size, std::vector<std::uint8_t>* out,
                           const EncodeOptions& options) {
  MessageWriter w(out, options);
  w.Start(msg.header, max_size);
  if (msg.edns.has_value()) {
    absl::Status s = w.SetEdns(*msg.edns);
    if (!s.ok()) return s;
  }
  // Once a question, answer or authority record is dropped the rest is useless to the
  // client, which must retry over TCP anyway: stop there and set TC.
  bool truncated = false;
  for (const Question& q : msg.questions) {
    absl::Status s = w.AddQuestion(q);
    if (absl::IsResourceExhausted(s)) {
      truncated = true;
      break;
    }
    if (!s.ok()) return s;
  }
  const std::pair<Section, const std::vector<ResourceRecord>*> sections[] = {
      {Section::kAnswer, &msg.answers},
      {Section::kAuthority, &msg.authorities},
      {Section::kAdditional, &msg.additionals}};
  for (const auto& [section, records] : sections) {
    if (truncated) break;
    for (const ResourceRecord& rr : *records) {
      absl::Status s = w.AddRecord(section, rr);
      if (absl::IsResourceExhausted(s)) {
        // RFC 2181 §9: missing additional data alone does not warrant TC.
        if (section != Section::kAdditional) truncated = true;
        break;
      }
      if (!s.ok()) return s;
    }
  }
  if (truncated) w.SetTruncated();
  return w.Finish();
}

absl::Status TruncateEncoded(std::span<const std::uint8_t> packet, std::size_t max_size,
                             std::vector<std::uint8_t>* out) {
  Message msg;
  absl::Status s = DecodeMessage(packet, &msg);
  if (!s.ok()) return s;
  return EncodeMessage(msg, max_size, out);
}

void EncodeErrorReply(const Header& query_header, const Question* question,
                      const Edns* request_edns, std::uint16_t rcode, bool recursion_available,
                      std::vector<std::uint8_t>* out) {
  Header h;
  h.id = query_header.id;
  h.qr = true;
  h.opcode = query_header.opcode;
  h.rd = query_header.rd;
  h.cd = query_header.cd;
  h.ra = recursion_available;
  h.rcode = rcode;
  MessageWriter w(out);
  w.Start(h, kMaxUdpSizeWithoutEdns);
  bool edns = false;
  if (request_edns != nullptr) {
    Edns reply = MakeReplyEdns(*request_edns);
    edns = w.SetEdns(reply).ok();
  }
  // Without an OPT record the extended bits of the rcode cannot be sent; SERVFAIL is the
  // closest plain code.
  if (rcode > 15 && !edns) w.SetRcode(kServFail);
  // The question was decoded from a message of at most 64 KiB but a name is at most 255
  // bytes, so with a 512-byte limit it always fits; the status is still checked.
  if (question != nullptr && !w.AddQuestion(*question).ok()) w.SetTruncated();
  // Finish cannot fail here: the rcode was made encodable above.
  (void)w.Finish();
}

Edns MakeReplyEdns(const Edns& request) {
  Edns reply;
  reply.udp_size = request.udp_size;
  reply.version = 0;
  reply.dnssec_ok = request.dnssec_ok;
  for (const EdnsOption& o : request.options) {
    if (o.code != kEdnsOptionClientSubnet || o.data.size() < 4) continue;
    // RFC 7871 §6: FAMILY(2) SOURCE PREFIX(1) SCOPE PREFIX(1) ADDRESS(ceil(source/8)).
    std::uint16_t family = static_cast<std::uint16_t>((o.data[0] << 8) | o.data[1]);
    std::size_t source = o.data[2];
    std::size_t max_bits = family == 1 ? 32 : family == 2 ? 128 : 0;
    if (max_bits == 0 || source > max_bits || o.data.size() != 4 + (source + 7) / 8) continue;
    EdnsOption echo = o;
    echo.data[3] = 0;  // scope 0: the answer is the same for every client address
    reply.options.push_back(std::move(echo));
    break;
  }
  return reply;
}

Message MakeReply(const Message& query) {
  Message reply;
  reply.header.id = query.header.id;
  reply.header.qr = true;
  reply.header.opcode = query.header.opcode;
  reply.header.rd = query.header.rd;
  reply.header.cd = query.header.cd;
  reply.questions = query.questions;
  if (query.edns.has_value()) reply.edns = MakeReplyEdns(*query.edns);
  return reply;
}

std::size_t MaxUdpResponseSize(const Message& query) {
  if (!query.edns.has_value()) return kMaxUdpSizeWithoutEdns;
  return std::clamp<std::size_t>(query.edns->udp_size, kMaxUdpSizeWithoutEdns, kMaxUdpPayload);
}

}  // namespace cairn::dns
