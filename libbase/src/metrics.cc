#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <thread>
#include <utility>

#include <absl/base/thread_annotations.h>
#include <absl/container/flat_hash_map.h>
#include <absl/strings/str_cat.h>
#include <absl/synchronization/mutex.h>
#include <absl/time/time.h>

#include <cairn/base/metrics.h>
#include <cairn/base/status.h>

namespace cairn::base {
namespace internal {
namespace {

void AtomicAdd(std::atomic<double>& a, double v) { a.fetch_add(v, std::memory_order_relaxed); }

void AtomicMin(std::atomic<double>& a, double v) {
  double cur = a.load(std::memory_order_relaxed);
  while (v < cur && !a.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

void AtomicMax(std::atomic<double>& a, double v) {
  double cur = a.load(std::memory_order_relaxed);
  while (v > cur && !a.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

}  // namespace

// The writer registers in its slot and then re-reads the epoch. Both are seq_cst, as is
// the roller's epoch bump before it reads `writers`, so either the roller sees this
// writer and waits for it, or this writer sees the new epoch and retries in the other
// slot. Nothing is ever written into a slot the roller has already drained.
void IntervalAggregate::Ingest(double v) {
  for (;;) {
    uint64_t e = epoch_->load();
    Slot& s = slots_[e & 1];
    s.writers.fetch_add(1);
    if (epoch_->load() != e) {
      s.writers.fetch_sub(1, std::memory_order_release);
      continue;
    }
    s.count.fetch_add(1, std::memory_order_relaxed);
    AtomicAdd(s.sum, v);
    AtomicAdd(s.sum_sq, v * v);
    AtomicMin(s.min, v);
    AtomicMax(s.max, v);
    s.writers.fetch_sub(1, std::memory_order_release);
    return;
  }
}

IntervalAggregate::Values IntervalAggregate::Read(const Slot& s) {
  Values v;
  v.count = s.count.load(std::memory_order_relaxed);
  v.sum = s.sum.load(std::memory_order_relaxed);
  v.sum_sq = s.sum_sq.load(std::memory_order_relaxed);
  if (v.count > 0) {
    v.min = s.min.load(std::memory_order_relaxed);
    v.max = s.max.load(std::memory_order_relaxed);
  }
  return v;
}

IntervalAggregate::Values IntervalAggregate::Drain(uint64_t old_epoch) {
  Slot& s = slots_[old_epoch & 1];
  // Writers stay in a slot for a handful of atomic operations; yield in case one was
  // preempted in the middle.
  while (s.writers.load(std::memory_order_acquire) != 0) std::this_thread::yield();
  Values v = Read(s);
  s.count.store(0, std::memory_order_relaxed);
  s.sum.store(0, std::memory_order_relaxed);
  s.sum_sq.store(0, std::memory_order_relaxed);
  s.min.store(std::numeric_limits<double>::infinity(), std::memory_order_relaxed);
  s.max.store(-std::numeric_limits<double>::infinity(), std::memory_order_relaxed);
  return v;
}

IntervalAggregate::Values IntervalAggregate::Peek(uint64_t epoch) const {
  return Read(slots_[epoch & 1]);
}

}  // namespace internal

// ---- Go number formatting ---------------------------------------------------------------
namespace {

// The shortest round-trip decimal digits of a finite `v`: v = 0.d1d2d3... * 10^dp.
struct Decimal {
  bool neg = false;
  std::string digits;
  int dp = 0;
};

Decimal ShortestDecimal(double v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string_view s(buf, res.ptr - buf);  // [-]d[.ddd]e[+-]XX
  Decimal d;
  if (!s.empty() && s[0] == '-') {
    d.neg = true;
    s.remove_prefix(1);
  }
  size_t e = s.find('e');
  for (char c : s.substr(0, e)) {
    if (c != '.') d.digits.push_back(c);
  }
  int exp = 0;
  std::from_chars(s.data() + e + 1 + (s[e + 1] == '+' ? 1 : 0), s.data() + s.size(), exp);
  d.dp = exp + 1;
  return d;
}

// Go's fmtE with prec = nd - 1: d[.ddd]e±dd.
std::string GoFormatE(const Decimal& d) {
  std::string out = d.neg ? "-" : "";
  out += d.digits[0];
  if (d.digits.size() > 1) absl::StrAppend(&out, ".", d.digits.substr(1));
  int exp = d.digits == "0" ? 0 : d.dp - 1;
  out += exp < 0 ? "e-" : "e+";
  exp = std::abs(exp);
  if (exp < 10) out += '0';
  absl::StrAppend(&out, exp);
  return out;
}

// Go's fmtF with the shortest precision max(nd - dp, 0).
std::string GoFormatF(const Decimal& d) {
  const int nd = static_cast<int>(d.digits.size());
  std::string out = d.neg ? "-" : "";
  if (d.dp > 0) {
    for (int i = 0; i < d.dp; ++i) out += i < nd ? d.digits[i] : '0';
  } else {
    out += '0';
  }
  int prec = std::max(nd - d.dp, 0);
  if (prec > 0) {
    out += '.';
    for (int i = 0; i < prec; ++i) {
      int idx = d.dp + i;
      out += (idx >= 0 && idx < nd) ? d.digits[idx] : '0';
    }
  }
  return out;
}

}  // namespace

std::string FormatPrometheusFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  Decimal d = ShortestDecimal(v);
  int exp = d.dp - 1;
  if (v != 0 && (exp < -4 || exp >= 6)) return GoFormatE(d);
  return GoFormatF(d);
}

std::string FormatJsonFloat(double v) {
  if (!std::isfinite(v)) return "null";
  Decimal d = ShortestDecimal(v);
  double abs = std::fabs(v);
  if (abs != 0 && (abs < 1e-6 || abs >= 1e21)) {
    std::string out = GoFormatE(d);
    // encoding/json writes e-7, not e-07.
    size_t n = out.size();
    if (n >= 4 && out[n - 4] == 'e' && out[n - 3] == '-' && out[n - 2] == '0') {
      out.erase(n - 2, 1);
    }
    return out;
  }
  return GoFormatF(d);
}

// ---- names and escaping -----------------------------------------------------------------
namespace {

bool IsPromNameChar(char c, bool allow_colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         (allow_colon && c == ':');
}

std::string PromName(std::string_view name, bool allow_colon) {
  std::string out;
  for (char c : name) out += IsPromNameChar(c, allow_colon) ? c : '_';
  if (out.empty() || (out[0] >= '0' && out[0] <= '9')) out.insert(out.begin(), '_');
  return out;
}

void AppendEscaped(std::string* out, std::string_view s, bool quote) {
  for (char c : s) {
    if (c == '\\') {
      *out += "\\\\";
    } else if (c == '\n') {
      *out += "\\n";
    } else if (quote && c == '"') {
      *out += "\\\"";
    } else {
      *out += c;
    }
  }
}

// A JSON string as Go's encoding/json writes it (HTML-safe: <, >, & escaped).
void AppendJsonString(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  *out += '"';
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = s[i];
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        if (c < 0x20 || c == '<' || c == '>' || c == '&') {
          absl::StrAppend(out, "\\u00", std::string(1, kHex[c >> 4]), std::string(1, kHex[c & 15]));
        } else if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
                   (static_cast<unsigned char>(s[i + 2]) & 0xFE) == 0xA8) {
          // U+2028 / U+2029, which Go escapes for JavaScript's sake.
          *out += (static_cast<unsigned char>(s[i + 2]) == 0xA8) ? "\\u2028" : "\\u2029";
          i += 2;
        } else {
          *out += static_cast<char>(c);
        }
    }
  }
  *out += '"';
}

std::string ReplaceSpaces(std::string_view s) {
  std::string out(s);
  std::replace(out.begin(), out.end(), ' ', '_');
  return out;
}

}  // namespace

// ---- the registry -----------------------------------------------------------------------

namespace {

enum class MetricKind { kCounter, kGauge, kSample };

const char* PromType(MetricKind k) {
  switch (k) {
    case MetricKind::kCounter:
      return "counter";
    case MetricKind::kGauge:
      return "gauge";
    case MetricKind::kSample:
      return "summary";
  }
  return "untyped";
}

// One row of the JSON view.
struct JsonEntry {
  std::string sort_key;  // go-metrics' "hash": name;label=value...
  std::string name;
  const MetricLabels* labels;
  double value = 0;                         // gauges
  internal::IntervalAggregate::Values agg;  // counters and samples
};

struct IntervalView {
  absl::Time start;
  std::vector<JsonEntry> gauges, counters, samples;
};

}  // namespace

struct MetricsRegistry::Impl {
  struct Series {
    MetricKind kind;
    std::string name;
    MetricLabels labels;  // sorted by name
    std::string prom_name;
    std::string go_key;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Sample> sample;
  };

