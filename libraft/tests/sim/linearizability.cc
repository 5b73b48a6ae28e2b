#include "sim/linearizability.h"

#include <algorithm>
#include <map>
#include <unordered_set>

#include <absl/hash/hash.h>
#include <absl/strings/str_cat.h>

namespace cairn::raft::sim {
namespace {

using State = std::optional<std::string>;

// Applies `op` to `state`; false when the recorded output is impossible there.
bool Step(const State& state, const KvOp& op, State* next) {
  *next = state;
  switch (op.kind) {
    case KvOp::Kind::kPut:
      *next = op.value;
      return true;
    case KvOp::Kind::kGet:
      return op.unknown || op.got == state;
    case KvOp::Kind::kCas: {
      bool swaps = state.has_value() && *state == op.expected;
      if (swaps) *next = op.value;
      return op.unknown || op.ok == swaps;
    }
  }
  return false;
}

// A doubly linked list of call and return events (Porcupine's "entry" list), so that
// linearizing a call can unlink the pair in O(1) and backtracking relinks them.
struct Node {
  int op = -1;
  bool is_call = false;
  Node* match = nullptr;  // For a call: its return.
  Node* prev = nullptr;
  Node* next = nullptr;
};

void Lift(Node* call) {
  call->prev->next = call->next;
  if (call->next) call->next->prev = call->prev;
  Node* ret = call->match;
  ret->prev->next = ret->next;
  if (ret->next) ret->next->prev = ret->prev;
}

void Unlift(Node* call) {
  Node* ret = call->match;
  ret->prev->next = ret;
  if (ret->next) ret->next->prev = ret;
  call->prev->next = call;
  if (call->next) call->next->prev = call;
}

struct CacheKey {
  std::vector<uint64_t> bits;
  State state;
  bool operator==(const CacheKey&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const CacheKey& k) {
    return H::combine(std::move(h), k.bits, k.state);
  }
};

// Returns 1 linearizable, 0 not, -1 gave up.
int CheckOne(const std::vector<const KvOp*>& ops, int64_t max_steps) {
  const size_t n = ops.size();
  if (n == 0) return 1;
  // Events sorted by time; at equal times calls come first (a return at t and a call at t
  // are treated as concurrent, the permissive reading).
  struct Event {
    int64_t time;
    bool is_call;
    int op;
  };
  std::vector<Event> events;
  for (size_t i = 0; i < n; ++i) {
    events.push_back({ops[i]->call, true, static_cast<int>(i)});
    events.push_back({ops[i]->ret, false, static_cast<int>(i)});
  }
  std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    if (a.time != b.time) return a.time < b.time;
    return a.is_call && !b.is_call;
  });
  std::vector<Node> nodes(events.size() + 1);
  std::vector<Node*> call_of(n), ret_of(n);
  Node* head = &nodes[0];
  Node* prev = head;
  for (size_t i = 0; i < events.size(); ++i) {
    Node* node = &nodes[i + 1];
    node->op = events[i].op;
    node->is_call = events[i].is_call;
    node->prev = prev;
    prev->next = node;
    prev = node;
    (events[i].is_call ? call_of : ret_of)[events[i].op] = node;
  }
  for (size_t i = 0; i < n; ++i) call_of[i]->match = ret_of[i];

  std::vector<uint64_t> linearized((n + 63) / 64, 0);
  std::unordered_set<CacheKey, absl::Hash<CacheKey>> cache;
  struct Frame {
    Node* call;
    State state;
  };
  std::vector<Frame> stack;
  State state;
  Node* entry = head->next;
  int64_t steps = 0;
  while (head->next != nullptr) {
    if (++steps > max_steps) return -1;
    if (entry->is_call) {
      State next;
      if (Step(state, *ops[entry->op], &next)) {
        std::vector<uint64_t> bits = linearized;
        bits[entry->op / 64] |= uint64_t{1} << (entry->op % 64);
        CacheKey key{std::move(bits), next};
        if (cache.insert(key).second) {
          stack.push_back({entry, state});
          state = std::move(next);
          linearized = std::move(key.bits);
          Lift(entry);
          entry = head->next;
          continue;
        }
      }
      entry = entry->next;
    } else {
      // A return whose call is still pending: undo the last choice.
      if (stack.empty()) return 0;
      Frame top = std::move(stack.back());
      stack.pop_back();
      state = std::move(top.state);
      linearized[top.call->op / 64] &= ~(uint64_t{1} << (top.call->op % 64));
      Unlift(top.call);
      entry = top.call->next;
    }
  }
  return 1;
}

}  // namespace

std::string KvOp::DebugString() const {
  std::string out = absl::StrCat("c", client, " [", call, ",",
                                 ret == kNever ? std::string("inf") : absl::StrCat(ret), "] ");
  switch (kind) {
    case Kind::kPut:
      absl::StrAppend(&out, "put(", key, ",", value, ")");
      break;
    case Kind::kGet:
      absl::StrAppend(&out, "get(", key, ")=", unknown ? "?" : got ? *got : "<none>");
      break;
    case Kind::kCas:
      absl::StrAppend(&out, "cas(", key, ",", expected, "->", value, ")=",
                      unknown ? "?"
                      : ok    ? "ok"
                              : "fail");
      break;
  }
  return out;
}

CheckResult CheckKvHistory(const std::vector<KvOp>& history, int64_t max_steps) {
  std::map<std::string, std::vector<const KvOp*>> by_key;
  for (const KvOp& op : history) by_key[op.key].push_back(&op);
  CheckResult result;
  for (const auto& [key, ops] : by_key) {
    int r = CheckOne(ops, max_steps);
    if (r == 0) {
      result.linearizable = false;
      result.bad_key = key;
      return result;
    }
    if (r < 0) result.gave_up = true;
  }
  return result;
}

}  // namespace cairn::raft::sim
