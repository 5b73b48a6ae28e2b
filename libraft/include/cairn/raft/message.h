// cairn/raft/message.h — the messages Raft servers exchange, as plain C++ structs.
//
// The core consumes and produces `Message` values; a transport (gRPC in libraft/proto, an
// in-memory network in simulations) carries them and converts to its own format. One
// struct carries every message type, as etcd's raftpb.Message does; each type uses the
// fields listed beside it and leaves the others at their defaults. ValidateMessage()
// checks that shape; the core calls it on every Step and rejects a malformed message with
// InvalidArgument before it can touch any state.
//
// Example (a transport's receive path):
//
//   cairn::raft::Message msg = FromProto(request);
//   if (absl::Status s = core->Step(msg); !s.ok()) {
//     CAIRN_LOG(debug, "raft: dropped {}: {}", DebugString(msg), s);
//   }
#ifndef CAIRN_RAFT_MESSAGE_H_
#define CAIRN_RAFT_MESSAGE_H_

#include <cstdint>
#include <string>
#include <vector>

#include <absl/status/status.h>

#include <cairn/raft/types.h>

namespace cairn::raft {

enum class MessageType : uint8_t {
  // Candidate -> all voters (Raft §5.2). Uses log_index/log_term (the candidate's last
  // entry) and `transfer` (set when campaigning because of TimeoutNow: voters then ignore
  // their leader lease).
  kVote = 0,
  // Reply to kVote. Uses `reject`.
  kVoteResponse = 1,
  // Like kVote but changes no state on the receiver (dissertation §9.6): `term` is the term
  // the sender would campaign in, its own term is unchanged.
  kPreVote = 2,
  // Reply to kPreVote. Uses `reject`; `term` echoes the request's term when granted.
  kPreVoteResponse = 3,
  // Leader -> follower (Raft §5.3). log_index/log_term identify the entry preceding
  // `entries`; `commit` is the leader's commit index. Entries are contiguous, start at
  // log_index + 1 and have terms between log_term and `term`.
  kAppend = 4,
  // Reply to kAppend. Accepted: `index` is the follower's last index matching the leader.
  // Rejected (`reject`): `index` echoes the request's log_index; hint_index/hint_term give
  // the follower's conflict hint (its last index, or the first index of the conflicting
  // term) so the leader can skip a whole term per round trip.
  kAppendResponse = 5,
  // Leader -> follower: keeps followers from campaigning, advances their commit index
  // (`commit`), and confirms leadership for reads. `context` is the heartbeat round.
  kHeartbeat = 6,
  // Reply to kHeartbeat, echoing `context`.
  kHeartbeatResponse = 7,
  // Leader -> follower that needs entries the leader has compacted: one chunk of a
  // snapshot. Uses `snapshot` (metadata, same in every chunk), `offset` (byte offset of
  // `data` in the snapshot), `data` and `done` (last chunk).
  kInstallSnapshot = 8,
  // Reply to kInstallSnapshot. `offset` is the number of bytes received so far (the next
  // offset wanted); `reject` means the follower dropped its partial snapshot and wants the
  // leader to start over at offset 0. `index` is the snapshot's index.
  kInstallSnapshotResponse = 9,
  // Leader -> transfer target: start an election now, ignoring timers (dissertation §3.10).
  kTimeoutNow = 10,
};

// One Raft message. `from`, `to` and `term` are always set (term 0 never appears).
struct Message {
  MessageType type = MessageType::kAppend;
  ServerId from = kNoServer;
  ServerId to = kNoServer;
  Term term = 0;

  Index log_index = 0;         // kVote/kPreVote: last log index; kAppend: previous entry index.
  Term log_term = 0;           // Term of the entry at log_index.
  Index commit = 0;            // kAppend, kHeartbeat: the leader's commit index.
  std::vector<Entry> entries;  // kAppend only.

  bool reject = false;    // Responses.
  Index index = 0;        // kAppendResponse, kInstallSnapshotResponse.
  Index hint_index = 0;   // kAppendResponse when rejected.
  Term hint_term = 0;     // kAppendResponse when rejected (0: no term hint).
  bool transfer = false;  // kVote/kPreVote: campaign caused by leadership transfer.
  uint64_t context = 0;   // kHeartbeat/kHeartbeatResponse: heartbeat round.

  SnapshotMeta snapshot;  // kInstallSnapshot.
  uint64_t offset = 0;    // kInstallSnapshot(Response).
  std::string data;       // kInstallSnapshot: chunk bytes.
  bool done = false;      // kInstallSnapshot: this is the last chunk.
};

// Checks the fields a message of its type must have and must not have: nonzero from/to/
// term, from != to, entries contiguous from log_index + 1 with terms in [log_term, term]
// and nondecreasing, configuration entries decodable, snapshot metadata valid. Returns
// InvalidArgument naming the first problem. Does not know any server's state: stale terms
// and unknown senders are the core's business.
absl::Status ValidateMessage(const Message& msg);

// "kAppend 1->2 t3 li5 lt2 c4 n=2" style rendering for logs and traces.
std::string DebugString(const Message& msg);
const char* MessageTypeName(MessageType type);

// True for messages only a leader sends (kAppend, kHeartbeat, kInstallSnapshot,
// kTimeoutNow).
bool IsFromLeader(MessageType type);
// True for the four response types.
bool IsResponse(MessageType type);

}  // namespace cairn::raft

#endif  // CAIRN_RAFT_MESSAGE_H_
