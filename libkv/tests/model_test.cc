// Randomized comparison against a deliberately simple reference model (std::map plus
// linear scans) over long operation sequences with a fixed, printed seed.
#include <cstdio>
#include <map>
#include <random>
#include <set>

#include <catch2/catch.hpp>

#include "test_util.h"

namespace cairn::kv {
namespace {

using testing::T0;

struct ModelEntry {
  std::string value;
  uint64_t flags = 0, create = 0, modify = 0, lock = 0;
  std::string session;
};

// The reference: every rule spelled out plainly, every index computed by scanning.
struct Model {
  std::map<std::string, ModelEntry> kv;
  std::map<std::string, uint64_t> tombstones;
  std::map<std::string, SessionBehavior> sessions;
  std::map<std::string, absl::Time> delay;
  uint64_t kv_index = 0;

  void Put(const std::string& k, ModelEntry e, uint64_t idx) {
    e.modify = idx;
    kv[k] = e;
    tombstones.erase(k);
    kv_index = idx;
  }
  void Remove(const std::string& k, uint64_t idx) {
    kv.erase(k);
    tombstones[k] = idx;
    kv_index = idx;
  }
  bool Set(const std::string& k, const std::string& v, uint64_t f, uint64_t idx) {
    auto it = kv.find(k);
    ModelEntry e;
    e.create = idx;
    if (it != kv.end()) {
      if (it->second.value == v && it->second.flags == f) return true;
      e = it->second;
    }
    e.value = v;
    e.flags = f;
    Put(k, e, idx);
    return true;
  }
  bool Cas(const std::string& k, const std::string& v, uint64_t f, uint64_t cas, uint64_t idx) {
    auto it = kv.find(k);
    if (cas == 0 ? it != kv.end() : (it == kv.end() || it->second.modify != cas)) return false;
    return Set(k, v, f, idx);
  }
  // Returns -1 for "invalid session" errors.
  int Acquire(const std::string& k, const std::string& v, const std::string& s, absl::Time now,
              uint64_t idx) {
    if (!sessions.count(s)) return -1;
    if (delay.count(k) && now < delay[k]) return 0;
    auto it = kv.find(k);
    ModelEntry e;
    e.create = idx;
    e.lock = 1;
    if (it != kv.end()) {
      e = it->second;
      if (e.session != s && !e.session.empty()) return 0;
      if (e.session != s) e.lock++;
    }
    delay.erase(k);
    e.value = v;
    e.flags = 0;
    e.session = s;
    Put(k, e, idx);
    return 1;
  }
  bool Release(const std::string& k, const std::string& s, uint64_t idx) {
    auto it = kv.find(k);
    if (it == kv.end() || it->second.session != s) return false;
    ModelEntry e = it->second;
    e.session.clear();
    e.value = "released";
    e.flags = 0;
    Put(k, e, idx);
    return true;
  }
  void DeleteTree(const std::string& p, uint64_t idx) {
    std::vector<std::string> doomed;
    for (auto& [k, e] : kv) {
      if (k.compare(0, p.size(), p) == 0) doomed.push_back(k);
    }
    for (auto& k : doomed) Remove(k, idx);
  }
  void Destroy(const std::string& s, absl::Time now, uint64_t idx) {
    if (!sessions.count(s)) return;
    std::vector<std::string> held;
    for (auto& [k, e] : kv) {
      if (e.session == s) held.push_back(k);
    }
    for (auto& k : held) {
      if (sessions[s] == SessionBehavior::kDelete) {
        Remove(k, idx);
      } else {
        ModelEntry e = kv[k];
        e.session.clear();
        Put(k, e, idx);
      }
      delay[k] = now + absl::Seconds(3);
    }
    sessions.erase(s);
  }
  uint64_t PrefixIndex(const std::string& p) const {
    if (p.empty()) return kv_index;
    uint64_t m = 0;
    for (auto& [k, e] : kv) {
      if (k.compare(0, p.size(), p) == 0) m = std::max(m, e.modify);
    }
    for (auto& [k, i] : tombstones) {
      if (k.compare(0, p.size(), p) == 0) m = std::max(m, i);
    }
    return m ? m : kv_index;
  }
  std::vector<std::string> Keys(const std::string& p, const std::string& sep) const {
    std::vector<std::string> out;
    for (auto& [k, e] : kv) {
      if (k.compare(0, p.size(), p) != 0) continue;
      std::size_t at = sep.empty() ? std::string::npos : k.find(sep, p.size());
      std::string cut = at == std::string::npos ? k : k.substr(0, at + sep.size());
      if (out.empty() || out.back() != cut) out.push_back(cut);
    }
    return out;
  }
};

std::string RandomKey(std::mt19937_64& rng) {
  static const char kAlphabet[] = {'a', 'b', '/'};
  std::string k;
  int len = 1 + static_cast<int>(rng() % 5);
  for (int i = 0; i < len; ++i) k.push_back(kAlphabet[rng() % 3]);
  return k;
}

void Compare(const Model& m, const ReadView& v, std::mt19937_64& rng) {
  std::vector<Entry> all = v.List("");
  REQUIRE(all.size() == m.kv.size());
  auto it = m.kv.begin();
  for (const Entry& e : all) {
    INFO("key " << it->first);
    REQUIRE(e.key() == it->first);
    REQUIRE(e.value() == it->second.value);
    REQUIRE(e.flags() == it->second.flags);
    REQUIRE(e.create_index() == it->second.create);
    REQUIRE(e.modify_index() == it->second.modify);
    REQUIRE(e.lock_index() == it->second.lock);
    REQUIRE(e.session() == it->second.session);
    ++it;
  }
  REQUIRE(v.tombstone_count() == m.tombstones.size());
  REQUIRE(v.kv_index() == m.kv_index);
  for (int i = 0; i < 4; ++i) {
    std::string p = RandomKey(rng).substr(0, rng() % 4);
    INFO("prefix " << p);
    REQUIRE(v.PrefixIndex(p) == m.PrefixIndex(p));
    REQUIRE(v.Keys(p, "/") == m.Keys(p, "/"));
    REQUIRE(v.Keys(p, "") == m.Keys(p, ""));
  }
  for (auto& [s, b] : m.sessions) REQUIRE(v.GetSession(s));
  REQUIRE(v.ListSessions().size() == m.sessions.size());
}

TEST_CASE("store matches the reference model over random sequences", "[unit]") {
  const uint64_t seed = 0x5eed0005;
  std::printf("kv model test seed: %llu\n", static_cast<unsigned long long>(seed));
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  Store store;
  Model m;
  uint64_t idx = 0;
  for (int step = 0; step < 6000; ++step) {
    absl::Time now = T0() + absl::Seconds(step);
    WriteTxn txn = store.BeginWrite(++idx);
    // One to three ops per commit; all must agree with the model.
    int ops = 1 + static_cast<int>(rng() % 3);
    for (int o = 0; o < ops; ++o) {
      std::string k = RandomKey(rng);
      std::string v = std::to_string(rng() % 4);
      std::string s = "s" + std::to_string(rng() % 3);
      uint64_t f = rng() % 2;
      int op = static_cast<int>(rng() % 100);
      INFO("step " << step << " op " << op << " key " << k);
      if (op < 30) {
        REQUIRE(*txn.Set(k, v, f) == m.Set(k, v, f, idx));
      } else if (op < 40) {
        uint64_t cas = rng() % 3 == 0 ? 0 : (m.kv.count(k) ? m.kv[k].modify : rng() % idx);
        if (rng() % 4 == 0) cas = rng() % (idx + 1);
        REQUIRE(*txn.Cas(k, v, f, cas) == m.Cas(k, v, f, cas, idx));
      } else if (op < 55) {
        auto got = txn.Acquire(k, v, 0, s, now);
        int want = m.Acquire(k, v, s, now, idx);
        REQUIRE(got.ok() == (want >= 0));
        if (got.ok()) REQUIRE(*got == (want == 1));
      } else if (op < 65) {
        REQUIRE(*txn.Release(k, "released", 0, s) == m.Release(k, s, idx));
      } else if (op < 75) {
        REQUIRE(*txn.Delete(k));
        if (m.kv.count(k)) m.Remove(k, idx);
      } else if (op < 80) {
        uint64_t cas = m.kv.count(k) && rng() % 2 ? m.kv[k].modify : rng() % (idx + 1);
        bool want = !m.kv.count(k) || m.kv[k].modify == cas;
        REQUIRE(*txn.DeleteCas(k, cas) == want);
        if (want && m.kv.count(k)) m.Remove(k, idx);
      } else if (op < 83) {
        std::string p = k.substr(0, 1 + rng() % 2);
        REQUIRE(*txn.DeleteTree(p));
        m.DeleteTree(p, idx);
      } else if (op < 91) {
        if (!m.sessions.count(s)) {
          Session sess;
          sess.id = s;
          sess.node = "n" + std::to_string(rng() % 2);
          sess.lock_delay = std::chrono::seconds(3);
          sess.behavior = rng() % 2 ? SessionBehavior::kDelete : SessionBehavior::kRelease;
          REQUIRE(txn.CreateSession(sess).ok());
          m.sessions[s] = sess.behavior;
        }
      } else if (op < 94) {
        // A transaction of 2-4 ops: all apply, or (if any fails) none.
        std::vector<TxnOp> tops;
        Model trial = m;
        bool ok = true;
        int count = 2 + static_cast<int>(rng() % 3);
        for (int j = 0; j < count; ++j) {
          TxnOp t;
          t.key = RandomKey(rng);
          t.value = std::to_string(rng() % 4);
          t.session = "s" + std::to_string(rng() % 3);
          const ModelEntry* cur = trial.kv.count(t.key) ? &trial.kv[t.key] : nullptr;
          t.index = cur && rng() % 2 ? cur->modify : rng() % (idx + 1);
          switch (rng() % 6) {
            case 0:
              t.verb = TxnVerb::kSet;
              trial.Set(t.key, t.value, 0, idx);
              break;
            case 1:
              t.verb = TxnVerb::kCas;
              ok &= trial.Cas(t.key, t.value, 0, t.index, idx);
              break;
            case 2:
              t.verb = TxnVerb::kLock;
              ok &= trial.Acquire(t.key, t.value, t.session, now, idx) == 1;
              break;
            case 3:
              t.verb = TxnVerb::kDeleteCas;
              if (cur && cur->modify != t.index) ok = false;
              if (cur && cur->modify == t.index) trial.Remove(t.key, idx);
              break;
            case 4:
              t.verb = TxnVerb::kCheckIndex;
              ok &= cur && cur->modify == t.index;
              break;
            default:
              t.verb = TxnVerb::kCheckNotExists;
              ok &= cur == nullptr;
              break;
          }
          tops.push_back(std::move(t));
        }
        absl::StatusOr<TxnOutcome> out = txn.ApplyTxn(tops, now);
        REQUIRE(out.ok());
        REQUIRE(out->errors.empty() == ok);
        if (ok) m = std::move(trial);
      } else if (op < 97) {
        REQUIRE(*txn.DestroySession(s, now) == (m.sessions.count(s) == 1));
        m.Destroy(s, now, idx);
      } else {
        uint64_t gc = idx > 50 ? idx - 50 : 0;
        std::size_t want = 0;
        for (auto t = m.tombstones.begin(); t != m.tombstones.end();) {
          if (t->second <= gc) {
            t = m.tombstones.erase(t);
            ++want;
          } else {
            ++t;
          }
        }
        REQUIRE(txn.ReapTombstones(gc) == want);
        if (want) m.kv_index = idx;
      }
    }
    txn.Commit();
    Compare(m, store.Snapshot(), rng);
  }
}

}  // namespace
}  // namespace cairn::kv
