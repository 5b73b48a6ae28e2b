// cairn/gossip/protocol_version.h — memberlist's protocol compatibility check for a
// push/pull merge (memberlist state.go verifyProtocol).
//
// Every node advertises [min, max] ranges and a current version for the memberlist
// protocol and for the delegate (serf) protocol in its Vsn bytes. Before merging a remote
// node list (on join and periodic push/pull), memberlist takes, over all *alive* nodes on
// both sides, the highest minimum and the lowest maximum, and requires every node's
// current version (alive or not) to lie within. A failure aborts the merge and a join
// with "Node 'x' protocol version (n) is incompatible: [a, b]".
//
// Example:
//
//   absl::Status s = VerifyProtocol(remote_push_pull.nodes, LocalStatesForPushPull());
//   if (!s.ok()) { /* refuse the merge; answer the join with the error */ }
#ifndef CAIRN_GOSSIP_PROTOCOL_VERSION_H_
#define CAIRN_GOSSIP_PROTOCOL_VERSION_H_

#include <vector>

#include <absl/status/status.h>

#include <cairn/gossip/messages.h>

namespace cairn::gossip {

// OK if all current versions fit the common ranges; kFailedPrecondition naming the first
// node that does not fit (remote nodes are checked first, as memberlist does). A remote
// node with an empty Vsn does not narrow the ranges and counts as current version 0.
absl::Status VerifyProtocol(const std::vector<PushNodeState>& remote,
                            const std::vector<PushNodeState>& local);

}  // namespace cairn::gossip

#endif  // CAIRN_GOSSIP_PROTOCOL_VERSION_H_
