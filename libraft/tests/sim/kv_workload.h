// The simulation's replicated state machine (string registers) and the encoding of client
// commands as entry data (test-only).
#ifndef CAIRN_RAFT_TESTS_SIM_KV_WORKLOAD_H_
#define CAIRN_RAFT_TESTS_SIM_KV_WORKLOAD_H_

#include <map>
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/strings/str_split.h>

#include "sim/linearizability.h"

namespace cairn::raft::sim {

inline constexpr char kSep = '\x1f';

// The replicated state machine: string registers.
struct KvMachine {
  std::map<std::string, std::string> data;

  std::string Serialize() const {
    std::string out;
    for (const auto& [k, v] : data) absl::StrAppend(&out, k, std::string(1, kSep), v, "\n");
    return out;
  }
  static KvMachine Parse(const std::string& s) {
    KvMachine m;
    for (absl::string_view line : absl::StrSplit(s, '\n', absl::SkipEmpty())) {
      std::vector<std::string> kv = absl::StrSplit(line, absl::MaxSplits(kSep, 1));
      m.data[kv[0]] = kv.size() > 1 ? kv[1] : "";
    }
    return m;
  }
};

// A client command as entry data: client, seq, kind, key, value, expected.
struct Command {
  int client = 0;
  int64_t seq = 0;
  KvOp::Kind kind = KvOp::Kind::kPut;
  std::string key, value, expected;

  std::string Encode() const {
    return absl::StrJoin({absl::StrCat(client), absl::StrCat(seq),
                          absl::StrCat(static_cast<int>(kind)), key, value, expected},
                         std::string(1, kSep));
  }
  static Command Decode(const std::string& s) {
    std::vector<std::string> f = absl::StrSplit(s, kSep);
    Command c;
    c.client = std::stoi(f.at(0));
    c.seq = std::stoll(f.at(1));
    c.kind = static_cast<KvOp::Kind>(std::stoi(f.at(2)));
    c.key = f.at(3);
    c.value = f.at(4);
    c.expected = f.at(5);
    return c;
  }
};

}  // namespace cairn::raft::sim

#endif  // CAIRN_RAFT_TESTS_SIM_KV_WORKLOAD_H_
