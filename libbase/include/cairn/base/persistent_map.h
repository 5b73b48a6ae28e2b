// cairn/base/persistent_map.h — an immutable, structurally shared ordered map (a persistent
// B+tree) for state stores that are written by one thread and read by many.
//
// A PersistentMap is a value: copying it is O(1) (one reference count) and yields an
// independent snapshot. Mutating one copy (Insert, Erase) never changes what any other copy
// sees: the mutation copies only the O(log n) nodes on the path from the root to the
// changed leaf ("path copying") and shares every other node. Nodes that are referenced by
// only this copy are updated in place, so a batch of writes on a private copy copies each
// path once, and building a map from scratch copies nothing.
//
// Example:
//
//   using Map = cairn::base::PersistentMap<std::string, uint64_t>;
//   Map v1;
//   v1.Insert("web/a", 1);
//   Map v2 = v1;            // O(1) snapshot
//   v2.Insert("web/b", 2);  // v1 still holds only "web/a"
//   for (auto it = v2.LowerBound("web/"); it != v2.end() && it.key().starts_with("web/");
//        ++it) { ... }
//
// Augmentation (optional): an `Augment` policy folds a summary over every entry and keeps
// it per subtree, so Summarize(lo, hi) answers "combine over all entries in [lo, hi)" in
// O(fan-out * height) without visiting the entries. libkv uses it for "greatest
// ModifyIndex under a prefix". A policy looks like:
//
//   struct MaxIndex {
//     using Value = uint64_t;
//     static Value Identity() { return 0; }
//     static Value Of(const Key& k, const Entry& e) { return e.modify_index; }
//     static Value Combine(Value a, Value b) { return std::max(a, b); }
//   };
//
// Combine must be associative with Identity as its neutral element.
//
// Borrowed keys: K may be std::string_view when the value owns the key's bytes (libkv keys
// entries by a view into the entry). Leaves then store the view beside its owner, and inner
// nodes keep their own reference-counted copies of separator keys, so no view outlives its
// bytes. Lookups then take anything convertible to std::string_view.
// Insert replaces the stored key together with the value for that reason.
//
// Requirements: K and V are default-constructible and movable/copyable; unused slots hold
// K{} and V{} (an erased entry's key and value are released at once). Compare is a strict
// weak order; lookups are templated, so a transparent comparator (std::less<>) allows
// looking up std::string keys with std::string_view.
//
// Thread-safety: a PersistentMap object is like a std::map: concurrent const access to one
// object is safe; mutating an object must not race with any other access to that same
// object. Distinct copies may be read and mutated from different threads at the same time,
// even though they share nodes: shared nodes are never modified (reference counts are
// atomic, and a node is updated in place only when this copy is its sole owner). Iterators
// borrow the map object they came from and are invalidated by any mutation of it.
//
// Cost: Find/LowerBound O(log n); Insert/Erase O(log n) time and at most `height` new nodes
// (B+tree fan-out up to 32, height 4 at 1M entries). Memory per entry is about
// (sizeof(K) + sizeof(V)) / fill (fill ~0.7 for random, ~1.0 for ascending inserts) plus
// a few bytes of inner nodes.
#ifndef CAIRN_BASE_PERSISTENT_MAP_H_
#define CAIRN_BASE_PERSISTENT_MAP_H_

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <new>
#include <string>
#include <string_view>
#include <utility>

#include <cairn/base/status.h>

