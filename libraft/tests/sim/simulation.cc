#include "sim/simulation.h"

#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <set>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/strings/str_split.h>

#include <cairn/base/status.h>
#include <cairn/raft/core.h>
#include <cairn/raft/memory_log_store.h>

#include "sim/kv_workload.h"
#include "sim/linearizability.h"

namespace cairn::raft::sim {
namespace {

constexpr int64_t kTickMs = 10;
constexpr int64_t kOpTimeoutMs = 2000;

struct SimNode {
  ServerId id = kNoServer;
  MemoryLogStore store;  // Durable: survives crashes.
  std::mt19937_64 rng;
  std::unique_ptr<Core> core;  // Null while crashed.
  KvMachine sm;
  Index sm_applied = 0;
  int64_t phase = 0;
  std::map<Index, int> pending_writes;       // Proposed index -> client.
  std::map<uint64_t, int> read_requests;     // ReadIndex request id -> client.
  std::map<int, Index> reads_waiting_apply;  // Client -> read index.
};

struct Client {
  int id = 0;
  int64_t seq = 0;
  bool busy = false;
  bool is_read = false;
  size_t op = 0;  // Index into history_ (writes) or the pending read below.
  KvOp read;
  std::string data;  // Encoded command of the pending write.
  ServerId node = kNoServer;
  int64_t deadline = 0;
  int64_t next_at = 0;
  ServerId leader_hint = kNoServer;
  std::map<std::string, std::string> last_seen;
};

struct InFlight {
  int64_t at;
  uint64_t seq;
  Message msg;
  bool operator>(const InFlight& o) const { return at != o.at ? at > o.at : seq > o.seq; }
};

class Simulation {
 public:
  explicit Simulation(const SimOptions& o) : opt_(o), rng_(o.seed) {
    loss_ = Uniform(0.0, 0.08);
    dup_ = Uniform(0.0, 0.05);
    slow_ = Uniform(0.0, 0.2);
    cfg_.pre_vote = Chance(0.8);
    cfg_.check_quorum = Chance(0.7);
    cfg_.lease_read = cfg_.check_quorum && Chance(0.5);
    cfg_.max_inflight = 1 + static_cast<int>(rng_() % 16);
    cfg_.max_append_bytes = 64 + rng_() % 512;
    cfg_.snapshot_chunk_bytes = 16 + rng_() % 128;
    Configuration conf;
    for (int i = 1; i <= o.nodes; ++i) conf.servers.push_back({ServerId(i), "", Suffrage::kVoter});
    for (int i = 1; i <= o.nodes; ++i) {
      SimNode& n = AddNode();
      CAIRN_CHECK(n.core->Bootstrap(conf).ok());
    }
    for (int c = 0; c < o.clients; ++c) {
      clients_.emplace_back();
      clients_.back().id = c;
    }
  }

  SimResult Run() {
    int64_t end_faults = opt_.duration_ms;
    int64_t end_clients = end_faults + 3000;
    int64_t end = end_clients + 1500;
    int64_t completed_before_heal = 0;
    for (now_ = 0; now_ < end && result_.ok; ++now_) {
      if (now_ == end_faults) {
        Trace("heal all and restart all");
        cut_.clear();
        for (auto& [id, n] : nodes_) {
          if (!n->core) Restart(*n);
        }
        completed_before_heal = result_.ops_completed + result_.reads_completed;
      }
      if (now_ < end_faults) MaybeFault();
      Deliver();
      for (auto& [id, n] : nodes_) {
        if (n->core && (now_ + n->phase) % kTickMs == 0) n->core->Tick();
      }
      if (now_ < end_clients) RunClients();
      ExpireClients();
      for (auto& [id, n] : nodes_) {
        if (n->core) Process(*n);
      }
      CheckInvariants();
    }
    if (!result_.ok) return result_;
    if (result_.ops_completed + result_.reads_completed == completed_before_heal) {
      std::string nodes;
      for (auto& [id, n] : nodes_) {
        if (!n->core) {
          absl::StrAppend(&nodes, "\n  node ", id, ": crashed");
          continue;
        }
        CoreStatus st = n->core->Status();
        absl::StrAppend(&nodes, "\n  node ", id, ": ", RoleName(st.role), " term ", st.term,
                        " vote ", st.vote, " leader ", st.leader, " last ", st.last_term, ".",
                        st.last_index, " commit ", st.commit, " config ",
                        DebugString(st.configuration), "@", st.configuration_index);
      }
      Fail("no operation completed after healing: the cluster never recovered" + nodes);
      return result_;
    }
    for (Client& c : clients_) {
      if (c.busy && !c.is_read) MarkUnknown(c);
    }
    CheckResult r = CheckKvHistory(history_);
    result_.checker_gave_up = r.gave_up;
    if (!r.linearizable) {
      // Find the earliest time by which the history already cannot be linearized: cut the
      // history there (operations still running become unknown) and binary search.
      auto cut = [&](int64_t t) {
        std::vector<KvOp> h;
        for (const KvOp& op : history_) {
          if (op.key != r.bad_key || op.call > t) continue;
          h.push_back(op);
          if (h.back().ret > t) {
            h.back().ret = KvOp::kNever;
            h.back().unknown = true;
          }
        }
        return h;
      };
      int64_t lo = 0, hi = now_;
      while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (CheckKvHistory(cut(mid)).linearizable) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      std::vector<KvOp> h = cut(lo);
      std::string ops;
      for (size_t i = h.size() > 40 ? h.size() - 40 : 0; i < h.size(); ++i) {
        absl::StrAppend(&ops, "\n  ", h[i].DebugString());
      }
      Fail(absl::StrCat("history of key ", r.bad_key, " is not linearizable; first at t=", lo,
                        "ms; its last operations:", ops));
    }
    return result_;
  }

