#include "cli.h"

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "command_util.h"

namespace cairn::cli {
namespace {

// An HTTP API command run against the real process's streams and environment.
std::function<int(const std::vector<std::string>&)> InProcess(
    int (*run)(const std::vector<std::string>&, Context&)) {
  return [run](const std::vector<std::string>& args) { return run(args, Context::Process()); };
}

}  // namespace

const std::vector<Command>& Commands() {
  static const auto* commands = new std::vector<Command>{
      {"agent", "Runs a Cairn agent", RunAgent},
      {"force-leave", "Forces a member of the cluster to enter the \"left\" state",
       InProcess(RunForceLeave)},
      {"info", "Provides debugging information for operators.", InProcess(RunInfo)},
      {"join", "Tell Cairn agent to join cluster", InProcess(RunJoin)},
      {"keygen", "Generates a new encryption key", RunKeygen},
      {"kv", "Interact with the key-value store", InProcess(RunKv)},
      {"leave", "Gracefully leaves the Cairn cluster and shuts down", InProcess(RunLeave)},
      {"members", "Lists the members of a Cairn cluster", InProcess(RunMembers)},
      {"operator", "Provides cluster-level tools for Cairn operators", InProcess(RunOperator)},
      {"reload", "Triggers the agent to reload configuration files", InProcess(RunReload)},
      {"snapshot", "Saves, restores and inspects snapshots of Cairn server state",
       InProcess(RunSnapshot)},
      {"version", "Prints the Cairn version", RunVersion},
  };
  return *commands;
}

std::string Help() {
  std::size_t width = 0;
  for (const Command& c : Commands()) width = std::max(width, c.name.size());
  std::string out =
      "Usage: cairn [--version] [--help] <command> [<args>]\n\nAvailable commands are:\n";
  for (const Command& c : Commands()) {
    out += fmt::format("    {:<{}}    {}\n", c.name, width, c.synopsis);
  }
  return out;
}

int Main(const std::vector<std::string>& argv) {
  if (argv.empty()) {
    std::fputs(Help().c_str(), stderr);
    return 1;
  }
  const std::string& name = argv[0];
  if (name == "-h" || name == "-help" || name == "--help" || name == "help") {
    std::fputs(Help().c_str(), stdout);
    return 0;
  }
  if (name == "-v" || name == "-version" || name == "--version") {
    return RunVersion({});
  }
  std::vector<std::string> rest(argv.begin() + 1, argv.end());
  for (const Command& c : Commands()) {
    if (c.name == name) return c.run(rest);
  }
  std::fputs(fmt::format("cairn: unknown command \"{}\"\n\n{}", name, Help()).c_str(), stderr);
  return 1;
}

}  // namespace cairn::cli
