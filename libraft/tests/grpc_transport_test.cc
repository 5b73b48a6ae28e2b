// GrpcTransport on 127.0.0.1 (port 0): delivery of every message type in order, bad input
// from a raw gRPC client, a peer that goes down and comes back, and mutual TLS with
// certificates made by the test. Every wait is a condition variable with a generous
// bound, never a sleep or an elapsed-time assertion.
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>

#include <catch2/catch.hpp>
#include <grpcpp/grpcpp.h>

#include <cairn/raft/grpc_transport.h>

#include "../src/grpc_codec.h"
#include "grpc_test_messages.h"
#include "proto/raft.grpc.pb.h"
#include <unistd.h>

namespace cairn::raft {
namespace {

constexpr auto kWait = std::chrono::seconds(30);

// What one transport received and which peers it was told are unreachable.
class Inbox {
 public:
  Transport::Receiver Receiver() {
    return [this](Message m) {
      std::lock_guard lock(mu_);
      messages_.push_back(std::move(m));
      cv_.notify_all();
    };
  }
  Transport::UnreachableHandler Unreachable() {
    return [this](ServerId id) {
      std::lock_guard lock(mu_);
      unreachable_.insert(id);
      cv_.notify_all();
    };
  }
  // Waits until at least `n` messages arrived; false after kWait.
  bool WaitForCount(size_t n, std::chrono::milliseconds bound = kWait) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, bound, [&] { return messages_.size() >= n; });
  }
  bool WaitUnreachable(ServerId id, std::chrono::milliseconds bound) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, bound, [&] { return unreachable_.count(id) != 0; });
  }
  std::vector<Message> messages() {
    std::lock_guard lock(mu_);
    return messages_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Message> messages_;
  std::set<ServerId> unreachable_;
};

GrpcTransportOptions Options(ServerId id, std::string listen = "127.0.0.1:0") {
  GrpcTransportOptions o;
  o.id = id;
  o.listen_address = std::move(listen);
  o.connect_timeout = std::chrono::seconds(10);  // a first connection (TLS, ASan) may be slow
  return o;
}

std::unique_ptr<GrpcTransport> Started(GrpcTransportOptions options, Inbox& inbox) {
  auto t = GrpcTransport::Create(std::move(options));
  REQUIRE(t.ok());
  REQUIRE((*t)->Start(inbox.Receiver(), inbox.Unreachable()).ok());
  return *std::move(t);
}

Message Heartbeat(ServerId from, ServerId to, uint64_t context) {
  Message m;
  m.type = MessageType::kHeartbeat;
  m.from = from;
  m.to = to;
  m.term = 3;
  m.context = context;
  return m;
}

TEST_CASE("grpc transport: every message type arrives, in order, both ways", "[unit]") {
  Inbox in1, in2;
  auto t1 = Started(Options(1), in1);
  auto t2 = Started(Options(2), in2);
  REQUIRE(t1->LocalAddress().rfind("127.0.0.1:", 0) == 0);
  t1->SetPeers({{1, t1->LocalAddress()}, {2, t2->LocalAddress()}});
  t2->SetPeers({{1, t1->LocalAddress()}, {2, t2->LocalAddress()}});

  std::vector<Message> sent = testing::OneOfEachType(1, 2);
  // Then a long run of pipelined appends in many Send calls, which must keep their order.
  for (uint64_t i = 0; i < 2000; ++i) {
    Message m;
    m.type = MessageType::kAppend;
    m.from = 1;
    m.to = 2;
    m.term = 9;
    m.log_index = 100 + i;
    m.log_term = 9;
    m.entries = {Entry{101 + i, 9, EntryType::kNormal, std::string(256, 'e')}};
    sent.push_back(std::move(m));
  }
  for (size_t i = 0; i < sent.size(); i += 7) {
    t1->Send(std::vector<Message>(sent.begin() + i, sent.begin() + std::min(sent.size(), i + 7)));
  }
  REQUIRE(in2.WaitForCount(sent.size()));
  std::vector<Message> got = in2.messages();
  REQUIRE(got.size() == sent.size());
  for (size_t i = 0; i < sent.size(); ++i) {
    INFO(i << ": " << DebugString(sent[i]));
    REQUIRE(internal::EncodeWireMessage(got[i]) == internal::EncodeWireMessage(sent[i]));
  }

  t2->Send(testing::OneOfEachType(2, 1));
  REQUIRE(in1.WaitForCount(11));
  REQUIRE(in1.messages().back().type == MessageType::kTimeoutNow);
  REQUIRE(t1->Stats().messages_sent == sent.size());
  REQUIRE(t2->Stats().messages_received == sent.size());
  t1->Stop();
  t2->Stop();
  t1->Stop();  // idempotent
}

