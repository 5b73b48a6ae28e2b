// GrpcTransport: a gRPC server whose one streaming method decodes and delivers inbound
// messages, plus one PeerSender (grpc_peer.cc) per peer for outbound ones. The wire
// format is documented in libraft/proto/raft.proto.
#include <utility>

#include <grpcpp/grpcpp.h>

#include <cairn/base/status.h>
#include <cairn/raft/grpc_transport.h>

#include "grpc_codec.h"
#include "grpc_credentials.h"
#include "grpc_peer.h"
#include "proto/raft.grpc.pb.h"

namespace cairn::raft {

using internal::PeerSender;
using internal::TransportShared;

class GrpcTransport::Impl final : public wire::Raft::Service {
 public:
  explicit Impl(GrpcTransportOptions options, base::Logger log)
      : shared_(std::move(options), std::move(log)) {}

  absl::Status Init();
  absl::Status Start(Receiver receiver, UnreachableHandler unreachable);
  void Stop();
  void SetPeers(std::map<ServerId, std::string> peers);
  void Send(std::vector<Message> messages);
  std::string LocalAddress() const { return local_address_; }
  GrpcTransportStats Stats() const;

  grpc::Status Stream(grpc::ServerContext* context, grpc::ServerReader<wire::Batch>* reader,
                      wire::StreamSummary* summary) override;

 private:
  void Deliver(const std::string& bytes, const std::string& peer);

  TransportShared shared_;
  std::unique_ptr<grpc::Server> server_;
  std::string local_address_;

  std::mutex mu_;
  bool start_called_ = false;
  bool stopped_ = false;
  std::map<ServerId, std::unique_ptr<PeerSender>> peers_;
  // Senders of servers no longer in the peer table: asked to stop, joined by Stop (so
  // SetPeers, called on the Node's strand, never waits for a thread).
  std::vector<std::unique_ptr<PeerSender>> retired_;
};

absl::Status GrpcTransport::Impl::Init() {
  const GrpcTransportOptions& o = shared_.options;
  if (o.id == kNoServer) return absl::InvalidArgumentError("raft transport: id must be set");
  if (o.listen_address.empty()) {
    return absl::InvalidArgumentError("raft transport: listen_address must be set");
  }
  if (o.max_message_bytes == 0 || o.max_message_bytes > (1u << 30)) {
    return absl::InvalidArgumentError("raft transport: max_message_bytes must be in 1..1 GiB");
  }
  if (o.max_queue_messages == 0 || o.max_batch_bytes == 0 || o.connect_timeout.count() <= 0 ||
      o.backoff_initial.count() <= 0 || o.backoff_max < o.backoff_initial) {
    return absl::InvalidArgumentError(
        "raft transport: queue, batch and backoff settings must be positive");
  }
  shared_.limits.max_message_bytes = o.max_message_bytes;
  CAIRN_ASSIGN_OR_RETURN(internal::GrpcCredentials creds, internal::MakeGrpcCredentials(o.tls));
  shared_.channel_credentials = creds.channel;
  shared_.ssl_target_name = creds.target_name;

  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(o.listen_address, creds.server, &port);
  builder.RegisterService(this);
  // A whole batch is one gRPC message: up to max_batch_bytes of messages, or one message
  // of up to max_message_bytes. Anything larger is a broken or hostile peer; gRPC fails
  // its stream.
  uint64_t limit = std::max<uint64_t>(o.max_message_bytes, o.max_batch_bytes) + (1 << 20);
  builder.SetMaxReceiveMessageSize(static_cast<int>(std::min<uint64_t>(limit, INT32_MAX)));
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5'000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  server_ = builder.BuildAndStart();
  if (!server_ || port == 0) {
    server_.reset();
    return absl::UnavailableError(
        fmt::format("raft transport: cannot listen on {}", o.listen_address));
  }
  if (!o.advertise_address.empty()) {
    local_address_ = o.advertise_address;
  } else {
    std::string host = o.listen_address.substr(0, o.listen_address.rfind(':'));
    local_address_ = fmt::format("{}:{}", host, port);
  }
  return absl::OkStatus();
}

absl::Status GrpcTransport::Impl::Start(Receiver receiver, UnreachableHandler unreachable) {
  std::lock_guard lock(mu_);
  if (stopped_) return absl::FailedPreconditionError("raft transport: stopped");
  if (start_called_) return absl::FailedPreconditionError("raft transport: already started");
  if (!receiver) return absl::InvalidArgumentError("raft transport: no receiver");
  start_called_ = true;
  shared_.receiver = std::move(receiver);
  shared_.unreachable = std::move(unreachable);
  shared_.started.store(true, std::memory_order_release);
  return absl::OkStatus();
}

void GrpcTransport::Impl::Stop() {
  std::map<ServerId, std::unique_ptr<PeerSender>> peers;
  std::vector<std::unique_ptr<PeerSender>> retired;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    peers.swap(peers_);
    retired.swap(retired_);
  }
  // Cancels every inbound stream at once and returns when their handlers (which call the
  // receiver) have returned.
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now());
    server_->Wait();
  }
  for (auto& [id, peer] : peers) peer->RequestStop();
  for (auto& peer : retired) peer->RequestStop();
  peers.clear();  // joins
  retired.clear();
}

