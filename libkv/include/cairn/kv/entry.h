// cairn/kv/entry.h — one KV entry (Consul's DirEntry / KVPair) as an immutable handle.
//
// An Entry is a reference-counted, immutable record: key, value bytes, Flags,
// CreateIndex, ModifyIndex, LockIndex and Session (empty when unlocked). The store keeps
// entries in a persistent map, so a read returns Entry handles that share the stored
// bytes: copying an Entry costs one atomic increment, never a copy of the value, and an
// Entry stays valid after the store has moved on (it keeps its bytes alive).
//
// Example:
//
//   std::optional<cairn::kv::Entry> e = view.Get("service/web/leader");
//   if (e && e->session().empty()) { ... e->value() ... e->modify_index() ... }
//
// Thread-safety: an Entry may be copied, read and destroyed from any thread.
// Memory: one allocation of 48 bytes + key + value + session bytes per version of an entry.
#ifndef CAIRN_KV_ENTRY_H_
#define CAIRN_KV_ENTRY_H_

#include <atomic>
#include <cstdint>
#include <string_view>
#include <utility>

namespace cairn::kv {

namespace internal {
// The shared representation; the key, value and session bytes follow it in one allocation.
struct EntryRep {
  std::atomic<uint32_t> refs;
  uint32_t key_len;
  uint32_t value_len;
  uint32_t session_len;
  uint64_t flags;
  uint64_t create_index;
  uint64_t modify_index;
  uint64_t lock_index;
  const char* bytes() const { return reinterpret_cast<const char*>(this + 1); }
};
}  // namespace internal

class Entry {
 public:
  // A null handle (operator bool is false); its accessors must not be called.
  Entry() = default;
  // Builds a new entry. Lengths must fit in 32 bits (the store limits keys and values far
  // below that).
  static Entry Make(std::string_view key, std::string_view value, uint64_t flags,
                    uint64_t create_index, uint64_t modify_index, uint64_t lock_index,
                    std::string_view session);

  Entry(const Entry& o) : rep_(o.rep_) {
    if (rep_) rep_->refs.fetch_add(1, std::memory_order_relaxed);
  }
  Entry(Entry&& o) noexcept : rep_(std::exchange(o.rep_, nullptr)) {}
  Entry& operator=(Entry o) noexcept {
    std::swap(rep_, o.rep_);
    return *this;
  }
  ~Entry() {
    if (rep_ && rep_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) Free(rep_);
  }

  explicit operator bool() const { return rep_ != nullptr; }

  std::string_view key() const { return {rep_->bytes(), rep_->key_len}; }
  std::string_view value() const { return {rep_->bytes() + rep_->key_len, rep_->value_len}; }
  // The session holding the lock on this key, or empty.
  std::string_view session() const {
    return {rep_->bytes() + rep_->key_len + rep_->value_len, rep_->session_len};
  }
  uint64_t flags() const { return rep_->flags; }
  uint64_t create_index() const { return rep_->create_index; }
  uint64_t modify_index() const { return rep_->modify_index; }
  // Number of successful lock acquisitions; kept across releases.
  uint64_t lock_index() const { return rep_->lock_index; }

  // True when both entries have the same key, value, flags, indexes and session.
  friend bool operator==(const Entry& a, const Entry& b);

 private:
  explicit Entry(internal::EntryRep* rep) : rep_(rep) {}
  static void Free(internal::EntryRep* rep);
  internal::EntryRep* rep_ = nullptr;
};

}  // namespace cairn::kv

#endif  // CAIRN_KV_ENTRY_H_
