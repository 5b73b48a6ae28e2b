#include <absl/strings/str_cat.h>

#include <cairn/raft/message.h>

namespace cairn::raft {
namespace {

absl::Status Bad(const Message& msg, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("raft message ", MessageTypeName(msg.type), " ",
                                                 msg.from, "->", msg.to, ": ", what));
}

bool KnownType(MessageType t) { return static_cast<uint8_t>(t) <= 10; }

}  // namespace

const char* MessageTypeName(MessageType type) {
  switch (type) {
    case MessageType::kVote:
      return "Vote";
    case MessageType::kVoteResponse:
      return "VoteResponse";
    case MessageType::kPreVote:
      return "PreVote";
    case MessageType::kPreVoteResponse:
      return "PreVoteResponse";
    case MessageType::kAppend:
      return "Append";
    case MessageType::kAppendResponse:
      return "AppendResponse";
    case MessageType::kHeartbeat:
      return "Heartbeat";
    case MessageType::kHeartbeatResponse:
      return "HeartbeatResponse";
    case MessageType::kInstallSnapshot:
      return "InstallSnapshot";
    case MessageType::kInstallSnapshotResponse:
      return "InstallSnapshotResponse";
    case MessageType::kTimeoutNow:
      return "TimeoutNow";
  }
  return "Unknown";
}

bool IsFromLeader(MessageType t) {
  return t == MessageType::kAppend || t == MessageType::kHeartbeat ||
         t == MessageType::kInstallSnapshot || t == MessageType::kTimeoutNow;
}

bool IsResponse(MessageType t) {
  return t == MessageType::kVoteResponse || t == MessageType::kPreVoteResponse ||
         t == MessageType::kAppendResponse || t == MessageType::kHeartbeatResponse ||
         t == MessageType::kInstallSnapshotResponse;
}

absl::Status ValidateMessage(const Message& msg) {
  if (!KnownType(msg.type)) return Bad(msg, "unknown type");
  if (msg.from == kNoServer || msg.to == kNoServer) return Bad(msg, "missing from/to");
  if (msg.from == msg.to) return Bad(msg, "sent to itself");
  if (msg.term == 0) return Bad(msg, "term 0");
  if (msg.type != MessageType::kAppend && !msg.entries.empty()) {
    return Bad(msg, "entries outside kAppend");
  }
  if (msg.type != MessageType::kInstallSnapshot && !msg.data.empty()) {
    return Bad(msg, "data outside kInstallSnapshot");
  }
  switch (msg.type) {
    case MessageType::kVote:
    case MessageType::kPreVote:
      if (msg.log_term > msg.term) return Bad(msg, "last log term beyond term");
      if ((msg.log_index == 0) != (msg.log_term == 0)) {
        return Bad(msg, "last log index/term mismatch");
      }
      break;
    case MessageType::kAppend: {
      if (msg.log_term > msg.term) return Bad(msg, "previous term beyond term");
      if (msg.log_index == 0 && msg.log_term != 0) return Bad(msg, "term for index 0");
      Index want = msg.log_index + 1;
      Term prev = msg.log_term;
      for (const Entry& e : msg.entries) {
        if (e.index != want) return Bad(msg, "entries not contiguous");
        if (e.term < prev || e.term > msg.term || e.term == 0) {
          return Bad(msg, "entry terms out of order");
        }
        if (e.type != EntryType::kNormal && e.type != EntryType::kConfiguration &&
            e.type != EntryType::kNoop) {
          return Bad(msg, "unknown entry type");
        }
        if (e.type == EntryType::kConfiguration) {
          if (absl::Status st = DecodeConfiguration(e.data).status(); !st.ok()) {
            return Bad(msg, st.message());
          }
        }
        prev = e.term;
        ++want;
      }
      if (want < msg.log_index) return Bad(msg, "index overflow");
      break;
    }
    case MessageType::kAppendResponse:
      if (msg.reject && msg.hint_index > msg.index) return Bad(msg, "hint beyond index");
      break;
    case MessageType::kInstallSnapshot: {
      const SnapshotMeta& s = msg.snapshot;
      if (s.index == 0 || s.term == 0 || s.term > msg.term) return Bad(msg, "bad snapshot id");
      if (absl::Status st = ValidateConfiguration(s.configuration); !st.ok()) {
        return Bad(msg, st.message());
      }
      if (s.configuration.servers.empty()) return Bad(msg, "snapshot without configuration");
      if (msg.offset + msg.data.size() < msg.offset) return Bad(msg, "offset overflow");
      break;
    }
    default:
      break;
  }
  return absl::OkStatus();
}

std::string DebugString(const Message& m) {
  std::string out = absl::StrCat(MessageTypeName(m.type), " ", m.from, "->", m.to, " t", m.term);
  switch (m.type) {
    case MessageType::kVote:
    case MessageType::kPreVote:
      absl::StrAppend(&out, " last=", m.log_term, ".", m.log_index, m.transfer ? " transfer" : "");
      break;
    case MessageType::kAppend:
      absl::StrAppend(&out, " prev=", m.log_term, ".", m.log_index, " c", m.commit, " [");
      for (const Entry& e : m.entries) absl::StrAppend(&out, " ", DebugString(e));
      out += " ]";
      break;
    case MessageType::kAppendResponse:
      absl::StrAppend(&out, m.reject ? " reject" : "", " i", m.index);
      if (m.reject) absl::StrAppend(&out, " hint=", m.hint_term, ".", m.hint_index);
      break;
    case MessageType::kHeartbeat:
      absl::StrAppend(&out, " c", m.commit, " ctx", m.context);
      break;
    case MessageType::kHeartbeatResponse:
      absl::StrAppend(&out, " ctx", m.context);
      break;
    case MessageType::kInstallSnapshot:
      absl::StrAppend(&out, " snap=", m.snapshot.term, ".", m.snapshot.index, " off", m.offset,
                      " n", m.data.size(), m.done ? " done" : "");
      break;
    case MessageType::kInstallSnapshotResponse:
      absl::StrAppend(&out, m.reject ? " reject" : "", " i", m.index, " off", m.offset);
      break;
    default:
      absl::StrAppend(&out, m.reject ? " reject" : "");
  }
  return out;
}

}  // namespace cairn::raft
