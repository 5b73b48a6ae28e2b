// `cairn version [-format=text|json]`: what Consul's `version` prints, for this build.
#include <cstdio>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>

#include <cairn/base/flags.h>

#include "cli.h"

namespace cairn::cli {

// The Consul protocol range our gossip speaks (memberlist/serf "vsn"); Consul 1.x prints
// the same numbers.
constexpr int kProtocolDefault = 2;
constexpr int kProtocolMin = 2;
constexpr int kProtocolMax = 3;

int RunVersion(const std::vector<std::string>& args) {
  base::FlagSet flags("version");
  std::string format = "text";
  flags.String("format", &format, "Output format of version information. (text|json)");
  auto parsed = flags.Parse(args);
  if (!parsed.ok()) {
    std::fprintf(stderr, "%s\n\nUsage: cairn version [options]\n\n%s",
                 std::string(parsed.status().message()).c_str(), flags.Usage().c_str());
    return 1;
  }
  if (parsed->help) {
    std::printf("Usage: cairn version [options]\n\n  Shows the version of this Cairn agent.\n\n%s",
                flags.Usage().c_str());
    return 0;
  }
  if (!parsed->args.empty()) {
    std::fprintf(stderr, "This command takes no arguments, got \"%s\"\n", parsed->args[0].c_str());
    return 1;
  }
  if (format == "json") {
    boost::json::value v = {
        {"Version", CAIRN_VERSION},
        {"Revision", CAIRN_GIT_REVISION},
        {"Prerelease", ""},
        {"RPC", {{"Default", kProtocolDefault}, {"Min", kProtocolMin}, {"Max", kProtocolMax}}},
    };
    std::printf("%s\n", boost::json::serialize(v).c_str());
    return 0;
  }
  if (format != "text") {
    std::fprintf(stderr, "Invalid format \"%s\": must be \"text\" or \"json\"\n", format.c_str());
    return 1;
  }
  std::fputs(fmt::format("Cairn v{}\nRevision {}\nProtocol {} spoken by default, understands {} "
                         "to {} (agent will automatically use protocol >{} when speaking to "
                         "compatible agents)\n",
                         CAIRN_VERSION, CAIRN_GIT_REVISION, kProtocolDefault, kProtocolMin,
                         kProtocolMax, kProtocolDefault)
                 .c_str(),
             stdout);
  return 0;
}

}  // namespace cairn::cli
