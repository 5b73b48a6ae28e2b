// Private: the parsed form of an Fsm snapshot stream (fsm_snapshot.cc).
#ifndef CAIRN_AGENT_SRC_FSM_INTERNAL_H_
#define CAIRN_AGENT_SRC_FSM_INTERNAL_H_

#include <cstdint>
#include <string>

#include <cairn/agent/fsm.h>

namespace cairn::agent {

struct Fsm::Parsed {
  uint64_t raft_index = 0;
  uint64_t index_offset = 0;
  std::string kv;
  std::string catalog;
  uint64_t max_store_index = 0;  // the greater applied index of the two store streams
};

}  // namespace cairn::agent

#endif  // CAIRN_AGENT_SRC_FSM_INTERNAL_H_
