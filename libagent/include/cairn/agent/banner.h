// cairn/agent/banner.h — what `cairn agent` prints when it starts (spec A15).
//
// The banner is Consul's: `==> ` before output lines, info lines indented 4 and labels
// right-aligned to 17 characters and a colon, values quoted where Consul quotes them. It is not
// printed when log_json is on (the caller decides).
//
// Example:
//
//   std::fputs(cairn::agent::StartupBanner(config, {.version = "0.1.0"}).c_str(), stdout);
#ifndef CAIRN_AGENT_BANNER_H_
#define CAIRN_AGENT_BANNER_H_

#include <string>

#include <cairn/agent/config.h>

namespace cairn::agent {

struct BannerInfo {
  std::string version;       // "0.1.0"
  std::string revision;      // printed as `Revision:` when non-empty
  std::string build_date;    // printed as `Build Date:` when non-empty
  std::string cluster_addr;  // the advertised cluster address ("127.0.0.1")
};

// The whole banner, from "==> Starting Cairn agent..." to "==> Log data will now stream
// in as it occurs:" and a blank line. `config` must have its node ID (EnsureNodeId).
std::string StartupBanner(const Config& config, const BannerInfo& info);

}  // namespace cairn::agent

#endif  // CAIRN_AGENT_BANNER_H_
