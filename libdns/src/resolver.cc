// The Resolver: dispatch of a parsed question, SOA/NS, and the Consul way of cutting an
// answer to size (Go's trimUDPResponse / trimTCPResponse, spec/dns.md §12) before it is
// encoded with MessageWriter.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <limits>
#include <utility>

#include <cairn/dns/message_writer.h>
#include <cairn/dns/resolver.h>

#include "resolver_cache.h"
#include "resolver_internal.h"

namespace cairn::dns {

using internal::Draft;
using internal::Lookup;
using internal::ResolverState;

struct Resolver::Metrics {
  base::Sample* domain_query = nullptr;
  base::Sample* ptr_query = nullptr;
  base::Counter* forwarded = nullptr;
  base::Counter* noerror = nullptr;
  base::Counter* nxdomain = nullptr;
  base::Counter* servfail = nullptr;
  base::Counter* refused = nullptr;
  base::Counter* notimp = nullptr;

  void CountRcode(std::uint16_t rcode) const {
    switch (rcode) {
      case kNoError:
        noerror->Increment();
        break;
      case kNxDomain:
        nxdomain->Increment();
        break;
      case kServFail:
        servfail->Increment();
        break;
      case kRefused:
        refused->Increment();
        break;
      case kNotImp:
        notimp->Increment();
        break;
      default:
        break;
    }
  }
};

namespace {

// Sizes from Go's agent/dns.go.
constexpr std::size_t kMaxUdpAnswerLimit = 8;   // cap on udp_answer_limit
constexpr std::size_t kUdpHeaderAllowance = 8;  // "account for the udp header"
constexpr std::size_t kMaxTcpSize = 65523;      // "64k - 12 bytes DNS raw overhead"
constexpr std::size_t kMaxTcpAnswers = 4096;    // pre-cut before the size loop
constexpr std::size_t kMaxTcpSrvAnswers = 1024;

// Answers beyond the cut EncodeDraft makes first are never sent: build one more than
// that (so the cut still shows) and stop.
std::size_t AnswersWorthBuilding(const ResolverState& st, RrType qtype, Transport transport,
                                 std::size_t max_size) {
  if (transport == Transport::kTcp) {
    return (qtype == RrType::kSrv ? kMaxTcpSrvAnswers : kMaxTcpAnswers) + 1;
  }
  if (max_size == kMaxUdpSizeWithoutEdns) {
    return std::min<std::size_t>(kMaxUdpAnswerLimit, static_cast<std::size_t>(
                                                         std::max(0, st.config.udp_answer_limit))) +
           1;
  }
  return std::numeric_limits<std::size_t>::max();
}

ResourceRecord MakeSoa(const ResolverState& st, bool alt) {
  const Name& domain = alt && st.domains.alt_domain ? *st.domains.alt_domain : st.domains.domain;
  SoaRdata soa;
  soa.mname = Name();
  (void)soa.mname.AppendLabel("ns");
  soa.rname = Name();
  (void)soa.rname.AppendLabel("hostmaster");
  // A domain too long to take the extra label gets the zone itself as MNAME/RNAME.
  if (!soa.mname.Append(domain).ok()) soa.mname = domain;
  if (!soa.rname.Append(domain).ok()) soa.rname = domain;
  soa.serial = static_cast<std::uint32_t>(std::time(nullptr));
  soa.refresh = st.config.soa.refresh;
  soa.retry = st.config.soa.retry;
  soa.expire = st.config.soa.expire;
  soa.minimum = st.config.soa.min_ttl;
  return ResourceRecord::Soa(domain, st.config.soa.min_ttl, soa);
}

// Encodes a draft with its first `answers` answers. With `budget` set, returns false as
// soon as anything does not fit (a size probe); otherwise writes what fits, dropping the
// rest as EncodeMessage does (TC when an answer or authority record is dropped).
class DraftEncoder {
 public:
  DraftEncoder(const Message& query, const Header& header, const Draft& draft)
      : query_(query), header_(header), draft_(draft) {}

  bool Fits(std::size_t answers, bool authority, std::size_t budget, bool compress,
            std::vector<std::uint8_t>* scratch) const {
    return Write(answers, authority, budget, compress, /*probe=*/true, false, scratch);
  }

  void Final(std::size_t answers, bool authority, std::size_t limit, bool compress, bool truncated,
             std::vector<std::uint8_t>* out) const {
    Write(answers, authority, limit, compress, /*probe=*/false, truncated, out);
  }

