// The `cairn` command line: a table of subcommands, each a function of its arguments.
//
// Every subcommand parses its own flags with cairn::base::FlagSet, so all of them take
// Consul's flag forms (`-flag value`, `-flag=value`, `--flag`). A subcommand prints what
// it produces to stdout, errors to stderr, and returns the process exit code: 0 on
// success, 1 on any error (bad flags included), as Consul's commands do.
#ifndef CAIRN_TOOLS_AGENT_CLI_H_
#define CAIRN_TOOLS_AGENT_CLI_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::cli {

struct Context;  // command_util.h: streams and environment of an HTTP API command

struct Command {
  std::string name;      // "keygen"
  std::string synopsis;  // one line for `cairn --help`
  std::function<int(const std::vector<std::string>& args)> run;
};

// Every subcommand, sorted by name.
const std::vector<Command>& Commands();

// Runs `cairn <argv...>` and returns the exit code.
int Main(const std::vector<std::string>& argv);

// The text `cairn --help` prints.
std::string Help();

// Subcommands, one per file.
int RunVersion(const std::vector<std::string>& args);
int RunKeygen(const std::vector<std::string>& args);
// `cairn agent` (agent_command.cc): runs an agent in the foreground.
int RunAgent(const std::vector<std::string>& args);

// Thin wrappers over the agent's HTTP API (command_util.h says how they print and how
// -http-addr, -token and the CONSUL_*/CAIRN_* environment variables are applied).
int RunMembers(const std::vector<std::string>& args, Context& ctx);
int RunJoin(const std::vector<std::string>& args, Context& ctx);
int RunLeave(const std::vector<std::string>& args, Context& ctx);
int RunForceLeave(const std::vector<std::string>& args, Context& ctx);
int RunReload(const std::vector<std::string>& args, Context& ctx);
int RunInfo(const std::vector<std::string>& args, Context& ctx);
int RunKv(const std::vector<std::string>& args, Context& ctx);  // put|get|delete|export|import
int RunKvPut(const std::vector<std::string>& args, Context& ctx);
int RunKvGet(const std::vector<std::string>& args, Context& ctx);
int RunKvDelete(const std::vector<std::string>& args, Context& ctx);
int RunKvExport(const std::vector<std::string>& args, Context& ctx);
int RunKvImport(const std::vector<std::string>& args, Context& ctx);
int RunSnapshot(const std::vector<std::string>& args, Context& ctx);  // save|restore|inspect
int RunOperator(const std::vector<std::string>& args, Context& ctx);  // raft ...

}  // namespace cairn::cli

#endif  // CAIRN_TOOLS_AGENT_CLI_H_
