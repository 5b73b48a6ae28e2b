// cairn/raft/memory_transport.h — an in-process network of raft Transports.
//
// MemoryNetwork connects the Transports it creates, one per server, inside one process:
// for tests, examples and embedding several servers in one program. Messages are moved,
// never serialized. Fault hooks let a test drop, partition (symmetric or one-way), delay
// (and thereby reorder) messages, or filter them by content.
//
// Example:
//
//   cairn::base::EventLoop loop(2);
//   cairn::raft::MemoryNetwork net(loop.executor());
//   std::unique_ptr<cairn::raft::Transport> t1 = net.CreateTransport(1, "mem-1");
//   std::unique_ptr<cairn::raft::Transport> t2 = net.CreateTransport(2, "mem-2");
//   ... NodeOptions::transport = t1.get(); ...
//   net.Isolate(1);   // server 1 neither sends nor receives
//   net.Heal();       // every link works again
//
// Delivery: a message sent by server A to id B is delivered when A's peer table
// (SetPeers) names B's address and a started transport of server B has that address. It
// is otherwise dropped and A's unreachable handler is called (asynchronously). Messages to
// one destination are delivered in order unless a delay is set. Receivers run on a strand
// per destination transport, on the network's executor.
//
// Thread-safety: every method of MemoryNetwork and of its transports may be called from
// any thread. The network must outlive its transports, and its executor must run until
// the transports are stopped.
#ifndef CAIRN_RAFT_MEMORY_TRANSPORT_H_
#define CAIRN_RAFT_MEMORY_TRANSPORT_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <utility>

#include <boost/asio/any_io_executor.hpp>

#include <cairn/raft/message.h>
#include <cairn/raft/transport.h>
#include <cairn/raft/types.h>

namespace cairn::raft {

class MemoryNetwork {
 public:
  // Return false to drop `msg`. Runs on the sender's thread inside Send; must not block
  // and must not call back into the network.
  using Filter = std::function<bool(const Message& msg)>;

  // Deliveries (and delays) run on `executor`.
  explicit MemoryNetwork(boost::asio::any_io_executor executor, uint64_t seed = 1);
  ~MemoryNetwork();
  MemoryNetwork(const MemoryNetwork&) = delete;
  MemoryNetwork& operator=(const MemoryNetwork&) = delete;

  // A transport for server `id` reachable at `address` (any unique string). Replaces an
  // earlier transport of the same address once that one is destroyed (a restarted server).
  std::unique_ptr<Transport> CreateTransport(ServerId id, std::string address);

  // Server `id` can neither send nor receive until Heal() or Reconnect(id).
  void Isolate(ServerId id);
  void Reconnect(ServerId id);
  // Messages from `from` to `to` are dropped (one direction only) until Heal/Unblock.
  void Block(ServerId from, ServerId to);
  void Unblock(ServerId from, ServerId to);
  // Removes every isolation, block, loss, delay and filter.
  void Heal();
  // Drops each message with probability `p` in [0, 1].
  void SetLoss(double p);
  // Delays each message by a uniformly random time in [min, max] (reorders them).
  void SetDelay(std::chrono::milliseconds min, std::chrono::milliseconds max);
  void SetFilter(Filter filter);

  // Messages delivered to a receiver, and dropped (by a fault or an unknown destination).
  uint64_t delivered() const;
  uint64_t dropped() const;

  struct Counters;  // Private.
  struct Endpoint;  // Private; one per transport.

 private:
  friend class MemoryTransport;
  // Routes `msg` from `sender`; `to_address` is the sender's idea of the destination.
  void Route(const std::shared_ptr<Endpoint>& sender, Message msg, const std::string& to_address);
  void Unregister(const Endpoint* endpoint);

  boost::asio::any_io_executor executor_;
  mutable std::mutex mu_;
  std::map<std::string, std::weak_ptr<Endpoint>> endpoints_;  // by address
  std::set<ServerId> isolated_;
  std::set<std::pair<ServerId, ServerId>> blocked_;
  double loss_ = 0;
  std::chrono::milliseconds delay_min_{0}, delay_max_{0};
  Filter filter_;
  std::mt19937_64 rng_;
  std::shared_ptr<Counters> counters_;
};

}  // namespace cairn::raft

#endif  // CAIRN_RAFT_MEMORY_TRANSPORT_H_