 private:
  bool Write(std::size_t answers, bool authority, std::size_t limit, bool compress, bool probe,
             bool truncated, std::vector<std::uint8_t>* out) const {
    MessageWriter w(out, EncodeOptions{compress});
    w.Start(header_, limit);
    if (truncated) w.SetTruncated();
    if (query_.edns && !w.SetEdns(MakeReplyEdns(*query_.edns)).ok()) return false;
    if (!w.AddQuestion(query_.questions[0]).ok()) return false;
    bool stop = false;
    auto add = [&](Section section, const ResourceRecord& rr) {
      if (stop) return;
      absl::Status s = w.AddRecord(section, rr);
      if (s.ok()) return;
      stop = true;
      if (!probe && section != Section::kAdditional) w.SetTruncated();
    };
    for (std::size_t i = 0; i < answers; ++i) add(Section::kAnswer, draft_.answers[i]);
    if (authority) {
      for (const ResourceRecord& rr : draft_.authorities) add(Section::kAuthority, rr);
    }
    for (const ResourceRecord& rr : draft_.additionals) add(Section::kAdditional, rr);
    if (!draft_.answer_group.empty()) {
      // The additional records of the SRV targets left, each group once.
      std::vector<bool> done(draft_.extra_groups.size(), false);
      for (std::size_t i = 0; i < answers && i < draft_.answer_group.size(); ++i) {
        const int g = draft_.answer_group[i];
        if (g < 0 || done[g]) continue;
        done[g] = true;
        for (const ResourceRecord& rr : draft_.extra_groups[g]) add(Section::kAdditional, rr);
      }
    }
    if (probe && stop) return false;
    if (!w.Finish().ok()) return false;
    return true;
  }

