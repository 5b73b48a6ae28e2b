// cairn/catalog/catalog.h — the catalog state store: nodes, services and health checks,
// with MVCC reads, atomic write transactions, blocking-query watches and snapshots.
//
// Concurrency model. The whole catalog is one immutable State value built from persistent
// (path-copying) maps. Read() hands out a ReadView holding a reference to the current State:
// a reader takes a mutex only for that pointer copy, then works on its snapshot for as long
// as it likes without blocking anyone. The single writer (the FSM apply path) opens a
// WriteTxn on a private copy of the State (O(1)), applies any number of operations, and
// Commit() publishes the new State with one pointer swap and then fires the watches whose
// data changed. A snapshot stream is written from a ReadView, so it never stalls writes.
//
// Example (FSM apply thread):
//
//   WriteTxn txn = catalog.BeginWrite(entry.index);
//   CAIRN_RETURN_IF_ERROR(txn.Register(request));   // on error, dropping txn discards it
//   CAIRN_ASSIGN_OR_RETURN(WriteResult result, txn.Commit());
//   for (const CheckKey& c : result.checks_critical) sessions.InvalidateByCheck(c);
//
// Example (HTTP thread, a blocking query on one service):
//
//   auto handle = catalog.WatchService("web", client_index, [=](uint64_t) { Post(rerun); });
//   ReadView view = catalog.Read();
//   if (view.ServiceIndex("web") > client_index) { handle.Cancel(); answer now; }
//
// Indexes. Every write carries the Raft index it is applied at. Each table (nodes, services,
// checks) remembers the index of its last change; so does each service name (changes to its
// instances, their checks, their nodes and node checks) and each node (its record, services
// and checks). Writing data identical to what is stored changes nothing, bumps no index and
// wakes no watcher (Consul compares before writing).
//
// Keys are case-insensitive as in Consul's state store: node names, service IDs, service
// names and check IDs are compared in lower case; the stored records keep their spelling.
#ifndef CAIRN_CATALOG_CATALOG_H_
#define CAIRN_CATALOG_CATALOG_H_

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>

#include <cairn/base/watch.h>
#include <cairn/catalog/dns_source.h>
#include <cairn/catalog/types.h>

namespace cairn::catalog {

namespace internal {
struct State;
struct Working;
}  // namespace internal

enum class Table { kNodes, kServices, kChecks };

// Options of service queries (catalog and health).
struct ServiceQuery {
  std::vector<std::string> tags;  // every tag must be present (case-insensitive)
  StringMap node_meta;            // every pair must equal the node's Meta entry
  bool passing_only = false;      // health only: drop instances with any non-passing check
};

// What a committed write did, for the FSM: which sessions to invalidate and the index.
struct WriteResult {
  uint64_t index = 0;
  bool changed = false;                         // false when every operation was a no-op
  std::vector<std::string> nodes_deregistered;  // names, including nodes renamed by ID
  std::vector<CheckKey> checks_deregistered;    // including those of removed nodes/services
  std::vector<CheckKey> checks_critical;        // written critical (or maintenance) and not
                                                // critical before
};

// A consistent, immutable snapshot of the catalog. Cheap to copy; valid for as long as it
// is held (it keeps its State alive); safe to use from any thread. Every list is sorted by
// its key (node name, then service ID or check ID) and holds shared, immutable records.
class ReadView : public DnsSource {
 public:
  ReadView(const ReadView&) = default;
  ReadView& operator=(const ReadView&) = default;

  // --- indexes (for X-Consul-Index; every value >= 1 once anything was written) ---
  uint64_t TableIndex(Table table) const;
  uint64_t MaxIndex(std::initializer_list<Table> tables) const;
  // Last change of anything about service `name`; when no instance exists, the services
  // and nodes tables' index (so the value still moves when one appears).
  uint64_t ServiceIndex(std::string_view name) const;
  // Last change of node `name`, its services or its checks; when it does not exist, the
  // greatest table index.
  uint64_t NodeIndex(std::string_view name) const;
  // The Raft index of the last write applied (or of the restored snapshot).
  uint64_t LastIndex() const;

