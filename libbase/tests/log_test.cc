#include <cstdio>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <cairn/base/log.h>

namespace cairn::base {
namespace {

// Reads back what a LogSystem wrote to a temporary FILE*.
std::string Contents(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, f)) out.append(buf, n);
  return out;
}

TEST_CASE("Log levels parse with Consul's names", "[unit]") {
  CHECK(ParseLogLevel("TRACE").value() == LogLevel::kTrace);
  CHECK(ParseLogLevel("debug").value() == LogLevel::kDebug);
  CHECK(ParseLogLevel("Info").value() == LogLevel::kInfo);
  CHECK(ParseLogLevel("warn").value() == LogLevel::kWarn);
  CHECK(ParseLogLevel("err").value() == LogLevel::kError);
  CHECK(ParseLogLevel("verbose").status().message() == "Unknown log level: verbose");
  CHECK(LogLevelName(LogLevel::kWarn) == "WARN");
}

TEST_CASE("Plain and JSON formats match hclog's", "[unit]") {
  LogRecord r{absl::FromUnixMillis(1'700'000'000'123), LogLevel::kInfo, "agent",
              "Consul agent running!"};
  CHECK(FormatPlain(r) == "2023-11-14T22:13:20.123Z [INFO]  agent: Consul agent running!");
  r.level = LogLevel::kError;
  CHECK(FormatPlain(r) == "2023-11-14T22:13:20.123Z [ERROR] agent: Consul agent running!");
  r.message = "quote \" and\nnewline";
  CHECK(FormatJson(r) ==
        "{\"@level\":\"error\",\"@message\":\"quote \\\" and\\nnewline\",\"@module\":\"agent\","
        "\"@timestamp\":\"2023-11-14T22:13:20.123000Z\"}");
}

TEST_CASE("Output honours level and format, subscribers get records at their own level", "[unit]") {
  std::FILE* f = std::tmpfile();
  REQUIRE(f != nullptr);
  LogSystem logs(f);
  Logger log = logs.Get("agent");
  std::vector<std::string> seen;
  {
    auto sub = logs.Subscribe(LogLevel::kDebug, [&](const LogRecord& r) {
      seen.push_back(std::string(LogLevelName(r.level)) + " " + std::string(r.module) + " " +
                     std::string(r.message));
    });
    CHECK(log.Enabled(LogLevel::kDebug));
    CHECK_FALSE(log.Enabled(LogLevel::kTrace));
    log.Debug("debug {}", 1);
    log.Info("info {}", 2);
    log.Named("server").Warn("warned");
    log.Trace("never");
  }
  log.Debug("after unsubscribe");
  CHECK_FALSE(log.Enabled(LogLevel::kDebug));
  CHECK(seen == std::vector<std::string>{"DEBUG agent debug 1", "INFO agent info 2",
                                         "WARN agent.server warned"});
  std::string out = Contents(f);
  CHECK(out.find("[INFO]  agent: info 2\n") != std::string::npos);
  CHECK(out.find("[WARN]  agent.server: warned\n") != std::string::npos);
  CHECK(out.find("debug") == std::string::npos);

  logs.SetJson(true);
  logs.SetLevel(LogLevel::kTrace);
  log.Trace("now json");
  CHECK(Contents(f).find("{\"@level\":\"trace\",\"@message\":\"now json\",\"@module\":\"agent\"") !=
        std::string::npos);
  std::fclose(f);
}

}  // namespace
}  // namespace cairn::base
