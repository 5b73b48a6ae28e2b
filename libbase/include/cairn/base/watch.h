// cairn/base/watch.h — wake-ups for blocking queries, keyed by string and index.
//
// A state store (libkv, libcatalog) owns one WatchHub per table or family of keys. Readers
// register interest in an exact key or a key prefix with the index they last saw; the
// single writer calls Notify() after it has published a change, and exactly the waiters
// whose data changed are woken: a write to "a/b" wakes waiters on key "a/b" and on the
// prefixes "", "a", "a/", "a/b", never waiters on "a/c" or on prefix "b".
//
// The race between "read the index" and "register" is closed by the reader, in this order:
//
//   WatchHub::Handle h = hub.WaitPrefix("web/", seen, [](uint64_t index) { ... });
//   if (store.PrefixIndex("web/") > seen) { h.Fire(...) or handle it now and drop h }
//
// i.e. register first, then re-read; a write that lands in between either shows in the
// re-read or triggers the callback.
//
// Cost: registering and cancelling are O(1) (plus a hash lookup); Notify(key) costs one
// hash lookup per distinct registered prefix length that is <= key.size(), plus one call
// per woken waiter. Ten thousand waiters cost memory (under 200 bytes each plus the key), not
// threads.
//
// Thread-safety: every member is thread-safe. Callbacks run on the thread that calls
// Notify() (for a store: the FSM apply thread) after the hub's lock is released; they must
// not block — post to your own executor instead. A callback runs at most once.
#ifndef CAIRN_BASE_WATCH_H_
#define CAIRN_BASE_WATCH_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <absl/functional/any_invocable.h>

namespace cairn::base {

class WatchHub {
 public:
  // Receives the index that woke the waiter.
  using Callback = absl::AnyInvocable<void(uint64_t index) &&>;

  // Owns one registration. Destroying or resetting it cancels the waiter if it has not
  // fired. Movable, not copyable. A default-constructed Handle holds nothing.
  class Handle {
   public:
    Handle() = default;
    ~Handle();
    Handle(Handle&& other) noexcept;
    Handle& operator=(Handle&& other) noexcept;
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;

    // Cancels the waiter; afterwards its callback will not start. If the callback is
    // running on another thread at that moment, Cancel() returns without waiting for it.
    void Cancel();
    // True while registered and not yet fired or cancelled.
    bool active() const;

    struct Waiter;  // Implementation detail.

   private:
    friend class WatchHub;
    explicit Handle(std::shared_ptr<Waiter> w) : waiter_(std::move(w)) {}
    std::shared_ptr<Waiter> waiter_;
  };

  WatchHub();
  ~WatchHub();
  WatchHub(const WatchHub&) = delete;
  WatchHub& operator=(const WatchHub&) = delete;

  // Wakes `cb` when Notify() is called for exactly `key` with an index > `min_index`.
  [[nodiscard]] Handle WaitKey(std::string_view key, uint64_t min_index, Callback cb);
  // Wakes `cb` when Notify() is called for any key that starts with `prefix` (the empty
  // prefix matches every key) with an index > `min_index`.
  [[nodiscard]] Handle WaitPrefix(std::string_view prefix, uint64_t min_index, Callback cb);

  // Reports that `key` changed at `index`: fires and removes every matching waiter whose
  // min_index < index. Waiters whose min_index >= index stay registered.
  void Notify(std::string_view key, uint64_t index);
  // Fires every waiter regardless of key, e.g. after a snapshot restore replaced the data.
  void NotifyAll(uint64_t index);

  // Number of registered waiters (for metrics and tests).
  std::size_t size() const;

 private:
  struct Impl;

 private:
  // Shared so that handles can hold a weak reference: a Handle may outlive its hub, and
  // cancelling it then does nothing.
  std::shared_ptr<Impl> impl_;
};

}  // namespace cairn::base

#endif  // CAIRN_BASE_WATCH_H_
