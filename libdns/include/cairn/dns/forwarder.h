// cairn/dns/forwarder.h — forwarding queries for names outside Consul's zones to the
// configured recursors (spec/dns.md §9).
//
// Each query is tried on the recursors in order (config order, or shuffled with the
// `random` strategy), one attempt at a time, each attempt bounded by `timeout`
// (recursor_timeout, 2 s by default):
//   - over the client's transport: UDP for UDP clients, TCP for TCP clients;
//   - a UDP reply with TC set is retried over TCP to the same recursor (if that fails the
//     truncated reply is relayed, and the client may retry over TCP itself);
//   - a reply with NOERROR or NXDOMAIN is the answer; any other RCODE (SERVFAIL,
//     REFUSED, ...), a transport error, a timeout or a malformed reply moves on to the
//     next recursor;
//   - when every recursor failed the result is kUnavailable, which Relay turns into
//     SERVFAIL with RA set and the client's EDNS echoed.
// The query goes upstream unchanged except for its ID, which is replaced by a random one
// (restored in the reply), and replies whose ID, QR bit or question do not match are
// ignored, so off-path spoofing has to guess 16 bits and a source port.
//
// Example:
//
//   ForwarderOptions options;
//   options.recursors.push_back(*ParseRecursor("8.8.8.8"));
//   Forwarder forwarder(io, options);
//   // in a Handler, for a QueryKind::kRecursor question:
//   forwarder.Relay(request, std::move(responder));
#ifndef CAIRN_DNS_FORWARDER_H_
#define CAIRN_DNS_FORWARDER_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include <absl/functional/any_invocable.h>
#include <absl/status/statusor.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>

#include <cairn/dns/server.h>

namespace cairn::dns {

// One upstream DNS server.
struct Recursor {
  boost::asio::ip::address address;
  std::uint16_t port = 53;

  friend bool operator==(const Recursor&, const Recursor&) = default;
};

// Parses a `recursors` entry: "1.2.3.4", "1.2.3.4:5353", "::1", "[::1]:5353". The port
// defaults to 53. kInvalidArgument for hostnames, bad ports, and the unspecified
// addresses 0.0.0.0 and :: (rejected by Consul too). go-sockaddr templates are not
// supported.
absl::StatusOr<Recursor> ParseRecursor(std::string_view text);

enum class RecursorStrategy { kSequential, kRandom };

struct ForwarderOptions {
  std::vector<Recursor> recursors;          // duplicates are the caller's to drop
  std::chrono::milliseconds timeout{2000};  // per attempt (recursor_timeout)
  RecursorStrategy strategy = RecursorStrategy::kSequential;
};

// Forwards queries asynchronously on an io_context. Thread-safe: Forward and Relay may be
// called from any thread concurrently. Forwards still in progress when the Forwarder is
// destroyed run to completion (they keep what they need); the io_context must outlive
// them.
class Forwarder {
 public:
  // Receives the upstream reply (with the caller's query ID) or kUnavailable when all
  // recursors failed (kFailedPrecondition when none is configured, kInvalidArgument
  // when the query is shorter than a header). Runs exactly once, on a thread running the
  // io_context, never inside Forward itself; it must not block.
  using Callback = absl::AnyInvocable<void(absl::StatusOr<std::vector<std::uint8_t>> reply) &&>;

  Forwarder(boost::asio::io_context& io, ForwarderOptions options);

  // Forwards `query` (a complete message; copied) as described above.
  void Forward(std::span<const std::uint8_t> query, Transport transport, Callback done);

  // Forwards `request` and answers through `responder`: the upstream reply (cut to the
  // client's size limit by the Responder), or SERVFAIL with RA when all recursors failed.
  void Relay(const Request& request, Responder responder);

  const ForwarderOptions& options() const { return *options_; }

 private:
  boost::asio::io_context& io_;
  std::shared_ptr<const ForwarderOptions> options_;  // shared with forwards in progress
};

}  // namespace cairn::dns

#endif  // CAIRN_DNS_FORWARDER_H_