  // --- catalog ---
  std::vector<std::shared_ptr<const Node>> Nodes(const StringMap& node_meta = {}) const;
  std::shared_ptr<const Node> GetNode(std::string_view name) const;
  // Service name -> its tags, de-duplicated and sorted (/v1/catalog/services).
  std::map<std::string, std::vector<std::string>> Services(const StringMap& node_meta = {}) const;
  // Instances of `name` with their nodes (/v1/catalog/service/:name); passing_only ignored.
  std::vector<CatalogService> ServiceNodes(std::string_view name, const ServiceQuery& q) const;
  std::vector<std::shared_ptr<const Service>> NodeServices(std::string_view node) const;
  std::shared_ptr<const Service> GetService(std::string_view node, std::string_view id) const;

  // --- health ---
  // /v1/health/service/:name: instances with their own and their node's checks.
  std::vector<ServiceInstance> HealthService(std::string_view name, const ServiceQuery& q) const;
  std::vector<std::shared_ptr<const Check>> NodeChecks(std::string_view node) const;
  // /v1/health/checks/:service: the service-level checks of every instance of `name`.
  std::vector<std::shared_ptr<const Check>> ServiceChecks(std::string_view name,
                                                          const StringMap& node_meta = {}) const;
  // /v1/health/state/:state with state in any|passing|warning|critical|maintenance
  // (critical includes maintenance). Other states: InvalidArgument.
  absl::StatusOr<std::vector<std::shared_ptr<const Check>>> ChecksInState(
      std::string_view state, const StringMap& node_meta = {}) const;
  std::shared_ptr<const Check> GetCheck(std::string_view node, std::string_view check_id) const;

  // --- DnsSource ---
  std::vector<ServiceInstance> ServiceInstances(std::string_view service, std::string_view tag,
                                                std::string_view datacenter,
                                                HealthFilter filter) const override;
  std::shared_ptr<const Node> LookupNode(std::string_view name) const override;
  std::vector<std::shared_ptr<const Node>> NodesByAddress(std::string_view addr) const override;
  std::vector<CatalogService> ServicesByAddress(std::string_view addr) const override;
  // ServiceIndex(service).
  uint64_t ServiceVersion(std::string_view service) const override;

  // --- snapshot ---
  // Streams the tables in the versioned format of snapshot.cc to `sink`, in chunks of at
  // most 64 KiB. Stops at and returns the first error of `sink`.
  absl::Status WriteSnapshot(const std::function<absl::Status(std::string_view)>& sink) const;

 private:
  friend class Catalog;
  friend class WriteTxn;
  explicit ReadView(std::shared_ptr<const internal::State> state) : state_(std::move(state)) {}
  std::shared_ptr<const internal::State> state_;
};

class Catalog;

// A batch of writes at one Raft index, applied atomically by Commit(). Each operation is
// itself all-or-nothing: when it returns an error nothing of it was applied, and the
// transaction stays usable (the FSM's /v1/txn reports per-operation errors and then drops
// the whole transaction). Destroying an uncommitted transaction discards it. Movable, not
// copyable; used by one thread. Only one transaction may be committed per base state:
// committing a transaction opened before another one committed fails with Aborted.
class WriteTxn {
 public:
  WriteTxn(WriteTxn&&) noexcept;
  WriteTxn& operator=(WriteTxn&&) noexcept;
  ~WriteTxn();

  uint64_t index() const { return index_; }

  // Consul's catalog register: the node (unless skip_node_update and it exists), then the
  // service, then the checks, skipping whatever is unchanged. Errors: InvalidArgument for
  // malformed input ("Must provide node", "Bad node ID: ...", ...), FailedPrecondition for
  // "Missing service registration" and node ID conflicts.
  absl::Status Register(const RegisterRequest& request);
  // Consul's catalog deregister: the service (and its checks) and/or the check named, or
  // the whole node with its services and checks when neither is. Missing things are a
  // no-op, as in Consul.
  absl::Status Deregister(const DeregisterRequest& request);

