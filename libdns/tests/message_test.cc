// Codec tests: byte-exact packets built by hand from RFC 1035 §4, compression, EDNS
// (RFC 6891), truncation, and malformed input.
#include <vector>

#include <catch2/catch.hpp>

#include <cairn/dns/message.h>
#include <cairn/dns/message_writer.h>

namespace cairn::dns {
namespace {

using Bytes = std::vector<std::uint8_t>;

Name N(std::string_view text) {
  absl::StatusOr<Name> n = Name::Parse(text);
  REQUIRE(n.ok());
  return *n;
}

Bytes Encode(const Message& m, std::size_t max = kMaxMessageSize, bool compress = true) {
  Bytes out;
  REQUIRE(EncodeMessage(m, max, &out, {.compress = compress}).ok());
  return out;
}

Message Decode(const Bytes& b) {
  Message m;
  absl::Status s = DecodeMessage(b, &m);
  INFO(s.ToString());
  REQUIRE(s.ok());
  return m;
}

// "www.example.com. IN A" query, id 0x1234, RD — RFC 1035 §4.1 laid out by hand.
const Bytes kQuery = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
                      0x00, 3,    'w',  'w',  'w',  7,    'e',  'x',  'a',  'm',  'p',
                      'l',  'e',  3,    'c',  'o',  'm',  0,    0x00, 0x01, 0x00, 0x01};

TEST_CASE("decodes a hand-built query", "[unit]") {
  Message m = Decode(kQuery);
  CHECK(m.header.id == 0x1234);
  CHECK(m.header.rd);
  CHECK_FALSE(m.header.qr);
  REQUIRE(m.questions.size() == 1);
  CHECK(m.questions[0].name.ToString() == "www.example.com.");
  CHECK(m.questions[0].type == RrType::kA);
  CHECK(m.questions[0].qclass == kClassIn);
  CHECK_FALSE(m.edns.has_value());
  CHECK(Encode(m) == kQuery);
}

TEST_CASE("encodes a reply byte for byte with the owner compressed to the question", "[unit]") {
  Message q = Decode(kQuery);
  Message r = MakeReply(q);
  r.header.aa = true;
  r.answers.push_back(ResourceRecord::A(q.questions[0].name, 300, {93, 184, 216, 34}));
  Bytes want = kQuery;
  want[2] = 0x85;  // QR, AA, RD
  want[7] = 0x01;  // ANCOUNT 1
  Bytes rr = {0xC0, 0x0C, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
              0x01, 0x2C, 0x00, 0x04, 93,   184,  216,  34};
  want.insert(want.end(), rr.begin(), rr.end());
  CHECK(Encode(r) == want);
  // Without compression the owner is spelled out.
  Bytes plain = Encode(r, kMaxMessageSize, /*compress=*/false);
  CHECK(plain.size() == want.size() - 2 + 17);
  CHECK(Decode(plain).answers[0].name == q.questions[0].name);
}

TEST_CASE("compression follows pointers to pointers", "[unit]") {
  Message m;
  m.header.qr = true;
  m.questions.push_back({N("web.service.consul"), RrType::kCname, kClassIn});
  m.answers.push_back(ResourceRecord::Cname(N("web.service.consul"), 0, N("a.web.service.consul")));
  m.answers.push_back(
      ResourceRecord::Cname(N("a.web.service.consul"), 0, N("b.a.web.service.consul")));
  m.answers.push_back(ResourceRecord::Ptr(N("B.A.WEB.service.consul"), 0, N("service.consul")));
  Bytes b = Encode(m);
  // Question name at 12..31 (20 bytes), qtype/qclass to 35. First answer: owner C0 0C at
  // 36; its rdata at 48 is 01 'a' C0 0C. Second answer owner points to 48 (C0 30).
  CHECK(b[36] == 0xC0);
  CHECK(b[37] == 0x0C);
  CHECK(b[48] == 1);
  CHECK(b[49] == 'a');
  CHECK(b[50] == 0xC0);
  CHECK(b[51] == 0x0C);
  CHECK(b[52] == 0xC0);
  CHECK(b[53] == 48);
  Message d = Decode(b);
  REQUIRE(d.answers.size() == 3);
  CHECK(std::get<DomainRdata>(d.answers[1].rdata).name.ToString() == "b.a.web.service.consul.");
  CHECK(d.answers[2].name == N("b.a.web.service.consul"));
  CHECK(std::get<DomainRdata>(d.answers[2].rdata).name.ToString() == "service.consul.");
  // Compression pays: the uncompressed form is much longer.
  CHECK(Encode(m, kMaxMessageSize, false).size() > b.size() + 40);
}

TEST_CASE("every record type round-trips", "[unit]") {
  Message m;
  m.header.id = 7;
  m.header.qr = true;
  m.header.aa = true;
  m.header.ra = true;
  m.header.rcode = kNxDomain;
  m.questions.push_back({N("x.consul"), RrType::kAny, kClassIn});
  std::array<std::uint8_t, 16> v6{};
  v6[0] = 0x20;
  v6[15] = 1;
  m.answers.push_back(ResourceRecord::A(N("x.consul"), 1, {10, 0, 0, 1}));
  m.answers.push_back(ResourceRecord::Aaaa(N("x.consul"), 2, v6));
  m.answers.push_back(ResourceRecord::Srv(N("_x._tcp.consul"), 3, 1, 2, 8080, N("n1.node.consul")));
  m.answers.push_back(ResourceRecord::Txt(N("x.consul"), 4, {"k=v", "", std::string(300, 'q')}));
  m.answers.push_back(ResourceRecord::Ptr(N("1.0.0.10.in-addr.arpa"), 0, N("x.consul")));
  m.answers.push_back(ResourceRecord::Cname(N("y.consul"), 5, N("x.consul")));
  m.authorities.push_back(ResourceRecord::Ns(N("consul"), 6, N("ns.consul")));
  m.authorities.push_back(ResourceRecord::Soa(
      N("consul"), 0, {N("ns.consul"), N("hostmaster.consul"), 1700000000, 3600, 600, 86400, 0}));
  m.additionals.push_back({N("x.consul"), RrType::kMx, kClassIn, 9, MxRdata{10, N("mx.consul")}});
  m.additionals.push_back(
      {N("x.consul"), static_cast<RrType>(65280), 3, 10, RawRdata{{1, 2, 3, 0xC0, 0x0C}}});
  Message d = Decode(Encode(m));
  CHECK(d.header.rcode == kNxDomain);
  CHECK(d.header.aa);
  CHECK(d.header.ra);
  REQUIRE(d.answers.size() == 6);
  CHECK(std::get<ARdata>(d.answers[0].rdata).address == std::array<std::uint8_t, 4>{10, 0, 0, 1});
  CHECK(std::get<AaaaRdata>(d.answers[1].rdata).address == v6);
  const auto& srv = std::get<SrvRdata>(d.answers[2].rdata);
  CHECK(srv.priority == 1);
  CHECK(srv.weight == 2);
  CHECK(srv.port == 8080);
  CHECK(srv.target.ToString() == "n1.node.consul.");
  const auto& txt = std::get<TxtRdata>(d.answers[3].rdata);
  // The 300-byte string travels as 255 + 45.
  REQUIRE(txt.strings.size() == 4);
  CHECK(txt.strings[0] == "k=v");
  CHECK(txt.strings[1].empty());
  CHECK(txt.strings[2].size() == 255);
  CHECK(txt.strings[3].size() == 45);
  CHECK(d.answers[3].ttl == 4);
  CHECK(std::get<DomainRdata>(d.answers[4].rdata).name.ToString() == "x.consul.");
  CHECK(d.answers[5].type == RrType::kCname);
  const auto& soa = std::get<SoaRdata>(d.authorities[1].rdata);
  CHECK(soa.rname.ToString() == "hostmaster.consul.");
  CHECK(soa.serial == 1700000000);
  CHECK(soa.expire == 86400);
  CHECK(std::get<MxRdata>(d.additionals[0].rdata).exchange.ToString() == "mx.consul.");
  CHECK(d.additionals[1].rrclass == 3);
  CHECK(std::get<RawRdata>(d.additionals[1].rdata).bytes == Bytes{1, 2, 3, 0xC0, 0x0C});
}

TEST_CASE("SRV targets are never compressed but can be pointed to", "[unit]") {
  Message m;
  m.questions.push_back({N("web.service.consul"), RrType::kSrv, kClassIn});
  m.answers.push_back(
      ResourceRecord::Srv(N("web.service.consul"), 0, 1, 1, 80, N("n1.node.consul")));
  m.additionals.push_back(ResourceRecord::A(N("n1.node.consul"), 0, {1, 2, 3, 4}));
  Bytes b = Encode(m);
  // Answer at 36: owner C0 0C (2), type..rdlength (10), prio/weight/port (6), then the
  // target spelled out in full: 2 n1 4 node 6 consul 0 = 16 bytes.
  CHECK(b[54] == 2);
  CHECK(b[55] == 'n');
  CHECK(b[62] == 6);  // "consul" written again, no pointer
  CHECK(b[69] == 0);
  CHECK(b[70] == 0xC0);  // the additional owner points at the target
  CHECK(b[71] == 54);
  CHECK(Decode(b).additionals[0].name == N("n1.node.consul"));
}

TEST_CASE("EDNS: payload size, DO bit, extended rcode, options", "[unit]") {
  Message m;
  m.header.id = 1;
  m.questions.push_back({N("web.service.consul"), RrType::kA, kClassIn});
  m.edns = Edns{4096, 0, true, 0, {{kEdnsOptionClientSubnet, {0, 1, 24, 0, 192, 0, 2}}}};
  Bytes b = Encode(m);
  // OPT: root, type 41, class 4096, ttl 0x00008000 (DO), rdlength 11, option 8.
  Bytes opt_head = {0x00, 0x00, 0x29, 0x10, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x0B};
  CHECK(Bytes(b.end() - 22, b.end() - 11) == opt_head);
  CHECK(b[11] == 1);  // ARCOUNT
  Message d = Decode(b);
  REQUIRE(d.edns.has_value());
  CHECK(d.edns->udp_size == 4096);
  CHECK(d.edns->dnssec_ok);
  CHECK(d.additionals.empty());
  CHECK(MaxUdpResponseSize(d) == 4096);

  Message reply = MakeReply(d);
  REQUIRE(reply.edns.has_value());
  CHECK(reply.edns->udp_size == 4096);
  CHECK(reply.edns->dnssec_ok);
  REQUIRE(reply.edns->options.size() == 1);
  CHECK(reply.edns->options[0].data == Bytes{0, 1, 24, 0, 192, 0, 2});

  reply.header.rcode = kBadVers;
  Bytes rb = Encode(reply);
  CHECK((rb[3] & 0xF) == 0);  // low bits of 16
  Message rd = Decode(rb);
  CHECK(rd.header.rcode == kBadVers);

  Message small;
  small.edns = Edns{100, 0, false, 0, {}};
  CHECK(MaxUdpResponseSize(small) == 512);
  small.edns->udp_size = 65535;
  CHECK(MaxUdpResponseSize(small) == kMaxUdpPayload);
  small.edns.reset();
  CHECK(MaxUdpResponseSize(small) == 512);
  small.header.rcode = kBadVers;
  Bytes ignored;
  CHECK(absl::IsInvalidArgument(EncodeMessage(small, 512, &ignored)));
}

Message ManyAnswers(int n) {
  Message m;
  m.header.qr = true;
  m.questions.push_back({N("web.service.consul"), RrType::kA, kClassIn});
  for (int i = 0; i < n; ++i) {
    m.answers.push_back(ResourceRecord::A(
        N("web.service.consul"), 0,
        {10, 0, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)}));
  }
  return m;
}