namespace cairn::base {

namespace persistent_map_internal {

// An immutable, reference-counted copy of a key's bytes. Inner nodes hold separators of
// string_view maps as these, so cloning an inner node (path copying) costs one atomic
// increment per separator instead of one allocation.
class SharedKey {
 public:
  SharedKey() = default;
  explicit SharedKey(std::string_view s) {
    if (s.empty()) return;
    rep_ = static_cast<Rep*>(::operator new(sizeof(Rep) + s.size()));
    new (rep_) Rep{};
    rep_->refs.store(1, std::memory_order_relaxed);
    rep_->size = s.size();
    std::memcpy(reinterpret_cast<char*>(rep_ + 1), s.data(), s.size());
  }
  SharedKey(const SharedKey& o) : rep_(o.rep_) {
    if (rep_) rep_->refs.fetch_add(1, std::memory_order_relaxed);
  }
  SharedKey(SharedKey&& o) noexcept : rep_(std::exchange(o.rep_, nullptr)) {}
  SharedKey& operator=(SharedKey o) noexcept {
    std::swap(rep_, o.rep_);
    return *this;
  }
  ~SharedKey() {
    if (rep_ && rep_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      rep_->~Rep();
      ::operator delete(rep_);
    }
  }
  std::string_view view() const {
    return rep_ ? std::string_view(reinterpret_cast<const char*>(rep_ + 1), rep_->size)
                : std::string_view();
  }
  friend bool operator<(const SharedKey& a, std::string_view b) { return a.view() < b; }
  friend bool operator<(std::string_view a, const SharedKey& b) { return a < b.view(); }

 private:
  struct Rep {
    std::atomic<uint32_t> refs;
    std::size_t size;
  };
  Rep* rep_ = nullptr;
};

// The type inner nodes store separator keys as: K itself, or an owning copy for a view.
template <typename K>
struct Separator {
  using type = K;
};
template <>
struct Separator<std::string_view> {
  using type = SharedKey;
};
}  // namespace persistent_map_internal

// The default Augment policy: no summary is kept.
struct NoAugment {
  struct Value {};
  static Value Identity() { return {}; }
  template <typename K, typename V>
  static Value Of(const K&, const V&) {
    return {};
  }
  static Value Combine(Value, Value) { return {}; }
};

template <typename K, typename V, typename Compare = std::less<>, typename Augment = NoAugment>
class PersistentMap {
 public:
  using key_type = K;
  using mapped_type = V;
  using AugValue = typename Augment::Value;
  // Inner nodes' key type (see "Borrowed keys" above).
  using Sep = typename persistent_map_internal::Separator<K>::type;
  static constexpr bool kAugmented = !std::is_same_v<Augment, NoAugment>;
  // Node capacities: about 768 bytes of slots per leaf, 1 KiB per inner node.
  static constexpr int kLeafCap = std::clamp<int>(768 / (sizeof(K) + sizeof(V)), 4, 32);
  static constexpr int kInnerCap =
      std::clamp<int>(1024 / (sizeof(Sep) + sizeof(void*) + sizeof(AugValue)), 8, 32);

 private:
  struct Node;
  struct LeafNode;
  struct InnerNode;
  static constexpr int kMaxDepth = 24;

 public:
  // Forward iterator over entries in key order. Borrows the map it came from.
  class const_iterator {
   public:
    const_iterator() = default;
    const K& key() const { return Leaf(path_[depth_])->keys[pos_[depth_]]; }
    const V& value() const { return Leaf(path_[depth_])->vals[pos_[depth_]]; }
    std::pair<const K&, const V&> operator*() const { return {key(), value()}; }
    const_iterator& operator++() {
      Advance();
      return *this;
    }
    bool operator==(const const_iterator& o) const {
      if (depth_ < 0 || o.depth_ < 0) return depth_ == o.depth_;
      return path_[depth_] == o.path_[o.depth_] && pos_[depth_] == o.pos_[o.depth_];
    }
    bool operator!=(const const_iterator& o) const { return !(*this == o); }

   private:
    friend class PersistentMap;
    static const LeafNode* Leaf(const Node* n) { return static_cast<const LeafNode*>(n); }
    // Descends to the leftmost leaf under path_[depth_].
    void DescendLeft() {
      while (!path_[depth_]->leaf) {
        const Node* child = static_cast<const InnerNode*>(path_[depth_])->kids[pos_[depth_]];
        ++depth_;
        path_[depth_] = child;
        pos_[depth_] = 0;
      }
    }
    // Moves to the next entry; at a leaf's end climbs to the next subtree.
    void Advance() {
      if (++pos_[depth_] < path_[depth_]->count) return;
      while (depth_ > 0) {
        --depth_;
        if (++pos_[depth_] < path_[depth_]->count) {
          DescendLeft();
          return;
        }
      }
      depth_ = -1;
    }
    // Skips a leaf position equal to its count (a lower bound past the leaf's last key).
    void Normalize() {
      if (depth_ >= 0 && pos_[depth_] >= path_[depth_]->count) {
        --pos_[depth_];
        Advance();
      }
    }
    const Node* path_[kMaxDepth] = {};
    uint16_t pos_[kMaxDepth] = {};
    int depth_ = -1;  // -1: end()
  };
  using iterator = const_iterator;

