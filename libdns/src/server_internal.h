// Private pieces of cairn::dns::Server: the shared server state, the UDP receive loop and
// the TCP connection. Not installed; included by server.cc and tcp_connection.cc only.
#ifndef CAIRN_DNS_SRC_SERVER_INTERNAL_H_
#define CAIRN_DNS_SRC_SERVER_INTERNAL_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <unordered_map>
#include <vector>

#include <absl/base/thread_annotations.h>
#include <absl/synchronization/mutex.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <cairn/dns/server.h>

namespace cairn::dns {
namespace internal {

using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

// A plain atomic count, mirrored into a registry counter when the server has one.
struct StatCounter {
  std::atomic<std::uint64_t> value{0};
  base::Counter* metric = nullptr;
  void Increment() {
    value.fetch_add(1, std::memory_order_relaxed);
    if (metric != nullptr) metric->Increment();
  }
  std::uint64_t Get() const { return value.load(std::memory_order_relaxed); }
};

struct Counters {
  StatCounter udp_queries, tcp_queries, malformed, dropped, error_replies, replies, truncated,
      send_failures, unanswered, tcp_accepted, tcp_rejected, tcp_idle_closed;
  base::Sample* latency = nullptr;  // receive to reply, milliseconds
};

// What the server does with a received message before any handler sees it.
enum class Verdict { kDrop, kErrorReply, kHandle };

class UdpSocket;
class TcpConnection;
class TcpListener;

}  // namespace internal

// Shared by the Server object and every pending asynchronous operation, so a completion
// that runs after ~Server still finds valid state (it sees `stopped` and returns).
class Server::Impl {
 public:
  Impl(boost::asio::io_context& io, const ServerOptions& options, Handler& handler);

  // Decodes `wire` into `*message` and decides its fate; for kErrorReply the reply is in
  // `*error_reply`. Counts malformed/dropped/error_replies. Any thread.
  internal::Verdict Classify(std::span<const std::uint8_t> wire, Message* message,
                             std::vector<std::uint8_t>* error_reply);

  void Register(internal::TcpConnection* c, std::weak_ptr<internal::TcpConnection> w);
  void Unregister(internal::TcpConnection* c);
  std::size_t open_connections() const { return open_connections_.load(); }

  void Stop();

  boost::asio::io_context& io;
  const ServerOptions options;
  Handler& handler;
  internal::Counters counters;
  std::atomic<bool> stopped{false};
  boost::asio::ip::address bound_address;
  std::uint16_t bound_port = 0;
  // Set once by Start before any operation runs; cleared by Stop (breaking the cycle
  // between these objects and the Impl they point back to).
  std::vector<std::shared_ptr<internal::UdpSocket>> udp_sockets;
  std::shared_ptr<internal::TcpListener> tcp_listener;

 private:
  absl::Mutex mu_;
  std::unordered_map<internal::TcpConnection*, std::weak_ptr<internal::TcpConnection>> connections_
      ABSL_GUARDED_BY(mu_);
  std::atomic<std::size_t> open_connections_{0};
};

namespace internal {

// One UDP socket and its receive loop. All receive work runs on `strand_`, so the socket
// object is only touched by one thread at a time; replies go out through a dup()ed
// descriptor with sendto(), which the kernel makes safe from any thread, and which stays
// open as long as any Responder holds this object.
class UdpSocket : public std::enable_shared_from_this<UdpSocket> {
 public:
  UdpSocket(std::shared_ptr<Server::Impl> server, boost::asio::ip::udp::socket socket);
  ~UdpSocket();

  void Start();  // any thread, once
  void Close();  // any thread
  // Sends one datagram without blocking; counts a failure when the kernel refuses it.
  void SendTo(const boost::asio::ip::address& address, std::uint16_t port,
              std::span<const std::uint8_t> wire);
  Server::Impl& server() { return *server_; }

 private:
  void Receive();
  void OnReceive(const boost::system::error_code& ec, std::size_t n);

  std::shared_ptr<Server::Impl> server_;
  Strand strand_;
  boost::asio::ip::udp::socket socket_;
  int send_fd_ = -1;
  std::vector<std::uint8_t> buffer_;
  boost::asio::ip::udp::endpoint sender_;
  Message message_;                  // reused for every datagram
  std::vector<std::uint8_t> reply_;  // server-generated error replies
};

// Accepts TCP connections on the server's port.
class TcpListener : public std::enable_shared_from_this<TcpListener> {
 public:
  TcpListener(std::shared_ptr<Server::Impl> server, boost::asio::ip::tcp::acceptor acceptor);
  void Start();
  void Close();

 private:
  void Accept();
  std::shared_ptr<Server::Impl> server_;
  Strand strand_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_;
};

// One TCP client. Reads run ahead of answers (up to max_tcp_pipeline queries); answers
// are written in the order they arrive. Everything but QueueReply and Close runs on
// `strand_`.
class TcpConnection : public std::enable_shared_from_this<TcpConnection> {
 public:
  TcpConnection(std::shared_ptr<Server::Impl> server, boost::asio::ip::tcp::socket socket);

  void Start();
  void Close();  // any thread
  // Queues one framed reply (copied); any thread.
  void QueueReply(std::span<const std::uint8_t> wire);
  Server::Impl& server() { return *server_; }

 private:
  void ReadLength();
  void OnLength(const boost::system::error_code& ec);
  void OnBody(const boost::system::error_code& ec);
  void Process();
  void Write();
  void OnWrite(const boost::system::error_code& ec);
  void AnswerDone();
  void ArmIdleTimer();
  void OnIdle(const boost::system::error_code& ec);
  void DoClose();

  std::shared_ptr<Server::Impl> server_;
  Strand strand_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer idle_;
  boost::asio::ip::address peer_address_;
  std::uint16_t peer_port_ = 0;
  std::uint8_t length_[2] = {0, 0};
  std::vector<std::uint8_t> body_;
  Message message_;
  std::vector<std::uint8_t> reply_;
  std::deque<std::vector<std::uint8_t>> writes_;
  bool writing_ = false;
  bool reading_ = false;
  bool closed_ = false;
  bool eof_ = false;           // the client shut down its sending side
  std::size_t in_flight_ = 0;  // queries handed out and not yet answered or dropped
};

}  // namespace internal
}  // namespace cairn::dns

#endif  // CAIRN_DNS_SRC_SERVER_INTERNAL_H_
