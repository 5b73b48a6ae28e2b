// cairn/base/metrics.h — counters, gauges and samples with labels, exported the way
// Consul exports them: Prometheus text (go-metrics' prometheus sink) and the JSON of
// /v1/agent/metrics (go-metrics' inmem sink).
//
// A series is identified by its name plus its label pairs (sorted by label name, so the
// order they are given in does not matter). Look a series up once, keep the reference,
// and update it on the hot path: updates are a few atomic operations, with no lock and no
// allocation.
//
// Example:
//
//   cairn::base::MetricsRegistry metrics(clock);          // clock outlives metrics
//   cairn::base::Counter& queries =
//       metrics.GetCounter("consul.dns.domain_query", {{"node", "n1"}});
//   cairn::base::Sample& latency = metrics.GetSample("consul.http.GET.v1.kv");
//   ...
//   queries.Increment();
//   latency.AddDuration(elapsed);                          // recorded in milliseconds
//   ...
//   std::string text = metrics.PrometheusText();           // GET
//   /v1/agent/metrics?format=prometheus std::string json = metrics.AgentMetricsJson();         //
//   GET /v1/agent/metrics
//
// Intervals. Like go-metrics' inmem sink, the JSON view aggregates per interval (10 s by
// default, aligned to wall-clock multiples of the interval). The registry keeps the
// current interval and the last completed one, and AgentMetricsJson() shows the last
// completed interval — or the current one before any has completed, exactly as
// InmemSink.DisplayMetrics does. Rollover is driven by a timer on the Clock given to the
// constructor, so a SimulatedClock makes it deterministic. Prometheus output is
// cumulative and does not depend on intervals, except for summary quantiles (below).
//
// Differences from go-metrics, on purpose:
//   - Values are doubles, not float32.
//   - Series never expire (handles are stable references); Consul's
//     prometheus_retention_time expiry is not applied.
//   - Gauges appear in every interval once registered, with their value at the end of the
//     interval (Consul re-sets its gauges every interval, so the output is the same).
//   - "Points" is always [] (nothing in Cairn emits go-metrics "keys").
//   - Summary quantiles are exact nearest-rank quantiles over the observations of the
//     current and the last completed interval (at most kQuantileWindow of the most recent
//     ones), where the prometheus sink uses a 10 s CKMS stream; _sum and _count are
//     cumulative in both.
#ifndef CAIRN_BASE_METRICS_H_
#define CAIRN_BASE_METRICS_H_

#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <cairn/base/clock.h>

namespace cairn::base {

// One label pair. Names should be identifiers ([a-zA-Z_][a-zA-Z0-9_]*); other characters
// are replaced by '_' in Prometheus output. Values may be any UTF-8 text.
struct MetricLabel {
  std::string name;
  std::string value;
};
using MetricLabels = std::vector<MetricLabel>;

class MetricsRegistry;

namespace internal {

// Running count/sum/sum-of-squares/min/max of the values ingested during one interval,
// double-buffered so the interval can roll over while writers keep writing without a lock.
// Writers use the slot chosen by the registry's epoch; the roller bumps the epoch, waits
// for the (nanosecond-long) writers still inside the old slot, then drains it. An update
// is therefore counted in exactly one interval, whole.
class IntervalAggregate {
 public:
  struct Values {
    uint64_t count = 0;
    double sum = 0;
    double sum_sq = 0;
    double min = 0;  // 0 when count == 0, as go-metrics reports
    double max = 0;
  };

  explicit IntervalAggregate(const std::atomic<uint64_t>* epoch) : epoch_(epoch) {}
  IntervalAggregate(const IntervalAggregate&) = delete;
  IntervalAggregate& operator=(const IntervalAggregate&) = delete;

  // Hot path; any thread.
  void Ingest(double v);
  // Roller only (registry mutex held, after the epoch moved past `old_epoch`): waits for
  // writers still in `old_epoch`'s slot, returns its values and resets it.
  Values Drain(uint64_t old_epoch);
  // A racy read of the slot of `epoch`: good enough for a view of the current interval.
  Values Peek(uint64_t epoch) const;

 private:
  struct Slot {
    std::atomic<uint32_t> writers{0};
    std::atomic<uint64_t> count{0};
    std::atomic<double> sum{0};
    std::atomic<double> sum_sq{0};
    std::atomic<double> min{std::numeric_limits<double>::infinity()};
    std::atomic<double> max{-std::numeric_limits<double>::infinity()};
  };
  static Values Read(const Slot& s);

  const std::atomic<uint64_t>* epoch_;  // owned by the registry
  Slot slots_[2];
};

}  // namespace internal

// A monotonically increasing value. Obtain with MetricsRegistry::GetCounter; the
// reference stays valid as long as the registry. Thread-safe, lock-free.
class Counter {
 public:
  // Adds `delta`. Negative and NaN deltas are ignored (Prometheus counters never go
  // down; go-metrics' prometheus sink drops them too).
  void Increment(double delta = 1.0) {
    if (!(delta >= 0)) return;
    total_.fetch_add(delta, std::memory_order_relaxed);
    interval_.Ingest(delta);
  }
  // The cumulative total since the counter was created.
  double Value() const { return total_.load(std::memory_order_relaxed); }

