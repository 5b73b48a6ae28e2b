// cairn/base/log.h — logging on spdlog with Consul's levels and line formats.
//
// A `LogSystem` owns where log lines go: one output (a FILE*, stderr by default) in plain or
// JSON form, plus any number of subscribers (the agent's /v1/agent/monitor streams from
// one). Components log through a `Logger` named after their module ("agent", "raft",
// "memberlist"); loggers are cheap handles and share their system's sinks.
//
// Example:
//
//   cairn::base::LogSystem& logs = cairn::base::LogSystem::Default();
//   logs.SetLevel(cairn::base::LogLevel::kDebug);
//   cairn::base::Logger log = logs.Get("agent");
//   log.Info("Consul agent running! node={}", name);
//   // 2026-11-21T03:39:34.123Z [INFO]  agent: Consul agent running! node=n1
//
//   auto sub = logs.Subscribe(cairn::base::LogLevel::kTrace,
//                             [](const cairn::base::LogRecord& r) { Send(FormatJson(r)); });
//
// Plain lines follow hclog (what Consul prints): RFC 3339 UTC time with milliseconds, the
// level in brackets padded to width 7, the module and the message. JSON lines carry
// "@level", "@message", "@module" and "@timestamp", as Consul's log_json does.
#ifndef CAIRN_BASE_LOG_H_
#define CAIRN_BASE_LOG_H_

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <absl/functional/any_invocable.h>
#include <absl/status/statusor.h>
#include <absl/time/time.h>
#include <spdlog/logger.h>

namespace cairn::base {

enum class LogLevel { kTrace = 0, kDebug = 1, kInfo = 2, kWarn = 3, kError = 4, kOff = 5 };

// Accepts Consul's names, case-insensitively: "trace", "debug", "info", "warn"/"warning",
// "err"/"error". Anything else: InvalidArgument "Unknown log level: <x>".
absl::StatusOr<LogLevel> ParseLogLevel(std::string_view name);
// "TRACE", "DEBUG", "INFO", "WARN", "ERROR" ("OFF" for kOff).
std::string_view LogLevelName(LogLevel level);

// One log event. The views are valid only during the call that receives the record.
struct LogRecord {
  absl::Time time;
  LogLevel level;
  std::string_view module;
  std::string_view message;
};

// "2026-11-21T03:39:34.123Z [INFO]  agent: message" (no trailing newline).
std::string FormatPlain(const LogRecord& record);
// {"@level":"info","@message":"message","@module":"agent","@timestamp":"2026-11-21T03:39:34.123456Z"}
std::string FormatJson(const LogRecord& record);

// A named handle for logging; copyable and cheap. All methods are thread-safe.
class Logger {
 public:
  explicit Logger(std::shared_ptr<spdlog::logger> impl) : impl_(std::move(impl)) {}

  template <typename... Args>
  void Trace(fmt::format_string<Args...> f, Args&&... args) const {
    impl_->trace(f, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void Debug(fmt::format_string<Args...> f, Args&&... args) const {
    impl_->debug(f, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void Info(fmt::format_string<Args...> f, Args&&... args) const {
    impl_->info(f, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void Warn(fmt::format_string<Args...> f, Args&&... args) const {
    impl_->warn(f, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void Error(fmt::format_string<Args...> f, Args&&... args) const {
    impl_->error(f, std::forward<Args>(args)...);
  }
  // True when a message at `level` would reach the output or some subscriber; use it to
  // skip building expensive messages.
  bool Enabled(LogLevel level) const;
  // A logger for a sub-module: Get("agent").Named("server") logs as "agent.server".
  Logger Named(std::string_view sub) const;

 private:
  std::shared_ptr<spdlog::logger> impl_;
};

// Owns the output and the subscribers of a family of loggers. Thread-safe. The Default()
// system is what the `cairn` binary configures; libraries take a Logger from their creator
// and never reach for Default() themselves, so tests and embedders can give them another.
class LogSystem {
 public:
  // Receives each record at or above the subscriber's level, on the logging thread, while
  // the system's lock is held: it must not block and must not log.
  using Subscriber = absl::AnyInvocable<void(const LogRecord&)>;

  // Cancels its subscription when destroyed. Must not outlive the LogSystem.
  class Subscription {
   public:
    Subscription() = default;
    Subscription(Subscription&& o) noexcept
        : system_(std::exchange(o.system_, nullptr)), id_(o.id_) {}
    Subscription& operator=(Subscription&& o) noexcept;
    ~Subscription();

   private:
    friend class LogSystem;
    Subscription(LogSystem* s, uint64_t id) : system_(s), id_(id) {}
    LogSystem* system_ = nullptr;
    uint64_t id_ = 0;
  };

  // Writes to `out` (not owned; must outlive the system) at kInfo, plain.
  explicit LogSystem(std::FILE* out = stderr);
  ~LogSystem();
  LogSystem(const LogSystem&) = delete;
  LogSystem& operator=(const LogSystem&) = delete;

  static LogSystem& Default();

  Logger Get(std::string_view module);
  void SetLevel(LogLevel level);
  LogLevel level() const;
  void SetJson(bool json);
  // Redirects output to `out` (not owned); nullptr discards output (subscribers still get
  // records).
  void SetOutput(std::FILE* out);
  [[nodiscard]] Subscription Subscribe(LogLevel level, Subscriber fn);

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace cairn::base

#endif  // CAIRN_BASE_LOG_H_
