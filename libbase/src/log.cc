#include <algorithm>
#include <mutex>
#include <vector>

#include <absl/strings/ascii.h>
#include <absl/time/clock.h>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <fmt/format.h>
#include <spdlog/sinks/base_sink.h>

#include <cairn/base/log.h>
#include <cairn/base/status.h>

namespace cairn::base {

absl::StatusOr<LogLevel> ParseLogLevel(std::string_view name) {
  std::string n = absl::AsciiStrToLower(std::string(name));
  if (n == "trace") return LogLevel::kTrace;
  if (n == "debug") return LogLevel::kDebug;
  if (n == "info") return LogLevel::kInfo;
  if (n == "warn" || n == "warning") return LogLevel::kWarn;
  if (n == "err" || n == "error") return LogLevel::kError;
  return absl::InvalidArgumentError(fmt::format("Unknown log level: {}", name));
}

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
      return "TRACE";
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarn:
      return "WARN";
    case LogLevel::kError:
      return "ERROR";
    case LogLevel::kOff:
      return "OFF";
  }
  return "OFF";
}

namespace {

spdlog::level::level_enum ToSpd(LogLevel l) {
  switch (l) {
    case LogLevel::kTrace:
      return spdlog::level::trace;
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
    case LogLevel::kOff:
      return spdlog::level::off;
  }
  return spdlog::level::off;
}

LogLevel FromSpd(spdlog::level::level_enum l) {
  switch (l) {
    case spdlog::level::trace:
      return LogLevel::kTrace;
    case spdlog::level::debug:
      return LogLevel::kDebug;
    case spdlog::level::info:
      return LogLevel::kInfo;
    case spdlog::level::warn:
      return LogLevel::kWarn;
    case spdlog::level::err:
    case spdlog::level::critical:
      return LogLevel::kError;
    default:
      return LogLevel::kOff;
  }
}

}  // namespace

std::string FormatPlain(const LogRecord& r) {
  std::string level = fmt::format("[{}]", LogLevelName(r.level));
  level.resize(std::max<std::size_t>(level.size(), 7), ' ');
  return fmt::format("{} {} {}: {}",
                     absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", r.time, absl::UTCTimeZone()), level,
                     r.module, r.message);
}

std::string FormatJson(const LogRecord& r) {
  // Keys in the order hclog writes them (sorted).
  std::string level = absl::AsciiStrToLower(ToAbsl(LogLevelName(r.level)));
  std::string out = "{\"@level\":";
  out += boost::json::serialize(boost::json::string(level));
  out += ",\"@message\":";
  out += boost::json::serialize(boost::json::string(r.message));
  out += ",\"@module\":";
  out += boost::json::serialize(boost::json::string(r.module));
  out += ",\"@timestamp\":\"";
  out += absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", r.time, absl::UTCTimeZone());
  out += "\"}";
  return out;
}

// The one spdlog sink behind every logger of a LogSystem. spdlog filters by each logger's
// level, which is kept at the lowest level anyone wants (output or a subscriber); the
// sink then filters per destination.
struct LogSystem::Impl : spdlog::sinks::base_sink<std::mutex> {
  std::FILE* out = stderr;
  bool json = false;
  LogLevel output_level = LogLevel::kInfo;
  struct Sub {
    uint64_t id;
    LogLevel level;
    Subscriber fn;
  };
  std::vector<Sub> subs;
  uint64_t next_id = 1;
  std::vector<std::weak_ptr<spdlog::logger>> loggers;  // guarded by mutex_

  LogLevel EffectiveLevelLocked() const {
    LogLevel l = output_level;
    for (const Sub& s : subs) l = std::min(l, s.level);
    return l;
  }
  void ApplyLevelLocked() {
    auto level = ToSpd(EffectiveLevelLocked());
    std::erase_if(loggers, [](const auto& w) { return w.expired(); });
    for (auto& w : loggers) {
      if (auto l = w.lock()) l->set_level(level);
    }
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    LogRecord r{absl::FromChrono(msg.time), FromSpd(msg.level),
                std::string_view(msg.logger_name.data(), msg.logger_name.size()),
                std::string_view(msg.payload.data(), msg.payload.size())};
    if (out != nullptr && r.level >= output_level) {
      std::string line = json ? FormatJson(r) : FormatPlain(r);
      line += '\n';
      std::fwrite(line.data(), 1, line.size(), out);
      std::fflush(out);
    }
    for (Sub& s : subs) {
      if (r.level >= s.level) s.fn(r);
    }
  }
  void flush_() override {
    if (out != nullptr) std::fflush(out);
  }

  friend class LogSystem;
  friend class LogSystem::Subscription;
  friend class Logger;
};

LogSystem::LogSystem(std::FILE* out) : impl_(std::make_shared<Impl>()) { impl_->out = out; }

LogSystem::~LogSystem() = default;

LogSystem& LogSystem::Default() {
  static LogSystem* system = new LogSystem(stderr);  // never destroyed: used at exit
  return *system;
}

Logger LogSystem::Get(std::string_view module) {
  auto logger = std::make_shared<spdlog::logger>(std::string(module), impl_);
  std::lock_guard lock(impl_->mutex_);
  logger->set_level(ToSpd(impl_->EffectiveLevelLocked()));
  impl_->loggers.push_back(logger);
  return Logger(std::move(logger));
}

void LogSystem::SetLevel(LogLevel level) {
  std::lock_guard lock(impl_->mutex_);
  impl_->output_level = level;
  impl_->ApplyLevelLocked();
}

LogLevel LogSystem::level() const {
  std::lock_guard lock(impl_->mutex_);
  return impl_->output_level;
}

void LogSystem::SetJson(bool json) {
  std::lock_guard lock(impl_->mutex_);
  impl_->json = json;
}

void LogSystem::SetOutput(std::FILE* out) {
  std::lock_guard lock(impl_->mutex_);
  impl_->out = out;
}

LogSystem::Subscription LogSystem::Subscribe(LogLevel level, Subscriber fn) {
  std::lock_guard lock(impl_->mutex_);
  uint64_t id = impl_->next_id++;
  impl_->subs.push_back({id, level, std::move(fn)});
  impl_->ApplyLevelLocked();
  return Subscription(this, id);
}

LogSystem::Subscription& LogSystem::Subscription::operator=(Subscription&& o) noexcept {
  if (this != &o) {
    this->~Subscription();
    system_ = std::exchange(o.system_, nullptr);
    id_ = o.id_;
  }
  return *this;
}

LogSystem::Subscription::~Subscription() {
  if (system_ == nullptr) return;
  auto& impl = *system_->impl_;
  std::lock_guard lock(impl.mutex_);
  std::erase_if(impl.subs, [this](const Impl::Sub& s) { return s.id == id_; });
  impl.ApplyLevelLocked();
  system_ = nullptr;
}

bool Logger::Enabled(LogLevel level) const { return impl_->should_log(ToSpd(level)); }

Logger Logger::Named(std::string_view sub) const {
  auto sinks = impl_->sinks();
  auto* system_sink = dynamic_cast<LogSystem::Impl*>(sinks.front().get());
  auto logger = std::make_shared<spdlog::logger>(fmt::format("{}.{}", impl_->name(), sub),
                                                 sinks.begin(), sinks.end());
  logger->set_level(impl_->level());
  if (system_sink != nullptr) {
    std::lock_guard lock(system_sink->mutex_);
    system_sink->loggers.push_back(logger);
  }
  return Logger(std::move(logger));
}

}  // namespace cairn::base
