// libFuzzer target for the DNS message decoder (libdns), the bytes every UDP/TCP client
// and recursor can send us. Beyond "no crash": whatever decodes must re-encode, the
// re-encoding must decode again and be a fixed point (encode(decode(x)) is stable), a
// 512-byte truncation must fit and decode, and the Consul name parser must accept every
// decoded question name.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include <cairn/dns/message.h>
#include <cairn/dns/query_name.h>

namespace {

const cairn::dns::DomainConfig& Domains() {
  static const cairn::dns::DomainConfig* config = [] {
    auto* c = new cairn::dns::DomainConfig;
    c->domain = *cairn::dns::Name::Parse("consul.");
    c->alt_domain = *cairn::dns::Name::Parse("alt.example.");
    return c;
  }();
  return *config;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cairn::dns;
  std::span<const std::uint8_t> input(data, size);
  Header header;
  (void)DecodeHeader(input, &header);
  Message message;
  if (!DecodeMessage(input, &message).ok()) return 0;

  for (const Question& q : message.questions) (void)ParseQueryName(q.name, q.type, Domains());

  std::vector<std::uint8_t> first;
  if (!EncodeMessage(message, kMaxMessageSize, &first).ok()) std::abort();
  Message again;
  if (!DecodeMessage(first, &again).ok()) std::abort();
  std::vector<std::uint8_t> second;
  if (!EncodeMessage(again, kMaxMessageSize, &second).ok()) std::abort();
  if (first != second) std::abort();

  std::vector<std::uint8_t> small;
  if (!EncodeMessage(message, kMaxUdpSizeWithoutEdns, &small).ok()) std::abort();
  if (small.size() > kMaxUdpSizeWithoutEdns) std::abort();
  Message cut;
  if (!DecodeMessage(small, &cut).ok()) std::abort();
  return 0;
}
