#include "grpc_codec.h"

#include <utility>

#include <fmt/format.h>

#include <cairn/base/status.h>

#include "proto/raft.pb.h"

namespace cairn::raft::internal {
namespace {

namespace wire = ::cairn::raft::wire;

absl::Status Bad(std::string_view what) {
  return absl::InvalidArgumentError(fmt::format("raft wire message: {}", what));
}

}  // namespace

std::string EncodeWireMessage(const Message& msg) {
  wire::RaftMessage out;
  out.set_type(static_cast<wire::MessageType>(msg.type));
  out.set_from(msg.from);
  out.set_to(msg.to);
  out.set_term(msg.term);
  out.set_log_index(msg.log_index);
  out.set_log_term(msg.log_term);
  out.set_commit(msg.commit);
  out.mutable_entries()->Reserve(static_cast<int>(msg.entries.size()));
  for (const Entry& e : msg.entries) {
    wire::Entry* w = out.add_entries();
    w->set_index(e.index);
    w->set_term(e.term);
    w->set_type(static_cast<wire::EntryType>(e.type));
    w->set_data(e.data);
  }
  out.set_reject(msg.reject);
  out.set_index(msg.index);
  out.set_hint_index(msg.hint_index);
  out.set_hint_term(msg.hint_term);
  out.set_transfer(msg.transfer);
  out.set_context(msg.context);
  if (msg.type == MessageType::kInstallSnapshot) {
    wire::SnapshotMeta* s = out.mutable_snapshot();
    s->set_index(msg.snapshot.index);
    s->set_term(msg.snapshot.term);
    s->set_configuration(EncodeConfiguration(msg.snapshot.configuration));
  }
  out.set_offset(msg.offset);
  out.set_data(msg.data);
  out.set_done(msg.done);
  return out.SerializeAsString();
}

absl::StatusOr<Message> DecodeWireMessage(std::string_view bytes, const WireLimits& limits) {
  if (bytes.size() > limits.max_message_bytes) {
    return Bad(
        fmt::format("{} bytes, more than the limit of {}", bytes.size(), limits.max_message_bytes));
  }
  wire::RaftMessage in;
  // ParseFromArray refuses truncated input, bad wire types and invalid field numbers;
  // it does not refuse unknown enum values (proto3 keeps them), checked below.
  if (bytes.size() > static_cast<size_t>(INT32_MAX) ||
      !in.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Bad("not a RaftMessage");
  }
  if (in.type() < wire::VOTE || in.type() > wire::TIMEOUT_NOW) {
    return Bad(fmt::format("unknown message type {}", static_cast<int>(in.type())));
  }
  if (static_cast<uint64_t>(in.entries_size()) > limits.max_entries) {
    return Bad(fmt::format("{} entries, more than the limit of {}", in.entries_size(),
                           limits.max_entries));
  }
  Message msg;
  msg.type = static_cast<MessageType>(in.type());
  msg.from = in.from();
  msg.to = in.to();
  msg.term = in.term();
  msg.log_index = in.log_index();
  msg.log_term = in.log_term();
  msg.commit = in.commit();
  msg.entries.reserve(in.entries_size());
  for (wire::Entry& w : *in.mutable_entries()) {
    if (w.type() < wire::NORMAL || w.type() > wire::NOOP) {
      return Bad(fmt::format("unknown entry type {}", static_cast<int>(w.type())));
    }
    Entry& e = msg.entries.emplace_back();
    e.index = w.index();
    e.term = w.term();
    e.type = static_cast<EntryType>(w.type());
    e.data = std::move(*w.mutable_data());
  }
  msg.reject = in.reject();
  msg.index = in.index();
  msg.hint_index = in.hint_index();
  msg.hint_term = in.hint_term();
  msg.transfer = in.transfer();
  msg.context = in.context();
  if (in.has_snapshot()) {
    if (msg.type != MessageType::kInstallSnapshot) return Bad("snapshot outside InstallSnapshot");
    msg.snapshot.index = in.snapshot().index();
    msg.snapshot.term = in.snapshot().term();
    absl::StatusOr<Configuration> config = DecodeConfiguration(in.snapshot().configuration());
    if (!config.ok()) {
      return Bad(fmt::format("snapshot configuration: {}", config.status().message()));
    }
    msg.snapshot.configuration = *std::move(config);
  }
  msg.offset = in.offset();
  msg.data = std::move(*in.mutable_data());
  msg.done = in.done();
  if (absl::Status st = ValidateMessage(msg); !st.ok()) return st;
  return msg;
}

}  // namespace cairn::raft::internal
