// cairn/dns/server.h — asynchronous DNS listeners (UDP and TCP on one port) over Asio.
//
// A Server binds UDP and TCP on the same address and port, decodes each query and hands
// the well-formed ones to a Handler with a Responder to answer through. It owns the
// protocol edges so handlers do not have to:
//   - malformed queries get FORMERR when a 12-byte header could be read, else are dropped;
//     packets with QR set (responses) are dropped; opcodes other than QUERY get NOTIMP;
//     a query without a question gets FORMERR; EDNS versions above 0 get BADVERS;
//   - UDP replies are cut to 512 bytes, or to the client's EDNS payload size when larger,
//     dropping whole records and setting TC (RFC 1035 §4.2.1, RFC 6891 §6.2.5);
//   - TCP uses 2-byte length framing (RFC 1035 §4.2.2), several queries per connection,
//     answered as they complete (RFC 7766 §6.2.1.1), and closes idle connections.
// Every outcome is counted in ServerStats and, when given, in a base::MetricsRegistry.
//
// Example:
//
//   class Echo : public cairn::dns::Handler {
//     void Handle(const Request& request, Responder responder) override {
//       Message reply = MakeReply(request.message);
//       reply.header.rcode = kNxDomain;
//       (void)responder.Reply(reply);       // or keep `responder` and answer later
//     }
//   };
//   Echo handler;                           // must outlive the server's io_context use
//   ServerOptions options;                  // 127.0.0.1:8600
//   CAIRN_ASSIGN_OR_RETURN(auto server, Server::Start(io, options, handler));
//   ... run io on one or more threads ...
//   server->Stop();
#ifndef CAIRN_DNS_SERVER_H_
#define CAIRN_DNS_SERVER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>

#include <cairn/base/metrics.h>
#include <cairn/dns/message.h>

namespace cairn::dns {

enum class Transport { kUdp, kTcp };

namespace internal {
class UdpSocket;
class TcpConnection;
}  // namespace internal

// One received query. It and everything it refers to are valid only during
// Handler::Handle; copy what an asynchronous answer needs.
struct Request {
  const Message& message;              // decoded, with at least one question
  std::span<const std::uint8_t> wire;  // the query as received (e.g. to forward it)
  Transport transport;
  boost::asio::ip::address client_address;
  std::uint16_t client_port;
  // The largest reply the client accepts: MaxUdpResponseSize(message) over UDP, 65535
  // over TCP. Replies are cut to it anyway; handlers use it to trim smartly.
  std::size_t max_response_size;
};

// The way back to the client for one Request. Move-only; answer at most once, from any
// thread, at any time (also after Handle returned). Destroying a Responder that never
// answered drops the query (counted as unanswered); the client will time out.
class Responder {
 public:
  Responder(Responder&&) noexcept;
  Responder& operator=(Responder&&) noexcept;
  ~Responder();

  // Sends `wire`, a complete DNS message (its id must be the query's). Over UDP a message
  // larger than max_response_size is re-encoded to fit, with TC set. Does nothing if
  // already answered or if the server stopped. Never blocks: over UDP a full socket
  // buffer drops the reply (counted); over TCP the bytes are queued.
  void Send(std::span<const std::uint8_t> wire);

  // Encodes `reply` within max_response_size (TC set when records are dropped; see
  // EncodeMessage) and sends it. Errors are EncodeMessage's (nothing is sent then).
  absl::Status Reply(const Message& reply, const EncodeOptions& options = {});

  bool answered() const { return answered_; }
  std::size_t max_response_size() const { return max_size_; }

 private:
  friend class internal::UdpSocket;
  friend class internal::TcpConnection;
  Responder() = default;

