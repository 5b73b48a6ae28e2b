// cairn/raft/grpc_transport.h — the production Transport: gRPC over TCP, optionally TLS.
//
// Wire format and protocol: libraft/proto/raft.proto. Each transport runs a gRPC server on
// `listen_address` and, for each peer it has messages for, one long-lived client stream
// that carries every message to that peer in order (appends pipeline on it). Responses
// come back on the peer's own stream to us. A peer that cannot be reached (connection
// refused, TLS handshake failure, stream broken) has its queued messages dropped and is
// reported through the UnreachableHandler; the transport keeps reconnecting with
// exponential backoff (backoff_initial doubling up to backoff_max) for as long as it has
// messages for the peer.
//
// Bad input: every inbound message is decoded on its own and checked (enums, sizes
// against max_message_bytes, configuration encodings, ValidateMessage, addressed to
// `id`); a message that fails is dropped, counted in Stats().dropped_invalid and logged
// (rate-limited). Nothing from the network can crash the transport or block its peers.
//
// Example:
//
//   cairn::raft::GrpcTransportOptions options;
//   options.id = 1;
//   options.listen_address = "127.0.0.2:7001";   // port 0 picks a free port
//   auto transport = cairn::raft::GrpcTransport::Create(options).value();
//   transport->SetPeers({{2, "127.0.0.3:7001"}, {3, "127.0.0.4:7001"}});
//   // hand transport.get() to NodeOptions::transport; Node::Start calls Start().
//
// TLS: set `tls` to Consul-style settings (cairn/base/tls.h). Checked up front by
// MakeServerTlsContext/MakeClientTlsContext (so errors name the setting and file); the
// PEM files are then given to gRPC. The server presents cert_file/key_file and, with
// verify_incoming, requires client certificates signed by the CA. The client presents
// its certificate when set; with verify_outgoing it verifies the server's chain against
// the CA; with verify_server_hostname also that the certificate names `server_name`
// (e.g. "server.dc1.consul"; the dialled host when empty). Without verify_outgoing the
// server's certificate is not checked (Consul's default).
//
// Thread-safety: every method may be called from any thread. The receiver and the
// unreachable handler run on the transport's threads (one per inbound stream, one per
// peer sender), possibly concurrently, and must not block for long.
#ifndef CAIRN_RAFT_GRPC_TRANSPORT_H_
#define CAIRN_RAFT_GRPC_TRANSPORT_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <absl/status/statusor.h>

#include <cairn/base/log.h>
#include <cairn/base/tls.h>
#include <cairn/raft/transport.h>

namespace cairn::raft {

struct GrpcTransportOptions {
  // This server's id. Inbound messages addressed to any other id are dropped. Required.
  ServerId id = kNoServer;
  // "host:port" to listen on; port 0 picks a free port (see LocalAddress()). Required.
  std::string listen_address;
  // What LocalAddress() returns; empty: listen_address's host with the bound port.
  std::string advertise_address;
  // TLS for both directions; nullopt: plaintext.
  std::optional<base::TlsConfig> tls;
  // Largest encoded Raft message sent or accepted (a larger outbound one is dropped and
  // counted; the core never builds one with the default CoreConfig sizes).
  uint64_t max_message_bytes = 64 << 20;
  // Per peer: messages waiting to be written are bounded by both; beyond them new
  // messages are dropped and counted (Raft re-sends).
  size_t max_queue_messages = 8192;
  uint64_t max_queue_bytes = 128 << 20;
  // Messages are written in batches of up to this many bytes (at least one message).
  uint64_t max_batch_bytes = 4 << 20;
  // How long a connection attempt may take before the peer is reported unreachable, and
  // the reconnect backoff after a failure.
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds backoff_initial{50};
  std::chrono::milliseconds backoff_max{1000};
  // Where the transport logs; nullopt: module "raft.transport" of LogSystem::Default().
  std::optional<base::Logger> logger;
};

// Counters since Create; every field only grows.
struct GrpcTransportStats {
  uint64_t messages_sent = 0;  // written to a stream (not necessarily delivered)
  uint64_t batches_sent = 0;
  uint64_t messages_received = 0;     // decoded, valid, handed to the receiver
  uint64_t dropped_invalid = 0;       // inbound, failed decoding or validation
  uint64_t dropped_misaddressed = 0;  // inbound, addressed to another server
  uint64_t dropped_oversized = 0;     // outbound, larger than max_message_bytes
  uint64_t dropped_queue_full = 0;
  uint64_t dropped_unreachable = 0;  // outbound, lost to a failed connection or stream
  uint64_t dropped_unknown_peer = 0;
  uint64_t connects = 0;  // streams opened
  uint64_t connect_failures = 0;
  uint64_t streams_accepted = 0;  // inbound streams
};

class GrpcTransport final : public Transport {
 public:
  // Checks the options and the TLS files and starts listening (so LocalAddress() is
  // known at once); inbound streams are refused until Start. InvalidArgument for bad
  // options, the TLS errors of cairn/base/tls.h, Unavailable when the address cannot be
  // bound.
  static absl::StatusOr<std::unique_ptr<GrpcTransport>> Create(GrpcTransportOptions options);
  // Stops (as Stop()).
  ~GrpcTransport() override;
  GrpcTransport(const GrpcTransport&) = delete;
  GrpcTransport& operator=(const GrpcTransport&) = delete;

  // Transport. Start after Stop is FailedPrecondition, and so is a second Start.
  absl::Status Start(Receiver receiver, UnreachableHandler unreachable) override;
  void Stop() override;
  void SetPeers(std::map<ServerId, std::string> peers) override;
  void Send(std::vector<Message> messages) override;
  std::string LocalAddress() const override;

  GrpcTransportStats Stats() const;

  class Impl;

 private:
  explicit GrpcTransport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cairn::raft

#endif  // CAIRN_RAFT_GRPC_TRANSPORT_H_