  PersistentMap() = default;
  explicit PersistentMap(Compare cmp) : cmp_(std::move(cmp)) {}
  ~PersistentMap() {
    if (root_) Unref(root_);
  }
  PersistentMap(const PersistentMap& o) : root_(o.root_), size_(o.size_), cmp_(o.cmp_) {
    if (root_) Ref(root_);
  }
  PersistentMap(PersistentMap&& o) noexcept
      : root_(std::exchange(o.root_, nullptr)),
        size_(std::exchange(o.size_, 0)),
        cmp_(std::move(o.cmp_)) {}
  PersistentMap& operator=(PersistentMap o) noexcept {
    std::swap(root_, o.root_);
    std::swap(size_, o.size_);
    std::swap(cmp_, o.cmp_);
    return *this;
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void Clear() { *this = PersistentMap(cmp_); }

  // Returns the value stored under `key`, or nullptr. The pointer borrows this map and is
  // invalidated by any mutation of it.
  template <typename Q>
  const V* Find(const Q& key) const {
    const Node* n = root_;
    if (!n) return nullptr;
    while (!n->leaf) {
      const InnerNode* in = static_cast<const InnerNode*>(n);
      n = in->kids[ChildIndex(in, key)];
    }
    const LeafNode* lf = static_cast<const LeafNode*>(n);
    int i = LeafLowerBound(lf, key);
    if (i < lf->count && !cmp_(key, lf->keys[i])) return &lf->vals[i];
    return nullptr;
  }
  template <typename Q>
  bool Contains(const Q& key) const {
    return Find(key) != nullptr;
  }

  const_iterator begin() const {
    const_iterator it;
    if (!root_) return it;
    it.depth_ = 0;
    it.path_[0] = root_;
    it.pos_[0] = 0;
    it.DescendLeft();
    return it;
  }
  const_iterator end() const { return const_iterator(); }

  // The first entry whose key is not less than `key`, or end().
  template <typename Q>
  const_iterator LowerBound(const Q& key) const {
    const_iterator it;
    if (!root_) return it;
    const Node* n = root_;
    it.depth_ = 0;
    while (true) {
      it.path_[it.depth_] = n;
      if (n->leaf) {
        it.pos_[it.depth_] = static_cast<uint16_t>(LeafLowerBound(Leaf(n), key));
        break;
      }
      const InnerNode* in = static_cast<const InnerNode*>(n);
      int c = ChildIndex(in, key);
      it.pos_[it.depth_] = static_cast<uint16_t>(c);
      n = in->kids[c];
      ++it.depth_;
      CAIRN_CHECK(it.depth_ < kMaxDepth);
    }
    it.Normalize();
    return it;
  }

  // Inserts or replaces the entry for `key`; both the stored key and value are replaced.
  // Returns true when the key was new.
  bool Insert(K key, V value) {
    if (!root_) root_ = new LeafNode();
    MakeExclusive(root_);
    Node* right = nullptr;
    Sep sep{};
    bool inserted = InsertRec(root_, std::move(key), std::move(value), &right, &sep);
    if (right) {
      InnerNode* nr = new InnerNode();
      nr->count = 2;
      nr->keys[1] = std::move(sep);
      nr->kids[0] = root_;
      nr->kids[1] = right;
      if constexpr (kAugmented) {
        nr->aug[0] = SummaryOf(root_);
        nr->aug[1] = SummaryOf(right);
      }
      root_ = nr;
    }
    if (inserted) ++size_;
    return inserted;
  }

  // Removes the entry for `key`. Returns true when there was one. Does not copy any node
  // when the key is absent.
  template <typename Q>
  bool Erase(const Q& key) {
    if (!Find(key)) return false;
    MakeExclusive(root_);
    EraseRec(root_, key);
    --size_;
    if (!root_->leaf && root_->count == 1) {
      InnerNode* in = static_cast<InnerNode*>(root_);
      root_ = in->kids[0];
      in->count = 0;  // the child moves up; nothing to unreference
      delete in;
    } else if (root_->leaf && root_->count == 0) {
      Unref(root_);
      root_ = nullptr;
    }
    return true;
  }

  // The summary over every entry (Augment::Identity() when empty).
  AugValue Summary() const { return root_ ? SummaryOf(root_) : Augment::Identity(); }
  // The summary over entries with lo <= key < hi.
  template <typename Q1, typename Q2>
  AugValue Summarize(const Q1& lo, const Q2& hi) const {
    if (!root_ || !cmp_(lo, hi)) return Augment::Identity();
    return RangeRec(root_, &lo, &hi, false, false);
  }
  // The summary over entries with key >= lo.
  template <typename Q>
  AugValue SummarizeFrom(const Q& lo) const {
    if (!root_) return Augment::Identity();
    const Q* no_hi = nullptr;
    return RangeRec(root_, &lo, no_hi, false, true);
  }

  // True when both copies share the same root (for tests: a copy shares everything).
  bool SharesRootWith(const PersistentMap& o) const { return root_ == o.root_; }

 private:
  struct Node {
    explicit Node(bool is_leaf) : leaf(is_leaf) {}
    std::atomic<uint32_t> refs{1};
    uint16_t count = 0;
    const bool leaf;
  };
  struct LeafNode : Node {
    LeafNode() : Node(true) {}
    K keys[kLeafCap];
    V vals[kLeafCap];
  };
  // Child i holds keys in [keys[i], keys[i+1]); keys[0] is the node's lower bound when
  // known and is ignored by searches.
  struct InnerNode : Node {
    InnerNode() : Node(false) {}
    ~InnerNode() {
      for (int i = 0; i < this->count; ++i) Unref(kids[i]);
    }
    Sep keys[kInnerCap];
    Node* kids[kInnerCap] = {};
    AugValue aug[kInnerCap];
  };

  static const LeafNode* Leaf(const Node* n) { return static_cast<const LeafNode*>(n); }
  static void Ref(Node* n) { n->refs.fetch_add(1, std::memory_order_relaxed); }
  static void Unref(Node* n) {
    if (n->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    if (n->leaf) {
      delete static_cast<LeafNode*>(n);
    } else {
      delete static_cast<InnerNode*>(n);
    }
  }
  // Makes `slot` point to a node only this copy references, cloning it if shared. The
  // acquire load pairs with the release decrement of the last other owner.
  static Node* MakeExclusive(Node*& slot) {
    if (slot->refs.load(std::memory_order_acquire) == 1) return slot;
    Node* copy;
    if (slot->leaf) {
      const LeafNode* src = Leaf(slot);
      LeafNode* c = new LeafNode();
      std::copy(src->keys, src->keys + src->count, c->keys);
      std::copy(src->vals, src->vals + src->count, c->vals);
      copy = c;
    } else {
      const InnerNode* src = static_cast<const InnerNode*>(slot);
      InnerNode* c = new InnerNode();
      std::copy(src->keys, src->keys + src->count, c->keys);
      std::copy(src->kids, src->kids + src->count, c->kids);
      std::copy(src->aug, src->aug + src->count, c->aug);
      for (int i = 0; i < src->count; ++i) Ref(c->kids[i]);
      copy = c;
    }
    copy->count = slot->count;
    Unref(slot);
    slot = copy;
    return copy;
  }

  template <typename Q>
  int LeafLowerBound(const LeafNode* lf, const Q& key) const {
    int lo = 0, hi = lf->count;
    while (lo < hi) {
      int mid = (lo + hi) / 2;
      if (cmp_(lf->keys[mid], key)) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
  // The child whose range holds `key`: the last i >= 1 with keys[i] <= key, else 0.
  template <typename Q>
  int ChildIndex(const InnerNode* in, const Q& key) const {
    int lo = 1, hi = in->count;
    while (lo < hi) {
      int mid = (lo + hi) / 2;
      if (cmp_(key, in->keys[mid])) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo - 1;
  }

  static AugValue SummaryOf(const Node* n) {
    AugValue s = Augment::Identity();
    if (n->leaf) {
      const LeafNode* lf = Leaf(n);
      for (int i = 0; i < lf->count; ++i) {
        s = Augment::Combine(s, Augment::Of(lf->keys[i], lf->vals[i]));
      }
    } else {
      const InnerNode* in = static_cast<const InnerNode*>(n);
      for (int i = 0; i < in->count; ++i) s = Augment::Combine(s, in->aug[i]);
    }
    return s;
  }

  // Inserts into exclusive node `n`. On overflow splits `n` and returns the new right
  // sibling in *right with its lowest key in *sep.
  bool InsertRec(Node* n, K&& key, V&& value, Node** right, Sep* sep) {
    if (n->leaf)
      return InsertLeaf(static_cast<LeafNode*>(n), std::move(key), std::move(value), right, sep);
    InnerNode* in = static_cast<InnerNode*>(n);
    int c = ChildIndex(in, key);
    MakeExclusive(in->kids[c]);
    Node* child_right = nullptr;
    Sep child_sep{};
    bool inserted =
        InsertRec(in->kids[c], std::move(key), std::move(value), &child_right, &child_sep);
    if constexpr (kAugmented) in->aug[c] = SummaryOf(in->kids[c]);
    if (child_right) {
      AugValue child_aug{};
      if constexpr (kAugmented) child_aug = SummaryOf(child_right);
      InsertInner(in, c + 1, std::move(child_sep), child_right, child_aug, right, sep);
    }
    return inserted;
  }

  // Where to split a full node of `cap` slots when inserting at `pos`: appends at the end
  // leave the old node full (ascending loads pack nodes completely), else split evenly.
  static int SplitPoint(int pos, int cap) { return pos == cap ? cap : cap / 2; }

  bool InsertLeaf(LeafNode* lf, K&& key, V&& value, Node** right, Sep* sep) {
    int pos = LeafLowerBound(lf, key);
    if (pos < lf->count && !cmp_(key, lf->keys[pos])) {
      lf->keys[pos] = std::move(key);
      lf->vals[pos] = std::move(value);
      return false;
    }
    LeafNode* target = lf;
    if (lf->count == kLeafCap) {
      LeafNode* r = new LeafNode();
      int split = SplitPoint(pos, kLeafCap);
      for (int i = split; i < kLeafCap; ++i) {
        r->keys[i - split] = std::exchange(lf->keys[i], K{});
        r->vals[i - split] = std::exchange(lf->vals[i], V{});
      }
      r->count = static_cast<uint16_t>(kLeafCap - split);
      lf->count = static_cast<uint16_t>(split);
      if (pos >= split) {
        target = r;
        pos -= split;
      }
      *right = r;
    }
    for (int i = target->count; i > pos; --i) {
      target->keys[i] = std::move(target->keys[i - 1]);
      target->vals[i] = std::move(target->vals[i - 1]);
    }
    target->keys[pos] = std::move(key);
    target->vals[pos] = std::move(value);
    ++target->count;
    if (*right) *sep = Sep(Leaf(*right)->keys[0]);
    return true;
  }

  // Inserts child `kid` at position `pos` of exclusive inner node `in`, splitting on
  // overflow as InsertLeaf does.
  void InsertInner(InnerNode* in, int pos, Sep&& key, Node* kid, const AugValue& aug, Node** right,
                   Sep* sep) {
    InnerNode* target = in;
    if (in->count == kInnerCap) {
      InnerNode* r = new InnerNode();
      int split = SplitPoint(pos, kInnerCap);
      for (int i = split; i < kInnerCap; ++i) {
        r->keys[i - split] = std::exchange(in->keys[i], Sep{});
        r->kids[i - split] = in->kids[i];
        r->aug[i - split] = in->aug[i];
      }
      r->count = static_cast<uint16_t>(kInnerCap - split);
      in->count = static_cast<uint16_t>(split);
      if (pos >= split) {
        target = r;
        pos -= split;
      }
      *right = r;
    }
    for (int i = target->count; i > pos; --i) {
      target->keys[i] = std::move(target->keys[i - 1]);
      target->kids[i] = target->kids[i - 1];
      target->aug[i] = target->aug[i - 1];
    }
    target->keys[pos] = std::move(key);
    target->kids[pos] = kid;
    target->aug[pos] = aug;
    ++target->count;
    if (*right) *sep = static_cast<InnerNode*>(*right)->keys[0];
  }

  template <typename Q>
  void EraseRec(Node* n, const Q& key) {
    if (n->leaf) {
      LeafNode* lf = static_cast<LeafNode*>(n);
      int pos = LeafLowerBound(lf, key);
      for (int i = pos; i + 1 < lf->count; ++i) {
        lf->keys[i] = std::move(lf->keys[i + 1]);
        lf->vals[i] = std::move(lf->vals[i + 1]);
      }
      --lf->count;
      lf->keys[lf->count] = K{};
      lf->vals[lf->count] = V{};
      return;
    }
    InnerNode* in = static_cast<InnerNode*>(n);
    int c = ChildIndex(in, key);
    MakeExclusive(in->kids[c]);
    EraseRec(in->kids[c], key);
    int min = (in->kids[c]->leaf ? kLeafCap : kInnerCap) / 2;
    if (in->kids[c]->count < min && in->count > 1) {
      Rebalance(in, c + 1 < in->count ? c : c - 1);
    } else if constexpr (kAugmented) {
      in->aug[c] = SummaryOf(in->kids[c]);
    }
  }

  // Merges or evens out children `l` and `l + 1` of exclusive node `in`.
  void Rebalance(InnerNode* in, int l) {
    Node* ln = MakeExclusive(in->kids[l]);
    Node* rn = MakeExclusive(in->kids[l + 1]);
    if (ln->leaf) {
      MoveLeaves(static_cast<LeafNode*>(ln), static_cast<LeafNode*>(rn));
    } else {
      // The parent's separator is the exact lower bound of the right node's first child.
      static_cast<InnerNode*>(rn)->keys[0] = in->keys[l + 1];
      MoveInners(static_cast<InnerNode*>(ln), static_cast<InnerNode*>(rn));
    }
    if (rn->count == 0) {
      Unref(rn);
      for (int i = l + 1; i + 1 < in->count; ++i) {
        in->keys[i] = std::move(in->keys[i + 1]);
        in->kids[i] = in->kids[i + 1];
        in->aug[i] = in->aug[i + 1];
      }
      --in->count;
      in->keys[in->count] = Sep{};
      in->kids[in->count] = nullptr;
    } else {
      in->keys[l + 1] = rn->leaf ? Sep(Leaf(rn)->keys[0]) : static_cast<InnerNode*>(rn)->keys[0];
      if constexpr (kAugmented) in->aug[l + 1] = SummaryOf(rn);
    }
    if constexpr (kAugmented) in->aug[l] = SummaryOf(ln);
  }

  // Moves all of r into l when they fit, else splits their entries evenly.
  static void MoveLeaves(LeafNode* l, LeafNode* r) {
    int total = l->count + r->count;
    int want_left = total <= kLeafCap ? total : total / 2;
    if (l->count < want_left) {
      int m = want_left - l->count;
      for (int i = 0; i < m; ++i) {
        l->keys[l->count + i] = std::move(r->keys[i]);
        l->vals[l->count + i] = std::move(r->vals[i]);
      }
      for (int i = m; i < r->count; ++i) {
        r->keys[i - m] = std::move(r->keys[i]);
        r->vals[i - m] = std::move(r->vals[i]);
      }
      for (int i = r->count - m; i < r->count; ++i) {
        r->keys[i] = K{};
        r->vals[i] = V{};
      }
      l->count = static_cast<uint16_t>(l->count + m);
      r->count = static_cast<uint16_t>(r->count - m);
    } else if (l->count > want_left) {
      int m = l->count - want_left;
      for (int i = r->count - 1; i >= 0; --i) {
        r->keys[i + m] = std::move(r->keys[i]);
        r->vals[i + m] = std::move(r->vals[i]);
      }
      for (int i = 0; i < m; ++i) {
        r->keys[i] = std::exchange(l->keys[want_left + i], K{});
        r->vals[i] = std::exchange(l->vals[want_left + i], V{});
      }
      l->count = static_cast<uint16_t>(want_left);
      r->count = static_cast<uint16_t>(r->count + m);
    }
  }
  static void MoveInners(InnerNode* l, InnerNode* r) {
    int total = l->count + r->count;
    int want_left = total <= kInnerCap ? total : total / 2;
    if (l->count < want_left) {
      int m = want_left - l->count;
      for (int i = 0; i < m; ++i) {
        l->keys[l->count + i] = std::move(r->keys[i]);
        l->kids[l->count + i] = r->kids[i];
        l->aug[l->count + i] = r->aug[i];
      }
      for (int i = m; i < r->count; ++i) {
        r->keys[i - m] = std::move(r->keys[i]);
        r->kids[i - m] = r->kids[i];
        r->aug[i - m] = r->aug[i];
      }
      for (int i = r->count - m; i < r->count; ++i) {
        r->keys[i] = Sep{};
        r->kids[i] = nullptr;
      }
      l->count = static_cast<uint16_t>(l->count + m);
      r->count = static_cast<uint16_t>(r->count - m);
    } else if (l->count > want_left) {
      int m = l->count - want_left;
      for (int i = r->count - 1; i >= 0; --i) {
        r->keys[i + m] = std::move(r->keys[i]);
        r->kids[i + m] = r->kids[i];
        r->aug[i + m] = r->aug[i];
      }
      for (int i = 0; i < m; ++i) {
        r->keys[i] = std::exchange(l->keys[want_left + i], Sep{});
        r->kids[i] = std::exchange(l->kids[want_left + i], nullptr);
        r->aug[i] = l->aug[want_left + i];
      }
      l->count = static_cast<uint16_t>(want_left);
      r->count = static_cast<uint16_t>(r->count + m);
    }
  }

  // Summary over the part of `n` inside [lo, hi). `lo_in`/`hi_in` say the whole of `n`
  // already lies above lo / below hi; a null `hi` means unbounded.
  template <typename Q1, typename Q2>
  AugValue RangeRec(const Node* n, const Q1* lo, const Q2* hi, bool lo_in, bool hi_in) const {
    if (lo_in && hi_in) return SummaryOf(n);
    AugValue s = Augment::Identity();
    if (n->leaf) {
      const LeafNode* lf = Leaf(n);
      for (int i = lo_in ? 0 : LeafLowerBound(lf, *lo); i < lf->count; ++i) {
        if (!hi_in && !cmp_(lf->keys[i], *hi)) break;
        s = Augment::Combine(s, Augment::Of(lf->keys[i], lf->vals[i]));
      }
      return s;
    }
    const InnerNode* in = static_cast<const InnerNode*>(n);
    for (int i = lo_in ? 0 : ChildIndex(in, *lo); i < in->count; ++i) {
      if (i > 0 && !hi_in && !cmp_(in->keys[i], *hi)) break;
      bool child_lo_in = lo_in || (i > 0 && !cmp_(in->keys[i], *lo));
      bool child_hi_in = hi_in || (i + 1 < in->count && !cmp_(*hi, in->keys[i + 1]));
      s = Augment::Combine(s, child_lo_in && child_hi_in
                                  ? in->aug[i]
                                  : RangeRec(in->kids[i], lo, hi, child_lo_in, child_hi_in));
    }
    return s;
  }

  Node* root_ = nullptr;
  std::size_t size_ = 0;
  [[no_unique_address]] Compare cmp_;
};

}  // namespace cairn::base

#endif  // CAIRN_BASE_PERSISTENT_MAP_H_
