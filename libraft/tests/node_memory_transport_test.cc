// Tests of MemoryNetwork, the in-process Transport the node tests and examples use.
#include <atomic>
#include <mutex>
#include <vector>

#include <catch2/catch.hpp>

#include "node_test_cluster.h"

namespace cairn::raft::testing {
namespace {

Message Heartbeat(ServerId from, ServerId to, uint64_t context) {
  Message m;
  m.type = MessageType::kHeartbeat;
  m.from = from;
  m.to = to;
  m.term = 1;
  m.context = context;
  return m;
}

struct Inbox {
  std::mutex mu;
  std::vector<Message> got;
  std::vector<ServerId> unreachable;
  size_t size() {
    std::lock_guard<std::mutex> l(mu);
    return got.size();
  }
  size_t unreachable_count() {
    std::lock_guard<std::mutex> l(mu);
    return unreachable.size();
  }
  Transport::Receiver receiver() {
    return [this](Message m) {
      std::lock_guard<std::mutex> l(mu);
      got.push_back(std::move(m));
    };
  }
  Transport::UnreachableHandler on_unreachable() {
    return [this](ServerId id) {
      std::lock_guard<std::mutex> l(mu);
      unreachable.push_back(id);
    };
  }
};

TEST_CASE("memory transport: delivers in order, drops what faults and peer tables say",
          "[process]") {
  Inbox in1, in2;  // Outlive the network and its transports.
  base::EventLoop loop(2);
  loop.Start();
  MemoryNetwork net(loop.executor());
  auto t1 = net.CreateTransport(1, "a");
  auto t2 = net.CreateTransport(2, "b");
  REQUIRE(t1->Start(in1.receiver(), in1.on_unreachable()).ok());
  REQUIRE(t2->Start(in2.receiver(), in2.on_unreachable()).ok());
  CHECK(t1->LocalAddress() == "a");

  // Not in the peer table: dropped and reported.
  t1->Send({Heartbeat(1, 2, 0)});
  REQUIRE(WaitFor([&] { return in1.unreachable_count() == 1; }));
  CHECK(in2.size() == 0);

  t1->SetPeers({{2, "b"}});
  std::vector<Message> batch;
  for (uint64_t i = 1; i <= 200; ++i) batch.push_back(Heartbeat(1, 2, i));
  t1->Send(std::move(batch));
  REQUIRE(WaitFor([&] { return in2.size() == 200; }));
  {
    std::lock_guard<std::mutex> l(in2.mu);
    for (uint64_t i = 0; i < 200; ++i) CHECK(in2.got[i].context == i + 1);
  }

  // One-way block, isolation, loss, filters.
  t2->SetPeers({{1, "a"}});
  net.Block(1, 2);
  t1->Send({Heartbeat(1, 2, 500)});
  t2->Send({Heartbeat(2, 1, 501)});
  REQUIRE(WaitFor([&] { return in1.size() == 1; }));
  net.Unblock(1, 2);
  net.Isolate(2);
  t1->Send({Heartbeat(1, 2, 502)});
  net.Reconnect(2);
  net.SetFilter([](const Message& m) { return m.context != 503; });
  t1->Send({Heartbeat(1, 2, 503), Heartbeat(1, 2, 504)});
  REQUIRE(WaitFor([&] { return in2.size() == 201; }));
  {
    std::lock_guard<std::mutex> l(in2.mu);
    CHECK(in2.got.back().context == 504);
  }
  net.Heal();
  net.SetLoss(1.0);
  t1->Send({Heartbeat(1, 2, 505)});
  net.Heal();

  // Delays reorder but deliver everything.
  net.SetDelay(std::chrono::milliseconds(0), std::chrono::milliseconds(20));
  for (uint64_t i = 0; i < 50; ++i) t1->Send({Heartbeat(1, 2, 1000 + i)});
  REQUIRE(WaitFor([&] { return in2.size() == 251; }));
  CHECK(net.delivered() == 252);
  CHECK(net.dropped() >= 5);

  // After Stop, the receiver is never called again.
  t2->Stop();
  size_t before = in2.size();
  net.Heal();
  t1->Send({Heartbeat(1, 2, 2000)});
  REQUIRE(WaitFor([&] { return net.dropped() >= 6; }));
  CHECK(in2.size() == before);
  t1.reset();
  t2.reset();
  loop.Stop();
  loop.Wait();
}

}  // namespace
}  // namespace cairn::raft::testing