TEST_CASE("grpc transport: corrupt, invalid, oversized and misaddressed messages are dropped",
          "[unit]") {
  Inbox in2;
  GrpcTransportOptions o2 = Options(2);
  o2.max_message_bytes = 2048;
  auto t2 = Started(o2, in2);

  // A raw client writes what a broken or hostile peer could.
  auto channel = grpc::CreateChannel(t2->LocalAddress(), grpc::InsecureChannelCredentials());
  auto stub = wire::Raft::NewStub(channel);
  grpc::ClientContext ctx;
  wire::StreamSummary summary;
  auto writer = stub->Stream(&ctx, &summary);
  Message big = Heartbeat(1, 2, 5);
  big.type = MessageType::kAppend;
  big.entries = {Entry{1, 3, EntryType::kNormal, std::string(4096, 'b')}};
  wire::RaftMessage unknown_type;
  REQUIRE(unknown_type.ParseFromString(internal::EncodeWireMessage(Heartbeat(1, 2, 6))));
  unknown_type.set_type(static_cast<wire::MessageType>(42));
  wire::Batch batch;
  batch.add_messages(internal::EncodeWireMessage(Heartbeat(1, 2, 1)));
  batch.add_messages(std::string("\x0a\xff\xff\xff\xff\xff", 6));  // corrupt
  batch.add_messages(internal::EncodeWireMessage(big));            // oversized
  batch.add_messages(unknown_type.SerializeAsString());
  batch.add_messages(internal::EncodeWireMessage(Heartbeat(1, 7, 3)));  // not for us
  Message stale = Heartbeat(1, 2, 4);
  stale.term = 0;  // invalid shape
  batch.add_messages(internal::EncodeWireMessage(stale));
  batch.add_messages(internal::EncodeWireMessage(Heartbeat(1, 2, 2)));
  REQUIRE(writer->Write(batch));

  REQUIRE(in2.WaitForCount(2));
  std::vector<Message> got = in2.messages();
  REQUIRE(got.size() == 2);
  REQUIRE(got[0].context == 1);
  REQUIRE(got[1].context == 2);
  // The drops were counted by the same handler thread before it delivered context 2.
  GrpcTransportStats stats = t2->Stats();
  REQUIRE(stats.dropped_invalid == 4);
  REQUIRE(stats.dropped_misaddressed == 1);
  REQUIRE(stats.messages_received == 2);

  // The stream survived the bad messages.
  wire::Batch more;
  more.add_messages(internal::EncodeWireMessage(Heartbeat(1, 2, 3)));
  REQUIRE(writer->Write(more));
  REQUIRE(in2.WaitForCount(3));
  REQUIRE(in2.messages()[2].context == 3);
  ctx.TryCancel();
  writer->Finish();

  // Outbound: a message larger than the sender's limit is dropped and counted; the
  // next one still goes.
  Inbox in1;
  GrpcTransportOptions o1 = Options(1);
  o1.max_message_bytes = 2048;
  auto t1 = Started(o1, in1);
  t1->SetPeers({{2, t2->LocalAddress()}});
  Message big12 = big;
  t1->Send({big12, Heartbeat(1, 2, 10)});
  REQUIRE(in2.WaitForCount(4));
  REQUIRE(in2.messages()[3].context == 10);
  REQUIRE(t1->Stats().dropped_oversized == 1);

  // A destination missing from the peer table is reported unreachable.
  t1->Send({Heartbeat(1, 9, 11)});
  REQUIRE(in1.WaitUnreachable(9, kWait));
  REQUIRE(t1->Stats().dropped_unknown_peer == 1);
}

