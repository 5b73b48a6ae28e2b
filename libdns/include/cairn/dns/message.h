// cairn/dns/message.h — DNS messages (RFC 1035 §4) with EDNS0 (RFC 6891): types and codec.
//
// DecodeMessage reads untrusted bytes with strict bounds: every length, count, label and
// compression pointer is checked, and anything malformed is a kInvalidArgument Status
// (the server answers FORMERR), never a crash or an out-of-range read. EncodeMessage and
// MessageWriter (message_writer.h) write the wire form with name compression and
// truncation to a byte limit.
//
// Example — answer a query:
//
//   Message query;
//   CAIRN_RETURN_IF_ERROR(DecodeMessage(packet, &query));
//   Message reply = MakeReply(query);               // id, RD, question, OPT echoed
//   reply.answers.push_back(ResourceRecord::A(query.questions[0].name, /*ttl=*/0,
//                                            {10, 0, 0, 5}));
//   std::vector<uint8_t> wire;                      // reuse it across replies
//   CAIRN_RETURN_IF_ERROR(EncodeMessage(reply, MaxUdpResponseSize(query), &wire));
//
// The OPT pseudo-record never appears in Message::additionals: the decoder moves it into
// Message::edns and the encoder writes it from there (last, always kept when truncating).
// The extended RCODE is merged into Header::rcode (12 bits).
#ifndef CAIRN_DNS_MESSAGE_H_
#define CAIRN_DNS_MESSAGE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include <absl/status/status.h>

#include <cairn/dns/name.h>

namespace cairn::dns {

// Resource record types (RFC 1035 §3.2.2 and later RFCs). Any 16-bit value is a valid
// RrType; the named ones are those this library decodes into structured rdata.
enum class RrType : std::uint16_t {
  kA = 1,
  kNs = 2,
  kCname = 5,
  kSoa = 6,
  kPtr = 12,
  kMx = 15,
  kTxt = 16,
  kAaaa = 28,
  kSrv = 33,
  kOpt = 41,
  kIxfr = 251,
  kAxfr = 252,
  kAny = 255,
};

// Classes (RFC 1035 §3.2.4).
inline constexpr std::uint16_t kClassIn = 1;
inline constexpr std::uint16_t kClassAny = 255;

// Opcodes (RFC 1035 §4.1.1).
inline constexpr std::uint8_t kOpcodeQuery = 0;

// Response codes (RFC 1035 §4.1.1, RFC 6891 §9 for BADVERS, which needs EDNS).
enum Rcode : std::uint16_t {
  kNoError = 0,
  kFormErr = 1,
  kServFail = 2,
  kNxDomain = 3,
  kNotImp = 4,
  kRefused = 5,
  kBadVers = 16,
};

// Sizes from RFC 1035 §4.2.1 and RFC 6891 §6.2.5.
inline constexpr std::size_t kHeaderSize = 12;
inline constexpr std::size_t kMaxUdpSizeWithoutEdns = 512;
inline constexpr std::size_t kMaxMessageSize = 65535;
// Largest UDP payload Consul sends (65535 minus IP and UDP headers, as in Go's agent/dns.go).
inline constexpr std::size_t kMaxUdpPayload = 65467;

// The fixed 12-byte header. Counts are what the wire said after decoding; the encoder
// ignores them and writes the real counts.
struct Header {
  std::uint16_t id = 0;
  bool qr = false;  // response
  std::uint8_t opcode = kOpcodeQuery;
  bool aa = false;  // authoritative answer
  bool tc = false;  // truncated
  bool rd = false;  // recursion desired
  bool ra = false;  // recursion available
  bool z = false;   // reserved bit
  bool ad = false;  // authentic data (RFC 4035)
  bool cd = false;  // checking disabled (RFC 4035)
  // Full 12-bit RCODE: the low 4 bits travel in the header, the high 8 in the OPT record,
  // so a value above 15 can only be encoded in a message with EDNS.
  std::uint16_t rcode = kNoError;
  std::uint16_t qdcount = 0;
  std::uint16_t ancount = 0;
  std::uint16_t nscount = 0;
  std::uint16_t arcount = 0;
};

struct Question {
  Name name;
  RrType type = RrType::kA;
  std::uint16_t qclass = kClassIn;
};

// Rdata alternatives. DomainRdata serves CNAME, NS and PTR (the RR's type says which);
// RawRdata keeps any other type's bytes verbatim (names inside are not decompressed, so
// only types without compressed names survive a decode/encode round trip unchanged —
// RFC 3597 forbids compression in new types).
struct ARdata {
  std::array<std::uint8_t, 4> address{};
};
struct AaaaRdata {
  std::array<std::uint8_t, 16> address{};
};
struct DomainRdata {
  Name name;
};
struct SrvRdata {
  std::uint16_t priority = 0;
  std::uint16_t weight = 0;
  std::uint16_t port = 0;
  Name target;  // written uncompressed (RFC 2782)
};
struct MxRdata {
  std::uint16_t preference = 0;
  Name exchange;
};
struct SoaRdata {
  Name mname;
  Name rname;
  std::uint32_t serial = 0;
  std::uint32_t refresh = 0;
  std::uint32_t retry = 0;
  std::uint32_t expire = 0;
  std::uint32_t minimum = 0;
};
// Character-strings; the encoder splits any string over 255 bytes into 255-byte pieces.
struct TxtRdata {
  std::vector<std::string> strings;
};
struct RawRdata {
  std::vector<std::uint8_t> bytes;
};
using Rdata =
    std::variant<ARdata, AaaaRdata, DomainRdata, SrvRdata, MxRdata, SoaRdata, TxtRdata, RawRdata>;

// One resource record. The encoder checks that `rdata` holds the alternative `type`
// needs (RawRdata fits every type except OPT, which lives in Message::edns).
struct ResourceRecord {
  Name name;
  RrType type = RrType::kA;
  std::uint16_t rrclass = kClassIn;
  std::uint32_t ttl = 0;
  Rdata rdata;

