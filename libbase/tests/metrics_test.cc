#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <cairn/base/clock.h>
#include <cairn/base/metrics.h>

namespace cairn::base {
namespace {

using std::chrono::seconds;

boost::json::object Json(const MetricsRegistry& r) {
  return boost::json::parse(r.AgentMetricsJson()).as_object();
}

// Sum of "Count" over every counter entry of one JSON view.
int64_t CounterCount(const boost::json::object& view) {
  int64_t n = 0;
  for (const auto& c : view.at("Counters").as_array()) n += c.at("Count").as_int64();
  return n;
}

TEST_CASE("Go number formatting", "[unit]") {
  CHECK(FormatPrometheusFloat(0) == "0");
  CHECK(FormatPrometheusFloat(3) == "3");
  CHECK(FormatPrometheusFloat(-2.5) == "-2.5");
  CHECK(FormatPrometheusFloat(123456) == "123456");
  CHECK(FormatPrometheusFloat(1e6) == "1e+06");
  CHECK(FormatPrometheusFloat(1234567) == "1.234567e+06");
  CHECK(FormatPrometheusFloat(0.0001) == "0.0001");
  CHECK(FormatPrometheusFloat(0.00001) == "1e-05");
  CHECK(FormatPrometheusFloat(0.1) == "0.1");
  CHECK(FormatPrometheusFloat(1e300) == "1e+300");
  CHECK(FormatPrometheusFloat(std::nan("")) == "NaN");
  CHECK(FormatPrometheusFloat(INFINITY) == "+Inf");
  CHECK(FormatPrometheusFloat(-INFINITY) == "-Inf");

  CHECK(FormatJsonFloat(0) == "0");
  CHECK(FormatJsonFloat(123456789) == "123456789");
  CHECK(FormatJsonFloat(0.1 + 0.2) == "0.30000000000000004");
  CHECK(FormatJsonFloat(0.000001) == "0.000001");
  CHECK(FormatJsonFloat(1e-7) == "1e-7");
  CHECK(FormatJsonFloat(1.5e-12) == "1.5e-12");
  CHECK(FormatJsonFloat(1e21) == "1e+21");
  CHECK(FormatJsonFloat(1e20) == "100000000000000000000");
  CHECK(FormatJsonFloat(std::nan("")) == "null");
}

TEST_CASE("a series is its name plus its sorted labels", "[unit]") {
  SimulatedClock clock;
  MetricsRegistry r(clock);
  Counter& a = r.GetCounter("consul.dns.domain_query", {{"node", "n1"}, {"dc", "dc1"}});
  Counter& b = r.GetCounter("consul.dns.domain_query", {{"dc", "dc1"}, {"node", "n1"}});
  Counter& c = r.GetCounter("consul.dns.domain_query", {{"dc", "dc1"}, {"node", "n2"}});
  CHECK(&a == &b);
  CHECK(&a != &c);
  a.Increment();
  b.Increment(2);
  c.Increment(-5);  // ignored: counters never go down
  CHECK(a.Value() == 3);
  CHECK(c.Value() == 0);
  CHECK(r.PrometheusText() ==
        "# HELP consul_dns_domain_query consul_dns_domain_query\n"
        "# TYPE consul_dns_domain_query counter\n"
        "consul_dns_domain_query{dc=\"dc1\",node=\"n1\"} 3\n"
        "consul_dns_domain_query{dc=\"dc1\",node=\"n2\"} 0\n");
}

TEST_CASE("Prometheus text for a small registry", "[unit]") {
  SimulatedClock clock;
  MetricsRegistry r(clock);
  r.GetGauge("consul.runtime.num_goroutines").Set(42);
  r.GetGauge("consul.memberlist.health.score", {{"network", "lan"}}).Set(0.5);
  r.GetCounter("consul.raft.apply").Increment(1234567);
  Sample& s = r.GetSample("consul.http.GET.v1.kv", {{"path", "a\"b\\c\nd"}});
  for (int i = 1; i <= 100; ++i) s.Add(i);
  r.GetSample("consul.idle-timer");  // no observations: quantiles are NaN
  r.SetHelp("consul.raft.apply", "Raft transactions.\nCounted per apply.");

  CHECK(r.PrometheusText() ==
        "# HELP consul_http_GET_v1_kv consul_http_GET_v1_kv\n"
        "# TYPE consul_http_GET_v1_kv summary\n"
        "consul_http_GET_v1_kv{path=\"a\\\"b\\\\c\\nd\",quantile=\"0.5\"} 50\n"
        "consul_http_GET_v1_kv{path=\"a\\\"b\\\\c\\nd\",quantile=\"0.9\"} 90\n"
        "consul_http_GET_v1_kv{path=\"a\\\"b\\\\c\\nd\",quantile=\"0.99\"} 99\n"
        "consul_http_GET_v1_kv_sum{path=\"a\\\"b\\\\c\\nd\"} 5050\n"
        "consul_http_GET_v1_kv_count{path=\"a\\\"b\\\\c\\nd\"} 100\n"
        "# HELP consul_idle_timer consul_idle_timer\n"
        "# TYPE consul_idle_timer summary\n"
        "consul_idle_timer{quantile=\"0.5\"} NaN\n"
        "consul_idle_timer{quantile=\"0.9\"} NaN\n"
        "consul_idle_timer{quantile=\"0.99\"} NaN\n"
        "consul_idle_timer_sum 0\n"
        "consul_idle_timer_count 0\n"
        "# HELP consul_memberlist_health_score consul_memberlist_health_score\n"
        "# TYPE consul_memberlist_health_score gauge\n"
        "consul_memberlist_health_score{network=\"lan\"} 0.5\n"
        "# HELP consul_raft_apply Raft transactions.\\nCounted per apply.\n"
        "# TYPE consul_raft_apply counter\n"
        "consul_raft_apply 1.234567e+06\n"
        "# HELP consul_runtime_num_goroutines consul_runtime_num_goroutines\n"
        "# TYPE consul_runtime_num_goroutines gauge\n"
        "consul_runtime_num_goroutines 42\n");
}

TEST_CASE("quantiles cover the current and the last completed interval", "[unit]") {
  SimulatedClock clock;
  MetricsRegistry r(clock);
  Sample& s = r.GetSample("t");
  for (int i = 1; i <= 10; ++i) s.Add(i);
  clock.Advance(seconds(10));  // 1..10 now in the last completed interval
  s.Add(100);
  std::string text = r.PrometheusText();
  CHECK(text.find("t{quantile=\"0.5\"} 6\n") != std::string::npos);
  CHECK(text.find("t{quantile=\"0.99\"} 100\n") != std::string::npos);
  clock.Advance(seconds(10));  // 1..10 dropped out of the window
  clock.Advance(seconds(10));  // and 100 too
  text = r.PrometheusText();
  CHECK(text.find("t{quantile=\"0.5\"} NaN\n") != std::string::npos);
  CHECK(text.find("t_count 11\n") != std::string::npos);
  CHECK(text.find("t_sum 155\n") != std::string::npos);
}

TEST_CASE("agent metrics JSON: shape and aggregate maths", "[unit]") {
  SimulatedClock clock;  // wall time starts at 2026-01-01 00:00:00 UTC
  MetricsRegistry r(clock);
  Sample& s = r.GetSample("consul.http.GET.v1.agent.self", {{"method", "GET"}});
  for (double v : {2, 4, 4, 4, 5, 5, 7, 9}) s.Add(v);
  r.GetCounter("consul.client.rpc").Increment(3);
  r.GetGauge("consul.session_ttl.active").Set(1.5);

  // Before any interval completes, the current one is shown.
  CHECK(r.AgentMetricsJson() ==
        "{\"Timestamp\":\"2026-01-01 00:00:00 +0000 UTC\","
        "\"Gauges\":[{\"Name\":\"consul.session_ttl.active\",\"Value\":1.5,\"Labels\":{}}],"
        "\"Points\":[],"
        "\"Counters\":[{\"Name\":\"consul.client.rpc\",\"Count\":1,\"Rate\":0.3,\"Sum\":3,"
        "\"Min\":3,\"Max\":3,\"Mean\":3,\"Stddev\":0,\"Labels\":{}}],"
        "\"Samples\":[{\"Name\":\"consul.http.GET.v1.agent.self\",\"Count\":8,\"Rate\":4,"
        "\"Sum\":40,\"Min\":2,\"Max\":9,\"Mean\":5,\"Stddev\":2.138089935299395,"
        "\"Labels\":{\"method\":\"GET\"}}]}");

  boost::json::object sample = Json(r).at("Samples").as_array()[0].as_object();
  CHECK(sample.at("Stddev").as_double() == Approx(std::sqrt(32.0 / 7.0)));
}

TEST_CASE("agent metrics JSON: entries sorted as go-metrics sorts them, strings escaped",
          "[unit]") {
  SimulatedClock clock;
  MetricsRegistry r(clock);
  r.GetCounter("b.c").Increment();
  r.GetCounter("a.z", {{"svc", "<web>&"}}).Increment();
  r.GetCounter("a.z").Increment();
  boost::json::array counters = Json(r).at("Counters").as_array();
  REQUIRE(counters.size() == 3);
  CHECK(counters[0].at("Name") == "a.z");
  CHECK(counters[0].at("Labels").as_object().empty());
  CHECK(counters[1].at("Labels").at("svc") == "<web>&");
  CHECK(counters[2].at("Name") == "b.c");
  CHECK(r.AgentMetricsJson().find("\"svc\":\"\\u003cweb\\u003e\\u0026\"") != std::string::npos);
}

TEST_CASE("agent metrics JSON: intervals roll over on the clock", "[unit]") {
  SimulatedClock clock;
  MetricsRegistry r(clock);
  Counter& c = r.GetCounter("consul.rpc.request");
  Gauge& g = r.GetGauge("consul.members");
  c.Increment();
  c.Increment();
  c.Increment();
  g.Set(3);

  clock.Advance(seconds(10));
  boost::json::object v = Json(r);
  CHECK(v.at("Timestamp") == "2026-01-01 00:00:00 +0000 UTC");
  CHECK(CounterCount(v) == 3);

  // Updates in the current interval do not show until it completes.
  for (int i = 0; i < 5; ++i) c.Increment(2);
  g.Set(7);
  v = Json(r);
  CHECK(CounterCount(v) == 3);
  CHECK(v.at("Gauges").as_array()[0].at("Value").as_int64() == 3);

  clock.Advance(seconds(10));
  v = Json(r);
  CHECK(v.at("Timestamp") == "2026-01-01 00:00:10 +0000 UTC");
  REQUIRE(v.at("Counters").as_array().size() == 1);
  CHECK(v.at("Counters").as_array()[0].at("Count").as_int64() == 5);
  CHECK(v.at("Counters").as_array()[0].at("Sum").as_int64() == 10);
  CHECK(v.at("Counters").as_array()[0].at("Rate").as_int64() == 1);
  CHECK(v.at("Gauges").as_array()[0].at("Value").as_int64() == 7);

  // An interval with no updates lists no counters; gauges stay.
  clock.Advance(seconds(10));
  v = Json(r);
  CHECK(v.at("Timestamp") == "2026-01-01 00:00:20 +0000 UTC");
  CHECK(v.at("Counters").as_array().empty());
  CHECK(v.at("Gauges").as_array().size() == 1);
  // The Prometheus view is cumulative.
  CHECK(c.Value() == 13);
}

TEST_CASE("intervals align to wall-clock multiples of the interval", "[unit]") {
  SimulatedClock clock(TimePoint(std::chrono::hours(1)), absl::FromUnixSeconds(1'767'225'604));
  MetricsRegistry r(clock);
  r.GetCounter("x").Increment();
  clock.Advance(seconds(5));  // 00:00:09: still the first interval
  CHECK(Json(r).at("Counters").as_array().size() == 1);
  r.GetCounter("x").Increment();
  clock.Advance(seconds(1));  // 00:00:10: it completes with both increments
  boost::json::object v = Json(r);
  CHECK(v.at("Timestamp") == "2026-01-01 00:00:00 +0000 UTC");
  CHECK(CounterCount(v) == 2);
}

TEST_CASE("concurrent updates through handles sum exactly", "[unit]") {
  SimulatedClock clock;
  MetricsRegistry r(clock, seconds(1));
  Counter& c = r.GetCounter("hits", {{"node", "n1"}});
  Sample& s = r.GetSample("lat");
  Gauge& g = r.GetGauge("level");
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50'000;
  std::atomic<int> running{kThreads};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        c.Increment();
        s.Add(2);
        g.Add(1);
      }
      running.fetch_sub(1);
    });
  }
  // Meanwhile this thread rolls intervals over; every increment must land in exactly one
  // of the completed intervals, each of which is observed once here.
  int64_t seen = 0;
  while (running.load() > 0) {
    clock.Advance(seconds(1));
    seen += CounterCount(Json(r));
  }
  for (auto& t : threads) t.join();
  clock.Advance(seconds(1));
  seen += CounterCount(Json(r));

  CHECK(seen == kThreads * kPerThread);
  CHECK(c.Value() == kThreads * kPerThread);
  CHECK(s.Count() == static_cast<uint64_t>(kThreads * kPerThread));
  CHECK(s.Sum() == 2.0 * kThreads * kPerThread);
  CHECK(g.Value() == kThreads * kPerThread);
}

}  // namespace
}  // namespace cairn::base
