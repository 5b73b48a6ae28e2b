// RaftBackend over a real raft::Node: the dev-mode single server, and a server that never
// gets a leader. Real time and threads (label process): every wait polls for a condition
// with a generous bound and nothing asserts on elapsed time.
#include <chrono>
#include <functional>
#include <future>
#include <optional>
#include <thread>

#include <catch2/catch.hpp>

#include <cairn/agent/config_loader.h>
#include <cairn/agent/raft_backend.h>
#include <cairn/base/event_loop.h>
#include <cairn/base/real_clock.h>
#include <cairn/raft/memory_transport.h>

namespace cairn::agent {
namespace {

constexpr auto kPatience = std::chrono::seconds(30);

// Runs `start(callback)` and waits for the callback's value.
template <typename T>
absl::StatusOr<T> Await(const std::function<void(ResultCallback<T>)>& start) {
  auto promise = std::make_shared<std::promise<absl::StatusOr<T>>>();
  std::future<absl::StatusOr<T>> future = promise->get_future();
  start([promise](absl::StatusOr<T> r) { promise->set_value(std::move(r)); });
  if (future.wait_for(kPatience) != std::future_status::ready) {
    return absl::DeadlineExceededError("test: no answer within 30 s");
  }
  return future.get();
}

bool PollUntil(const std::function<bool()>& cond) {
  auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return cond();
}

struct DevFixture {
  base::EventLoop loop{2};
  base::RealClock clock{loop.executor()};
  std::unique_ptr<DevServer> dev;

