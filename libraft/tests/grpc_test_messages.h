// grpc_test_messages.h — one valid message of every type, for the wire codec and
// transport tests.
#ifndef CAIRN_RAFT_TESTS_GRPC_TEST_MESSAGES_H_
#define CAIRN_RAFT_TESTS_GRPC_TEST_MESSAGES_H_

#include <vector>

#include <cairn/raft/message.h>

namespace cairn::raft::testing {

inline std::vector<Message> OneOfEachType(ServerId from, ServerId to) {
  std::vector<Message> out;
  auto base = [&](MessageType type) {
    Message m;
    m.type = type;
    m.from = from;
    m.to = to;
    m.term = 7;
    return m;
  };
  Message vote = base(MessageType::kVote);
  vote.log_index = 12;
  vote.log_term = 6;
  vote.transfer = true;
  out.push_back(vote);
  Message vr = base(MessageType::kVoteResponse);
  vr.reject = true;
  out.push_back(vr);
  Message pv = base(MessageType::kPreVote);
  pv.term = 8;
  pv.log_index = 12;
  pv.log_term = 6;
  out.push_back(pv);
  out.push_back(base(MessageType::kPreVoteResponse));
  Message app = base(MessageType::kAppend);
  app.log_index = 10;
  app.log_term = 5;
  app.commit = 9;
  Configuration config{
      {{from, "127.0.0.1:1", Suffrage::kVoter}, {to, "127.0.0.1:2", Suffrage::kNonvoter}}};
  app.entries = {Entry{11, 5, EntryType::kNormal, std::string("a\0b", 3)},
                 Entry{12, 7, EntryType::kNoop, ""},
                 Entry{13, 7, EntryType::kConfiguration, EncodeConfiguration(config)},
                 Entry{14, 7, EntryType::kNormal, std::string(300, 'x')}};
  out.push_back(app);
  Message ar = base(MessageType::kAppendResponse);
  ar.reject = true;
  ar.index = 10;
  ar.hint_index = 8;
  ar.hint_term = 4;
  out.push_back(ar);
  Message hb = base(MessageType::kHeartbeat);
  hb.commit = 13;
  hb.context = 99;
  out.push_back(hb);
  Message hr = base(MessageType::kHeartbeatResponse);
  hr.context = 99;
  out.push_back(hr);
  Message snap = base(MessageType::kInstallSnapshot);
  snap.snapshot = SnapshotMeta{40, 6, config};
  snap.offset = 4096;
  snap.data = std::string(1000, 's');
  snap.done = true;
  out.push_back(snap);
  Message sr = base(MessageType::kInstallSnapshotResponse);
  sr.index = 40;
  sr.offset = 5096;
  out.push_back(sr);
  out.push_back(base(MessageType::kTimeoutNow));
  return out;
}

}  // namespace cairn::raft::testing

#endif  // CAIRN_RAFT_TESTS_GRPC_TEST_MESSAGES_H_
