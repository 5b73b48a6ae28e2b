// The loading pipeline: gather the sources in Consul's order, check each, merge, decode,
// validate. Consul's builder.go is the reference for the order and for treating
// -config-file and -config-dir alike (both may name a file or a directory).
#include <algorithm>
#include <cerrno>
#include <cstring>

#include <absl/strings/match.h>
#include <absl/strings/str_join.h>

#include <cairn/agent/config_loader.h>
#include <cairn/base/config_reader.h>
#include <cairn/base/status.h>

#include "config_internal.h"
#include "config_schema.h"
#include "str_cat.h"
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cairn::agent {

using internal::Cat;
namespace internal {

boost::json::object DevSource() {
  // Consul's DevSource (agent/config/default.go). The dev Raft timings are applied in
  // DecodeConfig; in-memory state and the self-bootstrap are the agent's business, keyed
  // off Config::dev_mode.
  boost::json::object gossip = {{"gossip_interval", "100ms"},
                                {"probe_interval", "100ms"},
                                {"probe_timeout", "100ms"},
                                {"suspicion_mult", 3}};
  return {
      {"bind_addr", "127.0.0.1"},
      {"disable_keyring_file", true},
      {"ui_config", boost::json::object{{"enabled", true}}},
      {"log_level", "DEBUG"},
      {"server", true},
      {"bootstrap", true},
      {"gossip_lan", gossip},
      {"gossip_wan", gossip},
      {"performance", boost::json::object{{"raft_multiplier", 1}}},
      {"ports", boost::json::object{{"grpc", 8502}}},
      {"disable_update_check", true},
  };
}

namespace {

struct Source {
  std::string name;
  boost::json::object data;
};

absl::Status ReadOne(const std::string& path, const std::optional<base::ConfigFormat>& format,
                     std::vector<Source>* out) {
  absl::StatusOr<boost::json::object> parsed =
      format.has_value() ? base::ReadConfigFile(path, *format) : base::ReadConfigFile(path);
  if (!parsed.ok()) return parsed.status();
  out->push_back({path, std::move(*parsed)});
  return absl::OkStatus();
}

// Reads `path`, a file or a directory (non-recursive, lexical order, non-config files
// skipped with a warning unless `format` forces one).
absl::Status ReadPath(const std::string& path, const std::optional<base::ConfigFormat>& format,
                      std::vector<Source>* out, std::vector<std::string>* warnings) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    int e = errno;
    std::string message =
        Cat("config: Stat failed on ", path, ". stat ", path, ": ", std::strerror(e));
    return e == ENOENT ? absl::NotFoundError(message) : absl::InvalidArgumentError(message);
  }
  if (!S_ISDIR(st.st_mode)) return ReadOne(path, format, out);
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) {
    return absl::InvalidArgumentError(
        Cat("config: Readdir failed on ", path, ". ", std::strerror(errno)));
  }
  std::vector<std::string> names;
  while (dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  closedir(dir);
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    std::string full = Cat(path, absl::EndsWith(path, "/") ? "" : "/", name);
    struct stat entry_st;
    if (stat(full.c_str(), &entry_st) != 0 || S_ISDIR(entry_st.st_mode)) continue;
    if (!format.has_value() && !absl::EndsWith(name, ".json") && !absl::EndsWith(name, ".hcl")) {
      warnings->push_back(Cat("skipping file ", full,
                              ", extension must be .hcl or .json, or config format "
                              "must be set"));
      continue;
    }
    if (absl::Status s = ReadOne(full, format, out); !s.ok()) return s;
  }
  return absl::OkStatus();
}

std::string HostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "";
  return buf;
}

}  // namespace
}  // namespace internal

absl::StatusOr<LoadResult> LoadConfig(const AgentFlags& values, const base::FlagSet& flags) {
  using internal::Source;
  LoadResult result;
  std::vector<std::string>* warnings = &result.warnings;

  std::optional<base::ConfigFormat> format;
  if (!values.config_format.empty()) {
    absl::StatusOr<base::ConfigFormat> f = base::ParseConfigFormat(values.config_format);
    if (!f.ok()) return f.status();
    format = *f;
  }

  // Consul's order: defaults (Config's initialisers) → dev → flag lists → files → flag
  // scalars → -hcl fragments.
  std::vector<Source> sources;
  if (values.dev) sources.push_back({"dev defaults", internal::DevSource()});
  absl::StatusOr<internal::FlagSources> from_flags = internal::FlagsToSources(values, flags);
  if (!from_flags.ok()) return from_flags.status();
  sources.push_back({"command-line flags", std::move(from_flags->slices)});
  for (const std::string& path : values.config_files) {
    if (absl::Status s = internal::ReadPath(path, format, &sources, warnings); !s.ok()) return s;
  }
  sources.push_back({"command-line flags", std::move(from_flags->values)});
  for (size_t i = 0; i < values.hcl.size(); ++i) {
    std::string name = Cat("-hcl[", i, "]");
    absl::StatusOr<boost::json::object> parsed =
        base::ParseConfig(values.hcl[i], base::ConfigFormat::kHcl, name);
    if (!parsed.ok()) return parsed.status();
    sources.push_back({name, std::move(*parsed)});
  }

  boost::json::object merged;
  for (const Source& source : sources) {
    absl::StatusOr<boost::json::object> normalized =
        internal::NormalizeSource(source.data, source.name, warnings);
    if (!normalized.ok()) return normalized.status();
    internal::MergeInto(merged, *normalized);
  }

  Config& config = result.config;
  config.node_name = internal::HostName();
  if (absl::Status s = internal::DecodeConfig(merged, values.dev, config); !s.ok()) return s;
  if (absl::Status s = internal::ValidateConfig(config, warnings); !s.ok()) return s;
  return result;
}

absl::StatusOr<LoadResult> LoadConfigFromArgs(const std::vector<std::string>& args) {
  AgentFlags values;
  base::FlagSet flags("agent");
  RegisterAgentFlags(flags, &values);
  absl::StatusOr<base::FlagSet::Result> parsed = flags.Parse(args);
  if (!parsed.ok()) return parsed.status();
  if (parsed->help) return absl::InvalidArgumentError(flags.Usage());
  if (!parsed->args.empty()) {
    return absl::InvalidArgumentError(
        Cat("Unexpected extra arguments: ", absl::StrJoin(parsed->args, " ")));
  }
  return LoadConfig(values, flags);
}

}  // namespace cairn::agent