  explicit DevFixture(DevServerOptions options = {}) {
    loop.Start();
    options.tick = std::chrono::milliseconds(5);
    absl::StatusOr<std::unique_ptr<DevServer>> s =
        DevServer::Start(loop.executor(), clock, std::move(options));
    REQUIRE(s.ok());
    dev = *std::move(s);
  }
  ~DevFixture() { dev.reset(); }
  StateBackend& backend() { return dev->backend(); }
  // Waits until the server leads and has registered itself.
  void WaitReady() {
    REQUIRE(PollUntil([&] {
      return dev->node().IsLeader() &&
             dev->fsm().catalog().Read().GetCheck(dev_name(), "serfHealth") != nullptr;
    }));
  }
  std::string dev_name() { return "dev"; }
  absl::StatusOr<bool> Put(std::string key, std::string value) {
    return Await<bool>([&](ResultCallback<bool> cb) {
      backend().KvWrite({.key = key, .value = value}, std::move(cb));
    });
  }
};

TEST_CASE("dev server leads, answers status and serves kv writes and reads", "[process]") {
  DevFixture f;
  // A write issued before the election is held until the server leads.
  absl::StatusOr<bool> early = f.Put("early", "1");
  REQUIRE(early.ok());
  CHECK(*early);
  f.WaitReady();
  CHECK(f.backend().LeaderAddress() == "127.0.0.1:8300");
  CHECK(f.backend().Peers() == std::vector<std::string>{"127.0.0.1:8300"});
  RaftInfo raft = f.backend().RaftConfiguration();
  REQUIRE(raft.servers.size() == 1);
  CHECK(raft.servers[0].leader);
  CHECK(raft.servers[0].voter);
  QueryMeta meta = f.backend().Meta();
  CHECK(meta.known_leader);
  CHECK(meta.last_contact.count() == 0);

  REQUIRE(f.Put("web/config", "v1").value());
  for (Consistency c : {Consistency::kDefault, Consistency::kConsistent, Consistency::kStale}) {
    absl::StatusOr<ReadContext> r = Await<ReadContext>(
        [&](ResultCallback<ReadContext> cb) { f.backend().Read(c, std::move(cb)); });
    REQUIRE(r.ok());
    auto e = r->kv.Get("web/config");
    REQUIRE(e);
    CHECK(e->value() == "v1");
    CHECK(r->meta.known_leader);
    CHECK(r->catalog.GetNode("dev") != nullptr);
  }

  absl::StatusOr<bool> cas = Await<bool>([&](ResultCallback<bool> cb) {
    f.backend().KvWrite({.op = KvWriteOp::kCas, .key = "web/config", .value = "v2", .index = 1},
                        std::move(cb));
  });
  REQUIRE(cas.ok());
  CHECK_FALSE(*cas);

  std::vector<kv::TxnOp> ops(2);
  ops[0].verb = kv::TxnVerb::kSet;
  ops[0].key = "t1";
  ops[0].value = "a";
  ops[1].verb = kv::TxnVerb::kGet;
  ops[1].key = "web/config";
  absl::StatusOr<kv::TxnOutcome> txn = Await<kv::TxnOutcome>(
      [&](ResultCallback<kv::TxnOutcome> cb) { f.backend().Txn(ops, std::move(cb)); });
  REQUIRE(txn.ok());
  CHECK(txn->errors.empty());
  CHECK(txn->results.size() == 2);

  absl::StatusOr<kv::TxnOutcome> none = Await<kv::TxnOutcome>(
      [&](ResultCallback<kv::TxnOutcome> cb) { f.backend().Txn({}, std::move(cb)); });
  CHECK(none.status().code() == absl::StatusCode::kInvalidArgument);
  absl::StatusOr<bool> bad = f.Put("", "x");
  CHECK(bad.status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("dev server sessions lock keys and expire on their TTL", "[process]") {
  DevServerOptions options;
  options.kv_options.min_session_ttl = std::chrono::milliseconds(10);
  DevFixture f(options);
  f.WaitReady();

  absl::StatusOr<kv::Session> s = Await<kv::Session>([&](ResultCallback<kv::Session> cb) {
    f.backend().CreateSession({.name = "lock"}, std::move(cb));
  });
  REQUIRE(s.ok());
  CHECK(IsValidUuid(s->id));
  CHECK(s->node == "dev");
  CHECK(s->node_checks == std::vector<std::string>{"serfHealth"});
  absl::StatusOr<bool> acquired = Await<bool>([&](ResultCallback<bool> cb) {
    f.backend().KvWrite(
        {.op = KvWriteOp::kAcquire, .key = "leader", .value = "me", .session = s->id},
        std::move(cb));
  });
  REQUIRE(acquired.ok());
  CHECK(*acquired);
  CHECK(f.backend().kv().Snapshot().Get("leader")->session() == s->id);

  absl::StatusOr<kv::Session> missing = Await<kv::Session>([&](ResultCallback<kv::Session> cb) {
    f.backend().CreateSession({.node = "nowhere"}, std::move(cb));
  });
  CHECK(missing.status().message() == "Missing node registration");
  absl::StatusOr<kv::Session> unknown = Await<kv::Session>([&](ResultCallback<kv::Session> cb) {
    f.backend().RenewSession("no-such-id", std::move(cb));
  });
  CHECK(unknown.status().code() == absl::StatusCode::kNotFound);

  absl::StatusOr<bool> destroyed = Await<bool>(
      [&](ResultCallback<bool> cb) { f.backend().DestroySession(s->id, std::move(cb)); });
  REQUIRE(destroyed.ok());
  CHECK(f.backend().kv().Snapshot().Get("leader")->session().empty());

  // A TTL session (TTL 50 ms: invalidated 2 x TTL after the last renew) expires through
  // the leader's timer; renewing keeps it alive meanwhile.
  SessionCreateRequest ttl_req{
      .name = "ttl", .ttl = std::chrono::milliseconds(50), .ttl_text = "0.05s"};
  absl::StatusOr<kv::Session> t = Await<kv::Session>(
      [&](ResultCallback<kv::Session> cb) { f.backend().CreateSession(ttl_req, std::move(cb)); });
  REQUIRE(t.ok());
  absl::StatusOr<kv::Session> renewed = Await<kv::Session>(
      [&](ResultCallback<kv::Session> cb) { f.backend().RenewSession(t->id, std::move(cb)); });
  // The renew races the expiry on a loaded machine: either answer is right.
  CHECK((renewed.ok() || renewed.status().code() == absl::StatusCode::kNotFound));
  CHECK(PollUntil([&] { return !f.backend().kv().Snapshot().GetSession(t->id).has_value(); }));
  CHECK(PollUntil([&] { return f.dev->backend().session_timers() == 0; }));
}

TEST_CASE("requests wait for a leader and then fail with No cluster leader", "[process]") {
  base::EventLoop loop(2);
  loop.Start();
  base::RealClock clock(loop.executor());
  raft::MemoryNetwork net(loop.executor());
  auto transport = net.CreateTransport(1, "127.0.0.1:8300");
  Fsm fsm;
  raft::NodeOptions no;
  no.id = 1;
  no.transport = transport.get();
  no.state_machine = &fsm;
  auto node = raft::Node::Create(loop.executor(), no);
  REQUIRE(node.ok());
  // Never bootstrapped: no configuration, so no election ever.
  REQUIRE((*node)->Start().ok());
  {
    RaftBackend backend(**node, fsm, clock,
                        {.node_name = "n1", .hold_timeout = std::chrono::milliseconds(100)});
    absl::StatusOr<bool> w = Await<bool>([&](ResultCallback<bool> cb) {
      backend.KvWrite({.key = "a", .value = "b"}, std::move(cb));
    });
    CHECK(w.status().code() == absl::StatusCode::kUnavailable);
    CHECK(w.status().message() == "No cluster leader");
    absl::StatusOr<ReadContext> r = Await<ReadContext>([&](ResultCallback<ReadContext> cb) {
      backend.Read(Consistency::kConsistent, std::move(cb));
    });
    CHECK(r.status().message() == "No cluster leader");
    // Stale reads need no leader.
    absl::StatusOr<ReadContext> stale = Await<ReadContext>(
        [&](ResultCallback<ReadContext> cb) { backend.Read(Consistency::kStale, std::move(cb)); });
    REQUIRE(stale.ok());
    CHECK_FALSE(stale->meta.known_leader);
    CHECK(backend.LeaderAddress().empty());
    CHECK_FALSE(fsm.kv().Snapshot().Get("a"));
  }
  (*node)->Shutdown();
}

TEST_CASE("dev server snapshot saves and restores into a fresh server", "[process]") {
  DevFixture a;
  a.WaitReady();
  REQUIRE(a.Put("k1", "v1").value());
  REQUIRE(a.Put("k2", "v2").value());
  absl::StatusOr<SnapshotData> snap = Await<SnapshotData>([&](ResultCallback<SnapshotData> cb) {
    a.backend().SaveSnapshot(Consistency::kDefault, std::move(cb));
  });
  REQUIRE(snap.ok());
  CHECK(snap->index >= 3);

  DevFixture b;
  b.WaitReady();
  REQUIRE(b.Put("other", "x").value());
  absl::StatusOr<uint64_t> bad = Await<uint64_t>(
      [&](ResultCallback<uint64_t> cb) { b.backend().RestoreSnapshot("garbage", std::move(cb)); });
  CHECK_FALSE(bad.ok());
  CHECK(b.backend().kv().Snapshot().Get("other"));

  absl::StatusOr<uint64_t> at = Await<uint64_t>([&](ResultCallback<uint64_t> cb) {
    b.backend().RestoreSnapshot(snap->state, std::move(cb));
  });
  REQUIRE(at.ok());
  kv::ReadView view = b.backend().kv().Snapshot();
  CHECK_FALSE(view.Get("other"));
  CHECK(view.Get("k1")->value() == "v1");
  CHECK(view.Get("k2")->value() == "v2");
  // Writes after the restore carry indexes above everything restored.
  uint64_t before = view.kv_index();
  REQUIRE(b.Put("k3", "v3").value());
  CHECK(b.backend().kv().Snapshot().Get("k3")->modify_index() > before);
}

TEST_CASE("leader tombstone gc reaps old tombstones", "[process]") {
  DevServerOptions options;
  options.tombstone_ttl = std::chrono::milliseconds(100);
  options.tombstone_granularity = std::chrono::milliseconds(20);
  DevFixture f(options);
  f.WaitReady();
  REQUIRE(f.Put("gone", "1").value());
  absl::StatusOr<bool> del = Await<bool>([&](ResultCallback<bool> cb) {
    f.backend().KvWrite({.op = KvWriteOp::kDelete, .key = "gone"}, std::move(cb));
  });
  REQUIRE(del.ok());
  // Reaped once the GC has seen the delete's index for at least the TTL.
  CHECK(PollUntil([&] { return f.backend().kv().Snapshot().tombstone_count() == 0; }));
  CHECK_FALSE(f.backend().kv().Snapshot().Get("gone"));
}

}  // namespace
}  // namespace cairn::agent