 private:
  double Uniform(double lo, double hi) { return std::uniform_real_distribution<>(lo, hi)(rng_); }
  bool Chance(double p) { return Uniform(0, 1) < p; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[rng_() % v.size()];
  }

  void Fail(const std::string& what) {
    if (!result_.ok) return;
    result_.ok = false;
    result_.failure =
        absl::StrCat("seed ", opt_.seed, " (", opt_.nodes, " nodes) at t=", now_, "ms: ", what);
  }
  void Trace(const std::string& what) {
    if (opt_.verbose) std::fprintf(stderr, "[t=%lld] %s\n", (long long)now_, what.c_str());
  }

  SimNode& AddNode() {
    auto n = std::make_unique<SimNode>();
    n->id = next_id_++;
    n->rng.seed(rng_());
    n->phase = rng_() % kTickMs;
    SimNode& ref = *n;
    nodes_[n->id] = std::move(n);
    Restart(ref);
    return ref;
  }

  void Restart(SimNode& n) {
    CoreConfig cfg = cfg_;
    cfg.id = n.id;
    n.core = Core::Create(cfg, n.store, n.rng).value();
    n.sm = KvMachine::Parse(n.store.snapshot().data);
    n.sm_applied = n.store.snapshot_index();
  }

  void Crash(SimNode& n) {
    Trace(absl::StrCat("crash ", n.id));
    ++result_.crashes;
    n.core.reset();
    for (auto& [index, client] : n.pending_writes) MarkUnknown(clients_[client]);
    n.pending_writes.clear();
    for (auto& [req, client] : n.read_requests) clients_[client].busy = false;
    for (auto& [client, index] : n.reads_waiting_apply) clients_[client].busy = false;
    n.read_requests.clear();
    n.reads_waiting_apply.clear();
  }

  std::vector<ServerId> Live() const {
    std::vector<ServerId> out;
    for (auto& [id, n] : nodes_) {
      if (n->core) out.push_back(id);
    }
    return out;
  }

  ServerId CurrentLeader() const {
    ServerId best = kNoServer;
    Term term = 0;
    for (auto& [id, n] : nodes_) {
      if (n->core && n->core->role() == Role::kLeader && n->core->term() >= term) {
        best = id;
        term = n->core->term();
      }
    }
    return best;
  }

  // --- network

  void Send(const Message& m) {
    ++result_.messages;
    if (Chance(loss_)) return;
    int copies = Chance(dup_) ? 2 : 1;
    for (int i = 0; i < copies; ++i) {
      int64_t delay = 1 + rng_() % 8;
      if (Chance(slow_)) delay += rng_() % 60;
      network_.push({now_ + delay, msg_seq_++, m});
    }
  }

  void Deliver() {
    while (!network_.empty() && network_.top().at <= now_) {
      Message m = network_.top().msg;
      network_.pop();
      if (cut_.contains({m.from, m.to})) continue;
      auto it = nodes_.find(m.to);
      if (it == nodes_.end() || !it->second->core) continue;
      // Rejections are expected (stale terms, removed servers); safety is what is checked.
      it->second->core->Step(m).IgnoreError();
    }
  }