  Impl(Clock& c, Duration i) : clock(c), interval(i) {}

  Series& Get(MetricKind kind, std::string_view name, MetricLabels labels);
  absl::Time Truncate(absl::Time t) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  void Arm(std::weak_ptr<Impl> self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  void Rollover() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  IntervalView Collect(bool drain, uint64_t epoch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  std::vector<double> Window(const Sample& s) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);

  Clock& clock;
  const Duration interval;
  std::atomic<uint64_t> epoch{0};

  mutable absl::Mutex mu;
  absl::flat_hash_map<std::string, std::unique_ptr<Series>> series ABSL_GUARDED_BY(mu);
  absl::flat_hash_map<std::string, MetricKind> prom_kinds ABSL_GUARDED_BY(mu);
  absl::flat_hash_map<std::string, std::string> help ABSL_GUARDED_BY(mu);
  absl::Time current_start ABSL_GUARDED_BY(mu);
  std::optional<IntervalView> last ABSL_GUARDED_BY(mu);
  bool stopped ABSL_GUARDED_BY(mu) = false;
  std::unique_ptr<Timer> timer ABSL_GUARDED_BY(mu);
};

MetricsRegistry::Impl::Series& MetricsRegistry::Impl::Get(MetricKind kind, std::string_view name,
                                                          MetricLabels labels) {
  std::sort(labels.begin(), labels.end(),
            [](const MetricLabel& a, const MetricLabel& b) { return a.name < b.name; });
  for (size_t i = 1; i < labels.size(); ++i) {
    CAIRN_CHECK_MSG(labels[i - 1].name != labels[i].name, "metric {}: label {} given twice", name,
                    labels[i].name);
  }
  // Length-prefixed so that no choice of names and values can collide.
  std::string key = absl::StrCat(name.size(), ":", ToAbsl(name));
  for (const MetricLabel& l : labels) {
    absl::StrAppend(&key, ";", l.name.size(), ":", l.name, "=", l.value.size(), ":", l.value);
  }
  absl::MutexLock lock(&mu);
  auto it = series.find(key);
  if (it != series.end()) {
    CAIRN_CHECK_MSG(it->second->kind == kind, "metric {} used as two different kinds", name);
    return *it->second;
  }
  auto s = std::make_unique<Series>();
  s->kind = kind;
  s->name = std::string(name);
  s->prom_name = PromName(name, /*allow_colon=*/true);
  auto [kit, inserted] = prom_kinds.emplace(s->prom_name, kind);
  CAIRN_CHECK_MSG(inserted || kit->second == kind,
                  "metric {} (Prometheus name {}) used as two different kinds", name, s->prom_name);
  s->go_key = ReplaceSpaces(name);
  for (const MetricLabel& l : labels) {
    absl::StrAppend(&s->go_key, ";", ReplaceSpaces(l.name), "=", ReplaceSpaces(l.value));
  }
  s->labels = std::move(labels);
  switch (kind) {
    case MetricKind::kCounter:
      s->counter.reset(new Counter(&epoch));
      break;
    case MetricKind::kGauge:
      s->gauge.reset(new Gauge());
      break;
    case MetricKind::kSample:
      s->sample.reset(new Sample(&epoch));
      break;
  }
  Series& ref = *s;
  series.emplace(std::move(key), std::move(s));
  return ref;
}

absl::Time MetricsRegistry::Impl::Truncate(absl::Time t) const {
  int64_t step = absl::ToInt64Nanoseconds(absl::FromChrono(interval));
  int64_t ns = absl::ToUnixNanos(t);
  int64_t floor = ns - ((ns % step) + step) % step;
  return absl::FromUnixNanos(floor);
}

// Intervals are aligned to wall-clock multiples of `interval`, as inmem's
// time.Now().Truncate(interval). The timer is armed on the monotonic clock for the
// remaining wall time; should it fire a little early, Rollover() still moves on by one
// whole interval.
void MetricsRegistry::Impl::Arm(std::weak_ptr<Impl> self) {
  absl::Duration left = current_start + absl::FromChrono(interval) - clock.WallNow();
  timer = clock.After(absl::ToChronoNanoseconds(left), [self] {
    std::shared_ptr<Impl> impl = self.lock();
    if (!impl) return;
    absl::MutexLock lock(&impl->mu);
    if (impl->stopped) return;
    impl->Rollover();
    impl->Arm(self);
  });
}

void MetricsRegistry::Impl::Rollover() {
  uint64_t old = epoch.fetch_add(1);
  IntervalView done = Collect(/*drain=*/true, old);
  done.start = current_start;
  last = std::move(done);
  absl::Time next = Truncate(clock.WallNow());
  current_start = std::max(next, current_start + absl::FromChrono(interval));
}

// With `drain`, takes the interval aggregates of `epoch` (which must be behind the
// current epoch) and moves each sample's quantile window on; otherwise peeks at them.
IntervalView MetricsRegistry::Impl::Collect(bool drain, uint64_t ep) {
  IntervalView view;
  for (auto& [key, s] : series) {
    JsonEntry e{s->go_key, ReplaceSpaces(s->name), &s->labels, 0, {}};
    switch (s->kind) {
      case MetricKind::kGauge:
        e.value = s->gauge->Value();
        view.gauges.push_back(std::move(e));
        break;
      case MetricKind::kCounter:
        e.agg = drain ? s->counter->interval_.Drain(ep) : s->counter->interval_.Peek(ep);
        if (e.agg.count > 0) view.counters.push_back(std::move(e));
        break;
      case MetricKind::kSample:
        e.agg = drain ? s->sample->interval_.Drain(ep) : s->sample->interval_.Peek(ep);
        if (drain) {
          s->sample->window_start_ = s->sample->current_start_;
          s->sample->current_start_ = s->sample->next_.load(std::memory_order_relaxed);
        }
        if (e.agg.count > 0) view.samples.push_back(std::move(e));
        break;
    }
  }
  auto by_key = [](const JsonEntry& a, const JsonEntry& b) { return a.sort_key < b.sort_key; };
  std::sort(view.gauges.begin(), view.gauges.end(), by_key);
  std::sort(view.counters.begin(), view.counters.end(), by_key);
  std::sort(view.samples.begin(), view.samples.end(), by_key);
  return view;
}

std::vector<double> MetricsRegistry::Impl::Window(const Sample& s) const {
  uint64_t end = s.next_.load(std::memory_order_relaxed);
  uint64_t begin = s.window_start_;
  if (end - begin > Sample::kQuantileWindow) begin = end - Sample::kQuantileWindow;
  std::vector<double> values;
  values.reserve(end - begin);
  for (uint64_t p = begin; p < end; ++p) {
    values.push_back(s.ring_[p % Sample::kQuantileWindow].load(std::memory_order_relaxed));
  }
  std::sort(values.begin(), values.end());
  return values;
}

MetricsRegistry::MetricsRegistry(Clock& clock, Duration interval)
    : impl_(std::make_shared<Impl>(clock, interval)) {
  CAIRN_CHECK_MSG(interval > Duration::zero(), "metrics interval must be positive");
  absl::MutexLock lock(&impl_->mu);
  impl_->current_start = impl_->Truncate(clock.WallNow());
  impl_->Arm(impl_);
}

// A timer callback running concurrently on another thread holds its own reference to
// Impl and sees `stopped`, so the cancelled timer can neither roll over nor re-arm.
MetricsRegistry::~MetricsRegistry() {
  std::unique_ptr<Timer> timer;
  {
    absl::MutexLock lock(&impl_->mu);
    impl_->stopped = true;
    timer = std::move(impl_->timer);
  }
  timer.reset();
}

Counter& MetricsRegistry::GetCounter(std::string_view name, MetricLabels labels) {
  return *impl_->Get(MetricKind::kCounter, name, std::move(labels)).counter;
}

Gauge& MetricsRegistry::GetGauge(std::string_view name, MetricLabels labels) {
  return *impl_->Get(MetricKind::kGauge, name, std::move(labels)).gauge;
}

Sample& MetricsRegistry::GetSample(std::string_view name, MetricLabels labels) {
  return *impl_->Get(MetricKind::kSample, name, std::move(labels)).sample;
}

void MetricsRegistry::SetHelp(std::string_view name, std::string help) {
  absl::MutexLock lock(&impl_->mu);
  impl_->help[PromName(name, true)] = std::move(help);
}

std::string MetricsRegistry::PrometheusText() const {
  using Series = Impl::Series;
  absl::MutexLock lock(&impl_->mu);
  // Sorted by family, then by label pairs under their Prometheus names, as
  // client_golang's registry sorts them.
  using LabelKey = std::vector<std::pair<std::string, std::string>>;
  std::vector<std::pair<LabelKey, const Series*>> all;
  for (const auto& [key, s] : impl_->series) {
    LabelKey k;
    for (const MetricLabel& l : s->labels) k.emplace_back(PromName(l.name, false), l.value);
    all.emplace_back(std::move(k), s.get());
  }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    if (a.second->prom_name != b.second->prom_name) {
      return a.second->prom_name < b.second->prom_name;
    }
    return a.first < b.first;
  });

