// Shared helpers for the config tests: a scratch directory removed at scope exit, and
// shorthands to load from argv-style arguments.
#ifndef CAIRN_AGENT_TESTS_CONFIG_TEST_UTIL_H_
#define CAIRN_AGENT_TESTS_CONFIG_TEST_UTIL_H_

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <cairn/agent/config_loader.h>

namespace cairn::agent::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cairn-cfg-XXXXXX").string();
    char* made = mkdtemp(tmpl.data());
    REQUIRE(made != nullptr);
    path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // Writes `text` to `<dir>/<name>` (creating subdirectories) and returns the full path.
  std::string Write(const std::string& name, const std::string& text) const {
    std::filesystem::path full = std::filesystem::path(path_) / name;
    std::filesystem::create_directories(full.parent_path());
    std::ofstream(full) << text;
    return full.string();
  }
  std::string Sub(const std::string& name) const {
    std::filesystem::path full = std::filesystem::path(path_) / name;
    std::filesystem::create_directories(full);
    return full.string();
  }

 private:
  std::string path_;
};

// Loads and requires success.
inline LoadResult MustLoad(const std::vector<std::string>& args) {
  absl::StatusOr<LoadResult> r = LoadConfigFromArgs(args);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return std::move(*r);
}

// Loads and requires failure; returns the message.
inline std::string MustFail(const std::vector<std::string>& args) {
  absl::StatusOr<LoadResult> r = LoadConfigFromArgs(args);
  REQUIRE_FALSE(r.ok());
  return std::string(r.status().message());
}

inline bool HasWarning(const LoadResult& r, const std::string& needle) {
  for (const std::string& w : r.warnings) {
    if (w.find(needle) != std::string::npos) return true;
  }
  return false;
}

}  // namespace cairn::agent::testing

#endif  // CAIRN_AGENT_TESTS_CONFIG_TEST_UTIL_H_