TEST_CASE("grpc transport: a peer that goes down is reported unreachable, then recovers",
          "[unit]") {
  Inbox in1, in2;
  auto t1 = Started(Options(1), in1);
  auto t2 = Started(Options(2), in2);
  const std::string address2 = t2->LocalAddress();
  t1->SetPeers({{2, address2}});
  t1->Send({Heartbeat(1, 2, 1)});
  REQUIRE(in2.WaitForCount(1));

  t2->Stop();
  t2.reset();
  // Sends after the peer is gone: the stream breaks (or the reconnect is refused) and the
  // peer is reported. Keep sending, as a leader's heartbeats would.
  uint64_t context = 2;
  bool reported = false;
  for (int i = 0; i < 3000 && !reported; ++i) {
    t1->Send({Heartbeat(1, 2, context++)});
    reported = in1.WaitUnreachable(2, std::chrono::milliseconds(10));
  }
  REQUIRE(reported);
  REQUIRE(t1->Stats().dropped_unreachable > 0);

  // The server comes back on the same address; the sender reconnects by itself.
  Inbox in2b;
  auto t2b = Started(Options(2, address2), in2b);
  bool delivered = false;
  for (int i = 0; i < 3000 && !delivered; ++i) {
    t1->Send({Heartbeat(1, 2, context++)});
    delivered = in2b.WaitForCount(1, std::chrono::milliseconds(10));
  }
  REQUIRE(delivered);
  std::vector<Message> got = in2b.messages();
  for (size_t i = 1; i < got.size(); ++i) REQUIRE(got[i - 1].context < got[i].context);
  REQUIRE(t1->Stats().connects >= 2);
}

TEST_CASE("grpc transport: a peer that moves to a new address is followed", "[unit]") {
  Inbox in1, in2, in2moved;
  auto t1 = Started(Options(1), in1);
  auto t2 = Started(Options(2), in2);
  t1->SetPeers({{2, t2->LocalAddress()}});
  t1->Send({Heartbeat(1, 2, 1)});
  REQUIRE(in2.WaitForCount(1));
  // Server 2 now lives elsewhere (the configuration changed its address); the old
  // sender is retired and a new one connects to the new address.
  auto t2moved = Started(Options(2), in2moved);
  t1->SetPeers({{2, t2moved->LocalAddress()}});
  t1->Send({Heartbeat(1, 2, 2)});
  REQUIRE(in2moved.WaitForCount(1));
  REQUIRE(in2moved.messages()[0].context == 2);
  REQUIRE(in2.messages().size() == 1);
  // Removed from the table: dropped and reported.
  t1->SetPeers({});
  t1->Send({Heartbeat(1, 2, 3)});
  REQUIRE(in1.WaitUnreachable(2, kWait));
  t1->Stop();  // joins the retired senders
}

