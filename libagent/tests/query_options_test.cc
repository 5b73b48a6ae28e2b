#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <cairn/agent/query_options.h>

namespace cairn::agent {
namespace {

HttpRequest Req(std::vector<std::pair<std::string, std::string>> query) {
  HttpRequest r;
  r.path = "/v1/kv/x";
  r.query = std::move(query);
  return r;
}

TEST_CASE("Query options parse Consul's parameters", "[unit]") {
  auto o = ParseQueryOptions(Req({{"index", "42"},
                                  {"wait", "9.87s"},
                                  {"stale", ""},
                                  {"dc", "dc2"},
                                  {"filter", "Service == web"},
                                  {"pretty", ""}}));
  REQUIRE(o.ok());
  CHECK(o->min_index == 42);
  CHECK(o->wait == std::chrono::milliseconds(9870));
  CHECK(o->consistency == Consistency::kStale);
  CHECK(o->datacenter == "dc2");
  CHECK(o->filter == "Service == web");
  CHECK(o->pretty);
  auto d = ParseQueryOptions(Req({}));
  CHECK(d->wait == kDefaultQueryWait);
  CHECK(d->consistency == Consistency::kDefault);
  CHECK(ParseQueryOptions(Req({{"wait", "120000ms"}}))->wait == std::chrono::minutes(2));
  CHECK(ParseQueryOptions(Req({{"wait", "1h"}}))->wait == kMaxQueryWait);
  CHECK(ParseQueryOptions(Req({{"consistent", "1"}}))->consistency == Consistency::kConsistent);
  CHECK(ParseQueryOptions(Req({{"max_stale", "5s"}}))->max_stale == std::chrono::seconds(5));
}

TEST_CASE("Bad query options give Consul's 400 texts", "[unit]") {
  CHECK(ParseQueryOptions(Req({{"index", "x"}})).status().message() == "Invalid index");
  CHECK(ParseQueryOptions(Req({{"index", "-1"}})).status().message() == "Invalid index");
  CHECK(ParseQueryOptions(Req({{"wait", "soon"}})).status().message() == "Invalid wait time");
  CHECK(ParseQueryOptions(Req({{"stale", ""}, {"consistent", ""}})).status().message() ==
        "Cannot specify ?stale with ?consistent, conflicting semantics.");
  CHECK(ParseQueryOptions(Req({{"max_stale", "x"}})).status().message() ==
        "Invalid max_stale value \"x\"");
  CHECK(ParseQueryOptions(Req({{"ns", "default"}})).status().message() ==
        "Invalid query parameter: \"ns\" - Namespaces are a Consul Enterprise feature");
  HttpRequest h = Req({});
  h.headers.set("X-Consul-Partition", "default");
  CHECK(ParseQueryOptions(h).status().message() ==
        "Invalid header: \"X-Consul-Partition\" - Partitions are a Consul Enterprise feature");
}

TEST_CASE("Tokens: ?token, then X-Consul-Token, then Authorization Bearer", "[unit]") {
  HttpRequest r = Req({});
  CHECK(RequestToken(r).empty());
  r.headers.set("Authorization", "Basic abc");
  CHECK(RequestToken(r).empty());
  r.headers.set("Authorization", "bEaReR  tok-a");
  CHECK(RequestToken(r) == "tok-a");
  r.headers.set("X-Consul-Token", "tok-b");
  CHECK(RequestToken(r) == "tok-b");
  r.query.emplace_back("token", "tok-c");
  CHECK(RequestToken(r) == "tok-c");
}

// Runs every ready handler; an io_context that ran out of work must be restarted first.
void Drain(boost::asio::io_context& io) {
  io.restart();
  io.poll();
}

// An exchange that records what it was given.
struct FakeExchange : HttpExchange {
  std::optional<HttpResponse> reply;
  std::vector<absl::AnyInvocable<void() &&>> on_close;
  bool is_closed = false;
  void Reply(HttpResponse r) override {
    if (!reply) reply = std::move(r);
  }
  void StartStream(std::string, std::vector<std::pair<std::string, std::string>>) override {}
  void Write(std::string) override {}
  void End() override {}
  void OnClose(absl::AnyInvocable<void() &&> fn) override { on_close.push_back(std::move(fn)); }
  bool closed() const override { return is_closed; }
  void Close() {
    is_closed = true;
    for (auto& fn : on_close) std::move(fn)();
  }
  std::string Index() const {
    for (auto& [k, v] : reply->headers) {
      if (k == "X-Consul-Index") return v;
    }
    return "";
  }
};

// A store stand-in: an index, a hub and a run counter.
struct Store {
  uint64_t index = 5;
  base::WatchHub hub;
  int runs = 0;
  std::function<QueryResult()> Run() {
    return [this] {
      ++runs;
      return QueryResult{index, HttpResponse::Text(200, std::to_string(index))};
    };
  }
  std::function<base::WatchHub::Handle(uint64_t, base::WatchHub::Callback)> Watch() {
    return [this](uint64_t min, base::WatchHub::Callback cb) {
      return hub.WaitKey("x", min, std::move(cb));
    };
  }
  void Write(uint64_t i) {
    index = i;
    hub.Notify("x", i);
  }
};

TEST_CASE("Blocking query: immediate when index is 0 or already past", "[unit]") {
  boost::asio::io_context io;
  base::SimulatedClock clock;
  Store store;
  for (uint64_t min : {uint64_t{0}, uint64_t{4}}) {
    auto ex = std::make_shared<FakeExchange>();
    QueryOptions o;
    o.min_index = min;
    RunBlockingQuery(io.get_executor(), clock, o, ex, store.Run(), store.Watch());
    Drain(io);
    REQUIRE(ex->reply.has_value());
    CHECK(ex->reply->body == "5");
    CHECK(ex->Index() == "5");
  }
  CHECK(store.hub.size() == 0);
}

TEST_CASE("Blocking query: waits for a change to its data, then answers", "[unit]") {
  boost::asio::io_context io;
  base::SimulatedClock clock;
  Store store;
  auto ex = std::make_shared<FakeExchange>();
  QueryOptions o;
  o.min_index = 5;
  RunBlockingQuery(io.get_executor(), clock, o, ex, store.Run(), store.Watch());
  Drain(io);
  CHECK_FALSE(ex->reply.has_value());
  store.hub.Notify("other", 9);
  Drain(io);
  CHECK_FALSE(ex->reply.has_value());
  store.Write(6);
  Drain(io);
  REQUIRE(ex->reply.has_value());
  CHECK(ex->reply->body == "6");
  CHECK(ex->Index() == "6");
  CHECK(store.hub.size() == 0);
  CHECK(clock.PendingTimers() == 0);
}

TEST_CASE("Blocking query: times out with the unchanged result, index 0 is sent as 1", "[unit]") {
  boost::asio::io_context io;
  base::SimulatedClock clock;
  Store store;
  store.index = 0;
  auto ex = std::make_shared<FakeExchange>();
  QueryOptions o;
  o.min_index = 3;
  o.wait = std::chrono::seconds(16);
  RunBlockingQuery(io.get_executor(), clock, o, ex, store.Run(), store.Watch());
  Drain(io);
  clock.Advance(std::chrono::seconds(15));
  Drain(io);
  CHECK_FALSE(ex->reply.has_value());
  clock.Advance(std::chrono::seconds(2));  // past wait + the largest jitter (wait/16)
  Drain(io);
  REQUIRE(ex->reply.has_value());
  CHECK(ex->Index() == "1");
  CHECK(store.hub.size() == 0);
}

TEST_CASE("Blocking query: a client that leaves cancels timer and watch", "[unit]") {
  boost::asio::io_context io;
  base::SimulatedClock clock;
  Store store;
  auto ex = std::make_shared<FakeExchange>();
  QueryOptions o;
  o.min_index = 5;
  RunBlockingQuery(io.get_executor(), clock, o, ex, store.Run(), store.Watch());
  Drain(io);
  CHECK(store.hub.size() == 1);
  ex->Close();
  Drain(io);
  CHECK(store.hub.size() == 0);
  CHECK(clock.PendingTimers() == 0);
  store.Write(7);
  Drain(io);
  CHECK_FALSE(ex->reply.has_value());
}

}  // namespace
}  // namespace cairn::agent