TEST_CASE("truncation drops whole records and sets TC", "[unit]") {
  Message m = ManyAnswers(100);  // 36 + 100 * 16 = 1636 bytes
  Bytes b = Encode(m, 512);
  CHECK(b.size() <= 512);
  CHECK(b.size() == 36 + 29 * 16);
  Message d = Decode(b);
  CHECK(d.header.tc);
  CHECK(d.answers.size() == 29);

  // With EDNS the OPT record is reserved first and survives.
  m.edns = Edns{512, 0, false, 0, {}};
  Message e = Decode(Encode(m, 512));
  CHECK(e.header.tc);
  CHECK(e.answers.size() == 29);  // 36 + 28*16 + 11 = 495; one more would be 511 + 11
  CHECK(e.edns.has_value());

  Message all = Decode(Encode(m, 4096));
  CHECK_FALSE(all.header.tc);
  CHECK(all.answers.size() == 100);
}

TEST_CASE("dropping only additional records does not set TC", "[unit]") {
  Message m = ManyAnswers(2);
  for (int i = 0; i < 40; ++i) {
    m.additionals.push_back(ResourceRecord::A(N("n.node.consul"), 0, {1, 1, 1, 1}));
  }
  Message d = Decode(Encode(m, 512));
  CHECK_FALSE(d.header.tc);
  CHECK(d.answers.size() == 2);
  CHECK(d.additionals.size() < 40);
  CHECK(d.additionals.size() > 10);
}

