// cairn/gossip/transport.h — the network under a Memberlist: datagrams and streams.
//
// memberlist talks to peers two ways: best-effort packets (UDP: probes, acks, gossip)
// and short-lived streams (TCP: push/pull state exchange, fallback pings, reliable user
// messages). `Transport` is that contract and nothing more, so that the SWIM code in
// memberlist.h runs unchanged over real sockets (net_transport.h) and over a simulated,
// seeded network (sim_network.h).
//
// Addresses are "ip:port" strings ("127.0.0.1:7946", "[::1]:7946"), the form memberlist
// uses on the wire after resolving names; transports do no DNS.
//
// Example (what Memberlist does with it):
//
//   transport.Start({
//       .packet = [&](std::string_view from, std::string_view bytes) { Ingest(from, bytes); },
//       .stream = [&](std::unique_ptr<Stream> s) { Serve(std::move(s)); },
//   });
//   transport.SendPacket("10.0.0.2:7946", packet);
//   transport.DialStream("10.0.0.2:7946", absl::Seconds(10),
//                        [&](absl::StatusOr<std::unique_ptr<Stream>> s) { ... });
//
// Threading: a transport has one executor (a strand of the event loop for the real one,
// the thread that drives the SimulatedClock for the simulated one). Every callback it
// makes runs on that executor, never inline inside the call that registered it, and all
// its methods must be called on that executor too. The Memberlist using it runs on the
// same executor, which is what keeps the protocol single-threaded.
#ifndef CAIRN_GOSSIP_TRANSPORT_H_
#define CAIRN_GOSSIP_TRANSPORT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <absl/functional/any_invocable.h>
#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/time/time.h>

namespace cairn::gossip {

// One connection carrying one exchange. Owned by whoever holds the unique_ptr;
// destroying it closes the connection and guarantees that none of its pending callbacks
// will run afterwards (they are dropped, not called with an error).
class Stream {
 public:
  virtual ~Stream() = default;

  // Writes all of `data`, then calls `done` with OK or the error (kUnavailable for a
  // closed or reset connection, kDeadlineExceeded past the deadline). At most one Write
  // may be pending at a time.
  virtual void Write(std::string data, absl::AnyInvocable<void(absl::Status) &&> done) = 0;

  // Reads the next bytes the peer sent (at least one byte) and passes them to `done`.
  // At the peer's orderly end of stream `done` gets kOutOfRange ("end of stream"); other
  // errors as for Write. At most one Read may be pending at a time.
  virtual void Read(absl::AnyInvocable<void(absl::StatusOr<std::string>) &&> done) = 0;

  // Every Read and Write after this instant fails with kDeadlineExceeded (memberlist
  // sets one deadline, TCPTimeout, per exchange).
  virtual void SetDeadline(absl::Duration from_now) = 0;

  // "ip:port" of the other end.
  virtual std::string RemoteAddress() const = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;

  struct Handlers {
    // A datagram arrived from `from` ("ip:port"). The views are valid during the call.
    absl::AnyInvocable<void(std::string_view from, std::string_view packet)> packet;
    // A peer opened a stream to us; the callee owns it.
    absl::AnyInvocable<void(std::unique_ptr<Stream> stream)> stream;
  };

  // Begins delivering packets and accepted streams to `handlers`. Called once.
  virtual void Start(Handlers handlers) = 0;

  // The "ip:port" this transport receives on (with the real port when bound to port 0).
  virtual std::string LocalAddress() const = 0;

  // Sends one datagram, best effort. Errors only for what is known at once (unparseable
  // address: kInvalidArgument; shut down: kFailedPrecondition); loss is silent.
  virtual absl::Status SendPacket(std::string_view to, std::string packet) = 0;

  // Opens a stream to `to`; `done` gets the stream, or kUnavailable / kDeadlineExceeded
  // when the peer cannot be reached within `timeout`.
  virtual void DialStream(
      std::string_view to, absl::Duration timeout,
      absl::AnyInvocable<void(absl::StatusOr<std::unique_ptr<Stream>>) &&> done) = 0;

  // Stops receiving and closes the listeners. After it returns (on the executor), no
  // handler and no pending DialStream callback runs again. Idempotent.
  virtual void Shutdown() = 0;
};

// Splits "ip:port" / "[v6]:port" into the IP text and the port. kInvalidArgument when it
// is not of that form (names are not resolved here).
absl::Status SplitHostPort(std::string_view address, std::string* host, uint16_t* port);
// "ip:port", with brackets around IPv6 addresses.
std::string JoinHostPort(std::string_view host, uint16_t port);
// IP text <-> the raw 4- or 16-byte form memberlist puts on the wire. kInvalidArgument
// for anything else.
absl::StatusOr<std::string> IpToBytes(std::string_view ip_text);
absl::StatusOr<std::string> IpFromBytes(std::string_view raw);

}  // namespace cairn::gossip

#endif  // CAIRN_GOSSIP_TRANSPORT_H_
