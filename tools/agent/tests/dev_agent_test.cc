// Runs the real `cairn agent -dev` and talks to it the way users do: HTTP (python3-consul,
// the real Consul client), DNS (dig), the CLI, and signals.
//
// Each test picks its own loopback address (127.<pid-derived>.x.y) so that the default
// ports 8500/8600/8300 never clash with another test or a developer's agent.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace {

std::string UniqueLoopback() {
  static std::mt19937 rng(
      static_cast<unsigned>(getpid()) ^
      static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count()));
  std::uniform_int_distribution<int> octet(2, 250);
  return fmt::format("127.{}.{}.{}", octet(rng), octet(rng), octet(rng));
}

struct Run {
  int code;
  std::string out;
};

// Runs a shell command line, returns exit code and combined output.
Run Shell(const std::string& cmd) {
  std::FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A `cairn agent` child process with its output in a file.
class AgentProcess {
 public:
  explicit AgentProcess(std::vector<std::string> args) {
    char tmpl[] = "/tmp/cairn-dev-agent-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
    log_ = dir_ + "/out.log";
    std::vector<std::string> argv = {CAIRN_BINARY, "agent"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargv;
    for (std::string& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    REQUIRE(posix_spawn(&pid_, CAIRN_BINARY, &actions, nullptr, cargv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&actions);
  }
  ~AgentProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    std::system(fmt::format("rm -rf '{}'", dir_).c_str());
  }

  // Waits for the process to exit (up to `limit`); its exit code, or -1 on timeout.
  int WaitExit(std::chrono::seconds limit = std::chrono::seconds(60)) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }
  void Signal(int signo) { kill(pid_, signo); }
  std::string Output() const { return ReadFile(log_); }
  bool Running() {
    if (pid_ <= 0) return false;
    return waitpid(pid_, nullptr, WNOHANG) == 0;
  }

 private:
  std::string dir_;
  std::string log_;
  pid_t pid_ = -1;
};

// Polls `cmd` until its output contains `want` (up to 60 s on a loaded machine).
bool PollFor(const std::string& cmd, const std::string& want) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (Shell(cmd).out.find(want) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::string Curl(const std::string& addr, const std::string& path) {
  return fmt::format(
      "/usr/bin/python3 -c \"import urllib.request,sys; "
      "print(urllib.request.urlopen('http://{}:8500{}', timeout=5).read().decode())\"",
      addr, path);
}

TEST_CASE("cairn agent -dev serves the HTTP API and DNS on the -client address", "[process]") {
  std::string addr = UniqueLoopback();
  AgentProcess agent({"-dev", "-client", addr, "-bind", addr, "-node", "py-node"});
  REQUIRE(PollFor(Curl(addr, "/v1/status/leader"), fmt::format("\"{}:8300\"", addr)));
  std::string banner = agent.Output();
  CHECK(banner.find("==> Starting Cairn agent...") != std::string::npos);
  CHECK(banner.find("            Node name: 'py-node'") != std::string::npos);
  CHECK(banner.find(fmt::format("          Client Addr: [{}] (HTTP: 8500", addr)) !=
        std::string::npos);

  SECTION("python3-consul drives KV, sessions, txn and status") {
    Run py = Shell(fmt::format(
        "cd '{}' && /usr/bin/python3 -c \"import consul, python_consul_test as t; "
        "t.run(consul.Consul(host='{}', port=8500), server='{}:8300'); print('python-consul ok')\"",
        CAIRN_LIBAGENT_TESTS, addr, addr));
    INFO(py.out);
    CHECK(py.code == 0);
    CHECK(py.out.find("python-consul ok") != std::string::npos);
  }
  SECTION("dig resolves the agent's own node") {
    Run a =
        Shell(fmt::format("dig @{} -p 8600 +short +time=5 +tries=3 py-node.node.consul A", addr));
    INFO(a.out);
    CHECK(a.out == addr + "\n");
    Run nx = Shell(fmt::format("dig @{} -p 8600 +time=5 +tries=3 nope.node.consul A", addr));
    INFO(nx.out);
    CHECK(nx.out.find("status: NXDOMAIN") != std::string::npos);
    CHECK(nx.out.find("SOA") != std::string::npos);
  }
  SECTION("the CLI writes and reads KV, and /v1/agent/self names the node") {
    std::string http = fmt::format("-http-addr={}:8500", addr);
    Run put = Shell(fmt::format("{} kv put {} redis/config 192.168.99.133", CAIRN_BINARY, http));
    CHECK(put.out == "Success! Data written to: redis/config\n");
    Run get = Shell(fmt::format("{} kv get {} redis/config", CAIRN_BINARY, http));
    CHECK(get.out == "192.168.99.133\n");
    Run members = Shell(fmt::format("{} members {}", CAIRN_BINARY, http));
    INFO(members.out);
    CHECK(members.code == 0);
    CHECK(members.out.find("py-node") != std::string::npos);
    CHECK(members.out.find("alive") != std::string::npos);
    Run self = Shell(Curl(addr, "/v1/agent/self"));
    CHECK(self.out.find("\"NodeName\":\"py-node\"") != std::string::npos);
  }
  SECTION("cairn leave shuts the agent down gracefully") {
    Run leave = Shell(fmt::format("{} leave -http-addr={}:8500", CAIRN_BINARY, addr));
    INFO(leave.out);
    CHECK(leave.code == 0);
    CHECK(agent.WaitExit() == 0);
    CHECK(agent.Output().find("Graceful exit completed") != std::string::npos);
  }
}

TEST_CASE("a dev agent is a server: SIGINT and SIGTERM exit without leaving", "[process]") {
  for (int signo : {SIGINT, SIGTERM}) {
    std::string addr = UniqueLoopback();
    AgentProcess agent({"-dev", "-client", addr, "-bind", addr});
    REQUIRE(PollFor(Curl(addr, "/v1/status/leader"), addr));
    agent.Signal(signo);
    CHECK(agent.WaitExit() == 1);
    std::string out = agent.Output();
    CHECK(out.find("Graceful shutdown disabled. Exiting") != std::string::npos);
    CHECK(out.find("Exit code: code=1") != std::string::npos);
  }
}

TEST_CASE("cairn agent refuses bad configuration and names file and key", "[process]") {
  char tmpl[] = "/tmp/cairn-bad-config-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  std::string dir = tmpl;
  std::ofstream(dir + "/bad.json") << "{\"server_mode\": true}";
  Run bad = Shell(fmt::format("{} agent -dev -config-file={}/bad.json", CAIRN_BINARY, dir));
  CHECK(bad.code == 1);
  CHECK(bad.out.find(dir + "/bad.json") != std::string::npos);
  CHECK(bad.out.find("server_mode") != std::string::npos);
  Run extra = Shell(fmt::format("{} agent -dev extra", CAIRN_BINARY));
  CHECK(extra.code == 1);
  CHECK(extra.out.find("Unexpected extra arguments: extra") != std::string::npos);
  std::system(fmt::format("rm -rf '{}'", dir).c_str());
}

TEST_CASE("cairn agent says plainly that cluster formation is not available yet", "[process]") {
  char tmpl[] = "/tmp/cairn-server-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  std::string addr = UniqueLoopback();
  Run r =
      Shell(fmt::format("{} agent -server -bootstrap-expect 3 -data-dir={} -bind={} "
                        "-client={}",
                        CAIRN_BINARY, tmpl, addr, addr));
  CHECK(r.code == 1);
  CHECK(r.out.find("cluster-formation layer") != std::string::npos);
  std::system(fmt::format("rm -rf '{}'", tmpl).c_str());
}

}  // namespace