TEST_CASE("TruncateEncoded re-fits a large message", "[unit]") {
  Bytes big = Encode(ManyAnswers(50));
  Bytes out;
  REQUIRE(TruncateEncoded(big, 512, &out).ok());
  CHECK(out.size() <= 512);
  CHECK(Decode(out).header.tc);
}

TEST_CASE("MessageWriter rolls back a record that does not fit", "[unit]") {
  Bytes buf;
  MessageWriter w(&buf);
  Header h;
  h.qr = true;
  w.Start(h, 60);
  REQUIRE(w.AddQuestion({N("web.service.consul"), RrType::kA, kClassIn}).ok());
  REQUIRE(w.AddRecord(Section::kAnswer, ResourceRecord::A(N("web.service.consul"), 0, {1, 2, 3, 4}))
              .ok());
  std::size_t before = w.size();
  CHECK(absl::IsResourceExhausted(
      w.AddRecord(Section::kAnswer, ResourceRecord::A(N("other.consul"), 0, {1, 2, 3, 4}))));
  CHECK(w.size() == before);
  CHECK(absl::IsInvalidArgument(w.AddQuestion({N("x"), RrType::kA, kClassIn})));
  ResourceRecord bad = ResourceRecord::A(N("x"), 0, {1, 2, 3, 4});
  bad.type = RrType::kSrv;
  CHECK(absl::IsInvalidArgument(w.AddRecord(Section::kAdditional, bad)));
  REQUIRE(w.Finish().ok());
  Message d = Decode(buf);
  CHECK(d.answers.size() == 1);
  CHECK(w.count(Section::kAnswer) == 1);
  // The rolled-back name must not be used as a compression target.
  w.Start(h, 512);
  REQUIRE(w.AddQuestion({N("a.b"), RrType::kA, kClassIn}).ok());
  REQUIRE(w.Finish().ok());
  CHECK(Decode(buf).questions[0].name.ToString() == "a.b.");
}

