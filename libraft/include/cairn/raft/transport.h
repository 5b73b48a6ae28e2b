// cairn/raft/transport.h — how a Node reaches its peers.
//
// A Transport carries raft::Message values between servers. The Node hands it every
// message of an Output after persisting, addressed by ServerId; the transport maps ids to
// addresses with the table the Node keeps current through SetPeers (the addresses come
// from the configuration in the log, so a newly added server is reachable at once).
// Delivery is best effort: messages may be lost, duplicated or reordered and the core
// copes; but a transport should keep per-destination order when it can (pipelined appends
// are otherwise re-sent) and must never block the caller.
//
// Implementations: GrpcTransport (grpc_transport.h, the production one, TLS-capable) and
// MemoryNetwork (memory_transport.h, in-process, for tests and examples).
//
// Thread-safety: every method may be called from any thread. The receiver is called from
// the transport's own threads, possibly concurrently; Node posts what it receives onto its
// strand.
#ifndef CAIRN_RAFT_TRANSPORT_H_
#define CAIRN_RAFT_TRANSPORT_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <absl/status/status.h>

#include <cairn/raft/message.h>
#include <cairn/raft/types.h>

namespace cairn::raft {

class Transport {
 public:
  // Called for each message received for this server. The transport has already decoded
  // it (a malformed wire message is dropped and counted by the transport); the Node still
  // runs ValidateMessage through Core::Step.
  using Receiver = std::function<void(Message)>;
  // Called when `to` could not be reached (connection refused, stream broken), so the core
  // can stop pipelining to it (Core::ReportUnreachable).
  using UnreachableHandler = std::function<void(ServerId to)>;

  virtual ~Transport() = default;

  // Starts delivering inbound messages to `receiver`. Called once by Node::Start, before
  // any Send. `unreachable` may be empty.
  virtual absl::Status Start(Receiver receiver, UnreachableHandler unreachable) = 0;
  // Stops delivering and sending; after it returns no receiver call is running or will
  // run. Idempotent.
  virtual void Stop() = 0;

  // The id -> address table ("host:port", as in Server::address) used by Send. The Node
  // calls it whenever the configuration changes, before sending to a new server.
  virtual void SetPeers(std::map<ServerId, std::string> peers) = 0;

  // Queues `messages` for sending and returns at once. Messages to a server missing from
  // the peer table are dropped (and reported unreachable).
  virtual void Send(std::vector<Message> messages) = 0;

  // The address peers use to reach this server ("host:port"), for the configuration.
  virtual std::string LocalAddress() const = 0;
};

}  // namespace cairn::raft

#endif  // CAIRN_RAFT_TRANSPORT_H_