  std::string out;
  // Writes `name{labels[,extra]} value`.
  auto line = [&out](std::string_view name, const MetricLabels& labels, std::string_view extra,
                     double value) {
    out += name;
    if (!labels.empty() || !extra.empty()) {
      out += '{';
      bool first = true;
      for (const MetricLabel& l : labels) {
        if (!first) out += ',';
        first = false;
        absl::StrAppend(&out, PromName(l.name, false), "=\"");
        AppendEscaped(&out, l.value, /*quote=*/true);
        out += '"';
      }
      if (!extra.empty()) absl::StrAppend(&out, first ? "" : ",", ToAbsl(extra));
      out += '}';
    }
    absl::StrAppend(&out, " ", FormatPrometheusFloat(value), "\n");
  };

  const std::string* family = nullptr;
  for (const auto& [unused, s] : all) {
    if (family == nullptr || *family != s->prom_name) {
      family = &s->prom_name;
      auto h = impl_->help.find(s->prom_name);
      absl::StrAppend(&out, "# HELP ", s->prom_name, " ");
      AppendEscaped(&out, h != impl_->help.end() ? h->second : s->prom_name, /*quote=*/false);
      absl::StrAppend(&out, "\n# TYPE ", s->prom_name, " ", PromType(s->kind), "\n");
    }
    switch (s->kind) {
      case MetricKind::kCounter:
        line(s->prom_name, s->labels, "", s->counter->Value());
        break;
      case MetricKind::kGauge:
        line(s->prom_name, s->labels, "", s->gauge->Value());
        break;
      case MetricKind::kSample: {
        std::vector<double> w = impl_->Window(*s->sample);
        for (auto [q, text] : {std::pair{0.5, "0.5"}, {0.9, "0.9"}, {0.99, "0.99"}}) {
          double v = std::numeric_limits<double>::quiet_NaN();
          if (!w.empty()) {
            // Nearest rank: the smallest value with at least q of the window at or below it.
            size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(w.size())));
            v = w[std::clamp<size_t>(rank, 1, w.size()) - 1];
          }
          line(s->prom_name, s->labels, absl::StrCat("quantile=\"", text, "\""), v);
        }
        line(s->prom_name + "_sum", s->labels, "", s->sample->Sum());
        line(s->prom_name + "_count", s->labels, "", static_cast<double>(s->sample->Count()));
        break;
      }
    }
  }
  return out;
}

