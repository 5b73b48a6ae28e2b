// Private: the stages of config loading after the per-source check (config_schema.h).
//
//   sources (JSON objects) --NormalizeSource--> canonical objects --MergeInto--> one object
//   --DecodeConfig--> Config --ValidateConfig--> validated Config + warnings
#ifndef CAIRN_AGENT_SRC_CONFIG_INTERNAL_H_
#define CAIRN_AGENT_SRC_CONFIG_INTERNAL_H_

#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <boost/json/object.hpp>

#include <cairn/agent/config.h>
#include <cairn/agent/config_loader.h>
#include <cairn/base/flags.h>

namespace cairn::agent::internal {

// Consul's dev-mode source (spec A1), merged right after the defaults.
boost::json::object DevSource();

// The flags split as Consul splits them: list-valued ones (merged before the files) and
// scalar ones (merged after). Only flags given on the command line appear.
struct FlagSources {
  boost::json::object slices;
  boost::json::object values;
};
absl::StatusOr<FlagSources> FlagsToSources(const AgentFlags& values, const base::FlagSet& flags);

// Decodes the merged, normalised object into `config` (which holds the defaults). Values
// are type-correct already; errors here are about values (bad durations, unknown log
// level, malformed client_addr, ...), named by key. `dev_mode` selects the dev timings.
absl::Status DecodeConfig(const boost::json::object& merged, bool dev_mode, Config& config);

// Checks cross-key rules and fills derived values (spec A1–A10); appends warnings.
absl::Status ValidateConfig(Config& config, std::vector<std::string>* warnings);

}  // namespace cairn::agent::internal

#endif  // CAIRN_AGENT_SRC_CONFIG_INTERNAL_H_