TEST_CASE("EncodeErrorReply answers FORMERR, SERVFAIL, BADVERS", "[unit]") {
  Message q = Decode(kQuery);
  Bytes out;
  EncodeErrorReply(q.header, nullptr, nullptr, kFormErr, false, &out);
  Message d = Decode(out);
  CHECK(d.header.id == 0x1234);
  CHECK(d.header.qr);
  CHECK(d.header.rd);
  CHECK(d.header.rcode == kFormErr);
  CHECK(d.questions.empty());

  Edns e{1232, 1, false, 0, {}};
  EncodeErrorReply(q.header, &q.questions[0], &e, kBadVers, true, &out);
  d = Decode(out);
  CHECK(d.header.rcode == kBadVers);
  CHECK(d.header.ra);
  CHECK(d.questions.size() == 1);
  REQUIRE(d.edns.has_value());
  CHECK(d.edns->version == 0);

  EncodeErrorReply(q.header, &q.questions[0], nullptr, kBadVers, false, &out);
  CHECK(Decode(out).header.rcode == kServFail);
}

// --- malformed input: every case is an error, never a crash -------------------------

absl::Status DecodeStatus(const Bytes& b) {
  Message m;
  return DecodeMessage(b, &m);
}

Bytes HeaderWith(std::uint16_t qd, std::uint16_t an, std::uint16_t ns, std::uint16_t ar) {
  return {0,
          1,
          0,
          0,
          static_cast<std::uint8_t>(qd >> 8),
          static_cast<std::uint8_t>(qd),
          static_cast<std::uint8_t>(an >> 8),
          static_cast<std::uint8_t>(an),
          static_cast<std::uint8_t>(ns >> 8),
          static_cast<std::uint8_t>(ns),
          static_cast<std::uint8_t>(ar >> 8),
          static_cast<std::uint8_t>(ar)};
}