namespace {

void AppendLabels(std::string* out, const MetricLabels& labels) {
  *out += "\"Labels\":{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) *out += ',';
    AppendJsonString(out, labels[i].name);
    *out += ':';
    AppendJsonString(out, labels[i].value);
  }
  *out += '}';
}

// go-metrics' AggregateSample.Stddev: the sample standard deviation, 0 below two values.
double Stddev(const internal::IntervalAggregate::Values& a) {
  if (a.count < 2) return 0;
  double n = static_cast<double>(a.count);
  double num = n * a.sum_sq - a.sum * a.sum;
  return num <= 0 ? 0 : std::sqrt(num / (n * (n - 1)));
}

void AppendAggregates(std::string* out, const std::vector<JsonEntry>& entries, double seconds) {
  *out += '[';
  for (size_t i = 0; i < entries.size(); ++i) {
    const JsonEntry& e = entries[i];
    const auto& a = e.agg;
    double mean = a.count ? a.sum / static_cast<double>(a.count) : 0;
    if (i > 0) *out += ',';
    *out += "{\"Name\":";
    AppendJsonString(out, e.name);
    absl::StrAppend(out, ",\"Count\":", a.count, ",\"Rate\":", FormatJsonFloat(a.sum / seconds),
                    ",\"Sum\":", FormatJsonFloat(a.sum), ",\"Min\":", FormatJsonFloat(a.min),
                    ",\"Max\":", FormatJsonFloat(a.max), ",\"Mean\":", FormatJsonFloat(mean),
                    ",\"Stddev\":", FormatJsonFloat(Stddev(a)), ",");
    AppendLabels(out, *e.labels);
    *out += '}';
  }
  *out += ']';
}

