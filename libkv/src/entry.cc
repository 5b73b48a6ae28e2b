#include <cstring>
#include <new>

#include <cairn/kv/entry.h>

namespace cairn::kv {

Entry Entry::Make(std::string_view key, std::string_view value, uint64_t flags,
                  uint64_t create_index, uint64_t modify_index, uint64_t lock_index,
                  std::string_view session) {
  // One allocation for header and bytes: at 1M entries a separate value buffer would cost
  // another malloc header and pointer per entry.
  size_t total = sizeof(internal::EntryRep) + key.size() + value.size() + session.size();
  void* mem = ::operator new(total);
  auto* rep = new (mem) internal::EntryRep{};
  rep->refs.store(1, std::memory_order_relaxed);
  rep->key_len = static_cast<uint32_t>(key.size());
  rep->value_len = static_cast<uint32_t>(value.size());
  rep->session_len = static_cast<uint32_t>(session.size());
  rep->flags = flags;
  rep->create_index = create_index;
  rep->modify_index = modify_index;
  rep->lock_index = lock_index;
  char* out = reinterpret_cast<char*>(rep + 1);
  if (!key.empty()) std::memcpy(out, key.data(), key.size());
  if (!value.empty()) std::memcpy(out + key.size(), value.data(), value.size());
  if (!session.empty())
    std::memcpy(out + key.size() + value.size(), session.data(), session.size());
  return Entry(rep);
}

void Entry::Free(internal::EntryRep* rep) {
  rep->~EntryRep();
  ::operator delete(rep);
}

bool operator==(const Entry& a, const Entry& b) {
  if (a.rep_ == b.rep_) return true;
  if (!a.rep_ || !b.rep_) return false;
  return a.key() == b.key() && a.value() == b.value() && a.session() == b.session() &&
         a.flags() == b.flags() && a.create_index() == b.create_index() &&
         a.modify_index() == b.modify_index() && a.lock_index() == b.lock_index();
}

}  // namespace cairn::kv