 private:
  friend class MetricsRegistry;
  explicit Counter(const std::atomic<uint64_t>* epoch) : interval_(epoch) {}

  std::atomic<double> total_{0};
  internal::IntervalAggregate interval_;
};

// A value that goes up and down. Thread-safe, lock-free.
class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  friend class MetricsRegistry;
  Gauge() = default;

  std::atomic<double> value_{0};
};

// A distribution of observations (go-metrics' "samples", timers included), exported to
// Prometheus as a summary with quantiles 0.5, 0.9 and 0.99 plus _sum and _count.
// Thread-safe, lock-free.
class Sample {
 public:
  // The most recent observations kept for quantiles.
  static constexpr uint64_t kQuantileWindow = 1024;

  void Add(double v) {
    count_.fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(v, std::memory_order_relaxed);
    uint64_t pos = next_.fetch_add(1, std::memory_order_relaxed);
    ring_[pos % kQuantileWindow].store(v, std::memory_order_relaxed);
    interval_.Ingest(v);
  }
  // Records a duration in milliseconds, the unit go-metrics' MeasureSince uses.
  void AddDuration(Duration d) { Add(std::chrono::duration<double, std::milli>(d).count()); }

  // Cumulative number and sum of observations.
  uint64_t Count() const { return count_.load(std::memory_order_relaxed); }
  double Sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  friend class MetricsRegistry;
  explicit Sample(const std::atomic<uint64_t>* epoch)
      : ring_(new std::atomic<double>[kQuantileWindow]), interval_(epoch) {}

  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0};
  std::atomic<uint64_t> next_{0};  // ring position of the next observation
  std::unique_ptr<std::atomic<double>[]> ring_;
  internal::IntervalAggregate interval_;
  // Ring positions where the last completed and the current interval began; written by
  // the roller, read by exporters, both under the registry mutex.
  uint64_t window_start_ = 0;
  uint64_t current_start_ = 0;
};

// Owns every series. Get*() and the exporters are thread-safe (one mutex, never taken by
// updates through handles). Destroying the registry invalidates all handles.
//
// Metric names are the dotted go-metrics names ("consul.raft.apply"); Prometheus output
// replaces every character outside [a-zA-Z0-9_:] by '_' ("consul_raft_apply"), as the
// prometheus sink does for ' ', '.', '-', '=' and '/'. Using one Prometheus name for two
// kinds (a counter and a gauge), or giving one label name twice, is a programming error
// and aborts.
class MetricsRegistry {
 public:
  static constexpr Duration kDefaultInterval = std::chrono::seconds(10);

  // `clock` must outlive the registry; its timers drive interval rollover (callbacks run
  // on the clock's executor and take the registry mutex briefly). `interval` > 0.
  explicit MetricsRegistry(Clock& clock, Duration interval = kDefaultInterval);
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Returns the series, creating it (at zero) on first use. The reference is stable for
  // the registry's lifetime. Takes the mutex and may allocate: call once, not per update.
  Counter& GetCounter(std::string_view name, MetricLabels labels = {});
  Gauge& GetGauge(std::string_view name, MetricLabels labels = {});
  Sample& GetSample(std::string_view name, MetricLabels labels = {});

  // Sets the Prometheus HELP text of `name` (default: the Prometheus name itself, as the
  // prometheus sink does for undeclared metrics).
  void SetHelp(std::string_view name, std::string help);

  // Prometheus text exposition format 0.0.4, served as
  // "text/plain; version=0.0.4; charset=utf-8". Families sorted by name, series by labels.
  std::string PrometheusText() const;

  // The body of GET /v1/agent/metrics:
  //   {"Timestamp":"2017-08-08 02:55:10 +0000 UTC","Gauges":[{"Name","Value","Labels"}],
  //    "Points":[],"Counters":[{"Name","Count","Rate","Sum","Min","Max","Mean","Stddev",
  //    "Labels"}],"Samples":[same as Counters]}
  // for the interval described at the top of this file. Counters and Samples list only
  // series updated in that interval; Rate is Sum per second of interval. Numbers are
  // formatted as Go's encoding/json formats them; entries are sorted as go-metrics sorts
  // them (by name, then labels).
  std::string AgentMetricsJson() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;  // shared with the rollover timer callback (weakly)
};

// Formats `v` as Go's strconv.FormatFloat(v, 'g', -1, 64) does (shortest round-trip,
// exponent form below 1e-4 or from 1e6 on: "1e+06"), with "+Inf", "-Inf", "NaN": the
// number format of the Prometheus text exposition written by client_golang.
std::string FormatPrometheusFloat(double v);

// Formats `v` as Go's encoding/json does ('f' form, or 'e' form below 1e-6 and from 1e21
// on, "1e-7" not "1e-07"). NaN and infinities, which Go refuses, become null.
std::string FormatJsonFloat(double v);

}  // namespace cairn::base

#endif  // CAIRN_BASE_METRICS_H_
