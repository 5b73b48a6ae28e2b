// Tests of the server FSM: every command kind through Apply, Consul's cross-store session
// rules, snapshots (round trip, corrupt streams refused without change) and determinism.
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <cairn/agent/fsm.h>

namespace cairn::agent {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

kv::TxnOp Op(kv::TxnVerb verb, std::string key, std::string value = "", uint64_t index = 0) {
  kv::TxnOp op;
  op.verb = verb;
  op.key = std::move(key);
  op.value = std::move(value);
  op.index = index;
  return op;
}

catalog::Check MakeCheck(std::string id, std::string status, std::string service_id = "") {
  catalog::Check c;
  c.check_id = id;
  c.name = id;
  c.status = std::move(status);
  c.service_id = std::move(service_id);
  return c;
}

// Feeds entries with consecutive indexes to an Fsm.
struct Feeder {
  Fsm fsm;
  uint64_t next = 1;
  std::any Apply(std::string data) {
    return fsm.Apply(raft::Entry{.index = next++, .term = 1, .data = std::move(data)});
  }
  template <typename T>
  absl::StatusOr<T> Run(std::string data) {
    std::any r = Apply(std::move(data));
    return TakeResult<T>(r);
  }
  absl::StatusOr<bool> Kv(KvWriteRequest w, absl::Time now = kT0) {
    return Run<bool>(EncodeKvWrite(w, now));
  }
  std::string Snap() { return fsm.SnapshotBytes().value(); }
};

catalog::RegisterRequest NodeWithSerf(std::string node, std::string status = "passing") {
  catalog::RegisterRequest r;
  r.node.name = node;
  r.node.address = "10.0.0.1";
  r.checks.push_back(MakeCheck("serfHealth", status));
  return r;
}

kv::Session DefaultSession(std::string id, std::string node) {
  return ResolveSessionRequest(SessionCreateRequest{.id = id, .node = node}, "ignored", "");
}

TEST_CASE("fsm applies every single-key KV write", "[unit]") {
  Feeder f;
  REQUIRE(f.Kv({.op = KvWriteOp::kSet, .key = "a", .value = "1", .flags = 7}).value());
  auto e = f.fsm.kv().Snapshot().Get("a");
  REQUIRE(e);
  CHECK(e->value() == "1");
  CHECK(e->flags() == 7);
  CHECK(e->modify_index() == 1);

  CHECK_FALSE(f.Kv({.op = KvWriteOp::kCas, .key = "a", .value = "2", .index = 99}).value());
  CHECK(f.Kv({.op = KvWriteOp::kCas, .key = "a", .value = "2", .index = 1}).value());
  CHECK(f.fsm.kv().Snapshot().Get("a")->value() == "2");
  CHECK_FALSE(f.Kv({.op = KvWriteOp::kCas, .key = "b", .value = "x", .index = 5}).value());
  CHECK(f.Kv({.op = KvWriteOp::kCas, .key = "b", .value = "x", .index = 0}).value());

  CHECK(f.Kv({.op = KvWriteOp::kDeleteCas, .key = "b", .index = 1}).ok());
  CHECK_FALSE(f.Kv({.op = KvWriteOp::kDeleteCas, .key = "b", .index = 1}).value());
  uint64_t b_index = f.fsm.kv().Snapshot().Get("b")->modify_index();
  CHECK(f.Kv({.op = KvWriteOp::kDeleteCas, .key = "b", .index = b_index}).value());
  CHECK_FALSE(f.fsm.kv().Snapshot().Get("b"));

  REQUIRE(f.Kv({.op = KvWriteOp::kSet, .key = "t/1", .value = "x"}).value());
  REQUIRE(f.Kv({.op = KvWriteOp::kSet, .key = "t/2", .value = "y"}).value());
  CHECK(f.Kv({.op = KvWriteOp::kDelete, .key = "a"}).value());
  CHECK(f.Kv({.op = KvWriteOp::kDeleteTree, .key = "t/"}).value());
  CHECK(f.fsm.kv().Snapshot().entry_count() == 0);
  CHECK(f.fsm.kv().Snapshot().tombstone_count() == 4);
  CHECK(f.fsm.last_applied() == f.next - 1);

  // The leader's tombstone GC: up to the index of the delete of "a" (b and a go; t/1 and
  // t/2, deleted by the tree delete after it, stay).
  absl::StatusOr<uint64_t> reaped = f.Run<uint64_t>(EncodeReapTombstones(f.next - 2, kT0));
  REQUIRE(reaped.ok());
  CHECK(*reaped == 2);
  CHECK(f.fsm.kv().Snapshot().tombstone_count() == 2);
}

TEST_CASE("fsm refuses bad commands and changes nothing", "[unit]") {
  Feeder f;
  REQUIRE(f.Kv({.key = "k", .value = "v"}).value());

  std::any r = f.Apply("\xff\xff\xff not a protobuf");
  CHECK(TakeResult<bool>(r).status().code() == absl::StatusCode::kInvalidArgument);
  r = f.Apply("");  // decodes, but names no operation
  CHECK(TakeResult<bool>(r).status().code() == absl::StatusCode::kInvalidArgument);

  absl::StatusOr<bool> empty_key = f.Kv({.key = "", .value = "v"});
  CHECK(empty_key.status().code() == absl::StatusCode::kInvalidArgument);
  absl::StatusOr<bool> huge = f.Kv({.key = "big", .value = std::string(600 * 1024, 'x')});
  CHECK(huge.status().code() == absl::StatusCode::kInvalidArgument);
  absl::StatusOr<bool> bad_session =
      f.Kv({.op = KvWriteOp::kAcquire, .key = "k", .value = "v", .session = "nope"});
  CHECK(bad_session.status().message() == "invalid session \"nope\"");

  absl::StatusOr<kv::TxnOutcome> no_ops = f.Run<kv::TxnOutcome>(EncodeTxn({}, kT0));
  CHECK(no_ops.status().code() == absl::StatusCode::kInvalidArgument);
  absl::StatusOr<CatalogWriteResult> no_node =
      f.Run<CatalogWriteResult>(EncodeRegister(catalog::RegisterRequest{}, kT0));
  CHECK(no_node.status().code() == absl::StatusCode::kInvalidArgument);

  // Nothing changed in either store.
  CHECK(f.fsm.kv().Snapshot().Get("k")->modify_index() == 1);
  CHECK(f.fsm.kv().Snapshot().kv_index() == 1);
  CHECK(f.fsm.catalog().Read().LastIndex() == 0);
}

TEST_CASE("fsm txn commits all operations or none", "[unit]") {
  Feeder f;
  std::vector<kv::TxnOp> ok_ops = {
      Op(kv::TxnVerb::kSet, "x", "1"),
      Op(kv::TxnVerb::kSet, "y", "2"),
      Op(kv::TxnVerb::kGet, "x"),
  };
  absl::StatusOr<kv::TxnOutcome> out = f.Run<kv::TxnOutcome>(EncodeTxn(ok_ops, kT0));
  REQUIRE(out.ok());
  CHECK(out->errors.empty());
  CHECK(out->results.size() == 3);
  CHECK(f.fsm.kv().Snapshot().entry_count() == 2);

  std::vector<kv::TxnOp> bad_ops = {
      Op(kv::TxnVerb::kSet, "z", "3"),
      Op(kv::TxnVerb::kCas, "x", "9", 42),
  };
  out = f.Run<kv::TxnOutcome>(EncodeTxn(bad_ops, kT0));
  REQUIRE(out.ok());
  REQUIRE(out->errors.size() == 1);
  CHECK(out->errors[0].op_index == 1);
  CHECK(out->errors[0].what == "failed to set key \"x\", index is stale");
  CHECK_FALSE(f.fsm.kv().Snapshot().Get("z"));
  CHECK(f.fsm.kv().Snapshot().Get("x")->value() == "1");
}

TEST_CASE("session create defaults follow Consul 1.7 rules", "[unit]") {
  using V = std::vector<std::string>;
  kv::Session s = ResolveSessionRequest({}, "agent-node", "gen-id");
  CHECK(s.id == "gen-id");
  CHECK(s.node == "agent-node");
  CHECK(s.node_checks == V{"serfHealth"});
  CHECK(s.checks.empty());

  s = ResolveSessionRequest({.checks = V{}}, "n", "id");
  CHECK(s.node_checks.empty());
  CHECK(s.checks.empty());

  s = ResolveSessionRequest({.node_checks = V{}}, "n", "id");
  CHECK(s.node_checks.empty());
  CHECK(s.checks.empty());

  s = ResolveSessionRequest({.checks = V{"a"}}, "n", "id");
  CHECK(s.checks == V{"a"});
  CHECK(s.node_checks == V{"serfHealth"});

  s = ResolveSessionRequest({.checks = V{"a"}, .node_checks = V{"b"}}, "n", "id");
  CHECK(s.checks == V{"a"});
  CHECK(s.node_checks == V{"b"});

  s = ResolveSessionRequest({.id = "mine", .node = "other"}, "n", "id");
  CHECK(s.id == "mine");
  CHECK(s.node == "other");
}

TEST_CASE("session create is validated against the catalog", "[unit]") {
  Feeder f;
  auto create = [&](const kv::Session& s) {
    return f.Run<kv::Session>(EncodeSessionCreate(s, kT0));
  };
  CHECK(create(DefaultSession("s1", "n1")).status().message() == "Missing node registration");

  catalog::RegisterRequest reg = NodeWithSerf("n1");
  reg.checks.push_back(MakeCheck("disk", "critical"));
  REQUIRE(f.Run<CatalogWriteResult>(EncodeRegister(reg, kT0)).ok());

  kv::Session with_missing = DefaultSession("s1", "n1");
  with_missing.node_checks.push_back("nope");
  CHECK(create(with_missing).status().message() == "Missing check 'nope' registration");
  kv::Session with_critical = DefaultSession("s1", "n1");
  with_critical.node_checks.push_back("disk");
  CHECK(create(with_critical).status().message() == "Check 'disk' is in critical state");
  CHECK(f.fsm.kv().Snapshot().ListSessions().empty());

  absl::StatusOr<kv::Session> made = create(DefaultSession("s1", "n1"));
  REQUIRE(made.ok());
  CHECK(made->create_index == f.next - 1);
  CHECK(create(DefaultSession("s1", "n1")).status().code() == absl::StatusCode::kAlreadyExists);

  kv::Session bad_ttl = DefaultSession("s2", "n1");
  bad_ttl.ttl = std::chrono::seconds(1);
  CHECK(create(bad_ttl).status().code() == absl::StatusCode::kInvalidArgument);

  absl::StatusOr<bool> destroyed = f.Run<bool>(EncodeSessionDestroy("s1", false, kT0));
  CHECK(destroyed.value());
  CHECK(f.fsm.kv().Snapshot().ListSessions().empty());
  CHECK(f.Run<bool>(EncodeSessionDestroy("unknown", false, kT0)).value());
}

TEST_CASE("a check turning critical invalidates its sessions with lock-delay", "[unit]") {
  Feeder f;
  REQUIRE(f.Run<CatalogWriteResult>(EncodeRegister(NodeWithSerf("n1"), kT0)).ok());
  REQUIRE(f.Run<kv::Session>(EncodeSessionCreate(DefaultSession("s1", "n1"), kT0)).ok());
  REQUIRE(f.Kv({.op = KvWriteOp::kAcquire, .key = "lock", .value = "me", .session = "s1"}).value());
  CHECK(f.fsm.kv().Snapshot().Get("lock")->session() == "s1");

  // serfHealth goes critical at kT0 + 1s: the session is destroyed, the lock released.
  const absl::Time t1 = kT0 + absl::Seconds(1);
  REQUIRE(f.Run<CatalogWriteResult>(EncodeRegister(NodeWithSerf("n1", "critical"), t1)).ok());
  CHECK(f.fsm.kv().Snapshot().ListSessions().empty());
  auto e = f.fsm.kv().Snapshot().Get("lock");
  REQUIRE(e);
  CHECK(e->session().empty());
  CHECK(e->value() == "me");

  // Lock-delay (15 s default) runs on the time carried in the commands.
  REQUIRE(f.Run<CatalogWriteResult>(EncodeRegister(NodeWithSerf("n1"), t1)).ok());
  REQUIRE(f.Run<kv::Session>(EncodeSessionCreate(DefaultSession("s2", "n1"), t1)).ok());
  KvWriteRequest acquire{.op = KvWriteOp::kAcquire, .key = "lock", .value = "2", .session = "s2"};
  CHECK_FALSE(f.Kv(acquire, t1 + absl::Seconds(5)).value());
  CHECK(f.Kv(acquire, t1 + absl::Seconds(16)).value());
}

TEST_CASE("deregistering a node invalidates its sessions and deletes their keys", "[unit]") {
  Feeder f;
  REQUIRE(f.Run<CatalogWriteResult>(EncodeRegister(NodeWithSerf("n1"), kT0)).ok());
  kv::Session s = DefaultSession("s1", "n1");
  s.behavior = kv::SessionBehavior::kDelete;
  REQUIRE(f.Run<kv::Session>(EncodeSessionCreate(s, kT0)).ok());
  REQUIRE(f.Kv({.op = KvWriteOp::kAcquire, .key = "eph", .value = "x", .session = "s1"}).value());

  std::vector<std::string> destroyed;
  f.fsm.SetSessionObserver({.destroyed = [&](const std::string& id) { destroyed.push_back(id); }});
  REQUIRE(f.Run<CatalogWriteResult>(EncodeDeregister(catalog::DeregisterRequest{"n1", "", ""}, kT0))
              .ok());
  CHECK(f.fsm.catalog().Read().GetNode("n1") == nullptr);
  CHECK(f.fsm.kv().Snapshot().ListSessions().empty());
  CHECK_FALSE(f.fsm.kv().Snapshot().Get("eph"));
  CHECK(destroyed == std::vector<std::string>{"s1"});
}

TEST_CASE("deregistering a check a session lists invalidates the session", "[unit]") {
  Feeder f;
  catalog::RegisterRequest reg = NodeWithSerf("n1");
  reg.checks.push_back(MakeCheck("mem", "passing"));
  REQUIRE(f.Run<CatalogWriteResult>(EncodeRegister(reg, kT0)).ok());
  kv::Session s = DefaultSession("s1", "n1");
  s.node_checks = {"mem"};
  REQUIRE(f.Run<kv::Session>(EncodeSessionCreate(s, kT0)).ok());
  REQUIRE(f.Run<kv::Session>(EncodeSessionCreate(DefaultSession("s2", "n1"), kT0)).ok());
  REQUIRE(
      f.Run<CatalogWriteResult>(EncodeDeregister(catalog::DeregisterRequest{"n1", "", "mem"}, kT0))
          .ok());
  std::vector<kv::Session> left = f.fsm.kv().Snapshot().ListSessions();
  REQUIRE(left.size() == 1);
  CHECK(left[0].id == "s2");
}

TEST_CASE("session observer reports TTL sessions", "[unit]") {
  Feeder f;
  std::vector<std::string> created;
  f.fsm.SetSessionObserver({.created = [&](const kv::Session& s) { created.push_back(s.id); }});
  REQUIRE(f.Run<CatalogWriteResult>(EncodeRegister(NodeWithSerf("n1"), kT0)).ok());
  REQUIRE(f.Run<kv::Session>(EncodeSessionCreate(DefaultSession("plain", "n1"), kT0)).ok());
  kv::Session ttl = DefaultSession("ttl", "n1");
  ttl.ttl = std::chrono::seconds(15);
  ttl.ttl_text = "15s";
  REQUIRE(f.Run<kv::Session>(EncodeSessionCreate(ttl, kT0)).ok());
  CHECK(created == std::vector<std::string>{"ttl"});
}

// A state with a bit of everything.
void Populate(Feeder& f) {
  catalog::RegisterRequest reg = NodeWithSerf("n1");
  catalog::Service web;
  web.id = "web1";
  web.service = "web";
  web.tags = {"v1"};
  web.port = 80;
  reg.service = web;
  reg.checks.push_back(MakeCheck("web-alive", "passing", "web1"));
  REQUIRE(f.Run<CatalogWriteResult>(EncodeRegister(reg, kT0)).ok());
  REQUIRE(f.Run<CatalogWriteResult>(EncodeRegister(NodeWithSerf("n2"), kT0)).ok());
  kv::Session s = DefaultSession("s1", "n1");
  s.ttl = std::chrono::seconds(30);
  s.ttl_text = "30s";
  REQUIRE(f.Run<kv::Session>(EncodeSessionCreate(s, kT0)).ok());
  for (int i = 0; i < 50; ++i) {
    REQUIRE(f.Kv({.key = "k/" + std::to_string(i),
                  .value = std::string(i * 10, 'v'),
                  .flags = static_cast<uint64_t>(i)})
                .value());
  }
  REQUIRE(f.Kv({.op = KvWriteOp::kAcquire, .key = "lock", .value = "l", .session = "s1"}).value());
  REQUIRE(f.Kv({.op = KvWriteOp::kDelete, .key = "k/3"}).value());
}

TEST_CASE("snapshot round trip gives identical state in a fresh fsm", "[unit]") {
  Feeder f;
  Populate(f);
  std::string bytes = f.Snap();

  // Through the raft::StateMachine interface, as a Node installs snapshots.
  std::ostringstream out;
  auto snap = f.fsm.Snapshot();
  REQUIRE(snap.ok());
  REQUIRE((*snap)->WriteTo(out).ok());
  CHECK(out.str() == bytes);

  Fsm fresh;
  int resets = 0;
  fresh.SetSessionObserver({.reset = [&] { ++resets; }});
  std::istringstream in(bytes);
  REQUIRE(fresh.Restore(in).ok());
  CHECK(resets == 1);
  CHECK(fresh.SnapshotBytes().value() == bytes);
  CHECK(fresh.last_applied() == f.fsm.last_applied());
  CHECK(fresh.kv().Snapshot().Get("lock")->session() == "s1");
  CHECK(fresh.catalog().Read().GetService("n1", "web1") != nullptr);
  CHECK(fresh.kv().Snapshot().tombstone_count() == 1);

  // The restored FSM keeps applying where the original left off.
  raft::Entry next;
  next.index = f.next;
  next.term = 2;
  next.data = EncodeKvWrite({.key = "after", .value = "1"}, kT0);
  std::any r1 = f.fsm.Apply(next);
  std::any r2 = fresh.Apply(next);
  CHECK(TakeResult<bool>(r1).value());
  CHECK(TakeResult<bool>(r2).value());
  CHECK(fresh.SnapshotBytes().value() == f.Snap());
}

TEST_CASE("restore refuses a corrupt stream and leaves the state unchanged", "[unit]") {
  Feeder src;
  Populate(src);
  std::string good = src.Snap();

  Feeder dst;
  REQUIRE(dst.Kv({.key = "mine", .value = "keep"}).value());
  std::string before = dst.Snap();

  std::vector<std::string> bad;
  bad.push_back("");
  bad.push_back("CAIRNFSM");
  bad.push_back(good.substr(0, good.size() / 2));
  bad.push_back(good.substr(0, good.size() - 1));
  bad.push_back(good + "x");
  std::string flipped = good;
  flipped[good.size() / 2] ^= 0x01;
  bad.push_back(flipped);
  std::string magic = good;
  magic[0] = 'X';
  bad.push_back(magic);
  for (std::size_t i = 0; i < bad.size(); ++i) {
    INFO("case " << i);
    before = dst.Snap();  // the refused commands below still advance the applied index
    std::istringstream in(bad[i]);
    absl::Status s = dst.fsm.Restore(in);
    CHECK_FALSE(s.ok());
    CHECK_FALSE(dst.fsm.ValidateSnapshot(bad[i]).ok());
    CHECK(dst.Snap() == before);
    // The same through the PUT /v1/snapshot command path.
    absl::StatusOr<uint64_t> r = dst.Run<uint64_t>(EncodeRestore(bad[i], kT0));
    CHECK_FALSE(r.ok());
    CHECK(dst.fsm.kv().Snapshot().Get("mine")->value() == "keep");
  }
  CHECK(dst.fsm.ValidateSnapshot(good).ok());
}

TEST_CASE("restore command replaces the state and keeps store indexes rising", "[unit]") {
  Feeder src;
  Populate(src);
  for (int i = 0; i < 100; ++i) REQUIRE(src.Kv({.key = "bulk", .value = std::to_string(i)}).ok());
  std::string snapshot = src.Snap();
  uint64_t src_index = src.fsm.kv().Snapshot().kv_index();

  Feeder dst;
  REQUIRE(dst.Kv({.key = "old", .value = "gone"}).value());
  absl::StatusOr<uint64_t> at = dst.Run<uint64_t>(EncodeRestore(snapshot, kT0));
  REQUIRE(at.ok());
  CHECK(*at == 2);
  CHECK_FALSE(dst.fsm.kv().Snapshot().Get("old"));
  CHECK(dst.fsm.kv().Snapshot().Get("bulk")->value() == "99");
  CHECK(dst.fsm.index_offset() > 0);

  REQUIRE(dst.Kv({.key = "new", .value = "1"}).value());
  CHECK(dst.fsm.kv().Snapshot().Get("new")->modify_index() > src_index);

  // A snapshot of the restored cluster round-trips too, offset included.
  Fsm fresh;
  std::istringstream in(dst.Snap());
  REQUIRE(fresh.Restore(in).ok());
  CHECK(fresh.index_offset() == dst.fsm.index_offset());
  CHECK(fresh.SnapshotBytes().value() == dst.Snap());
}

TEST_CASE("two fsms fed the same entries reach the same state", "[unit]") {
  Feeder a, b;
  Populate(a);
  Populate(b);
  // Include failures, invalidations and txns in the shared history.
  for (Feeder* f : {&a, &b}) {
    REQUIRE(f->Run<CatalogWriteResult>(
                 EncodeRegister(NodeWithSerf("n1", "critical"), kT0 + absl::Seconds(3)))
                .ok());
    CHECK_FALSE(f->Kv({.op = KvWriteOp::kCas, .key = "k/1", .value = "z", .index = 1}).value());
    std::vector<kv::TxnOp> ops = {Op(kv::TxnVerb::kDeleteTree, "k/1"),
                                  Op(kv::TxnVerb::kSet, "t", "v")};
    CHECK(f->Run<kv::TxnOutcome>(EncodeTxn(ops, kT0)).ok());
  }
  CHECK(a.Snap() == b.Snap());
  CHECK(a.fsm.kv().Snapshot().LockDelayUntil("lock") ==
        b.fsm.kv().Snapshot().LockDelayUntil("lock"));
  CHECK(a.fsm.kv().Snapshot().LockDelayUntil("lock").has_value());
}

TEST_CASE("fsm skips raft entries that are not commands", "[unit]") {
  Fsm fsm;
  std::any r =
      fsm.Apply(raft::Entry{.index = 1, .term = 1, .type = raft::EntryType::kNoop, .data = ""});
  CHECK_FALSE(r.has_value());
  r = fsm.Apply(
      raft::Entry{.index = 2, .term = 1, .data = EncodeKvWrite({.key = "a", .value = "b"}, kT0)});
  CHECK(TakeResult<bool>(r).value());
  CHECK(fsm.kv().Snapshot().Get("a")->modify_index() == 2);
}

}  // namespace
}  // namespace cairn::agent
