#include "grpc_peer.h"

#include <algorithm>
#include <utility>
#include <vector>

#include <cairn/base/status.h>

#include "proto/raft.grpc.pb.h"

namespace cairn::raft::internal {
namespace {

using Clock = std::chrono::steady_clock;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

}  // namespace

bool LogLimiter::Allow(uint64_t* suppressed) {
  int64_t now = NowNs();
  int64_t next = next_ns_.load(std::memory_order_relaxed);
  if (now < next || !next_ns_.compare_exchange_strong(next, now + 1'000'000'000)) {
    skipped_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  *suppressed = skipped_.exchange(0, std::memory_order_relaxed);
  return true;
}

uint64_t ApproximateSize(const Message& msg) {
  uint64_t n = 64 + msg.data.size();
  for (const Entry& e : msg.entries) n += e.data.size() + 24;
  return n;
}

PeerSender::PeerSender(ServerId id, std::string address, TransportShared* shared)
    : id_(id), address_(std::move(address)), shared_(shared), thread_([this] { Run(); }) {}

PeerSender::~PeerSender() {
  RequestStop();
  thread_.join();
}

void PeerSender::RequestStop() {
  std::lock_guard lock(mu_);
  stop_ = true;
  if (call_ != nullptr) call_->TryCancel();
  cv_.notify_all();
}

bool PeerSender::Enqueue(Message msg) {
  uint64_t size = ApproximateSize(msg);
  std::lock_guard lock(mu_);
  const GrpcTransportOptions& o = shared_->options;
  // One message is always accepted into an empty queue, however large: the size check
  // against max_message_bytes happens on the encoded form.
  if (!queue_.empty() &&
      (queue_.size() >= o.max_queue_messages || queued_bytes_ + size > o.max_queue_bytes)) {
    shared_->counters.dropped_queue_full.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  queued_bytes_ += size;
  queue_.push_back(std::move(msg));
  cv_.notify_one();
  return true;
}

uint64_t PeerSender::DropQueue() {
  std::lock_guard lock(mu_);
  uint64_t n = queue_.size();
  queue_.clear();
  queued_bytes_ = 0;
  shared_->counters.dropped_unreachable.fetch_add(n, std::memory_order_relaxed);
  return n;
}

// gRPC channels stay in TRANSIENT_FAILURE while they retry ("sticky" failure), so a
// failure is only believed at once when it was just observed happening; otherwise the
// channel gets the whole connect_timeout (after its own backoff is reset) to connect.
bool PeerSender::WaitConnected(grpc::Channel* channel) {
  grpc_connectivity_state state = channel->GetState(/*try_to_connect=*/true);
  if (state == GRPC_CHANNEL_READY) return true;
  if (state == GRPC_CHANNEL_TRANSIENT_FAILURE)
    grpc::experimental::ChannelResetConnectionBackoff(channel);
  const Clock::time_point deadline = Clock::now() + shared_->options.connect_timeout;
  bool changed = false;
  while (true) {
    state = channel->GetState(/*try_to_connect=*/true);
    if (state == GRPC_CHANNEL_READY) return true;
    if (state == GRPC_CHANNEL_SHUTDOWN) return false;
    if (state == GRPC_CHANNEL_TRANSIENT_FAILURE && changed) return false;
    {
      std::lock_guard lock(mu_);
      if (stop_) return false;
    }
    Clock::time_point now = Clock::now();
    if (now >= deadline) return false;
    auto slice = std::min<Clock::duration>(deadline - now, std::chrono::milliseconds(50));
    if (channel->WaitForStateChange(state, std::chrono::system_clock::now() + slice)) {
      changed = true;
    }
  }
}

void PeerSender::SleepBackoff(std::chrono::milliseconds delay) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, delay, [&] { return stop_; });
}

void PeerSender::Run() {
  const GrpcTransportOptions& o = shared_->options;
  auto& counters = shared_->counters;
  std::chrono::milliseconds backoff = o.backoff_initial;
  bool down = false;  // for logging state changes once

  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<wire::Raft::Stub> stub;
  std::unique_ptr<grpc::ClientContext> call;
  std::unique_ptr<grpc::ClientWriter<wire::Batch>> writer;
  wire::StreamSummary summary;

  auto close_stream = [&] {
    if (!writer) return grpc::Status::OK;
    {
      std::lock_guard lock(mu_);
      call_ = nullptr;
    }
    grpc::Status st = writer->Finish();
    writer.reset();
    call.reset();
    return st;
  };
  auto fail = [&](const std::string& why, uint64_t lost) {
    counters.dropped_unreachable.fetch_add(lost, std::memory_order_relaxed);
    lost += DropQueue();
    shared_->ReportUnreachable(id_);
    uint64_t suppressed = 0;
    if (!down && shared_->send_log.Allow(&suppressed)) {
      shared_->log.Warn("raft transport: server {} at {} unreachable: {} ({} messages dropped)",
                        id_, address_, why, lost);
    }
    down = true;
    SleepBackoff(backoff);
    backoff = std::min(backoff * 2, o.backoff_max);
  };

  while (true) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (stop_) break;
    }
    if (!writer) {
      if (!channel) {
        grpc::ChannelArguments args;
        args.SetMaxSendMessageSize(-1);
        args.SetMaxReceiveMessageSize(-1);
        args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
        // Not GRPC_ARG_MIN_RECONNECT_BACKOFF_MS: gRPC also uses it as the deadline of each
        // connection attempt (TLS handshake included), which must not be short on a
        // loaded machine. connect_timeout bounds how long we wait; gRPC keeps trying.
        args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
                    static_cast<int>(o.backoff_initial.count()));
        args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, static_cast<int>(o.backoff_max.count()));
        args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10'000);
        args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5'000);
        if (!shared_->ssl_target_name.empty()) {
          args.SetSslTargetNameOverride(shared_->ssl_target_name);
        }
        channel = grpc::CreateCustomChannel(address_, shared_->channel_credentials, args);
        stub = wire::Raft::NewStub(channel);
      }
      if (!WaitConnected(channel.get())) {
        {
          std::lock_guard lock(mu_);
          if (stop_) break;
        }
        counters.connect_failures.fetch_add(1, std::memory_order_relaxed);
        fail("cannot connect", 0);
        continue;
      }
      call = std::make_unique<grpc::ClientContext>();
      {
        std::lock_guard lock(mu_);
        if (stop_) break;
        call_ = call.get();
      }
      writer = stub->Stream(call.get(), &summary);
      counters.connects.fetch_add(1, std::memory_order_relaxed);
    }

    // One batch: everything queued, up to max_batch_bytes (at least one message).
    std::vector<Message> taken;
    {
      std::lock_guard lock(mu_);
      uint64_t bytes = 0;
      while (!queue_.empty()) {
        uint64_t size = ApproximateSize(queue_.front());
        if (!taken.empty() && bytes + size > o.max_batch_bytes) break;
        bytes += size;
        queued_bytes_ -= size;
        taken.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    wire::Batch batch;
    batch.mutable_messages()->Reserve(static_cast<int>(taken.size()));
    for (const Message& m : taken) {
      std::string bytes = EncodeWireMessage(m);
      if (bytes.size() > shared_->limits.max_message_bytes) {
        counters.dropped_oversized.fetch_add(1, std::memory_order_relaxed);
        uint64_t suppressed = 0;
        if (shared_->send_log.Allow(&suppressed)) {
          shared_->log.Warn("raft transport: not sending {} ({} bytes, limit {})", DebugString(m),
                            bytes.size(), shared_->limits.max_message_bytes);
        }
        continue;
      }
      batch.add_messages(std::move(bytes));
    }
    if (batch.messages_size() == 0) continue;
    if (writer->Write(batch)) {
      counters.messages_sent.fetch_add(batch.messages_size(), std::memory_order_relaxed);
      counters.batches_sent.fetch_add(1, std::memory_order_relaxed);
      backoff = o.backoff_initial;
      if (down) {
        shared_->log.Info("raft transport: server {} at {} reachable again", id_, address_);
        down = false;
      }
      continue;
    }
    grpc::Status st = close_stream();
    {
      std::lock_guard lock(mu_);
      if (stop_) break;
    }
    fail(fmt::format("stream broken: {}", st.error_message()), batch.messages_size());
  }
  // Stopping: RequestStop cancelled the call if one was open.
  close_stream();
}

}  // namespace cairn::raft::internal