void Append(Bytes* b, std::initializer_list<int> more) {
  for (int v : more) b->push_back(static_cast<std::uint8_t>(v));
}

TEST_CASE("malformed: short or lying headers", "[unit]") {
  for (std::size_t n = 0; n < kHeaderSize; ++n) {
    CHECK(absl::IsInvalidArgument(DecodeStatus(Bytes(kQuery.begin(), kQuery.begin() + n))));
  }
  Header h;
  CHECK(!DecodeHeader(Bytes(11, 0), &h).ok());
  CHECK(DecodeHeader(Bytes(12, 0), &h).ok());
  // Every strict prefix of a valid query fails.
  for (std::size_t n = kHeaderSize; n < kQuery.size(); ++n) {
    CHECK(!DecodeStatus(Bytes(kQuery.begin(), kQuery.begin() + n)).ok());
  }
  Bytes qd_lies = kQuery;
  qd_lies[5] = 2;
  CHECK(!DecodeStatus(qd_lies).ok());
  Bytes an_lies = kQuery;
  an_lies[7] = 0xFF;
  CHECK(!DecodeStatus(an_lies).ok());
  CHECK(!DecodeStatus(HeaderWith(0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF)).ok());
}

TEST_CASE("malformed: compression pointers", "[unit]") {
  Bytes self = HeaderWith(1, 0, 0, 0);
  Append(&self, {0xC0, 12, 0, 1, 0, 1});  // points at itself: a loop
  CHECK(absl::IsInvalidArgument(DecodeStatus(self)));

  Bytes forward = HeaderWith(1, 0, 0, 0);
  Append(&forward, {0xC0, 18, 0, 1, 0, 1, 1, 'a', 0});  // points forward
  CHECK(!DecodeStatus(forward).ok());

  Bytes half = HeaderWith(1, 0, 0, 0);
  Append(&half, {0xC0});  // pointer cut in half
  CHECK(!DecodeStatus(half).ok());

  Bytes past = HeaderWith(1, 0, 0, 0);
  Append(&past, {0xFF, 0xFF, 0, 1, 0, 1});
  CHECK(!DecodeStatus(past).ok());

  // Two names pointing at each other: the second points back to the first (legal), the
  // first points forward to the second (illegal) — the loop is caught.
  Bytes mutual = HeaderWith(2, 0, 0, 0);
  Append(&mutual, {1, 'a', 0xC0, 22, 0, 1, 0, 1, 1, 'b', 0xC0, 12, 0, 1, 0, 1});
  CHECK(!DecodeStatus(mutual).ok());

  Bytes label_type = HeaderWith(1, 0, 0, 0);
  Append(&label_type, {0x41, 'a', 0, 0, 1, 0, 1});  // 0x40 = extended label type
  CHECK(!DecodeStatus(label_type).ok());
}

TEST_CASE("malformed: a long chain of backward pointers is bounded", "[unit]") {
  // An unknown-type record carries 70 pointers, each to the previous one; a question
  // name then points at the last. Every pointer is backwards, but 70 hops > 64.
  Bytes b = HeaderWith(0, 2, 0, 0);
  Append(&b, {1, 'a', 0, 0xFF, 0x00, 0, 1, 0, 0, 0, 0, 0, 140});
  std::size_t first = b.size();
  for (int i = 0; i < 70; ++i) {
    std::size_t target = i == 0 ? 12 : first + 2 * (i - 1);
    Append(&b, {0xC0 | static_cast<int>(target >> 8), static_cast<int>(target & 0xFF)});
  }
  std::size_t last = first + 2 * 69;
  Append(&b, {0xC0 | static_cast<int>(last >> 8), static_cast<int>(last & 0xFF), 0, 1, 0, 1, 0, 0,
              0, 0, 0, 4, 1, 2, 3, 4});
  absl::Status s = DecodeStatus(b);
  CHECK(absl::IsInvalidArgument(s));
  CHECK(std::string(s.message()).find("too many") != std::string::npos);
}