TEST_CASE("grpc transport: Start twice, Start after Stop and bad options are refused", "[unit]") {
  Inbox in;
  auto t = Started(Options(1), in);
  REQUIRE(t->Start(in.Receiver(), {}).code() == absl::StatusCode::kFailedPrecondition);
  t->Stop();
  REQUIRE(t->Start(in.Receiver(), {}).code() == absl::StatusCode::kFailedPrecondition);
  t->Send({Heartbeat(1, 2, 1)});  // ignored after Stop

  REQUIRE(GrpcTransport::Create(Options(0)).status().code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(GrpcTransport::Create(Options(1, "")).status().code() ==
          absl::StatusCode::kInvalidArgument);
  REQUIRE(GrpcTransport::Create(Options(1, "256.0.0.1:notaport")).status().code() ==
          absl::StatusCode::kUnavailable);
  GrpcTransportOptions tls = Options(1);
  tls.tls = base::TlsConfig{};
  tls.tls->cert_file = "/nonexistent/cert.pem";
  tls.tls->key_file = "/nonexistent/key.pem";
  REQUIRE_FALSE(GrpcTransport::Create(tls).ok());
}

// A CA and two certificates (one from another CA) made with the openssl CLI.
class TestPki {
 public:
  TestPki() {
    dir_ =
        std::filesystem::temp_directory_path() / ("cairn-raft-tls-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    {
      std::ofstream ext(dir_ / "ext.cnf");
      ext << "subjectAltName=DNS:server.dc1.consul,IP:127.0.0.1\n"
             "extendedKeyUsage=serverAuth,clientAuth\n";
    }
    MakeCa("ca");
    MakeCa("other-ca");
    MakeCert("server", "ca");
    MakeCert("rogue", "other-ca");
  }
  ~TestPki() { std::filesystem::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  base::TlsConfig Config(const std::string& cert, const std::string& ca = "ca") const {
    base::TlsConfig c;
    c.ca_file = Path(ca + ".pem");
    c.cert_file = Path(cert + ".pem");
    c.key_file = Path(cert + ".key");
    c.verify_incoming = true;
    c.verify_outgoing = true;
    c.verify_server_hostname = true;
    c.server_name = "server.dc1.consul";
    return c;
  }

 private:
  void Run(const std::string& cmd) {
    std::string full = "cd '" + dir_.string() + "' && " + cmd + " >/dev/null 2>&1";
    INFO(full);
    REQUIRE(std::system(full.c_str()) == 0);
  }
  void MakeCa(const std::string& name) {
    Run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " +
        name + ".key -out " + name + ".pem -days 2 -subj /CN=" + name);
  }
  void MakeCert(const std::string& name, const std::string& ca) {
    Run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " + name +
        ".key -out " + name + ".csr -subj /CN=server.dc1.consul");
    Run("openssl x509 -req -in " + name + ".csr -CA " + ca + ".pem -CAkey " + ca +
        ".key -CAcreateserial -out " + name + ".pem -days 2 -extfile ext.cnf");
  }

  std::filesystem::path dir_;
};

TEST_CASE("grpc transport: mutual TLS delivers, an untrusted or plaintext client does not",
          "[unit]") {
  TestPki pki;
  Inbox in1, in2;
  GrpcTransportOptions o1 = Options(1);
  o1.tls = pki.Config("server");
  GrpcTransportOptions o2 = Options(2);
  o2.tls = pki.Config("server");
  auto t1 = Started(o1, in1);
  auto t2 = Started(o2, in2);
  t1->SetPeers({{2, t2->LocalAddress()}});
  t2->SetPeers({{1, t1->LocalAddress()}});
  t1->Send(testing::OneOfEachType(1, 2));
  t2->Send(testing::OneOfEachType(2, 1));
  REQUIRE(in2.WaitForCount(11));
  REQUIRE(in1.WaitForCount(11));

  // A client whose certificate another CA signed (and which trusts that CA only) never
  // gets a message through, and reports the peer unreachable.
  Inbox in3;
  GrpcTransportOptions o3 = Options(3);
  o3.tls = pki.Config("rogue", "other-ca");
  o3.connect_timeout = std::chrono::seconds(1);  // expected to fail: do not wait long
  auto t3 = Started(o3, in3);
  t3->SetPeers({{2, t2->LocalAddress()}});
  bool reported = false;
  for (int i = 0; i < 3000 && !reported; ++i) {
    t3->Send({Heartbeat(3, 2, i)});
    reported = in3.WaitUnreachable(2, std::chrono::milliseconds(10));
  }
  REQUIRE(reported);

  // Nor does a plaintext one.
  Inbox in4;
  GrpcTransportOptions o4 = Options(4);
  o4.connect_timeout = std::chrono::seconds(1);
  auto t4 = Started(o4, in4);
  t4->SetPeers({{2, t2->LocalAddress()}});
  reported = false;
  for (int i = 0; i < 3000 && !reported; ++i) {
    t4->Send({Heartbeat(4, 2, i)});
    reported = in4.WaitUnreachable(2, std::chrono::milliseconds(10));
  }
  REQUIRE(reported);
  t3->Stop();
  t4->Stop();
  REQUIRE(in2.messages().size() == 11);
}

}  // namespace
}  // namespace cairn::raft
