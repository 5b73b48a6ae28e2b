// cairn/agent/query_options.h — the query parameters every Consul read shares, and the
// blocking-query loop.
//
// Example (a handler):
//
//   absl::StatusOr<QueryOptions> opts = ParseQueryOptions(request);
//   if (!opts.ok()) return exchange->Reply(HttpResponse::Text(400, opts.status().message()));
//   RunBlockingQuery(strand, clock, *opts, exchange,
//       /*run=*/[&] { return QueryResult{store.Index(key), HttpResponse::Json(...)}; },
//       /*watch=*/[&](uint64_t min, base::WatchHub::Callback cb) {
//         return hub.WaitKey(key, min, std::move(cb));
//       });
#ifndef CAIRN_AGENT_QUERY_OPTIONS_H_
#define CAIRN_AGENT_QUERY_OPTIONS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <absl/status/statusor.h>
#include <boost/asio/any_io_executor.hpp>

#include <cairn/agent/http_server.h>
#include <cairn/base/clock.h>
#include <cairn/base/watch.h>

namespace cairn::agent {

enum class Consistency { kDefault, kStale, kConsistent };

// Consul's names for X-Consul-Effective-Consistency: "leader", "stale", "consistent".
std::string_view ConsistencyName(Consistency c);

inline constexpr base::Duration kDefaultQueryWait = std::chrono::minutes(5);
inline constexpr base::Duration kMaxQueryWait = std::chrono::minutes(10);

struct QueryOptions {
  uint64_t min_index = 0;                   // ?index; 0 = answer at once
  base::Duration wait = kDefaultQueryWait;  // ?wait, at most kMaxQueryWait
  Consistency consistency = Consistency::kDefault;
  std::optional<base::Duration> max_stale;  // ?max_stale
  std::string datacenter;                   // ?dc; empty = the agent's own
  std::string filter;                       // ?filter
  std::string token;                        // ?token, X-Consul-Token, Authorization: Bearer
  bool pretty = false;                      // ?pretty
};

// Reads the shared parameters. Errors are InvalidArgument carrying Consul's exact 400
// texts: "Invalid wait time", "Invalid index", "Cannot specify ?stale with ?consistent,
// conflicting semantics.", "Invalid max_stale value \"x\"", and the CE refusals of
// ?ns / ?partition and their headers.
absl::StatusOr<QueryOptions> ParseQueryOptions(const HttpRequest& request);

// The token a request carries: ?token, then X-Consul-Token, then "Authorization: Bearer
// <t>" (scheme case-insensitive; other schemes ignored); "" when none.
std::string RequestToken(const HttpRequest& request);

// One evaluation of a read: its index (X-Consul-Index; sent as at least 1) and response.
struct QueryResult {
  uint64_t index = 0;
  HttpResponse response;
};

// Answers `exchange` with run()'s result once its index exceeds options.min_index, or when
// options.wait (plus a jitter of up to wait/16, as Consul adds) runs out, whichever is
// first; a client that hangs up cancels the query. `watch(min_index, cb)` must register
// interest in exactly the data run() reads (see <cairn/base/watch.h>); it is called before
// each run(), so no change can slip between the two. run() and watch() are called on
// `executor`; they must not block. The X-Consul-Index header is added to the response.
void RunBlockingQuery(
    boost::asio::any_io_executor executor, base::Clock& clock, const QueryOptions& options,
    std::shared_ptr<HttpExchange> exchange, std::function<QueryResult()> run,
    std::function<base::WatchHub::Handle(uint64_t min_index, base::WatchHub::Callback cb)> watch);

}  // namespace cairn::agent

#endif  // CAIRN_AGENT_QUERY_OPTIONS_H_