  // --- faults

  void MaybeFault() {
    if (!Chance(1.0 / 150)) return;
    std::vector<ServerId> ids;
    for (auto& [id, n] : nodes_) ids.push_back(id);
    int kind = rng_() % 100;
    if (kind < 18) {
      cut_.clear();
      std::set<ServerId> side;
      for (ServerId id : ids) {
        if (Chance(0.5)) side.insert(id);
      }
      for (ServerId a : ids) {
        for (ServerId b : ids) {
          if (side.contains(a) != side.contains(b)) cut_.insert({a, b});
        }
      }
      Trace(absl::StrCat("partition ", absl::StrJoin(side, ","), " | rest"));
    } else if (kind < 30) {
      ServerId a = Pick(ids), b = Pick(ids);
      if (a != b) cut_.insert({a, b});
      Trace(absl::StrCat("cut ", a, "->", b));
    } else if (kind < 45) {
      cut_.clear();
      Trace("heal");
    } else if (kind < 60) {
      std::vector<ServerId> live = Live();
      size_t down = nodes_.size() - live.size();
      if (!live.empty() && down < static_cast<size_t>((opt_.nodes - 1) / 2 + 1)) {
        Crash(*nodes_[Pick(live)]);
      }
    } else if (kind < 78) {
      for (auto& [id, n] : nodes_) {
        if (!n->core) {
          Trace(absl::StrCat("restart ", id));
          Restart(*n);
          break;
        }
      }
    } else if (kind < 90) {
      if (opt_.membership_changes) ChangeMembership();
    } else {
      ServerId leader = CurrentLeader();
      if (leader != kNoServer) {
        ServerId target = Pick(ids);
        Trace(absl::StrCat("transfer ", leader, " -> ", target));
        nodes_[leader]->core->TransferLeadership(target).IgnoreError();
      }
    }
  }

  void ChangeMembership() {
    ServerId leader = CurrentLeader();
    if (leader == kNoServer) return;
    Core& core = *nodes_[leader]->core;
    Configuration conf = core.Status().configuration;
    std::vector<ServerId> voters = conf.Voters(), nonvoters;
    for (const Server& s : conf.servers) {
      if (s.suffrage == Suffrage::kNonvoter) nonvoters.push_back(s.id);
    }
    ConfChange change;
    if (!nonvoters.empty()) {
      change = {ConfChange::Op::kAddVoter, Pick(nonvoters), ""};
    } else if (voters.size() <= 3 || (voters.size() < 5 && Chance(0.5))) {
      if (nodes_.size() >= 12) return;  // Bound the simulation's size.
      change = {ConfChange::Op::kAddNonvoter, next_id_, ""};
    } else {
      change = {ConfChange::Op::kRemoveServer, Pick(voters), ""};
    }
    absl::StatusOr<Index> index = core.ProposeConfChange(change);
    Trace(absl::StrCat("conf change op ", static_cast<int>(change.op), " id ", change.id, ": ",
                       index.ok() ? "proposed" : index.status().ToString()));
    if (!index.ok()) return;
    ++result_.config_changes;
    if (change.op == ConfChange::Op::kAddNonvoter) AddNode();
  }

  // --- clients

  void RunClients() {
    for (Client& c : clients_) {
      if (c.busy || c.next_at > now_) continue;
      std::vector<ServerId> live = Live();
      if (live.empty()) return;
      ServerId target = c.leader_hint;
      if (target == kNoServer || !nodes_.contains(target) || !nodes_[target]->core || Chance(0.1)) {
        target = Pick(live);
      }
      SimNode& n = *nodes_[target];
      Command cmd;
      cmd.client = c.id;
      cmd.seq = ++c.seq;
      cmd.key = absl::StrCat("k", rng_() % opt_.keys);
      int kind = rng_() % 10;
      cmd.kind = kind < 4 ? KvOp::Kind::kGet : kind < 7 ? KvOp::Kind::kPut : KvOp::Kind::kCas;
      cmd.value = absl::StrCat("v", c.id, ".", c.seq);
      cmd.expected = c.last_seen[cmd.key];
      KvOp op;
      op.client = c.id;
      op.kind = cmd.kind;
      op.key = cmd.key;
      op.value = cmd.value;
      op.expected = cmd.expected;
      op.call = now_;
      c.node = target;
      c.deadline = now_ + kOpTimeoutMs;
      if (cmd.kind == KvOp::Kind::kGet) {
        uint64_t req = next_read_++;
        if (!n.core->ReadIndex(req).ok()) {
          c.leader_hint = n.core->leader();
          c.next_at = now_ + 5;
          continue;
        }
        n.read_requests[req] = c.id;
        c.is_read = true;
        c.read = op;
      } else {
        std::string data = cmd.Encode();
        absl::StatusOr<Index> index = n.core->Propose(data);
        if (!index.ok()) {
          c.leader_hint = n.core->leader();
          c.next_at = now_ + 5;
          continue;
        }
        n.pending_writes[*index] = c.id;
        c.is_read = false;
        c.data = std::move(data);
        c.op = history_.size();
        history_.push_back(op);
      }
      c.busy = true;
      c.leader_hint = target;
    }
  }

