// The UDP side of memberlist's net.go: ingest (label, decrypt, CRC, compound, compress)
// and send (piggyback, compress, CRC, encrypt, label).
#include <cairn/base/status.h>

#include "memberlist_impl.h"

namespace cairn::gossip {

size_t Memberlist::Impl::EncryptOverhead() const {
  return gossip::EncryptionOverhead(kEncryptionVersion);
}

void Memberlist::Impl::DropPacket(std::string_view from, const absl::Status& why) {
  ++stats_.packets_dropped;
  if (opts_.metrics != nullptr) opts_.metrics->GetCounter("memberlist.udp.dropped").Increment();
  log_.Debug("dropped packet from={}: {}", from, why.message());
}

void Memberlist::Impl::IngestPacket(std::string_view from, std::string_view packet) {
  if (shutdown_) return;
  const absl::Time at = Now();
  ++stats_.packets_received;
  stats_.bytes_received += packet.size();
  if (packet.empty()) {
    DropPacket(from, absl::InvalidArgumentError("empty packet"));
    return;
  }
  absl::StatusOr<Labeled> labeled = RemoveLabelHeader(packet);
  if (!labeled.ok()) {
    DropPacket(from, labeled.status());
    return;
  }
  if (!opts_.skip_inbound_label_check && labeled->label != opts_.label) {
    DropPacket(from, absl::PermissionDeniedError(
                         fmt::format("unexpected label \"{}\"", std::string(labeled->label))));
    return;
  }
  std::string plain_storage;
  std::string_view plain = labeled->rest;
  if (opts_.keyring.has_value()) {
    absl::StatusOr<std::string> opened = DecryptPacket(*opts_.keyring, plain, labeled->label);
    if (opened.ok()) {
      plain_storage = std::move(*opened);
      plain = plain_storage;
    } else if (opts_.gossip_verify_incoming) {
      log_.Error("Decrypt packet failed: {} from={}", opened.status().message(), from);
      DropPacket(from, opened.status());
      return;
    }
  }
  absl::StatusOr<DecodedPacket> decoded = DecodePacket(plain);
  if (!decoded.ok()) {
    DropPacket(from, decoded.status());
    return;
  }
  for (const absl::Status& e : decoded->part_errors) DropPacket(from, e);
  if (decoded->truncated_parts > 0) {
    DropPacket(from, absl::InvalidArgumentError("truncated compound parts"));
  }
  if (opts_.metrics != nullptr) {
    opts_.metrics->GetCounter("memberlist.udp.received")
        .Increment(static_cast<double>(packet.size()));
  }
  for (const PacketMessage& m : decoded->messages) {
    if (shutdown_) return;
    HandleMessage(m.type, m.body, from, at);
  }
}

namespace {
template <typename T>
absl::StatusOr<T> Decode(std::string_view body) {
  return DecodeBody<T>(body);
}
}  // namespace

void Memberlist::Impl::HandleMessage(uint8_t type, std::string_view body, std::string_view from,
                                     absl::Time at) {
  switch (static_cast<MessageType>(type)) {
    case MessageType::kPing:
      HandlePing(body, from);
      return;
    case MessageType::kIndirectPing:
      HandleIndirectPing(body, from);
      return;
    case MessageType::kAck: {
      auto ack = Decode<Ack>(body);
      if (!ack.ok()) return DropPacket(from, ack.status());
      InvokeAck(*ack, at);
      return;
    }
    case MessageType::kNack: {
      auto nack = Decode<Nack>(body);
      if (!nack.ok()) return DropPacket(from, nack.status());
      InvokeNack(*nack);
      return;
    }
    case MessageType::kSuspect: {
      auto s = Decode<Suspect>(body);
      if (!s.ok()) return DropPacket(from, s.status());
      SuspectNode(*s);
      return;
    }
    case MessageType::kAlive: {
      auto a = Decode<Alive>(body);
      if (!a.ok()) return DropPacket(from, a.status());
      if (a->port == 0) a->port = adv_port_;
      AliveNode(*a, /*bootstrap=*/false);
      return;
    }
    case MessageType::kDead: {
      auto d = Decode<Dead>(body);
      if (!d.ok()) return DropPacket(from, d.status());
      DeadNode(*d);
      return;
    }
    case MessageType::kUser:
      if (d_.delegate != nullptr) d_.delegate->NotifyMsg(body);
      return;
    default:
      log_.Error("msg type ({}) not supported from={}", type, from);
      DropPacket(from, absl::InvalidArgumentError("unsupported message type"));
      return;
  }
}

absl::Status Memberlist::Impl::SendMsg(std::string_view to, std::string msg) {
  size_t overhead = msg.size() + 2 + (Encrypting() ? EncryptOverhead() : 0);
  std::vector<std::string> extra;
  if (overhead < opts_.udp_buffer_size) {
    extra = GetBroadcasts(kCompoundPartOverhead, opts_.udp_buffer_size - overhead);
  }
  if (extra.empty()) return RawSendPacket(to, nullptr, std::move(msg));
  std::vector<std::string> msgs;
  msgs.reserve(extra.size() + 1);
  msgs.push_back(std::move(msg));
  for (std::string& e : extra) msgs.push_back(std::move(e));
  absl::Status first = absl::OkStatus();
  for (std::string& packet : PackMessages(msgs, opts_.udp_buffer_size)) {
    absl::Status s = RawSendPacket(to, nullptr, std::move(packet));
    if (first.ok()) first = s;
  }
  return first;
}

absl::Status Memberlist::Impl::RawSendPacket(std::string_view to, const Node* node,
                                             std::string msg) {
  if (shutdown_) return absl::FailedPreconditionError("memberlist is shut down");
  if (opts_.enable_compression) msg = MaybeCompress(msg);
  if (node != nullptr && node->pmax >= 5) msg = AddCrc(msg);
  if (Encrypting()) {
    CAIRN_ASSIGN_OR_RETURN(msg, EncryptPacket(*opts_.keyring, msg, opts_.label));
  }
  if (!opts_.label.empty()) msg = AddLabelHeader(msg, opts_.label);
  ++stats_.packets_sent;
  stats_.bytes_sent += msg.size();
  if (opts_.metrics != nullptr) {
    opts_.metrics->GetCounter("memberlist.udp.sent").Increment(static_cast<double>(msg.size()));
  }
  return transport_.SendPacket(to, std::move(msg));
}

}  // namespace cairn::gossip
