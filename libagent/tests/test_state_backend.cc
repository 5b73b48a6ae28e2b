#include "test_state_backend.h"

#include <boost/asio/post.hpp>

#include <cairn/agent/config_loader.h>
#include <cairn/base/status.h>

namespace cairn::agent::testing {

TestStateBackend::TestStateBackend(std::string node) : node_(std::move(node)) {
  PutNode(node_, "127.0.0.1");
  PutCheck(node_, "serfHealth", std::string(catalog::kStatusPassing));
}

template <typename T>
void TestStateBackend::Answer(ResultCallback<T> done, absl::StatusOr<T> value) {
  std::optional<boost::asio::any_io_executor> async;
  {
    std::lock_guard lock(mu_);
    async = async_;
  }
  if (!async) {
    std::move(done)(std::move(value));
    return;
  }
  boost::asio::post(*async, [done = std::move(done), value = std::move(value)]() mutable {
    std::move(done)(std::move(value));
  });
}

uint64_t TestStateBackend::NextIndex() { return ++index_; }

void TestStateBackend::KvWrite(KvWriteRequest r, ResultCallback<bool> done) {
  absl::StatusOr<bool> result;
  {
    std::lock_guard lock(mu_);
    kv::WriteTxn txn = kv_.BeginWrite(NextIndex());
    switch (r.op) {
      case KvWriteOp::kSet:
        result = txn.Set(r.key, r.value, r.flags);
        break;
      case KvWriteOp::kCas:
        result = txn.Cas(r.key, r.value, r.flags, r.index);
        break;
      case KvWriteOp::kAcquire:
        result = txn.Acquire(r.key, r.value, r.flags, r.session, absl::Now());
        break;
      case KvWriteOp::kRelease:
        result = txn.Release(r.key, r.value, r.flags, r.session);
        break;
      case KvWriteOp::kDelete:
        result = txn.Delete(r.key);
        break;
      case KvWriteOp::kDeleteCas:
        result = txn.DeleteCas(r.key, r.index);
        break;
      case KvWriteOp::kDeleteTree:
        result = txn.DeleteTree(r.key);
        break;
    }
    if (result.ok()) txn.Commit();
  }
  Answer(std::move(done), std::move(result));
}

void TestStateBackend::Txn(std::vector<kv::TxnOp> ops, ResultCallback<kv::TxnOutcome> done) {
  absl::StatusOr<kv::TxnOutcome> outcome;
  {
    std::lock_guard lock(mu_);
    kv::WriteTxn txn = kv_.BeginWrite(NextIndex());
    outcome = txn.ApplyTxn(ops, absl::Now());
    if (outcome.ok() && outcome->errors.empty()) txn.Commit();
  }
  Answer(std::move(done), std::move(outcome));
}

void TestStateBackend::CreateSession(SessionCreateRequest r, ResultCallback<kv::Session> done) {
  kv::Session s;
  s.id = r.id.empty() ? GenerateUuid() : r.id;
  s.name = r.name;
  s.node = r.node.empty() ? node_ : r.node;
  // Consul 1.7+: see SessionCreateRequest.
  if (r.node_checks) {
    s.node_checks = *r.node_checks;
  } else if (!r.checks || !r.checks->empty()) {
    s.node_checks = {"serfHealth"};
  }
  if (r.checks) s.checks = *r.checks;
  s.service_checks = r.service_checks;
  s.lock_delay = r.lock_delay;
  s.behavior = r.behavior;
  s.ttl = r.ttl;
  s.ttl_text = r.ttl_text;
  catalog::ReadView view = catalog_.Read();
  absl::Status error;
  if (!view.GetNode(s.node)) {
    error = absl::FailedPreconditionError("Missing node registration");
  } else {
    for (const std::string& id : s.AllCheckIds()) {
      auto check = view.GetCheck(s.node, id);
      if (!check) {
        error = absl::FailedPreconditionError("Missing check '" + id + "' registration");
        break;
      }
      if (check->status == catalog::kStatusCritical) {
        error = absl::FailedPreconditionError("Check '" + id + "' is in critical state");
        break;
      }
    }
  }
  if (!error.ok()) return Answer<kv::Session>(std::move(done), error);
  absl::StatusOr<kv::Session> result;
  {
    std::lock_guard lock(mu_);
    kv::WriteTxn txn = kv_.BeginWrite(NextIndex());
    result = txn.CreateSession(s);
    if (result.ok()) txn.Commit();
  }
  Answer(std::move(done), std::move(result));
}

void TestStateBackend::DestroySession(std::string id, ResultCallback<bool> done) {
  absl::StatusOr<bool> result;
  {
    std::lock_guard lock(mu_);
    kv::WriteTxn txn = kv_.BeginWrite(NextIndex());
    result = txn.DestroySession(id, absl::Now());
    if (result.ok()) txn.Commit();
  }
  Answer(std::move(done), result.ok() ? absl::StatusOr<bool>(true) : result);
}

void TestStateBackend::RenewSession(std::string id, ResultCallback<kv::Session> done) {
  absl::StatusOr<kv::SessionRenewal> r = kv_.Snapshot().Renew(id, std::chrono::steady_clock::now());
  if (!r.ok()) return Answer<kv::Session>(std::move(done), r.status());
  Answer<kv::Session>(std::move(done), std::move(r->session));
}

void TestStateBackend::Register(catalog::RegisterRequest request,
                                ResultCallback<CatalogWriteResult> done) {
  absl::StatusOr<CatalogWriteResult> result;
  {
    std::lock_guard lock(mu_);
    uint64_t index = NextIndex();
    catalog::WriteTxn txn = catalog_.BeginWrite(index);
    absl::Status st = txn.Register(request);
    if (st.ok()) st = txn.Commit().status();
    result = st.ok() ? absl::StatusOr<CatalogWriteResult>(CatalogWriteResult{index}) : st;
  }
  Answer(std::move(done), std::move(result));
}

void TestStateBackend::Deregister(catalog::DeregisterRequest request,
                                  ResultCallback<CatalogWriteResult> done) {
  absl::StatusOr<CatalogWriteResult> result;
  {
    std::lock_guard lock(mu_);
    uint64_t index = NextIndex();
    catalog::WriteTxn txn = catalog_.BeginWrite(index);
    absl::Status st = txn.Deregister(request);
    if (st.ok()) st = txn.Commit().status();
    result = st.ok() ? absl::StatusOr<CatalogWriteResult>(CatalogWriteResult{index}) : st;
  }
  Answer(std::move(done), std::move(result));
}

void TestStateBackend::Read(Consistency consistency, ResultCallback<ReadContext> done) {
  absl::Status error;
  QueryMeta meta;
  {
    std::lock_guard lock(mu_);
    reads_.push_back(consistency);
    if (consistency != Consistency::kStale) error = read_error_;
    meta = meta_;
  }
  if (!error.ok()) return Answer<ReadContext>(std::move(done), error);
  Answer(std::move(done),
         absl::StatusOr<ReadContext>(ReadContext{kv_.Snapshot(), catalog_.Read(), meta}));
}

QueryMeta TestStateBackend::Meta() const {
  std::lock_guard lock(mu_);
  return meta_;
}

std::string TestStateBackend::LeaderAddress() const {
  std::lock_guard lock(mu_);
  return leader_;
}

std::vector<std::string> TestStateBackend::Peers() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& s : raft_.servers) out.push_back(s.address);
  return out;
}

