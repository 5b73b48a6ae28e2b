// cairn/raft/types.h — the vocabulary of cairn::raft: indexes, terms, log entries, the
// cluster configuration and snapshot metadata.
//
// Everything here is a plain value type with no behaviour beyond encoding. The core
// (<cairn/raft/core.h>) and every LogView/LogStore speak these types; transports convert
// them to and from their wire format.
//
// Example:
//
//   cairn::raft::Configuration config;
//   config.servers.push_back({1, "10.0.0.1:8300", cairn::raft::Suffrage::kVoter});
//   config.servers.push_back({2, "10.0.0.2:8300", cairn::raft::Suffrage::kNonvoter});
//   std::string bytes = cairn::raft::EncodeConfiguration(config);
//   absl::StatusOr<Configuration> back = cairn::raft::DecodeConfiguration(bytes);
#ifndef CAIRN_RAFT_TYPES_H_
#define CAIRN_RAFT_TYPES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>

namespace cairn::raft {

// Position of an entry in the replicated log. The first real entry has index 1; index 0
// means "before the log" (an empty log has last index 0, term 0).
using Index = uint64_t;
// A Raft term. Term 0 is never used by a leader.
using Term = uint64_t;
// Identifies a server for its whole life. 0 is reserved for "none" (no leader, no vote).
using ServerId = uint64_t;
inline constexpr ServerId kNoServer = 0;

// What an entry carries.
enum class EntryType : uint8_t {
  // Opaque bytes for the application's state machine.
  kNormal = 0,
  // An EncodeConfiguration()'d Configuration. It takes effect on every server as soon as it
  // is appended to that server's log (not when committed), as in the Raft dissertation §4.1.
  kConfiguration = 1,
  // Appended by each new leader (Raft §8): committing it commits everything before it and
  // tells the leader its commit index is current. Its data is empty. Applications skip it.
  kNoop = 2,
};

// One log entry. `index` and `term` are set by the core; `data` is opaque except for
// kConfiguration entries.
struct Entry {
  Index index = 0;
  Term term = 0;
  EntryType type = EntryType::kNormal;
  std::string data;

  friend bool operator==(const Entry&, const Entry&) = default;
};

// The state that must be durable before a server answers any message (Raft Figure 2):
// the current term, the candidate voted for in it, and the commit index (stored so that a
// restart does not re-apply nothing twice; it may lag the true commit index safely).
struct HardState {
  Term term = 0;
  ServerId vote = kNoServer;
  Index commit = 0;

  friend bool operator==(const HardState&, const HardState&) = default;
};

// Whether a server's vote counts.
enum class Suffrage : uint8_t {
  // Votes in elections and counts towards the commit quorum.
  kVoter = 0,
  // Receives the log but neither votes nor counts (a "learner"). New servers join as
  // non-voters and are promoted once they have caught up.
  kNonvoter = 1,
};

// One member of the cluster.
struct Server {
  ServerId id = kNoServer;
  // Where the transport reaches it ("host:port"); opaque to the core, which only hands it
  // back (e.g. as the leader hint in a NotLeader error).
  std::string address;
  Suffrage suffrage = Suffrage::kVoter;

  friend bool operator==(const Server&, const Server&) = default;
};

// The set of servers. Invariant (checked by ValidateConfiguration): ids are nonzero and
// unique. An empty configuration is legal only before bootstrap.
struct Configuration {
  std::vector<Server> servers;

  // The server with `id`, or nullptr.
  const Server* Find(ServerId id) const;
  bool IsVoter(ServerId id) const;
  std::vector<ServerId> Voters() const;
  // Every server, voters and non-voters, in configuration order.
  std::vector<ServerId> Ids() const;

  friend bool operator==(const Configuration&, const Configuration&) = default;
};

// Returns InvalidArgument when `config` has a zero id, a duplicate id or an unknown
// suffrage.
absl::Status ValidateConfiguration(const Configuration& config);

// Binary encoding used for kConfiguration entries and snapshot metadata. Stable across
// versions: a version byte, then per server: fixed64 id, suffrage byte, length-prefixed
// address. DecodeConfiguration rejects anything truncated, trailing or invalid with
// InvalidArgument.
std::string EncodeConfiguration(const Configuration& config);
absl::StatusOr<Configuration> DecodeConfiguration(std::string_view bytes);

// Describes a snapshot: the state machine state after applying every entry up to and
// including `index` (whose term is `term`), and the configuration in force at `index`.
struct SnapshotMeta {
  Index index = 0;
  Term term = 0;
  Configuration configuration;

  friend bool operator==(const SnapshotMeta&, const SnapshotMeta&) = default;
};

// A snapshot with its data, as the core hands it to the runtime to install.
struct Snapshot {
  SnapshotMeta meta;
  std::string data;
};

// "12.3"-style rendering for logs and test traces.
std::string DebugString(const Entry& entry);
std::string DebugString(const Configuration& config);

}  // namespace cairn::raft

#endif  // CAIRN_RAFT_TYPES_H_
