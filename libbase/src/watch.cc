#include <list>
#include <mutex>
#include <utility>
#include <vector>

#include <absl/container/btree_map.h>
#include <absl/container/flat_hash_map.h>

#include <cairn/base/status.h>
#include <cairn/base/watch.h>

namespace cairn::base {

// Waiters are kept in one list per exact key and one list per prefix; a waiter remembers
// its list position so Cancel() unlinks it in O(1). prefix_lengths_ counts registered
// prefixes by length, so Notify(key) looks up only lengths that someone is waiting on.
struct WatchHub::Impl {
  using List = std::list<std::shared_ptr<Handle::Waiter>>;

  std::mutex mu;
  absl::flat_hash_map<std::string, List> exact;
  absl::flat_hash_map<std::string, List> prefixes;
  absl::btree_map<std::size_t, std::size_t> prefix_lengths;  // length -> waiter count
  std::size_t count = 0;

  void Unlink(Handle::Waiter& w);
  void Collect(List& list, uint64_t index, std::vector<std::shared_ptr<Handle::Waiter>>& fired);
};

struct WatchHub::Handle::Waiter {
  std::weak_ptr<Impl> hub;
  std::string key;
  bool is_prefix = false;
  uint64_t min_index = 0;
  Callback cb;
  bool active = true;  // guarded by Impl::mu
  Impl::List::iterator pos;
};

void WatchHub::Impl::Unlink(Handle::Waiter& w) {
  auto& table = w.is_prefix ? prefixes : exact;
  auto it = table.find(w.key);
  it->second.erase(w.pos);
  if (it->second.empty()) table.erase(it);
  if (w.is_prefix) {
    auto len = prefix_lengths.find(w.key.size());
    if (--len->second == 0) prefix_lengths.erase(len);
  }
  w.active = false;
  --count;
}

void WatchHub::Impl::Collect(List& list, uint64_t index,
                             std::vector<std::shared_ptr<Handle::Waiter>>& fired) {
  for (auto it = list.begin(); it != list.end();) {
    auto cur = it++;
    if ((*cur)->min_index < index) fired.push_back(*cur);
  }
}

WatchHub::WatchHub() : impl_(std::make_shared<Impl>()) {}

WatchHub::~WatchHub() = default;

WatchHub::Handle WatchHub::WaitKey(std::string_view key, uint64_t min_index, Callback cb) {
  auto w = std::make_shared<Handle::Waiter>();
  w->key = std::string(key);
  w->min_index = min_index;
  w->cb = std::move(cb);
  std::lock_guard lock(impl_->mu);
  w->hub = impl_;
  auto& list = impl_->exact[w->key];
  w->pos = list.insert(list.end(), w);
  ++impl_->count;
  return Handle(std::move(w));
}

WatchHub::Handle WatchHub::WaitPrefix(std::string_view prefix, uint64_t min_index, Callback cb) {
  auto w = std::make_shared<Handle::Waiter>();
  w->key = std::string(prefix);
  w->is_prefix = true;
  w->min_index = min_index;
  w->cb = std::move(cb);
  std::lock_guard lock(impl_->mu);
  w->hub = impl_;
  auto& list = impl_->prefixes[w->key];
  w->pos = list.insert(list.end(), w);
  ++impl_->prefix_lengths[w->key.size()];
  ++impl_->count;
  return Handle(std::move(w));
}

namespace {
// Runs callbacks outside the hub's lock, so a callback may register or cancel waiters.
void RunFired(std::vector<WatchHub::Callback>& callbacks, uint64_t index) {
  for (auto& cb : callbacks) std::move(cb)(index);
}
}  // namespace

void WatchHub::Notify(std::string_view key, uint64_t index) {
  std::vector<std::shared_ptr<Handle::Waiter>> fired;
  std::vector<Callback> callbacks;
  {
    std::lock_guard lock(impl_->mu);
    if (auto it = impl_->exact.find(ToAbsl(key)); it != impl_->exact.end()) {
      impl_->Collect(it->second, index, fired);
    }
    for (const auto& [len, n] : impl_->prefix_lengths) {
      if (len > key.size()) break;
      if (auto it = impl_->prefixes.find(ToAbsl(key.substr(0, len))); it != impl_->prefixes.end()) {
        impl_->Collect(it->second, index, fired);
      }
    }
    callbacks.reserve(fired.size());
    for (auto& w : fired) {
      impl_->Unlink(*w);
      callbacks.push_back(std::move(w->cb));
    }
  }
  RunFired(callbacks, index);
}

void WatchHub::NotifyAll(uint64_t index) {
  std::vector<std::shared_ptr<Handle::Waiter>> fired;
  std::vector<Callback> callbacks;
  {
    std::lock_guard lock(impl_->mu);
    for (auto* table : {&impl_->exact, &impl_->prefixes}) {
      for (auto& [key, list] : *table) {
        for (auto& w : list) fired.push_back(w);
      }
    }
    for (auto& w : fired) {
      impl_->Unlink(*w);
      callbacks.push_back(std::move(w->cb));
    }
  }
  RunFired(callbacks, index);
}

std::size_t WatchHub::size() const {
  std::lock_guard lock(impl_->mu);
  return impl_->count;
}

WatchHub::Handle::~Handle() { Cancel(); }

WatchHub::Handle::Handle(Handle&& other) noexcept : waiter_(std::move(other.waiter_)) {}

WatchHub::Handle& WatchHub::Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    Cancel();
    waiter_ = std::move(other.waiter_);
  }
  return *this;
}

void WatchHub::Handle::Cancel() {
  if (!waiter_) return;
  if (auto hub = waiter_->hub.lock()) {
    std::lock_guard lock(hub->mu);
    if (waiter_->active) hub->Unlink(*waiter_);
  }
  waiter_.reset();
}

bool WatchHub::Handle::active() const {
  if (!waiter_) return false;
  auto hub = waiter_->hub.lock();
  if (!hub) return false;
  std::lock_guard lock(hub->mu);
  return waiter_->active;
}

}  // namespace cairn::base
