// `cairn agent`: loads the configuration as `consul agent` does, starts an Agent, prints
// Consul's banner and runs until a signal or `cairn leave` (spec A10–A11, A15).
#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <cairn/agent/agent.h>
#include <cairn/agent/banner.h>
#include <cairn/agent/config_loader.h>
#include <cairn/base/event_loop.h>
#include <cairn/base/flags.h>
#include <cairn/base/log.h>

#include "cli.h"
#include <unistd.h>

namespace cairn::cli {
namespace {

constexpr char kUsage[] =
    "Usage: cairn agent [options]\n\n"
    "  Starts the Cairn agent and runs until an interrupt is received. The\n"
    "  agent represents a single node in a cluster.\n";

// Writes the process id to `path` (0600 is not needed: Consul writes 0644).
absl::Status WritePidFile(const std::string& path) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) return absl::InternalError(fmt::format("Could not write PID file {}", path));
  out << getpid();
  out.close();
  if (!out) return absl::InternalError(fmt::format("Could not write PID file {}", path));
  return absl::OkStatus();
}

}  // namespace

int RunAgent(const std::vector<std::string>& args) {
  agent::AgentFlags values;
  base::FlagSet flags("agent");
  agent::RegisterAgentFlags(flags, &values);
  absl::StatusOr<base::FlagSet::Result> parsed = flags.Parse(args);
  if (!parsed.ok()) {
    std::fprintf(stderr, "%s\n\n%s", std::string(parsed.status().message()).c_str(), kUsage);
    return 1;
  }
  if (parsed->help) {
    std::fprintf(stdout, "%s\n%s", kUsage, flags.Usage().c_str());
    return 0;
  }
  if (!parsed->args.empty()) {
    std::fprintf(stderr, "Unexpected extra arguments: %s\n",
                 fmt::format("{}", fmt::join(parsed->args, " ")).c_str());
    return 1;
  }
  absl::StatusOr<agent::LoadResult> loaded = agent::LoadConfig(values, flags);
  if (!loaded.ok()) {
    std::fprintf(stderr, "==> %s\n", std::string(loaded.status().message()).c_str());
    return 1;
  }
  agent::Config config = std::move(loaded->config);
  base::LogSystem& logs = base::LogSystem::Default();
  logs.SetLevel(config.log_level);
  logs.SetJson(config.log_json);
  if (!config.log_json) {
    for (const std::string& w : loaded->warnings) std::fprintf(stdout, "==> %s\n", w.c_str());
  }
  base::Logger log = logs.Get("agent");
  if (absl::Status s = agent::EnsureNodeId(config); !s.ok()) {
    std::fprintf(stderr, "==> %s\n", std::string(s.message()).c_str());
    return 1;
  }
  std::signal(SIGPIPE, SIG_IGN);

  agent::AgentOptions options;
  options.version = CAIRN_VERSION;
  options.revision = CAIRN_GIT_REVISION;
  // Reload re-reads the same flags and files.
  options.load_config = [&values, &flags]() -> absl::StatusOr<agent::Config> {
    absl::StatusOr<agent::LoadResult> r = agent::LoadConfig(values, flags);
    if (!r.ok()) return r.status();
    return std::move(r->config);
  };
  if (!config.log_json) {
    agent::BannerInfo info;
    info.version = CAIRN_VERSION;
    info.revision = CAIRN_GIT_REVISION;
    info.cluster_addr = agent::AdvertiseAddress(config);
    std::fputs(agent::StartupBanner(config, info).c_str(), stdout);
    std::fflush(stdout);
  }
  absl::StatusOr<std::unique_ptr<agent::Agent>> started = agent::Agent::Start(config, options);
  if (!started.ok()) {
    log.Error("Error starting agent: error=\"{}\"", std::string(started.status().message()));
    return 1;
  }
  agent::Agent& a = **started;
  if (!config.pid_file.empty()) {
    if (absl::Status s = WritePidFile(config.pid_file); !s.ok()) {
      log.Error("{}", std::string(s.message()));
      a.Shutdown(1);
    }
  }

  // Signals (spec A10): INT leaves unless skip_leave_on_interrupt, TERM leaves only with
  // leave_on_terminate, HUP reloads; a second INT/TERM exits at once.
  base::EventLoop signal_loop(1);
  signal_loop.Start();
  std::mutex signal_mu;
  int signals_seen = 0;
  base::SignalHandler handler(signal_loop.executor(), {SIGINT, SIGTERM, SIGHUP}, [&](int signo) {
    if (signo == SIGHUP) {
      log.Info("Caught signal: signal=hangup");
      absl::StatusOr<agent::Config> fresh = options.load_config();
      if (!fresh.ok()) {
        log.Error("Failed to reload configs: error=\"{}\"", std::string(fresh.status().message()));
        return;
      }
      for (const std::string& w : a.Reload(*fresh)) log.Warn("{}", w);
      return;
    }
    std::lock_guard<std::mutex> lock(signal_mu);
    log.Info("Caught signal: signal={}", signo == SIGINT ? "interrupt" : "terminated");
    if (++signals_seen > 1) {
      a.Shutdown(1);
      return;
    }
    agent::Config now = a.config();
    bool graceful = signo == SIGINT ? !now.skip_leave_on_interrupt : now.leave_on_terminate;
    if (!graceful) {
      log.Info("Graceful shutdown disabled. Exiting");
      a.Shutdown(1);
      return;
    }
    a.Leave();
  });

  int code = a.Wait();
  if (code == 0) log.Info("Graceful exit completed");
  started->reset();
  signal_loop.Stop();
  signal_loop.Wait();
  if (!config.pid_file.empty()) std::remove(config.pid_file.c_str());
  log.Info("Exit code: code={}", code);
  return code;
}

}  // namespace cairn::cli