  static ResourceRecord A(const Name& name, std::uint32_t ttl, std::array<std::uint8_t, 4> a);
  static ResourceRecord Aaaa(const Name& name, std::uint32_t ttl,
                             const std::array<std::uint8_t, 16>& a);
  static ResourceRecord Cname(const Name& name, std::uint32_t ttl, const Name& target);
  static ResourceRecord Ns(const Name& name, std::uint32_t ttl, const Name& host);
  static ResourceRecord Ptr(const Name& name, std::uint32_t ttl, const Name& target);
  static ResourceRecord Srv(const Name& name, std::uint32_t ttl, std::uint16_t priority,
                            std::uint16_t weight, std::uint16_t port, const Name& target);
  static ResourceRecord Txt(const Name& name, std::uint32_t ttl, std::vector<std::string> s);
  static ResourceRecord Soa(const Name& name, std::uint32_t ttl, const SoaRdata& soa);
};

// One EDNS option (RFC 6891 §6.1.2), data uninterpreted.
struct EdnsOption {
  std::uint16_t code = 0;
  std::vector<std::uint8_t> data;
};
inline constexpr std::uint16_t kEdnsOptionClientSubnet = 8;  // RFC 7871

// The OPT pseudo-record's contents (RFC 6891 §6.1.3).
struct Edns {
  std::uint16_t udp_size = 512;  // requestor's payload size, as sent (may be < 512)
  std::uint8_t version = 0;
  bool dnssec_ok = false;   // DO bit (RFC 3225)
  std::uint16_t flags = 0;  // the other 15 "Z" bits, kept verbatim
  std::vector<EdnsOption> options;
};

struct Message {
  Header header;
  std::vector<Question> questions;
  std::vector<ResourceRecord> answers;
  std::vector<ResourceRecord> authorities;
  std::vector<ResourceRecord> additionals;  // never holds OPT; see `edns`
  std::optional<Edns> edns;

  // Empties every section, keeping vector capacity (for reuse on the hot path).
  void Clear();
};

// Decodes `packet` into `*out` (cleared first; its capacity is reused). kInvalidArgument
// for: fewer than 12 bytes, any count claiming more entries than the bytes hold, a label
// over 63 bytes or a name over 255, a compression pointer that does not point strictly
// backwards (which also rules out loops) or more than 64 pointer hops, an unknown label
// type, rdata running past the end or not matching its declared length, a malformed
// known-type rdata, more than one OPT, an OPT not in the additional section or not owned
// by the root. Bytes after the last record are ignored. On error *out is unspecified.
absl::Status DecodeMessage(std::span<const std::uint8_t> packet, Message* out);

// Decodes just the 12-byte header (enough to answer FORMERR to a broken query).
// kInvalidArgument if the packet is shorter than 12 bytes.
absl::Status DecodeHeader(std::span<const std::uint8_t> packet, Header* out);

// Options for encoding.
struct EncodeOptions {
  bool compress = true;  // RFC 1035 §4.1.4 name compression (`disable_compression` = false)
};

// Encodes `msg` into `*out` (cleared first, capacity reused), at most `max_size` bytes
// (clamped to 12..65535). When the records do not all fit, whole records are dropped,
// never split: if an answer or authority record is dropped, TC is set and nothing after it
// is written; dropped additional records alone do not set TC (RFC 2181 §9). The OPT
// record is always kept. Errors (kInvalidArgument): rdata not matching its type, an
// RCODE above 15 without EDNS, a field out of range.
absl::Status EncodeMessage(const Message& msg, std::size_t max_size, std::vector<std::uint8_t>* out,
                           const EncodeOptions& options = {});

// Re-encodes the message in `packet` so that it fits in `max_size` bytes, setting TC when
// records had to be dropped (see EncodeMessage). Used when a relayed reply is larger than
// what the client can take. Fails as DecodeMessage does.
absl::Status TruncateEncoded(std::span<const std::uint8_t> packet, std::size_t max_size,
                             std::vector<std::uint8_t>* out);

// Writes a reply carrying only `rcode`: the query's id, opcode, RD and CD, QR set, RA as
// given, the question if `question` is non-null, and an OPT echoing `request_edns` if that
// is non-null (needed for rcodes above 15, e.g. BADVERS). Always fits in 512 bytes.
void EncodeErrorReply(const Header& query_header, const Question* question,
                      const Edns* request_edns, std::uint16_t rcode, bool recursion_available,
                      std::vector<std::uint8_t>* out);

// The EDNS record for a reply to a request that carried `request` (Consul behaviour and
// RFC 6891 §6.1.1): the same UDP size, version 0, the DO bit copied (RFC 3225 §3), and an
// EDNS Client Subnet option echoed with scope prefix 0 (RFC 7871 §7.2.1) when the request
// had a well-formed one; other options are not echoed.
Edns MakeReplyEdns(const Edns& request);

// A reply skeleton for `query`: QR set, same id, opcode, RD and CD, the question copied,
// and MakeReplyEdns when the query had EDNS.
Message MakeReply(const Message& query);

// The largest UDP reply `query` accepts: 512, or its EDNS UDP size when that is larger,
// capped at kMaxUdpPayload (RFC 6891 §6.2.5: sizes below 512 are treated as 512).
std::size_t MaxUdpResponseSize(const Message& query);

}  // namespace cairn::dns

#endif  // CAIRN_DNS_MESSAGE_H_
