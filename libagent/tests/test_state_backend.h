// test_state_backend.h — a StateBackend for the HTTP API tests: writes go straight into a
// kv::Store and a catalog::Catalog (one shared Raft-like index counter, no Raft), reads
// answer at once. The leader, peers and Raft configuration are whatever the test sets, and
// reads can be made to fail ("No cluster leader"). With SetAsync(executor) every callback
// is posted there instead of running inline, as the Raft backend's callbacks come from
// another thread.
//
// Thread-safe: writes are serialised by a mutex, as the FSM's single apply thread would be.
#ifndef CAIRN_AGENT_TESTS_TEST_STATE_BACKEND_H_
#define CAIRN_AGENT_TESTS_TEST_STATE_BACKEND_H_

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include <cairn/agent/state_backend.h>

namespace cairn::agent::testing {

class TestStateBackend final : public StateBackend {
 public:
  // `node` is this agent's node name (the default Node of a session); it is registered in
  // the catalog with a passing serfHealth check, as a real server registers itself.
  explicit TestStateBackend(std::string node = "test-node");

  void KvWrite(KvWriteRequest request, ResultCallback<bool> done) override;
  void Txn(std::vector<kv::TxnOp> ops, ResultCallback<kv::TxnOutcome> done) override;
  void CreateSession(SessionCreateRequest request, ResultCallback<kv::Session> done) override;
  void DestroySession(std::string id, ResultCallback<bool> done) override;
  void RenewSession(std::string id, ResultCallback<kv::Session> done) override;
  void Register(catalog::RegisterRequest request, ResultCallback<CatalogWriteResult> done) override;
  void Deregister(catalog::DeregisterRequest request,
                  ResultCallback<CatalogWriteResult> done) override;
  void Read(Consistency consistency, ResultCallback<ReadContext> done) override;
  kv::Store& kv() override { return kv_; }
  catalog::Catalog& catalog() override { return catalog_; }
  QueryMeta Meta() const override;
  std::string LeaderAddress() const override;
  std::vector<std::string> Peers() const override;
  RaftInfo RaftConfiguration() const override;
  void RemovePeer(uint64_t id, ResultCallback<bool> done) override;
  void RemovePeerByAddress(std::string address, ResultCallback<bool> done) override;
  void TransferLeader(uint64_t id, ResultCallback<bool> done) override;
  void SaveSnapshot(Consistency consistency, ResultCallback<SnapshotData> done) override;
  void RestoreSnapshot(std::string state, ResultCallback<uint64_t> done) override;

  // ---- test controls ----
  void SetAsync(boost::asio::any_io_executor executor);
  // Non-OK: every non-stale Read fails with it (stale reads still answer).
  void SetReadError(absl::Status status);
  void SetMeta(QueryMeta meta);
  void SetRaft(RaftInfo info, std::string leader_address);
  // Registers a check on `node` (which must exist) with `status`.
  void PutCheck(std::string node, std::string check_id, std::string status);
  void PutNode(std::string node, std::string address, std::string id = "");
  // Consistency modes Read() was called with, in order.
  std::vector<Consistency> reads() const;
  // The Raft id TransferLeader was last called with.
  std::optional<uint64_t> transferred_to() const;
  uint64_t last_index() const;

 private:
  template <typename T>
  void Answer(ResultCallback<T> done, absl::StatusOr<T> value);
  uint64_t NextIndex();  // requires mu_

  std::string node_;
  kv::Store kv_;
  catalog::Catalog catalog_;
  mutable std::mutex mu_;
  uint64_t index_ = 0;
  std::optional<boost::asio::any_io_executor> async_;
  absl::Status read_error_;
  QueryMeta meta_{true, std::chrono::milliseconds(0)};
  RaftInfo raft_;
  std::string leader_;
  std::vector<Consistency> reads_;
  std::optional<uint64_t> transferred_to_;
};

}  // namespace cairn::agent::testing

#endif  // CAIRN_AGENT_TESTS_TEST_STATE_BACKEND_H_
