// cairn/agent/http_api.h — the server's state endpoints of Consul's v1 HTTP API.
//
// RegisterStateApi adds to a Router the endpoints that read and write the replicated state
// through a StateBackend (<cairn/agent/state_backend.h>):
//
//   GET|PUT|DELETE /v1/kv/<key>         ?recurse ?keys ?separator ?raw ?cas ?flags
//                                       ?acquire ?release; blocking reads
//   PUT            /v1/txn              KV operations (Node/Service/Check ops: 400)
//   PUT            /v1/session/create, /v1/session/destroy/<id>, /v1/session/renew/<id>
//   GET            /v1/session/info/<id>, /v1/session/node/<node>, /v1/session/list
//   GET            /v1/status/leader, /v1/status/peers
//   GET            /v1/operator/raft/configuration
//   DELETE         /v1/operator/raft/peer           ?id= | ?address=
//   POST           /v1/operator/raft/transfer-leader ?id=
//
// Status codes and plain-text error bodies are Consul's (../shared/spec/http-api.md): 400
// for bad parameters and bodies (before anything is written), 413 for bodies over the
// limits below, 404 for a missing key (empty body, X-Consul-Index set), 409 with a JSON body
// for a rolled-back transaction, 500 with the backend's message for everything else
// ("No cluster leader", `invalid session "<id>"`, "Missing node registration", ...).
// Reads set X-Consul-Index (blocking reads), X-Consul-KnownLeader and X-Consul-LastContact,
// and honour ?stale / ?consistent (both linearizable by default here, see state_backend.h),
// ?index / ?wait (asynchronous: a waiting request holds a timer and a watch, no thread),
// ?dc (only the local datacenter: others are "500 No path to datacenter") and ?pretty.
//
// Example:
//
//   cairn::agent::Router router;
//   cairn::agent::RegisterStateApi(router, backend, loop.executor(), clock,
//                                  {.datacenter = config.datacenter});
//   auto server = cairn::agent::HttpServer::Start(loop.context(), addresses,
//                                                 std::make_shared<Router>(std::move(router)),
//                                                 {});
//
// Lifetime: `backend` and `clock` are borrowed and must outlive every request in flight:
// destroy the HttpServer (which closes connections and so cancels waiting blocking
// queries) before them.
//
// Threading: handlers run on the connection's strand, backend callbacks on backend threads,
// blocking-query re-runs on `executor`; none of them blocks. Every path only reads the
// stores' snapshots or submits writes to the backend, so no lock is held across a call.
#ifndef CAIRN_AGENT_HTTP_API_H_
#define CAIRN_AGENT_HTTP_API_H_

#include <cstddef>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include <cairn/agent/http_server.h>
#include <cairn/agent/state_backend.h>
#include <cairn/base/clock.h>

namespace cairn::agent {

struct HttpApiOptions {
  // The agent's datacenter: ?dc may name it; any other value is refused.
  std::string datacenter = "dc1";
  // kv_max_value_size: larger PUT /v1/kv bodies and txn values get 413.
  std::size_t kv_max_value_size = 524288;
  // txn_max_req_len: a /v1/txn body may be max(txn_max_req_len, kv_max_value_size) long.
  std::size_t txn_max_req_len = 524288;
  // Operations per transaction (Consul 1.14+: 128).
  std::size_t txn_max_ops = 128;
};

// Adds the routes listed above to `router`. Call before the server starts (Router is
// read-only afterwards).
void RegisterStateApi(Router& router, StateBackend& backend, boost::asio::any_io_executor executor,
                      base::Clock& clock, HttpApiOptions options = {});

}  // namespace cairn::agent

#endif  // CAIRN_AGENT_HTTP_API_H_
