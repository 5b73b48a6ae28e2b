// Real sockets: three Memberlists on 127.0.0.1 (port 0) join each other over UDP/TCP,
// plain and encrypted, and see a shut-down member fail. Conditions are polled with
// generous limits; nothing asserts on elapsed time.
#include <chrono>
#include <future>
#include <thread>

#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>

#include <cairn/base/event_loop.h>
#include <cairn/base/log.h>
#include <cairn/base/real_clock.h>
#include <cairn/gossip/memberlist.h>
#include <cairn/gossip/net_transport.h>

namespace cairn::gossip {
namespace {

// One node: its strand, clock, transport and memberlist; all touched only on the strand.
struct RealNode {
  template <typename F>
  auto OnStrand(F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto fut = task.get_future();
    boost::asio::post(strand, [&task] { task(); });
    return fut.get();
  }
  RealNode(base::EventLoop& loop, std::string name, std::optional<Keyring> ring)
      : strand(loop.MakeStrand()), clock(strand) {
    absl::Status st = OnStrand([&]() -> absl::Status {
      auto t = NetTransport::Create(strand, {.bind_addr = "127.0.0.1", .bind_port = 0});
      if (!t.ok()) return t.status();
      transport = std::move(*t);
      Memberlist::Options o = Memberlist::Options::Local(name);
      o.keyring = std::move(ring);
      // serf 0.9.4's delegate versions, so that the interop check below can join serf.
      o.delegate_protocol_min = 2;
      o.delegate_protocol_max = 5;
      o.delegate_protocol_version = 4;
      auto ml = Memberlist::Create(std::move(o), *transport, clock, {});
      if (!ml.ok()) return ml.status();
      list = std::move(*ml);
      return absl::OkStatus();
    });
    REQUIRE(st.ok());
  }
  ~RealNode() {
    OnStrand([&] {
      list.reset();
      transport.reset();
    });
  }
  std::string address() {
    return OnStrand([&] { return transport->LocalAddress(); });
  }
  int members() {
    return OnStrand([&] { return list ? list->NumMembers() : 0; });
  }
  std::optional<Node> find(const std::string& n) {
    return OnStrand([&] { return list->Find(n); });
  }
  void Join(const std::string& addr) {
    OnStrand([&] { list->Join({addr}, [](absl::StatusOr<int>) {}); });
  }

  base::Strand strand;
  base::RealClock clock;
  std::unique_ptr<NetTransport> transport;
  std::unique_ptr<Memberlist> list;
};

template <typename F>
bool PollUntil(F f, std::chrono::seconds limit = std::chrono::seconds(30)) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return f();
}

void RunThreeNodes(std::optional<Keyring> ring) {
  base::LogSystem::Default().SetLevel(base::LogLevel::kWarn);
  base::EventLoop loop(2);
  loop.Start();
  {
    RealNode a(loop, "a", ring), b(loop, "b", ring), c(loop, "c", ring);
    b.Join(a.address());
    c.Join(b.address());
    CHECK(PollUntil([&] { return a.members() == 3 && b.members() == 3 && c.members() == 3; }));
    // c stops answering (no leave): the others must declare it failed.
    c.OnStrand([&] { c.list->Shutdown(); });
    CHECK(PollUntil(
        [&] {
          auto x = a.find("c"), y = b.find("c");
          return x && y && x->state == NodeState::kDead && y->state == NodeState::kDead;
        },
        std::chrono::seconds(60)));
  }
  loop.Stop();
  loop.Wait();
}

TEST_CASE("net: three memberlists on 127.0.0.1 join and detect a failure", "[process]") {
  RunThreeNodes(std::nullopt);
}

TEST_CASE("net: three encrypted memberlists join and detect a failure", "[process]") {
  auto ring = Keyring::Create({std::string(32, 'k')});
  REQUIRE(ring.ok());
  RunThreeNodes(*ring);
}

TEST_CASE("net: a node with the wrong key cannot join", "[process]") {
  base::LogSystem::Default().SetLevel(base::LogLevel::kOff);
  base::EventLoop loop(1);
  loop.Start();
  {
    RealNode a(loop, "a", *Keyring::Create({std::string(16, 'a')}));
    RealNode b(loop, "b", *Keyring::Create({std::string(16, 'b')}));
    std::promise<absl::StatusOr<int>> result;
    const std::string addr = a.address();
    b.OnStrand([&] { b.list->Join({addr}, [&](absl::StatusOr<int> r) { result.set_value(r); }); });
    absl::StatusOr<int> r = result.get_future().get();
    CHECK_FALSE(r.ok());
    CHECK(a.members() == 1);
    CHECK(b.members() == 1);
  }
  loop.Stop();
  loop.Wait();
}

}  // namespace
}  // namespace cairn::gossip