  const Message& query_;
  const Header& header_;
  const Draft& draft_;
};

// The largest k in [1, n) whose first k answers (and their additional records, no
// authority) fit in `budget`; 1 when none does (a single oversized answer is still sent).
// Go bisects; each probe is an encode, so this starts from a guess proportional to the
// size of the whole message and gallops from there before bisecting.
std::size_t MostAnswersThatFit(const DraftEncoder& enc, std::size_t n, std::size_t budget,
                               bool compress, std::vector<std::uint8_t>* scratch) {
  auto fits = [&](std::size_t k) { return enc.Fits(k, false, budget, compress, scratch); };
  std::size_t guess = n / 2;
  if (enc.Fits(n, false, kMaxMessageSize, compress, scratch) && !scratch->empty()) {
    guess = n * budget / scratch->size();
  }
  guess = std::clamp<std::size_t>(guess, 1, n - 1);
  std::size_t lo = 1, hi = n - 1;  // lo fits (or is 1), nothing above hi fits
  if (fits(guess)) {
    lo = guess;
    std::size_t step = 1;
    while (lo + step <= n - 1 && fits(lo + step)) {
      lo += step;
      step *= 2;
    }
    hi = std::min(n - 1, lo + step - 1);
  } else {
    hi = guess - 1;
    std::size_t step = 1;
    while (hi >= 1) {
      const std::size_t p = hi > step ? hi - step + 1 : 1;
      if (p == 1 || fits(p)) {
        lo = p;
        break;
      }
      hi = p - 1;
      step *= 2;
    }
  }
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo + 1) / 2;
    if (fits(mid)) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

// Cuts and encodes the draft as Go's trimDNSResponse does, then writes the reply.
void EncodeDraft(const ResolverState& st, const Message& query, Transport transport,
                 std::size_t max_size, const Draft& draft, std::vector<std::uint8_t>* out) {
  Header h;
  h.id = query.header.id;
  h.qr = true;
  h.opcode = query.header.opcode;
  h.aa = true;
  h.rd = query.header.rd;
  h.cd = query.header.cd;
  h.ra = st.recursion_available();
  h.rcode = draft.rcode;
  const bool compress = !st.config.disable_compression;
  DraftEncoder enc(query, h, draft);
  thread_local std::vector<std::uint8_t> scratch;

  const std::size_t total = draft.answers.size();
  std::size_t n = total;
  std::size_t budget;
  bool probe_compress = compress;
  if (transport == Transport::kUdp) {
    budget = max_size - kUdpHeaderAllowance;
    if (max_size == kMaxUdpSizeWithoutEdns) {
      // Classic DNS: a few answers only, measured uncompressed (conservative), sent
      // compressed.
      const std::size_t max_answers = std::min<std::size_t>(
          kMaxUdpAnswerLimit, static_cast<std::size_t>(std::max(0, st.config.udp_answer_limit)));
      n = std::min(n, max_answers);
      probe_compress = false;
    }
  } else {
    budget = kMaxTcpSize;
    n = std::min(n, draft.answer_group.empty() ? kMaxTcpAnswers : kMaxTcpSrvAnswers);
  }
  bool authority = true;
  // The common case: everything fits at once. The probe is then the reply itself.
  if (n == total && probe_compress == compress && enc.Fits(n, authority, budget, compress, out)) {
    return;
  }
  if (n > 1 && !enc.Fits(n, authority, budget, probe_compress, &scratch)) {
    authority = false;  // the authority section goes first
    if (!enc.Fits(n, authority, budget, probe_compress, &scratch)) {
      n = MostAnswersThatFit(enc, n, budget, probe_compress, &scratch);
    }
  }
  const bool trimmed = n < total;
  const std::size_t limit = transport == Transport::kUdp ? max_size : kMaxMessageSize;
  enc.Final(n, authority, limit, compress, trimmed && st.config.enable_truncate, out);
}

}  // namespace

Resolver::Resolver(const catalog::DnsSource& source, boost::asio::io_context& io,
                   ResolverOptions options)
    : source_(source),
      io_(io),
      options_(std::move(options)),
      cache_(std::make_unique<internal::ServiceCache>()) {
  if (base::MetricsRegistry* m = options_.metrics) {
    metrics_ = std::make_unique<Metrics>();
    base::MetricLabels node{{"node", options_.node_name}};
    metrics_->domain_query = &m->GetSample("consul.dns.domain_query", node);
    metrics_->ptr_query = &m->GetSample("consul.dns.ptr_query", node);
    metrics_->forwarded = &m->GetCounter("cairn.dns.forwarded");
    auto rcode = [&](const char* name) {
      return &m->GetCounter("cairn.dns.responses", {{"rcode", name}});
    };
    metrics_->noerror = rcode("NOERROR");
    metrics_->nxdomain = rcode("NXDOMAIN");
    metrics_->servfail = rcode("SERVFAIL");
    metrics_->refused = rcode("REFUSED");
    metrics_->notimp = rcode("NOTIMP");
  }
}

Resolver::~Resolver() = default;

absl::StatusOr<std::unique_ptr<Resolver>> Resolver::Create(const catalog::DnsSource& source,
                                                           boost::asio::io_context& io,
                                                           ResolverOptions options) {
  std::unique_ptr<Resolver> r(new Resolver(source, io, std::move(options)));
  absl::StatusOr<std::shared_ptr<const ResolverState>> st = r->Build(r->options_.config);
  if (!st.ok()) return st.status();
  r->state_ = std::move(*st);
  return r;
}

absl::StatusOr<std::shared_ptr<const ResolverState>> Resolver::Build(
    const DnsConfig& config) const {
  if (absl::Status s = ValidateDnsConfig(config, options_.datacenter); !s.ok()) return s;
  auto st = std::make_shared<ResolverState>();
  st->config = config;
  absl::StatusOr<DomainConfig> domains = DomainsFromConfig(config);
  if (!domains.ok()) return domains.status();
  st->domains = std::move(*domains);
  st->datacenter = options_.datacenter;
  for (char& c : st->datacenter) c = static_cast<char>(AsciiLower(static_cast<std::uint8_t>(c)));
  st->node_ttl = internal::TtlSeconds(config.node_ttl);
  absl::StatusOr<ForwarderOptions> fwd = ForwarderOptionsFromConfig(config);
  if (!fwd.ok()) return fwd.status();
  if (!fwd->recursors.empty()) st->forwarder = std::make_unique<Forwarder>(io_, std::move(*fwd));
  return std::shared_ptr<const ResolverState>(std::move(st));
}

absl::Status Resolver::Reconfigure(const DnsConfig& config) {
  absl::StatusOr<std::shared_ptr<const ResolverState>> st = Build(config);
  if (!st.ok()) return st.status();
  std::lock_guard<std::mutex> lock(mu_);
  state_ = std::move(*st);
  return absl::OkStatus();
}

std::shared_ptr<const ResolverState> Resolver::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}

