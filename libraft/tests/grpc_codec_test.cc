// The gRPC transport's wire codec (src/grpc_codec.h): every message type survives the
// round trip, and every kind of malformed input is refused with InvalidArgument.
#include "../src/grpc_codec.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <catch2/catch.hpp>

#include <cairn/raft/message.h>

#include "grpc_test_messages.h"
#include "proto/raft.pb.h"

namespace cairn::raft {
namespace {

using internal::DecodeWireMessage;
using internal::EncodeWireMessage;
using internal::WireLimits;

bool SameMessage(const Message& a, const Message& b) {
  return a.type == b.type && a.from == b.from && a.to == b.to && a.term == b.term &&
         a.log_index == b.log_index && a.log_term == b.log_term && a.commit == b.commit &&
         a.entries == b.entries && a.reject == b.reject && a.index == b.index &&
         a.hint_index == b.hint_index && a.hint_term == b.hint_term && a.transfer == b.transfer &&
         a.context == b.context && a.snapshot == b.snapshot && a.offset == b.offset &&
         a.data == b.data && a.done == b.done;
}

wire::RaftMessage ToProto(const Message& m) {
  wire::RaftMessage p;
  REQUIRE(p.ParseFromString(EncodeWireMessage(m)));
  return p;
}

TEST_CASE("grpc codec: every message type survives encoding", "[unit]") {
  for (const Message& m : testing::OneOfEachType(1, 2)) {
    INFO(DebugString(m));
    absl::StatusOr<Message> back = DecodeWireMessage(EncodeWireMessage(m), WireLimits{});
    REQUIRE(back.ok());
    REQUIRE(SameMessage(*back, m));
  }
}

TEST_CASE("grpc codec: truncated and garbage bytes are refused", "[unit]") {
  for (const Message& m : testing::OneOfEachType(1, 2)) {
    std::string bytes = EncodeWireMessage(m);
    for (size_t cut = 1; cut < bytes.size(); ++cut) {
      // A cut on a field boundary can leave a shorter valid message; it must then still
      // be well-formed, never crash.
      absl::StatusOr<Message> r = DecodeWireMessage(bytes.substr(0, cut), WireLimits{});
      if (r.ok()) REQUIRE(ValidateMessage(*r).ok());
    }
  }
  absl::StatusOr<Message> garbage = DecodeWireMessage("\xff\xff\xff\xff\x0f", WireLimits{});
  REQUIRE(garbage.status().code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(DecodeWireMessage("", WireLimits{}).status().code() ==
          absl::StatusCode::kInvalidArgument);  // all zero: term 0, from 0
}

TEST_CASE("grpc codec: unknown enums, stray snapshots and bad configurations are refused",
          "[unit]") {
  std::vector<Message> all = testing::OneOfEachType(1, 2);
  const Message& append = all[4];
  const Message& snap = all[8];
  REQUIRE(append.type == MessageType::kAppend);
  REQUIRE(snap.type == MessageType::kInstallSnapshot);

  wire::RaftMessage p = ToProto(append);
  p.set_type(static_cast<wire::MessageType>(11));
  REQUIRE_FALSE(DecodeWireMessage(p.SerializeAsString(), WireLimits{}).ok());

  p = ToProto(append);
  p.mutable_entries(0)->set_type(static_cast<wire::EntryType>(3));
  REQUIRE_FALSE(DecodeWireMessage(p.SerializeAsString(), WireLimits{}).ok());

  p = ToProto(append);
  p.mutable_entries(2)->set_data("not a configuration");
  REQUIRE_FALSE(DecodeWireMessage(p.SerializeAsString(), WireLimits{}).ok());

  p = ToProto(append);
  p.mutable_entries(1)->set_index(99);  // not contiguous: ValidateMessage's business
  REQUIRE_FALSE(DecodeWireMessage(p.SerializeAsString(), WireLimits{}).ok());

  p = ToProto(append);
  p.mutable_snapshot()->set_index(1);
  REQUIRE(DecodeWireMessage(p.SerializeAsString(), WireLimits{}).status().message() ==
          "raft wire message: snapshot outside InstallSnapshot");

  p = ToProto(snap);
  p.mutable_snapshot()->set_configuration("\x01garbage");
  REQUIRE_FALSE(DecodeWireMessage(p.SerializeAsString(), WireLimits{}).ok());

  p = ToProto(snap);
  p.clear_snapshot();
  REQUIRE_FALSE(DecodeWireMessage(p.SerializeAsString(), WireLimits{}).ok());

  p = ToProto(all[0]);
  p.set_to(1);  // to itself
  REQUIRE_FALSE(DecodeWireMessage(p.SerializeAsString(), WireLimits{}).ok());
}

TEST_CASE("grpc codec: messages beyond the size limits are refused", "[unit]") {
  std::vector<Message> all = testing::OneOfEachType(1, 2);
  std::string bytes = EncodeWireMessage(all[4]);
  WireLimits small;
  small.max_message_bytes = bytes.size() - 1;
  absl::StatusOr<Message> r = DecodeWireMessage(bytes, small);
  REQUIRE(r.status().code() == absl::StatusCode::kInvalidArgument);
  small.max_message_bytes = bytes.size();
  REQUIRE(DecodeWireMessage(bytes, small).ok());
  small.max_entries = 3;
  REQUIRE_FALSE(DecodeWireMessage(bytes, small).ok());
}

#ifdef CAIRN_RAFT_WIRE_CORPUS
TEST_CASE("grpc codec: the fuzz seed corpus decodes, one message of each kind", "[unit]") {
  std::set<MessageType> types;
  for (const auto& f : std::filesystem::directory_iterator(CAIRN_RAFT_WIRE_CORPUS)) {
    INFO(f.path());
    std::ifstream in(f.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    absl::StatusOr<Message> m = DecodeWireMessage(bytes.str(), WireLimits{});
    REQUIRE(m.ok());
    types.insert(m->type);
  }
  REQUIRE(types.size() == 8);
}
#endif

}  // namespace
}  // namespace cairn::raft
