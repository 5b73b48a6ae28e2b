// cairn/agent/config_loader.h — turns `cairn agent`'s flags and configuration files into a
// validated cairn::agent::Config, the way `consul agent` does (spec agent-and-cli.md A3–A4).
//
// The binary stays thin: it registers the flags, parses argv, and hands both to LoadConfig.
//
// Example (tools/agent):
//
//   cairn::agent::AgentFlags agent_flags;
//   cairn::base::FlagSet flags("agent");
//   cairn::agent::RegisterAgentFlags(flags, &agent_flags);
//   absl::StatusOr<cairn::base::FlagSet::Result> parsed = flags.Parse(args);
//   if (!parsed.ok()) { std::cerr << parsed.status().message() << "\n"; return 1; }
//   absl::StatusOr<cairn::agent::LoadResult> loaded =
//       cairn::agent::LoadConfig(agent_flags, flags);
//   if (!loaded.ok()) { std::cerr << loaded.status().message() << "\n"; return 1; }
//   for (const std::string& w : loaded->warnings) std::cerr << "==> " << w << "\n";
//   cairn::agent::Config config = std::move(loaded->config);
//   absl::Status id = cairn::agent::EnsureNodeId(config);  // at start: does file I/O
//
// Source order (later wins for scalars; lists concatenate; maps overlay key by key):
//   built-in defaults → dev defaults (-dev) → list-valued flags (-join, -retry-join,
//   -recursor, ...) → every -config-file / -config-dir path in command-line order (a
//   directory's .json/.hcl files in lexical order; other files skipped with a warning;
//   with -config-format every file is read in that format) → scalar flags → each -hcl
//   fragment. As in Consul, -config-file and -config-dir both accept a file or a directory.
//   A singular `service` / `check` object appends to `services` / `checks`.
//
// Errors are kInvalidArgument (kNotFound etc. for unreadable paths) with messages naming the
// source and key, e.g.
//   `/etc/cairn.d/a.json: invalid config key server_mode`
//   `/etc/cairn.d/a.hcl: ports.http: expected an integer, got string "8500"`
//   `data_dir cannot be empty`
// Warnings (deprecated keys, skipped files, bootstrap_expect=1, ...) are returned, never
// printed. Thread safety: the functions here may be called from any thread; LoadConfig and
// EnsureNodeId read (and EnsureNodeId writes) the file system.
#ifndef CAIRN_AGENT_CONFIG_LOADER_H_
#define CAIRN_AGENT_CONFIG_LOADER_H_

#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include <cairn/agent/config.h>
#include <cairn/base/flags.h>

namespace cairn::agent {

// The raw values of every `cairn agent` flag. RegisterAgentFlags points the FlagSet at
// these fields; which of them were actually given is asked of the FlagSet (IsSet), so the
// zero values here never override anything.
struct AgentFlags {
  bool dev = false;
  std::vector<std::string> config_files;  // -config-file and -config-dir, in order
  std::string config_format;              // -config-format
  std::vector<std::string> hcl;           // -hcl
  // Scalar flags, keyed by their config keys in LoadConfig.
  bool server = false, bootstrap = false, rejoin = false, ui = false, log_json = false;
  bool enable_script_checks = false, enable_local_script_checks = false;
  bool disable_keyring_file = false, disable_host_node_id = false, syslog = false;
  int64_t bootstrap_expect = 0, retry_max = 0, retry_max_wan = 0;
  int64_t http_port = 0, https_port = 0, dns_port = 0, grpc_port = 0, grpc_tls_port = 0;
  int64_t server_port = 0, serf_lan_port = 0, serf_wan_port = 0;
  int64_t protocol = 0, raft_protocol = 0, log_rotate_bytes = 0, log_rotate_max_files = 0;
  std::string data_dir, node, node_id, bind, advertise, advertise_wan, client;
  std::string serf_lan_bind, serf_wan_bind, datacenter, domain, alt_domain, encrypt;
  std::string ui_dir, ui_content_path, log_level, log_file, pid_file;
  Duration retry_interval{0}, retry_interval_wan{0}, log_rotate_duration{0};
  // Repeatable flags.
  std::vector<std::string> join, join_wan, retry_join, retry_join_wan, recursor, node_meta;
};

// Registers every `consul agent` flag of spec A3 on `flags`, writing into `*out` (which must
// outlive flags.Parse()). `flags` must not already hold any of these names.
void RegisterAgentFlags(base::FlagSet& flags, AgentFlags* out);

// A loaded configuration and the warnings found on the way, in source order.
struct LoadResult {
  Config config;
  std::vector<std::string> warnings;
};

// Builds the Config from the parsed flags (`flags` answers IsSet for `values`' fields) and
// the files and fragments they name, then validates it (spec A1–A10). The data directory
// is checked (must be a directory if it exists) but never created.
absl::StatusOr<LoadResult> LoadConfig(const AgentFlags& values, const base::FlagSet& flags);

// Test and embedding entry point: the same pipeline over explicit argv-style arguments for
// `cairn agent` (without the program and command names). Positional arguments are an error,
// as in Consul ("Unexpected extra arguments").
absl::StatusOr<LoadResult> LoadConfigFromArgs(const std::vector<std::string>& args);

// Gives `config` its node ID (spec A12). A configured node_id is validated (36 characters,
// UUID form, lower-cased). Otherwise, in -dev (or with an empty data_dir) a random UUID v4
// is generated and kept in memory only; else `<data_dir>/node-id` is read if it exists
// (and validated: a corrupt file is an error naming it) or created (0600, the directory
// made if missing) with a new random UUID. A configured ID never touches the file.
absl::Status EnsureNodeId(Config& config);

// SIGHUP / `cairn reload` (spec A11): given the configuration the agent runs with and a
// freshly loaded one (LoadConfig again with the same flags; if that fails, the caller keeps
// `running` and logs the error), returns what the agent should run with now: `running` with
// the reloadable settings taken from `fresh` — services, checks, ACL tokens, log level,
// node_meta, TLS files and verification settings (an interface cannot switch TLS on or off),
// http_max_conns_per_client, discard_check_output, telemetry.prefix_filter, dns_config,
// recursors, raft_snapshot_threshold, raft_snapshot_interval and raft_trailing_logs. Every
// other setting that differs is left as it runs, with a warning naming it
// ("<key> changed: restart the agent to apply it").
LoadResult ApplyReload(const Config& running, const Config& fresh);

// A random UUID v4 in lower-case 8-4-4-4-12 form.
std::string GenerateUuid();

// True if `id` is 36 characters of hex digits with dashes at 8, 13, 18 and 23.
bool IsValidUuid(std::string_view id);

}  // namespace cairn::agent

#endif  // CAIRN_AGENT_CONFIG_LOADER_H_
