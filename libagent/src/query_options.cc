#include <mutex>

#include <absl/random/random.h>
#include <absl/strings/ascii.h>
#include <absl/strings/numbers.h>
#include <boost/asio/post.hpp>
#include <fmt/format.h>

#include <cairn/agent/query_options.h>
#include <cairn/base/duration.h>
#include <cairn/base/status.h>

namespace cairn::agent {

std::string_view ConsistencyName(Consistency c) {
  switch (c) {
    case Consistency::kDefault:
      return "leader";
    case Consistency::kStale:
      return "stale";
    case Consistency::kConsistent:
      return "consistent";
  }
  return "leader";
}

std::string RequestToken(const HttpRequest& request) {
  if (auto t = request.Query("token"); t && !t->empty()) return *t;
  if (std::string t = request.Header("X-Consul-Token"); !t.empty()) return t;
  std::string auth = request.Header("Authorization");
  constexpr std::string_view kBearer = "bearer ";
  if (auth.size() > kBearer.size() &&
      absl::AsciiStrToLower(base::ToAbsl(std::string_view(auth).substr(0, kBearer.size()))) ==
          kBearer) {
    std::string_view t = std::string_view(auth).substr(kBearer.size());
    while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
    return std::string(t);
  }
  return "";
}

absl::StatusOr<QueryOptions> ParseQueryOptions(const HttpRequest& request) {
  QueryOptions o;
  // Community-edition Consul refuses every namespace/partition value, "default" included.
  for (auto [param, header, feature] :
       {std::tuple{"ns", "X-Consul-Namespace", "Namespaces"},
        std::tuple{"partition", "X-Consul-Partition", "Partitions"}}) {
    if (auto v = request.Query(param); v && !v->empty()) {
      return absl::InvalidArgumentError(fmt::format(
          "Invalid query parameter: \"{}\" - {} are a Consul Enterprise feature", param, feature));
    }
    if (!request.Header(header).empty()) {
      return absl::InvalidArgumentError(fmt::format(
          "Invalid header: \"{}\" - {} are a Consul Enterprise feature", header, feature));
    }
  }
  if (auto index = request.Query("index"); index && !index->empty()) {
    if (!absl::SimpleAtoi(*index, &o.min_index)) {
      return absl::InvalidArgumentError("Invalid index");
    }
  }
  if (auto wait = request.Query("wait"); wait && !wait->empty()) {
    auto d = base::ParseGoDuration(*wait);
    if (!d.ok() || *d < base::Duration::zero()) {
      return absl::InvalidArgumentError("Invalid wait time");
    }
    o.wait = std::min(*d, kMaxQueryWait);
  }
  bool stale = request.Has("stale");
  bool consistent = request.Has("consistent");
  if (stale && consistent) {
    return absl::InvalidArgumentError(
        "Cannot specify ?stale with ?consistent, conflicting semantics.");
  }
  if (request.Has("cached") && consistent) {
    return absl::InvalidArgumentError(
        "Cannot specify ?cached with ?consistent, conflicting semantics.");
  }
  if (stale) o.consistency = Consistency::kStale;
  if (consistent) o.consistency = Consistency::kConsistent;
  if (auto ms = request.Query("max_stale"); ms && !request.Has("leader")) {
    auto d = base::ParseGoDuration(*ms);
    if (!d.ok()) {
      return absl::InvalidArgumentError(fmt::format("Invalid max_stale value \"{}\"", *ms));
    }
    o.max_stale = *d;
    if (!consistent) o.consistency = Consistency::kStale;
  }
  if (request.Has("leader")) o.consistency = Consistency::kDefault;
  o.datacenter = request.Query("dc").value_or("");
  o.filter = request.Query("filter").value_or("");
  o.token = RequestToken(request);
  o.pretty = request.pretty();
  return o;
}

namespace {

// One blocking query in flight. Every step runs on `executor`; `mu` guards the handles,
// which the watch callback (apply thread) and the close callback (connection strand) may
// race to cancel.
struct BlockingQuery : std::enable_shared_from_this<BlockingQuery> {
  boost::asio::any_io_executor executor;
  QueryOptions options;
  std::shared_ptr<HttpExchange> exchange;
  std::function<QueryResult()> run;
  std::function<base::WatchHub::Handle(uint64_t, base::WatchHub::Callback)> watch;

  std::mutex mu;
  bool done = false;
  base::WatchHub::Handle watch_handle;
  std::unique_ptr<base::Timer> timer;
  // The query owns itself while it waits: callbacks hold only weak references, so that a
  // finished or abandoned query is freed. Reset only by code that holds its own strong
  // reference on the stack.
  std::shared_ptr<BlockingQuery> keep_alive;

  void Attempt() {
    std::weak_ptr<BlockingQuery> weak = weak_from_this();
    auto handle = watch(options.min_index, [weak](uint64_t) {
      if (auto self = weak.lock()) {
        boost::asio::post(self->executor, [self] { self->Attempt(); });
      }
    });
    QueryResult result = run();
    std::lock_guard lock(mu);
    if (done) return;
    if (result.index > options.min_index) {
      FinishLocked(std::move(result));
      return;
    }
    watch_handle = std::move(handle);
  }

  void Expire() {
    QueryResult result = run();
    std::lock_guard lock(mu);
    if (!done) FinishLocked(std::move(result));
  }

  void FinishLocked(QueryResult result) {
    done = true;
    watch_handle.Cancel();
    if (timer) timer->Cancel();
    keep_alive.reset();
    result.response.With("X-Consul-Index", std::to_string(std::max<uint64_t>(result.index, 1)));
    exchange->Reply(std::move(result.response));
  }

  void Abandon() {
    std::lock_guard lock(mu);
    done = true;
    watch_handle.Cancel();
    if (timer) timer->Cancel();
    keep_alive.reset();
  }
};

}  // namespace

void RunBlockingQuery(
    boost::asio::any_io_executor executor, base::Clock& clock, const QueryOptions& options,
    std::shared_ptr<HttpExchange> exchange, std::function<QueryResult()> run,
    std::function<base::WatchHub::Handle(uint64_t, base::WatchHub::Callback)> watch) {
  auto q = std::make_shared<BlockingQuery>();
  q->executor = executor;
  q->options = options;
  q->exchange = exchange;
  q->run = std::move(run);
  q->watch = std::move(watch);
  if (options.min_index == 0) {
    QueryResult result = q->run();
    std::lock_guard lock(q->mu);
    q->FinishLocked(std::move(result));
    return;
  }
  // Consul adds up to wait/16 of jitter so that many watchers of one key do not all come
  // back at the same instant.
  thread_local absl::BitGen gen;
  auto jitter = base::Duration(absl::Uniform<int64_t>(gen, 0, options.wait.count() / 16 + 1));
  std::weak_ptr<BlockingQuery> weak = q;
  {
    std::lock_guard lock(q->mu);
    q->timer = clock.After(options.wait + jitter, [weak] {
      if (auto self = weak.lock()) {
        boost::asio::post(self->executor, [self] { self->Expire(); });
      }
    });
  }
  exchange->OnClose([weak] {
    if (auto self = weak.lock()) self->Abandon();
  });
  q->keep_alive = q;
  boost::asio::post(executor, [q] { q->Attempt(); });
}

}  // namespace cairn::agent