TEST_CASE("malformed: names and labels over the limits", "[unit]") {
  // 5 labels of 63 bytes in the wire: 320 bytes > 255.
  Bytes b = HeaderWith(1, 0, 0, 0);
  for (int i = 0; i < 5; ++i) {
    b.push_back(63);
    b.insert(b.end(), 63, 'x');
  }
  Append(&b, {0, 0, 1, 0, 1});
  CHECK(!DecodeStatus(b).ok());
  // A long name assembled through pointers is caught as well: 4 x 63 + suffix.
  Bytes c = HeaderWith(2, 0, 0, 0);
  for (int i = 0; i < 3; ++i) {
    c.push_back(63);
    c.insert(c.end(), 63, 'y');
  }
  Append(&c, {0, 0, 1, 0, 1, 63});
  c.insert(c.end(), 63, 'z');
  Append(&c, {0xC0, 12, 0, 1, 0, 1});
  CHECK(!DecodeStatus(c).ok());
}

TEST_CASE("malformed: rdata lengths", "[unit]") {
  Bytes beyond = HeaderWith(0, 1, 0, 0);
  Append(&beyond, {0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 10, 1, 2, 3, 4});  // rdlength 10, 4 present
  CHECK(!DecodeStatus(beyond).ok());
  Bytes a5 = HeaderWith(0, 1, 0, 0);
  Append(&a5, {0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4, 5});  // A with 5 bytes
  CHECK(!DecodeStatus(a5).ok());
  Bytes cname_short = HeaderWith(0, 1, 0, 0);
  Append(&cname_short, {0, 0, 5, 0, 1, 0, 0, 0, 0, 0, 2, 1, 'a', 0});  // name past rdata
  CHECK(!DecodeStatus(cname_short).ok());
  Bytes txt = HeaderWith(0, 1, 0, 0);
  Append(&txt, {0, 0, 16, 0, 1, 0, 0, 0, 0, 0, 2, 5, 'a'});  // string past rdata
  CHECK(!DecodeStatus(txt).ok());
  Bytes srv = HeaderWith(0, 1, 0, 0);
  Append(&srv, {0, 0, 33, 0, 1, 0, 0, 0, 0, 0, 3, 0, 1, 0});
  CHECK(!DecodeStatus(srv).ok());
  Bytes soa = HeaderWith(0, 1, 0, 0);
  Append(&soa, {0, 0, 6, 0, 1, 0, 0, 0, 0, 0, 3, 0, 0, 0});  // names but no numbers
  CHECK(!DecodeStatus(soa).ok());
}

TEST_CASE("malformed: OPT placement", "[unit]") {
  Bytes two = HeaderWith(0, 0, 0, 2);
  Append(&two, {0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 0});
  CHECK(!DecodeStatus(two).ok());
  Bytes in_answer = HeaderWith(0, 1, 0, 0);
  Append(&in_answer, {0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 0});
  CHECK(!DecodeStatus(in_answer).ok());
  Bytes named = HeaderWith(0, 0, 0, 1);
  Append(&named, {1, 'a', 0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 0});
  CHECK(!DecodeStatus(named).ok());
  Bytes bad_option = HeaderWith(0, 0, 0, 1);
  Append(&bad_option, {0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 5, 0, 8, 0, 9, 1});
  CHECK(!DecodeStatus(bad_option).ok());
  Bytes good = HeaderWith(0, 0, 0, 1);
  Append(&good, {0, 0, 41, 4, 0, 1, 0, 0x80, 0, 0, 0});  // ext rcode 1, DO
  Message m;
  REQUIRE(DecodeMessage(good, &m).ok());
  CHECK(m.header.rcode == 16);
  CHECK(m.edns->udp_size == 1024);
  CHECK(m.edns->dnssec_ok);
}

}  // namespace
}  // namespace cairn::dns