  // Transaction operations (`/v1/txn` Node/Service/Check verbs). With `cas`, a set happens
  // only when the stored ModifyIndex equals *cas (0: only if absent), a delete only when
  // the record exists with that ModifyIndex; otherwise Aborted, e.g.
  // `failed to set node "n1", index is stale`.
  absl::Status SetNode(const Node& node, std::optional<uint64_t> cas = std::nullopt);
  absl::Status DeleteNode(std::string_view node, std::optional<uint64_t> cas = std::nullopt);
  absl::Status SetService(std::string_view node, const Service& service,
                          std::optional<uint64_t> cas = std::nullopt);
  absl::Status DeleteService(std::string_view node, std::string_view service_id,
                             std::optional<uint64_t> cas = std::nullopt);
  absl::Status SetCheck(const Check& check, std::optional<uint64_t> cas = std::nullopt);
  absl::Status DeleteCheck(std::string_view node, std::string_view check_id,
                           std::optional<uint64_t> cas = std::nullopt);

  // A view of the state including this transaction's writes so far (for `get` verbs).
  ReadView View() const;

  // Publishes every change at once and then fires the watches of the changed data (on
  // this thread, after publishing). Errors: FailedPrecondition if already committed or the
  // index is not above the catalog's last index; Aborted if another transaction committed
  // since this one began. On error nothing is published.
  absl::StatusOr<WriteResult> Commit();

 private:
  friend class Catalog;
  WriteTxn(Catalog* catalog, std::shared_ptr<const internal::State> base, uint64_t index);
  absl::Status Apply(const std::function<absl::Status(internal::Working&)>& op);

  Catalog* catalog_;
  std::shared_ptr<const internal::State> base_;
  std::unique_ptr<internal::Working> work_;
  uint64_t index_;
  absl::Status usable_;
};

// The catalog. Owns the current State and the watch hub. Thread-safe: Read() and the Watch*
// calls from any thread; one writer at a time (BeginWrite/Commit on the FSM thread).
class Catalog : public DnsSource {
 public:
  Catalog();
  ~Catalog() override;
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  ReadView Read() const;

  // Opens a write transaction at `raft_index`, which must exceed LastIndex() (checked by
  // the operations and Commit, which then return FailedPrecondition).
  WriteTxn BeginWrite(uint64_t raft_index);

  // Blocking-query watches (see base/watch.h for the register-then-reread protocol). The
  // callback runs once, on the committing thread, after a commit at an index > min_index
  // changed the watched data; it must not block.
  [[nodiscard]] base::WatchHub::Handle WatchTable(Table table, uint64_t min_index,
                                                  base::WatchHub::Callback cb);
  [[nodiscard]] base::WatchHub::Handle WatchService(std::string_view name, uint64_t min_index,
                                                    base::WatchHub::Callback cb);
  [[nodiscard]] base::WatchHub::Handle WatchNode(std::string_view node, uint64_t min_index,
                                                 base::WatchHub::Callback cb);
  // Registered waiters (metrics, tests).
  std::size_t watchers() const { return hub_.size(); }

  // Replaces the whole catalog with the stream WriteSnapshot produced. The stream is fully
  // parsed and checked (format version, checksum, references between records) before
  // anything is replaced; on error the catalog is unchanged (InvalidArgument / DataLoss).
  // Wakes every watcher. Must not run concurrently with a write transaction.
  absl::Status Restore(std::string_view stream);

  // DnsSource, each call on a fresh ReadView.
  std::vector<ServiceInstance> ServiceInstances(std::string_view service, std::string_view tag,
                                                std::string_view datacenter,
                                                HealthFilter filter) const override;
  std::shared_ptr<const Node> LookupNode(std::string_view name) const override;
  std::vector<std::shared_ptr<const Node>> NodesByAddress(std::string_view addr) const override;
  std::vector<CatalogService> ServicesByAddress(std::string_view addr) const override;
  uint64_t ServiceVersion(std::string_view service) const override;

 private:
  friend class WriteTxn;
  absl::StatusOr<WriteResult> Publish(const std::shared_ptr<const internal::State>& base,
                                      internal::Working& work, uint64_t index);

  // A std::mutex rather than absl::Mutex: Debian's Abseil is not built with ThreadSanitizer
  // instrumentation, so TSan would not see absl::Mutex's happens-before edges.
  mutable std::mutex mu_;
  std::shared_ptr<const internal::State> state_;  // guarded by mu_; held only to copy/swap
  base::WatchHub hub_;
};

}  // namespace cairn::catalog

#endif  // CAIRN_CATALOG_CATALOG_H_