  void MarkUnknown(Client& c) {
    if (!c.busy) return;
    c.busy = false;
    if (c.is_read) return;  // A read that never answered had no effect.
    history_[c.op].unknown = true;
    history_[c.op].ret = KvOp::kNever;
    ++result_.ops_unknown;
  }

  void ExpireClients() {
    for (Client& c : clients_) {
      if (!c.busy || now_ < c.deadline) continue;
      SimNode& n = *nodes_[c.node];
      std::erase_if(n.pending_writes, [&](const auto& p) { return p.second == c.id; });
      std::erase_if(n.read_requests, [&](const auto& p) { return p.second == c.id; });
      n.reads_waiting_apply.erase(c.id);
      MarkUnknown(c);
    }
  }

  void CompleteWrite(SimNode& n, const Entry& e, bool swapped) {
    auto it = n.pending_writes.find(e.index);
    if (it == n.pending_writes.end()) return;
    Client& c = clients_[it->second];
    n.pending_writes.erase(it);
    if (!c.busy || c.is_read) return;
    if (e.data != c.data) {
      MarkUnknown(c);  // Our entry was overwritten; it may still be elsewhere.
      return;
    }
    KvOp& op = history_[c.op];
    op.ret = now_;
    op.ok = swapped;
    if (op.kind == KvOp::Kind::kPut || op.ok) c.last_seen[op.key] = op.value;
    c.busy = false;
    ++result_.ops_completed;
  }

  // --- nodes

  void Process(SimNode& n) {
    while (n.core && n.core->HasOutput()) {
      Output out = n.core->TakeOutput();
      if (now_ < opt_.duration_ms && Chance(0.0005)) {
        // Crash while persisting: the atomic entries + hard state write is lost; the
        // snapshot, written first, may have made it.
        if (out.snapshot && Chance(0.5)) {
          Output snap_only;
          snap_only.snapshot = out.snapshot;
          n.store.Persist(snap_only);
        }
        Crash(n);
        return;
      }
      n.store.Persist(out);
      CheckNewEntries(n, out.entries);
      if (out.snapshot) {
        ++result_.snapshots_installed;
        n.sm = KvMachine::Parse(out.snapshot->data);
        n.sm_applied = out.snapshot->meta.index;
        for (auto it = n.pending_writes.begin();
             it != n.pending_writes.end() && it->first <= n.sm_applied;) {
          MarkUnknown(clients_[it->second]);
          it = n.pending_writes.erase(it);
        }
      }
      for (const Message& m : out.messages) Send(m);
      for (const Entry& e : out.committed) Apply(n, e);
      for (const ReadState& r : out.reads) {
        auto it = n.read_requests.find(r.request_id);
        if (it == n.read_requests.end()) continue;
        int client = it->second;
        n.read_requests.erase(it);
        if (r.status.ok()) {
          n.reads_waiting_apply[client] = r.index;
        } else {
          clients_[client].busy = false;
        }
      }
      n.core->Advance(out);
    }
    if (!n.core) return;
    for (auto it = n.reads_waiting_apply.begin(); it != n.reads_waiting_apply.end();) {
      if (n.sm_applied < it->second) {
        ++it;
        continue;
      }
      Client& c = clients_[it->first];
      KvOp op = c.read;
      op.ret = now_;
      auto v = n.sm.data.find(op.key);
      if (v != n.sm.data.end()) {
        op.got = v->second;
        c.last_seen[op.key] = v->second;
      }
      history_.push_back(op);
      c.busy = false;
      ++result_.reads_completed;
      it = n.reads_waiting_apply.erase(it);
    }
    // Log compaction with a trailing log, as a runtime would do.
    if (n.sm_applied > n.store.snapshot_index() + 40) {
      absl::StatusOr<SnapshotMeta> meta = n.core->SnapshotMetaAt(n.sm_applied);
      if (!meta.ok()) {
        Fail(absl::StrCat("node ", n.id, ": ", meta.status().ToString()));
        return;
      }
      CAIRN_CHECK(n.store.Compact({*meta, n.sm.Serialize()}, /*trailing=*/10).ok());
    }
  }