// Go's Time.Round(time.Second): halfway rounds up.
absl::Time RoundToSecond(absl::Time t) {
  int64_t ns = absl::ToUnixNanos(t) + 500'000'000;
  int64_t s = ns / 1'000'000'000 - (ns % 1'000'000'000 < 0 ? 1 : 0);
  return absl::FromUnixSeconds(s);
}

}  // namespace

std::string MetricsRegistry::AgentMetricsJson() const {
  absl::MutexLock lock(&impl_->mu);
  IntervalView current;
  const IntervalView* view = impl_->last ? &*impl_->last : nullptr;
  if (view == nullptr) {
    current = impl_->Collect(/*drain=*/false, impl_->epoch.load());
    current.start = impl_->current_start;
    view = &current;
  }
  // Go's time.Time.String() of the interval start, rounded to the second, in UTC.
  std::string out = absl::StrCat("{\"Timestamp\":\"",
                                 absl::FormatTime("%Y-%m-%d %H:%M:%S +0000 UTC",
                                                  RoundToSecond(view->start), absl::UTCTimeZone()),
                                 "\",\"Gauges\":[");
  for (size_t i = 0; i < view->gauges.size(); ++i) {
    const JsonEntry& g = view->gauges[i];
    if (i > 0) out += ',';
    out += "{\"Name\":";
    AppendJsonString(&out, g.name);
    absl::StrAppend(&out, ",\"Value\":", FormatJsonFloat(g.value), ",");
    AppendLabels(&out, *g.labels);
    out += '}';
  }
  out += "],\"Points\":[],\"Counters\":";
  double seconds = std::chrono::duration<double>(impl_->interval).count();
  AppendAggregates(&out, view->counters, seconds);
  out += ",\"Samples\":";
  AppendAggregates(&out, view->samples, seconds);
  out += '}';
  return out;
}

}  // namespace cairn::base