RaftInfo TestStateBackend::RaftConfiguration() const {
  std::lock_guard lock(mu_);
  return raft_;
}

void TestStateBackend::RemovePeer(uint64_t id, ResultCallback<bool> done) {
  absl::StatusOr<bool> result = absl::NotFoundError("no such server");
  {
    std::lock_guard lock(mu_);
    auto& v = raft_.servers;
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (it->id == id) {
        v.erase(it);
        ++raft_.index;
        result = true;
        break;
      }
    }
  }
  Answer(std::move(done), std::move(result));
}

void TestStateBackend::RemovePeerByAddress(std::string address, ResultCallback<bool> done) {
  std::optional<uint64_t> id;
  {
    std::lock_guard lock(mu_);
    for (const auto& s : raft_.servers) {
      if (s.address == address) id = s.id;
    }
  }
  if (!id) {
    return Answer<bool>(
        std::move(done),
        absl::NotFoundError("address \"" + address + "\" was not found in the Raft configuration"));
  }
  RemovePeer(*id, std::move(done));
}

void TestStateBackend::TransferLeader(uint64_t id, ResultCallback<bool> done) {
  {
    std::lock_guard lock(mu_);
    transferred_to_ = id;
  }
  Answer(std::move(done), absl::StatusOr<bool>(true));
}

void TestStateBackend::SaveSnapshot(Consistency, ResultCallback<SnapshotData> done) {
  Answer<SnapshotData>(std::move(done),
                       absl::UnimplementedError("the test backend takes no snapshots"));
}

void TestStateBackend::RestoreSnapshot(std::string, ResultCallback<uint64_t> done) {
  Answer<uint64_t>(std::move(done),
                   absl::UnimplementedError("the test backend restores no snapshots"));
}

void TestStateBackend::SetAsync(boost::asio::any_io_executor executor) {
  std::lock_guard lock(mu_);
  async_ = std::move(executor);
}

void TestStateBackend::SetReadError(absl::Status status) {
  std::lock_guard lock(mu_);
  read_error_ = std::move(status);
}

void TestStateBackend::SetMeta(QueryMeta meta) {
  std::lock_guard lock(mu_);
  meta_ = meta;
}

void TestStateBackend::SetRaft(RaftInfo info, std::string leader_address) {
  std::lock_guard lock(mu_);
  raft_ = std::move(info);
  leader_ = std::move(leader_address);
}

void TestStateBackend::PutNode(std::string node, std::string address, std::string id) {
  catalog::RegisterRequest r;
  r.node.name = std::move(node);
  r.node.address = std::move(address);
  r.node.id = std::move(id);
  Register(std::move(r), [](absl::StatusOr<CatalogWriteResult> result) {
    CAIRN_CHECK_MSG(result.ok(), "{}", result.status());
  });
}

void TestStateBackend::PutCheck(std::string node, std::string check_id, std::string status) {
  catalog::RegisterRequest r;
  r.node.name = node;
  r.skip_node_update = true;
  catalog::Check c;
  c.node = node;
  c.check_id = check_id;
  c.name = check_id;
  c.status = std::move(status);
  r.checks.push_back(std::move(c));
  Register(std::move(r), [](absl::StatusOr<CatalogWriteResult> result) {
    CAIRN_CHECK_MSG(result.ok(), "{}", result.status());
  });
}

std::vector<Consistency> TestStateBackend::reads() const {
  std::lock_guard lock(mu_);
  return reads_;
}

std::optional<uint64_t> TestStateBackend::transferred_to() const {
  std::lock_guard lock(mu_);
  return transferred_to_;
}

uint64_t TestStateBackend::last_index() const {
  std::lock_guard lock(mu_);
  return index_;
}

}  // namespace cairn::agent::testing
