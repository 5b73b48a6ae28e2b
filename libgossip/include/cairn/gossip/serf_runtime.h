// cairn/gossip/serf_runtime.h — a serf node: SerfCore on top of a Memberlist, with
// timers, event coalescing, the snapshot file and the keyring file.
//
// This is what `serf agent` is minus the RPC: it plugs SerfCore into memberlist's
// delegates, drives SerfCore::Tick from the clock, writes the snapshot (and re-joins the
// members it lists at start), and runs the graceful leave sequence (serf leave intent,
// memberlist dead-self broadcast, LeavePropagateDelay).
//
// Example:
//
//   Serf::Options opts;
//   opts.memberlist = Memberlist::Options::LAN("n1");
//   opts.serf.node_name = "n1";
//   opts.serf.tags = {{"role", "web"}};
//   opts.snapshot_path = data_dir + "/serf.snapshot";
//   CAIRN_ASSIGN_OR_RETURN(auto serf, Serf::Create(std::move(opts), transport, clock,
//                                                  [](SerfEvent e) { Print(e); }));
//   serf->Join({"127.0.0.1:7946"}, /*ignore_old=*/false, [](absl::StatusOr<int> n) {});
//   serf->UserEvent("deploy", "v1", /*coalesce=*/true);
//
// Threading: like Memberlist, a Serf lives on the executor of its transport and clock;
// every method (Create and the destructor included) must be called there, and every
// callback and event runs there. Callbacks must not block; they may call back into Serf.
#ifndef CAIRN_GOSSIP_SERF_RUNTIME_H_
#define CAIRN_GOSSIP_SERF_RUNTIME_H_

#include <memory>
#include <string>
#include <vector>

#include <absl/functional/any_invocable.h>
#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include <cairn/base/clock.h>
#include <cairn/gossip/memberlist.h>
#include <cairn/gossip/serf.h>

namespace cairn::gossip {

class Serf {
 public:
  struct Options {
    Memberlist::Options memberlist = Memberlist::Options::LAN("");
    // node_name defaults to memberlist.name; advertise ip/port to the memberlist's.
    SerfConfig serf;
    std::string snapshot_path;        // empty: no snapshot
    bool rejoin_after_leave = false;  // serf agent -rejoin
    std::string keyring_file;         // JSON array of base64 keys, rewritten on key queries
    // Coalescing of member and user events (serf agent: 3 s / 1 s). Zero: off.
    Duration coalesce_period = Duration::zero();
    Duration quiescent_period = std::chrono::seconds(1);
    Duration broadcast_timeout = std::chrono::seconds(5);
    Duration leave_propagate_delay = std::chrono::seconds(1);
  };

  // Creates the memberlist and starts it; when a snapshot lists members, re-joins them
  // in the background. `transport` and `clock` are borrowed and must outlive the Serf.
  // Errors: bad options (see Memberlist::Create), an unusable snapshot file.
  static absl::StatusOr<std::unique_ptr<Serf>> Create(Options options, Transport& transport,
                                                      base::Clock& clock, SerfEventSink sink);
  ~Serf();
  Serf(const Serf&) = delete;
  Serf& operator=(const Serf&) = delete;

  // Joins through `addresses` ("ip:port" or "name/ip:port"); on success broadcasts our
  // join intent. `ignore_old`: user events from before the join are not delivered.
  void Join(std::vector<std::string> addresses, bool ignore_old,
            absl::AnyInvocable<void(absl::StatusOr<int>) &&> done);
  // Graceful leave; `done` runs after the leave propagated (members then see "left").
  void Leave(absl::AnyInvocable<void(absl::Status) &&> done);
  // Stops without leaving (others will see us fail). Idempotent.
  void Shutdown();

  absl::Status UserEvent(std::string_view name, std::optional<std::string> payload, bool coalesce);
  absl::StatusOr<uint32_t> Query(std::string_view name, std::optional<std::string> payload,
                                 QueryParams params, QueryCallbacks callbacks);
  absl::Status Respond(const IncomingQuery& query, std::optional<std::string> payload);
  absl::Status SetTags(TagList tags);
  absl::Status KeyOperation(KeyOp op, std::string_view key_b64,
                            absl::AnyInvocable<void(KeyOpResult)> on_done);

  std::vector<SerfMember> Members() const;
  SerfCore& core() { return *core_; }
  Memberlist& memberlist() { return *ml_; }

  class Impl;  // private; the delegates and host glue

 private:
  explicit Serf(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  SerfCore* core_ = nullptr;
  Memberlist* ml_ = nullptr;
};

}  // namespace cairn::gossip

#endif  // CAIRN_GOSSIP_SERF_RUNTIME_H_