  std::shared_ptr<internal::UdpSocket> udp_;
  std::shared_ptr<internal::TcpConnection> tcp_;
  boost::asio::ip::address client_address_;
  std::uint16_t client_port_ = 0;
  std::size_t max_size_ = kMaxUdpSizeWithoutEdns;
  std::chrono::steady_clock::time_point received_;
  bool answered_ = true;  // a moved-from or default Responder has nothing to answer
};

// Receives the queries of a Server.
//
// Threading: Handle runs on a thread running the server's io_context. With several
// threads and several UDP sockets or TCP connections, calls are concurrent, so Handle
// must be thread-safe. It must not block (it stalls that socket's receive loop): start
// any slow work asynchronously and answer later through the Responder.
class Handler {
 public:
  virtual ~Handler() = default;
  virtual void Handle(const Request& request, Responder responder) = 0;
};

struct ServerOptions {
  // Address to bind, IPv4 or IPv6 literal. (Consul's `addresses.dns` / `client_addr`.)
  std::string address = "127.0.0.1";
  // UDP and TCP port (`ports.dns`); 0 lets the OS choose one free for both.
  std::uint16_t port = 8600;
  // UDP sockets bound to the same port with SO_REUSEPORT, each with its own receive loop,
  // so that several io_context threads can receive in parallel. At least 1.
  int udp_sockets = 1;
  // A TCP connection with no query in progress for this long is closed (miekg/dns, which
  // Consul uses, closes after 8 s).
  std::chrono::milliseconds tcp_idle_timeout{8000};
  // Further connections are closed at once while this many are open.
  std::size_t max_tcp_connections = 1024;
  // Queries read ahead on one TCP connection before waiting for answers.
  std::size_t max_tcp_pipeline = 64;
  // RA bit in the server's own FORMERR/NOTIMP/BADVERS replies (true with recursors).
  bool recursion_available = false;
  // When set, counters `cairn.dns.*` are registered in it (it must outlive the server).
  base::MetricsRegistry* metrics = nullptr;
};

// A snapshot of the server's counters.
struct ServerStats {
  std::uint64_t udp_queries = 0;      // datagrams received
  std::uint64_t tcp_queries = 0;      // framed messages received over TCP
  std::uint64_t malformed = 0;        // could not be decoded (FORMERR or dropped)
  std::uint64_t dropped = 0;          // no reply possible: short packet, QR set
  std::uint64_t error_replies = 0;    // FORMERR, NOTIMP, BADVERS sent by the server
  std::uint64_t replies = 0;          // replies sent (including error_replies)
  std::uint64_t truncated = 0;        // replies cut to the size limit (TC)
  std::uint64_t send_failures = 0;    // replies lost: socket buffer full, connection gone
  std::uint64_t unanswered = 0;       // Responders destroyed without answering
  std::uint64_t tcp_accepted = 0;     // TCP connections accepted
  std::uint64_t tcp_rejected = 0;     // closed at once: max_tcp_connections reached
  std::uint64_t tcp_idle_closed = 0;  // closed by tcp_idle_timeout
};

// A DNS server on one address. Created by Start, stopped by Stop or destruction.
//
// Thread-safety: Stop, port, address and stats may be called from any thread. The
// io_context must outlive the Server; the Handler must outlive every call to it, i.e.
// until Stop has returned and no io_context thread is still inside Handle.
class Server {
 public:
  // Binds UDP and TCP and starts receiving on `io` (the caller runs it, on as many
  // threads as it likes). kInvalidArgument for a bad address or udp_sockets < 1;
  // kUnavailable when a socket cannot be bound (port in use, permission).
  static absl::StatusOr<std::unique_ptr<Server>> Start(boost::asio::io_context& io,
                                                       const ServerOptions& options,
                                                       Handler& handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Closes the sockets and all TCP connections. After it returns no new Handle call
  // starts; Responders still held may answer, which then does nothing. Idempotent.
  void Stop();

  // The bound port (the OS's choice when options.port was 0).
  std::uint16_t port() const;
  boost::asio::ip::address address() const;
  ServerStats stats() const;

  class Impl;

 private:
  explicit Server(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;  // shared with pending asynchronous operations
};

}  // namespace cairn::dns

#endif  // CAIRN_DNS_SERVER_H_
