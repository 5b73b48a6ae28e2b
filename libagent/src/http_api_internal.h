// http_api_internal.h (private) — what the state endpoints (http_kv.cc, http_txn.cc,
// http_session.cc, http_status.cc, http_operator.cc) share.
#ifndef CAIRN_AGENT_SRC_HTTP_API_INTERNAL_H_
#define CAIRN_AGENT_SRC_HTTP_API_INTERNAL_H_

#include <functional>
#include <memory>
#include <optional>

#include <absl/status/status.h>

#include <cairn/agent/http_api.h>
#include <cairn/agent/query_options.h>
#include <cairn/base/status.h>

namespace cairn::agent::internal {

// Everything a handler needs; shared by the handlers' closures.
struct ApiContext {
  StateBackend& backend;
  boost::asio::any_io_executor executor;
  base::Clock& clock;
  HttpApiOptions options;
};
using Context = std::shared_ptr<const ApiContext>;

// A backend error as Consul answers it: NotFound is 404, everything else 500, the message
// as the plain-text body.
void ReplyError(HttpExchange& exchange, const absl::Status& status);

// X-Consul-KnownLeader and X-Consul-LastContact.
void AddMeta(HttpResponse& response, const QueryMeta& meta);

// ?dc names another datacenter: answers "500 No path to datacenter" and returns false.
bool CheckDatacenter(const ApiContext& ctx, const std::string& dc, HttpExchange& exchange);

// The shared query parameters of a read (or of a write that Consul parses the same way):
// answers 400 / 500 and returns nullopt when they are bad or name another datacenter.
std::optional<QueryOptions> ParseOptions(const ApiContext& ctx, const HttpRequest& request,
                                         HttpExchange& exchange);

// A read that may block: waits for the backend's read barrier per options.consistency,
// then runs RunBlockingQuery with `run` (which reads the local stores and returns the index
// and response; the meta headers are added here) and `watch`.
void BlockingRead(const Context& ctx, const QueryOptions& options,
                  std::shared_ptr<HttpExchange> exchange, std::function<QueryResult()> run,
                  std::function<base::WatchHub::Handle(uint64_t, base::WatchHub::Callback)> watch);

// Registration of each endpoint family.
void RegisterKv(Router& router, const Context& ctx);
void RegisterTxn(Router& router, const Context& ctx);
void RegisterSession(Router& router, const Context& ctx);
void RegisterStatus(Router& router, const Context& ctx);
void RegisterOperator(Router& router, const Context& ctx);

}  // namespace cairn::agent::internal

#endif  // CAIRN_AGENT_SRC_HTTP_API_INTERNAL_H_
