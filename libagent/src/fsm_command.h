// Private: conversions between the FSM's protobuf Commands and the store types.
#ifndef CAIRN_AGENT_SRC_FSM_COMMAND_H_
#define CAIRN_AGENT_SRC_FSM_COMMAND_H_

#include <vector>

#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include <cairn/catalog/types.h>
#include <cairn/kv/session.h>
#include <cairn/kv/txn.h>

#include "proto/commands.pb.h"

namespace cairn::agent::internal {

absl::Time CommandTime(const proto::Command& command);
absl::StatusOr<std::vector<kv::TxnOp>> DecodeTxnOps(const proto::Txn& txn);
absl::StatusOr<kv::Session> DecodeSession(const proto::SessionCreate& s);
catalog::RegisterRequest DecodeRegister(const proto::Register& r);
catalog::DeregisterRequest DecodeDeregister(const proto::Deregister& d);

}  // namespace cairn::agent::internal

#endif  // CAIRN_AGENT_SRC_FSM_COMMAND_H_