  void Apply(SimNode& n, const Entry& e) {
    if (e.index != n.sm_applied + 1) {
      Fail(absl::StrCat("node ", n.id, " applied ", e.index, " after ", n.sm_applied));
      return;
    }
    n.sm_applied = e.index;
    // State machine safety: one entry per index, cluster-wide.
    auto [it, inserted] = applied_.emplace(e.index, e);
    if (!inserted && !(it->second == e)) {
      Fail(absl::StrCat("state machine safety: node ", n.id, " applied ", DebugString(e),
                        " where another applied ", DebugString(it->second)));
      return;
    }
    if (e.type != EntryType::kNormal) return;
    Command cmd = Command::Decode(e.data);
    bool swapped = true;
    if (cmd.kind == KvOp::Kind::kPut) {
      n.sm.data[cmd.key] = cmd.value;
    } else {
      auto v = n.sm.data.find(cmd.key);
      swapped = v != n.sm.data.end() && v->second == cmd.expected;
      if (swapped) v->second = cmd.value;
    }
    CompleteWrite(n, e, swapped);
  }

  // Log matching, incrementally: an (index, term) names one entry, and one predecessor term.
  void CheckNewEntries(SimNode& n, const std::vector<Entry>& entries) {
    for (const Entry& e : entries) {
      Term prev = e.index == 1 ? 0 : n.store.TermAt(e.index - 1).value_or(~Term{0});
      auto [it, inserted] =
          entries_.emplace(std::make_pair(e.index, e.term), std::make_pair(e, prev));
      if (!inserted && (!(it->second.first == e) || it->second.second != prev)) {
        Fail(absl::StrCat("log matching: node ", n.id, " has ", DebugString(e), " after term ",
                          prev, " but another has ", DebugString(it->second.first), " after term ",
                          it->second.second));
      }
    }
  }

  void CheckInvariants() {
    for (auto& [id, n] : nodes_) {
      if (!n->core || n->core->role() != Role::kLeader) continue;
      Term term = n->core->term();
      auto [it, inserted] = leaders_.emplace(term, id);
      if (!inserted) {
        if (it->second != id) {
          Fail(absl::StrCat("election safety: ", it->second, " and ", id, " lead term ", term));
        }
        continue;
      }
      ++result_.elections;
      Trace(absl::StrCat("leader ", id, " term ", term));
      // Leader completeness: every entry applied anywhere is in the new leader's log.
      for (const auto& [index, e] : applied_) {
        if (index <= n->store.snapshot_index()) continue;
        absl::StatusOr<Term> t = n->store.TermAt(index);
        if (!t.ok() || *t != e.term) {
          Fail(absl::StrCat("leader completeness: leader ", id, " of term ", term,
                            " lacks committed ", DebugString(e)));
          return;
        }
      }
    }
  }

  SimOptions opt_;
  std::mt19937_64 rng_;
  double loss_, dup_, slow_;
  CoreConfig cfg_;
  int64_t now_ = 0;
  ServerId next_id_ = 1;
  uint64_t next_read_ = 1;
  uint64_t msg_seq_ = 0;
  std::map<ServerId, std::unique_ptr<SimNode>> nodes_;
  std::vector<Client> clients_;
  std::priority_queue<InFlight, std::vector<InFlight>, std::greater<>> network_;
  std::set<std::pair<ServerId, ServerId>> cut_;
  std::vector<KvOp> history_;
  std::map<Term, ServerId> leaders_;
  std::map<Index, Entry> applied_;
  std::map<std::pair<Index, Term>, std::pair<Entry, Term>> entries_;
  SimResult result_;
};

}  // namespace

SimResult RunSimulation(const SimOptions& options) { return Simulation(options).Run(); }

}  // namespace cairn::raft::sim