void GrpcTransport::Impl::SetPeers(std::map<ServerId, std::string> peers) {
  std::lock_guard lock(mu_);
  if (stopped_) return;
  for (auto it = peers_.begin(); it != peers_.end();) {
    auto want = peers.find(it->first);
    if (want == peers.end() || want->second != it->second->address()) {
      it->second->RequestStop();
      retired_.push_back(std::move(it->second));
      it = peers_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [id, address] : peers) {
    if (id == shared_.options.id || peers_.count(id) != 0) continue;
    peers_.emplace(id, std::make_unique<PeerSender>(id, std::move(address), &shared_));
  }
}

void GrpcTransport::Impl::Send(std::vector<Message> messages) {
  std::vector<ServerId> unknown;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    for (Message& m : messages) {
      auto it = peers_.find(m.to);
      if (it == peers_.end()) {
        shared_.counters.dropped_unknown_peer.fetch_add(1, std::memory_order_relaxed);
        unknown.push_back(m.to);
        continue;
      }
      it->second->Enqueue(std::move(m));
    }
  }
  for (ServerId id : unknown) shared_.ReportUnreachable(id);
}

void GrpcTransport::Impl::Deliver(const std::string& bytes, const std::string& peer) {
  absl::StatusOr<Message> msg = internal::DecodeWireMessage(bytes, shared_.limits);
  uint64_t suppressed = 0;
  if (!msg.ok()) {
    shared_.counters.dropped_invalid.fetch_add(1, std::memory_order_relaxed);
    if (shared_.receive_log.Allow(&suppressed)) {
      shared_.log.Warn("raft transport: dropped a message from {}: {} ({} similar not logged)",
                       peer, msg.status().message(), suppressed);
    }
    return;
  }
  if (msg->to != shared_.options.id) {
    shared_.counters.dropped_misaddressed.fetch_add(1, std::memory_order_relaxed);
    if (shared_.receive_log.Allow(&suppressed)) {
      shared_.log.Warn(
          "raft transport: dropped {} from {}: this is server {} ({} similar not logged)",
          DebugString(*msg), peer, shared_.options.id, suppressed);
    }
    return;
  }
  shared_.counters.messages_received.fetch_add(1, std::memory_order_relaxed);
  shared_.receiver(*std::move(msg));
}

grpc::Status GrpcTransport::Impl::Stream(grpc::ServerContext* context,
                                         grpc::ServerReader<wire::Batch>* reader,
                                         wire::StreamSummary* summary) {
  if (!shared_.started.load(std::memory_order_acquire)) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "raft transport not started");
  }
  shared_.counters.streams_accepted.fetch_add(1, std::memory_order_relaxed);
  const std::string peer = context->peer();
  wire::Batch batch;
  while (reader->Read(&batch)) {
    for (const std::string& bytes : batch.messages()) Deliver(bytes, peer);
  }
  return grpc::Status::OK;
}

GrpcTransportStats GrpcTransport::Impl::Stats() const {
  const auto& c = shared_.counters;
  GrpcTransportStats s;
  s.messages_sent = c.messages_sent.load();
  s.batches_sent = c.batches_sent.load();
  s.messages_received = c.messages_received.load();
  s.dropped_invalid = c.dropped_invalid.load();
  s.dropped_misaddressed = c.dropped_misaddressed.load();
  s.dropped_oversized = c.dropped_oversized.load();
  s.dropped_queue_full = c.dropped_queue_full.load();
  s.dropped_unreachable = c.dropped_unreachable.load();
  s.dropped_unknown_peer = c.dropped_unknown_peer.load();
  s.connects = c.connects.load();
  s.connect_failures = c.connect_failures.load();
  s.streams_accepted = c.streams_accepted.load();
  return s;
}

absl::StatusOr<std::unique_ptr<GrpcTransport>> GrpcTransport::Create(GrpcTransportOptions options) {
  base::Logger log =
      options.logger ? *options.logger : base::LogSystem::Default().Get("raft.transport");
  auto impl = std::make_unique<Impl>(std::move(options), std::move(log));
  CAIRN_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<GrpcTransport>(new GrpcTransport(std::move(impl)));
}

GrpcTransport::GrpcTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GrpcTransport::~GrpcTransport() { impl_->Stop(); }

absl::Status GrpcTransport::Start(Receiver receiver, UnreachableHandler unreachable) {
  return impl_->Start(std::move(receiver), std::move(unreachable));
}
void GrpcTransport::Stop() { impl_->Stop(); }
void GrpcTransport::SetPeers(std::map<ServerId, std::string> peers) {
  impl_->SetPeers(std::move(peers));
}
void GrpcTransport::Send(std::vector<Message> messages) { impl_->Send(std::move(messages)); }
std::string GrpcTransport::LocalAddress() const { return impl_->LocalAddress(); }
GrpcTransportStats GrpcTransport::Stats() const { return impl_->Stats(); }

}  // namespace cairn::raft
