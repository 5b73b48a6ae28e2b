// grpc_peer.h (private) — the sending half of GrpcTransport: one PeerSender per peer, a
// bounded queue and a thread that writes it in batches to one gRPC client stream,
// reconnecting with backoff.
#ifndef CAIRN_RAFT_SRC_GRPC_PEER_H_
#define CAIRN_RAFT_SRC_GRPC_PEER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <grpcpp/grpcpp.h>

#include <cairn/base/log.h>
#include <cairn/raft/grpc_transport.h>

#include "grpc_codec.h"

namespace cairn::raft::internal {

// Logs at most one line per second per limiter; the lines in between are counted and the
// count is reported with the next line.
class LogLimiter {
 public:
  // True when a line may be logged now; `suppressed` gets how many were skipped since.
  bool Allow(uint64_t* suppressed);

 private:
  std::atomic<int64_t> next_ns_{0};
  std::atomic<uint64_t> skipped_{0};
};

// Everything the senders and the receiving service share with the transport. Lives as
// long as the transport; the handler is set once by Start before `started` is.
struct TransportShared {
  GrpcTransportOptions options;
  base::Logger log;
  WireLimits limits;
  std::shared_ptr<grpc::ChannelCredentials> channel_credentials;
  std::string ssl_target_name;  // TLS name override; empty: the dialled host
  Transport::Receiver receiver;
  Transport::UnreachableHandler unreachable;
  std::atomic<bool> started{false};
  LogLimiter send_log;
  LogLimiter receive_log;

  struct {
    std::atomic<uint64_t> messages_sent{0}, batches_sent{0}, messages_received{0},
        dropped_invalid{0}, dropped_misaddressed{0}, dropped_oversized{0}, dropped_queue_full{0},
        dropped_unreachable{0}, dropped_unknown_peer{0}, connects{0}, connect_failures{0},
        streams_accepted{0};
  } counters;

  TransportShared(GrpcTransportOptions o, base::Logger l)
      : options(std::move(o)), log(std::move(l)) {}

  void ReportUnreachable(ServerId id) {
    if (started.load(std::memory_order_acquire) && unreachable) unreachable(id);
  }
};

class PeerSender {
 public:
  // Starts the sender thread; `shared` must outlive this.
  PeerSender(ServerId id, std::string address, TransportShared* shared);
  // Stops and joins.
  ~PeerSender();
  PeerSender(const PeerSender&) = delete;
  PeerSender& operator=(const PeerSender&) = delete;

  const std::string& address() const { return address_; }
  // Queues `msg`; false (and counted) when the queue is full.
  bool Enqueue(Message msg);
  // Asks the thread to stop (cancelling a write in progress) without waiting.
  void RequestStop();

 private:
  void Run();
  bool WaitConnected(grpc::Channel* channel);
  void SleepBackoff(std::chrono::milliseconds delay);
  // Drops everything queued, counting it as unreachable; returns the count.
  uint64_t DropQueue();

  const ServerId id_;
  const std::string address_;
  TransportShared* const shared_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Message> queue_;
  uint64_t queued_bytes_ = 0;
  bool stop_ = false;
  grpc::ClientContext* call_ = nullptr;  // the open stream's context, for cancelling
  std::thread thread_;
};

// A rough size of a message on the wire, for queue and batch bounds.
uint64_t ApproximateSize(const Message& msg);

}  // namespace cairn::raft::internal

#endif  // CAIRN_RAFT_SRC_GRPC_PEER_H_