bool Resolver::recursion_available() const { return Snapshot()->recursion_available(); }

ResolveOutcome Resolver::Resolve(const Message& query, Transport transport,
                                 std::size_t max_response_size,
                                 std::vector<std::uint8_t>* out) const {
  const auto started = std::chrono::steady_clock::now();
  std::shared_ptr<const ResolverState> snapshot = Snapshot();
  const ResolverState& st = *snapshot;
  if (query.questions.empty()) {  // the Server never passes one; answer as it would
    EncodeErrorReply(query.header, nullptr, query.edns ? &*query.edns : nullptr, kFormErr, false,
                     out);
    return ResolveOutcome::kAnswered;
  }
  const Question& question = query.questions[0];
  const ParsedQuery q = ParseQueryName(question.name, question.type, st.domains);
  Lookup lookup{st,
                source_,
                cache_.get(),
                &question.name,
                question.type,
                query.edns.has_value(),
                q.alt_domain,
                internal::kMaxRecursion};
  lookup.max_answers = AnswersWorthBuilding(st, question.type, transport, max_response_size);
  Draft draft;
  switch (q.kind) {
    case QueryKind::kRecursor:
      if (st.forwarder) {
        if (metrics_) metrics_->forwarded->Increment();
        return ResolveOutcome::kForward;
      }
      // No handler for the zone: the DNS library's default reply (spec §1).
      EncodeErrorReply(query.header, &question, query.edns ? &*query.edns : nullptr, kRefused,
                       false, out);
      if (metrics_) metrics_->CountRcode(kRefused);
      return ResolveOutcome::kAnswered;
    case QueryKind::kPtr:
      if (!internal::LookupPtr(lookup, q, &draft)) {
        if (st.forwarder) {
          if (metrics_) metrics_->forwarded->Increment();
          return ResolveOutcome::kForward;
        }
        draft.rcode = kNxDomain;
        draft.add_soa = true;
      } else if (question.type == RrType::kSoa) {
        draft.add_soa = true;
      }
      break;
    case QueryKind::kSoa:
      draft.answers.push_back(MakeSoa(st, q.alt_domain));
      internal::Nameservers(lookup, &draft.authorities, &draft.additionals);
      break;
    case QueryKind::kNs:
      internal::Nameservers(lookup, &draft.answers, &draft.additionals);
      break;
    case QueryKind::kNotImplemented:
      draft.rcode = kNotImp;
      break;
    case QueryKind::kNode:
      internal::LookupNode(lookup, q, &draft);
      break;
    case QueryKind::kService:
      internal::LookupService(lookup, q, &draft);
      break;
    case QueryKind::kAddr:
      internal::LookupAddr(lookup, q, &draft);
      break;
    case QueryKind::kPreparedQuery:  // not supported: answered as an unknown query
    case QueryKind::kNxDomain:
      draft.rcode = kNxDomain;
      draft.add_soa = true;
      break;
  }
  if (draft.add_soa) draft.authorities.push_back(MakeSoa(st, q.alt_domain));
  EncodeDraft(st, query, transport, max_response_size, draft, out);
  if (metrics_) {
    metrics_->CountRcode(draft.rcode);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count();
    (q.kind == QueryKind::kPtr ? metrics_->ptr_query : metrics_->domain_query)->Add(ms);
  }
  return ResolveOutcome::kAnswered;
}

void Resolver::Handle(const Request& request, Responder responder) {
  thread_local std::vector<std::uint8_t> buffer;
  if (Resolve(request.message, request.transport, request.max_response_size, &buffer) ==
      ResolveOutcome::kAnswered) {
    responder.Send(buffer);
    return;
  }
  // Forward with the configuration current now; the Forwarder keeps what the forward
  // needs alive even if a reload replaces it meanwhile.
  std::shared_ptr<const ResolverState> st = Snapshot();
  if (st->forwarder) {
    st->forwarder->Relay(request, std::move(responder));
    return;
  }
  // Reconfigured to no recursors between Resolve and here: REFUSED, as without them.
  EncodeErrorReply(request.message.header,
                   request.message.questions.empty() ? nullptr : &request.message.questions[0],
                   request.message.edns ? &*request.message.edns : nullptr, kRefused, false,
                   &buffer);
  responder.Send(buffer);
}

}  // namespace cairn::dns
