// Interop with Debian's `serf agent` (issue 4 item 6): two serf agents and two Cairn
// gossip-nodes in one pool on 127.0.0.1. Joins both ways, members and tags on all four,
// user events both ways, a `serf query` answered by the Cairn nodes, SIGKILL seen as
// failed on both sides, graceful leave seen as left on both sides; then all of it with
// -encrypt and a key rotation (install, use, remove) run from a Cairn node.
//
// Every condition is polled with a generous deadline; children are SIGKILLed at the end
// whatever happens (the Children destructor). Timings: -profile=local on both sides.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kTimeout = std::chrono::seconds(60);

std::string Tmp() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "serf-interop-XXXXXX").string();
  return mkdtemp(tmpl.data());
}

// A port free for both UDP and TCP on 127.0.0.1 right now.
int FreePort() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    int t = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(t, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        getsockname(t, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      close(t);
      continue;
    }
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    bool ok = bind(u, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(u);
    close(t);
    if (ok) return ntohs(a.sin_port);
  }
  FAIL("no free port");
  return 0;
}

// Runs a command line through /bin/sh with a time limit; returns its stdout+stderr.
std::string Run(const std::string& cmd) {
  std::string out;
  FILE* p = popen(("timeout 20 " + cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

bool Poll(const std::function<bool()>& cond, std::chrono::seconds limit = kTimeout) {
  auto end = Clock::now() + limit;
  while (Clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return cond();
}

// A child process; stdout lines collected by a reader thread (gossip-node) or sent to a
// log file (serf agent).
class Child {
 public:
  Child(std::vector<std::string> argv, const std::string& log_path, bool pipe_io) {
    int in[2] = {-1, -1}, out[2] = {-1, -1};
    if (pipe_io) {
      REQUIRE(pipe(in) == 0);
      REQUIRE(pipe(out) == 0);
    }
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      if (pipe_io) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[1]);
        close(out[0]);
      }
      int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (!pipe_io) dup2(log, 1);
      dup2(log, 2);
      std::vector<char*> args;
      for (std::string& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      execvp(args[0], args.data());
      _exit(127);
    }
    if (pipe_io) {
      close(in[0]);
      close(out[1]);
      stdin_ = in[1];
      reader_ = std::thread([this, fd = out[0]] {
        std::string line;
        char c;
        while (read(fd, &c, 1) == 1) {
          if (c != '\n') {
            line.push_back(c);
            continue;
          }
          std::lock_guard<std::mutex> lock(mu_);
          lines_.push_back(line);
          line.clear();
        }
        close(fd);
      });
    }
  }
  ~Child() {
    Kill();
    if (stdin_ >= 0) close(stdin_);
    if (reader_.joinable()) reader_.join();
  }
  void Kill() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  void Send(const std::string& line) {
    std::string l = line + "\n";
    REQUIRE(write(stdin_, l.data(), l.size()) == static_cast<ssize_t>(l.size()));
  }
  size_t Mark() {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_.size();
  }
  // Lines printed since `from`.
  std::vector<std::string> Lines(size_t from = 0) {
    std::lock_guard<std::mutex> lock(mu_);
    return std::vector<std::string>(lines_.begin() + std::min(from, lines_.size()), lines_.end());
  }
  bool Saw(const std::string& needle, size_t from = 0) {
    for (const std::string& l : Lines(from)) {
      if (l.find(needle) != std::string::npos) return true;
    }
    return false;
  }
  // The `members` table: name -> "status tags".
  std::map<std::string, std::string> Members() {
    size_t mark = Mark();
    Send("members");
    std::map<std::string, std::string> out;
    if (!Poll([&] { return Saw("members-end", mark); }, std::chrono::seconds(10))) return out;
    for (const std::string& l : Lines(mark)) {
      std::istringstream in(l);
      std::string kw, name, addr, status, tags;
      in >> kw >> name >> addr >> status >> tags;
      if (kw == "member") out[name] = status + " " + tags;
    }
    return out;
  }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  std::thread reader_;
  std::mutex mu_;
  std::vector<std::string> lines_;
};

struct SerfAgent {
  std::string name;
  int port, rpc;
  std::unique_ptr<Child> proc;
  std::string log;
  std::string Rpc() const { return "-rpc-addr=127.0.0.1:" + std::to_string(rpc); }
  // `serf members` as name -> "status tags".
  std::map<std::string, std::string> Members() const {
    std::map<std::string, std::string> out;
    std::istringstream in(Run("serf members " + Rpc()));
    for (std::string line; std::getline(in, line);) {
      std::istringstream l(line);
      std::string n, addr, status, tags;
      l >> n >> addr >> status >> tags;
      if (!status.empty()) out[n] = status + " " + tags;
    }
    return out;
  }
  std::string Log() const {
    std::ifstream f(log);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
};

std::string Status(const std::map<std::string, std::string>& m, const std::string& name) {
  auto it = m.find(name);
  if (it == m.end()) return "absent";
  return it->second.substr(0, it->second.find(' '));
}

class Pool {
 public:
  explicit Pool(std::string key) : key_(std::move(key)), dir_(Tmp()) {
    keep_ = std::getenv("GOSSIP_INTEROP_KEEP") != nullptr;  // keep logs for debugging
  }
  ~Pool() {
    serfs_.clear();
    cairns_.clear();
    if (!keep_) std::filesystem::remove_all(dir_);
  }

  SerfAgent& StartSerf(const std::string& name, std::vector<std::string> tags,
                       std::optional<std::string> key = std::nullopt) {
    const std::string& k = key ? *key : key_;
    auto a = std::make_unique<SerfAgent>();
    a->name = name;
    a->port = FreePort();
    a->rpc = FreePort();
    a->log = dir_ + "/" + name + ".log";
    std::vector<std::string> argv = {"serf",
                                     "agent",
                                     "-node=" + name,
                                     "-bind=127.0.0.1:" + std::to_string(a->port),
                                     "-rpc-addr=127.0.0.1:" + std::to_string(a->rpc),
                                     "-profile=local",
                                     "-log-level=debug"};
    for (const std::string& t : tags) argv.push_back("-tag=" + t);
    if (!k.empty()) argv.push_back("-encrypt=" + k);
    a->proc = std::make_unique<Child>(argv, a->log, false);
    SerfAgent& ref = *a;
    serfs_.push_back(std::move(a));
    INFO("serf agent " << name << " answers RPC (log " << ref.log << ")");
    REQUIRE(Poll([&] { return Run("serf members " + ref.Rpc()).find(name) != std::string::npos; }));
    return ref;
  }

  Child& StartCairn(const std::string& name, const std::string& key,
                    std::vector<std::string> extra) {
    int port = FreePort();
    std::vector<std::string> argv = {
        GOSSIP_NODE_BIN, "-node", name, "-bind", "127.0.0.1:" + std::to_string(port),
        "-profile",      "local"};
    if (!key.empty()) {
      argv.push_back("-encrypt");
      argv.push_back(key);
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto c = std::make_unique<Child>(argv, dir_ + "/" + name + ".log", true);
    Child& ref = *c;
    cairns_.push_back(std::move(c));
    ports_[name] = port;
    INFO("gossip-node " << name << " ready");
    REQUIRE(Poll([&] { return ref.Saw("ready " + name); }));
    return ref;
  }
  std::string Addr(const std::string& cairn) {
    return "127.0.0.1:" + std::to_string(ports_[cairn]);
  }
  const std::string& dir() const { return dir_; }
  void keep() { keep_ = true; }

 private:
  std::string key_;
  std::string dir_;
  bool keep_ = false;
  std::vector<std::unique_ptr<SerfAgent>> serfs_;
  std::vector<std::unique_ptr<Child>> cairns_;
  std::map<std::string, int> ports_;
};

// The whole scenario; `key` empty = plaintext. `rotate_to`: rotate to this key from
// Cairn once the pool formed.
void Scenario(const std::string& key, const std::string& rotate_to) {
  Pool pool(key);
  SerfAgent& s1 = pool.StartSerf("s1", {"role=web", "dc=dc1"});
  SerfAgent& s2 = pool.StartSerf("s2", {});
  std::string s1_addr = "127.0.0.1:" + std::to_string(s1.port);
  Child& c1 = pool.StartCairn("c1", key, {"-tag", "role=cairn", "-join", s1_addr});
  // serf -> Cairn join.
  REQUIRE(Run("serf join " + s2.Rpc() + " " + pool.Addr("c1")).find("Successfully joined") !=
          std::string::npos);
  Child& c2 = pool.StartCairn(
      "c2", key,
      {"-tag", "role=cairn", "-tag", "dc=dc2", "-join", "127.0.0.1:" + std::to_string(s2.port)});

  INFO("dir " << pool.dir());
  // All four list four alive members with the right tags.
  const std::map<std::string, std::string> want = {{"s1", "alive role=web,dc=dc1"},
                                                   {"s2", "alive "},
                                                   {"c1", "alive role=cairn"},
                                                   {"c2", "alive role=cairn,dc=dc2"}};
  auto same_tags = [](std::map<std::string, std::string> got,
                      const std::map<std::string, std::string>& w) {
    // Tag order is Go map order on the serf side: compare as sets.
    auto norm = [](std::string s) {
      size_t sp = s.find(' ');
      std::string status = s.substr(0, sp), tags = sp == std::string::npos ? "" : s.substr(sp + 1);
      std::vector<std::string> parts;
      std::istringstream in(tags);
      for (std::string t; std::getline(in, t, ',');) parts.push_back(t);
      std::sort(parts.begin(), parts.end());
      std::string out = status;
      for (auto& p : parts) out += " " + p;
      return out;
    };
    if (got.size() != w.size()) return false;
    for (auto& [n, v] : w) {
      if (!got.count(n) || norm(got[n]) != norm(v)) return false;
    }
    return true;
  };
  CHECK(Poll([&] { return same_tags(s1.Members(), want); }));
  CHECK(Poll([&] { return same_tags(s2.Members(), want); }));
  CHECK(Poll([&] { return same_tags(c1.Members(), want); }));
  CHECK(Poll([&] { return same_tags(c2.Members(), want); }));

  // User events both ways.
  REQUIRE(Run("serf event " + s1.Rpc() + " deploy v1.2.3").find("Event 'deploy' dispatched") !=
          std::string::npos);
  CHECK(Poll([&] { return c1.Saw("user-event deploy v1.2.3"); }));
  CHECK(Poll([&] { return c2.Saw("user-event deploy v1.2.3"); }));
  c1.Send("event fromcairn hello");
  CHECK(Poll(
      [&] { return s1.Log().find("Received event: user-event: fromcairn") != std::string::npos; }));
  CHECK(Poll(
      [&] { return s2.Log().find("Received event: user-event: fromcairn") != std::string::npos; }));

  // serf query answered by the Cairn nodes; a Cairn query acked by the serf agents.
  std::string q = Run("serf query " + s1.Rpc() + " -timeout=5s uptime hi");
  INFO(q);
  CHECK(q.find("Response from 'c1': c1") != std::string::npos);
  CHECK(q.find("Response from 'c2': c2") != std::string::npos);
  CHECK(q.find("Ack from 'c1'") != std::string::npos);
  size_t mark = c2.Mark();
  c2.Send("query cairnq x");
  CHECK(Poll([&] { return c2.Saw("query-done", mark); }));
  CHECK(c2.Saw("ack s1", mark));
  CHECK(c2.Saw("ack s2", mark));
  CHECK(c2.Saw("response c1 c1", mark));

  std::string current = key;
  if (!rotate_to.empty()) {
    // Key rotation from the Cairn side: install, use, remove; serf follows.
    for (std::string cmd : {"install " + rotate_to, "use " + rotate_to, "remove " + key}) {
      mark = c1.Mark();
      c1.Send("keys " + cmd);
      INFO("keys " << cmd);
      REQUIRE(Poll([&] { return c1.Saw("keys-result", mark); }));
      CHECK(c1.Saw("keys-result ok nodes=4 resp=4 err=0", mark));
    }
    std::string list = Run("serf keys -list " + s1.Rpc());
    INFO(list);
    CHECK(list.find(rotate_to) != std::string::npos);
    CHECK(list.find(key) == std::string::npos);
    mark = c2.Mark();
    c2.Send("keys list");
    REQUIRE(Poll([&] { return c2.Saw("keys-result", mark); }));
    CHECK(c2.Saw("primary " + rotate_to + " 4", mark));
    current = rotate_to;
    // Still one pool on the new key: an event goes round.
    REQUIRE(Run("serf event " + s2.Rpc() + " rotated yes").find("dispatched") != std::string::npos);
    CHECK(Poll([&] { return c1.Saw("user-event rotated yes"); }));
  }

  // Graceful leaves while the pool is whole: a Cairn node seen by serf, then a serf agent
  // seen by Cairn.
  c1.Send("leave");
  CHECK(Poll([&] { return c1.Saw("left"); }));
  CHECK(Poll([&] { return Status(s1.Members(), "c1") == "left"; }));
  CHECK(Poll([&] { return Status(s2.Members(), "c1") == "left"; }));
  CHECK(Poll([&] { return Status(c2.Members(), "c1") == "left"; }));
  Run("serf leave " + s2.Rpc());
  CHECK(Poll([&] { return Status(c2.Members(), "s2") == "left"; }));

  // SIGKILL a serf agent and a Cairn node at once: each side sees the other's failure.
  Child& c3 = pool.StartCairn("c3", current, {"-join", s1_addr});
  SerfAgent& s3 = pool.StartSerf("s3", {}, current);
  REQUIRE(Run("serf join " + s3.Rpc() + " " + pool.Addr("c2")).find("Successfully joined") !=
          std::string::npos);
  CHECK(Poll([&] {
    return Status(c2.Members(), "s3") == "alive" && Status(c2.Members(), "c3") == "alive";
  }));
  CHECK(Poll([&] {
    return Status(s1.Members(), "c3") == "alive" && Status(s1.Members(), "s3") == "alive";
  }));
  s3.proc->Kill();
  c3.Kill();
  CHECK(Poll([&] { return Status(c2.Members(), "s3") == "failed"; }));
  CHECK(Poll([&] { return Status(s1.Members(), "c3") == "failed"; }));
}

TEST_CASE("interop with serf agents in plaintext", "[process]") { Scenario("", ""); }

TEST_CASE("interop with serf agents encrypted and a key rotation from Cairn", "[process]") {
  Scenario("T9jncgl9mbLus+baTTa7q7nPSUrXwbDi2dhbtqir37s=",
           "HvY8ubRZMgafUOWvrOadwOckVa1wN3QWAo46FVKbVN8=");
}

}  // namespace
