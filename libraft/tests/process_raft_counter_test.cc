// Process tests of cairn::raft with LevelDB and gRPC: three examples/raft-counter servers
// on 127.0.0.2-4, driven over their client port. SIGKILL the leader under a write load
// (a new leader takes over; the old one restarts and catches up), and a crash-durability
// loop (20 kill/restart cycles, alternating "the leader" and "all three at once") in
// which every increment acknowledged before a crash must be there after the restart; and
// a server that missed a log compaction catching up by InstallSnapshot.
//
// Robust on a loaded machine: every wait polls a condition with a generous bound; no
// assertion is about elapsed time. Ports come from the pid and are checked free first.
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kBound = std::chrono::seconds(60);

std::string Ip(int i) { return "127.0.0." + std::to_string(i + 2); }

bool PortFree(const std::string& ip, int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// One request line to ip:port; the answer line, or "" on any failure (10 s timeout).
std::string Request(const std::string& ip, int port, const std::string& line) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    std::string out = line + "\n";
    if (::send(fd, out.data(), out.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(out.size())) {
      char buf[256];
      ssize_t n;
      while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) {
        answer.append(buf, static_cast<size_t>(n));
        if (answer.find('\n') != std::string::npos) break;
      }
    }
  }
  ::close(fd);
  size_t nl = answer.find('\n');
  return nl == std::string::npos ? "" : answer.substr(0, nl);
}

class Cluster {
 public:
  Cluster() {
    dir_ = std::filesystem::temp_directory_path() /
           ("cairn-raft-process-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    for (int attempt = 0; attempt < 200 && port_ == 0; ++attempt) {
      int p = 21000 + static_cast<int>((::getpid() * 7 + attempt * 13) % 9000);
      bool all = true;
      for (int i = 0; i < 3 && all; ++i) all = PortFree(Ip(i), p) && PortFree(Ip(i), p + 1000);
      if (all) port_ = p;
    }
    REQUIRE(port_ != 0);
    for (int i = 0; i < 3; ++i) {
      if (!peers_.empty()) peers_ += ",";
      peers_ += std::to_string(i + 1) + "=" + Ip(i) + ":" + std::to_string(port_);
    }
    for (int i = 0; i < 3; ++i) Start(i);
  }
  ~Cluster() {
    for (int i = 0; i < 3; ++i) Kill(i);
    std::filesystem::remove_all(dir_);
  }

  void Start(int i) {
    REQUIRE(pids_[i] == 0);
    std::string data = (dir_ / ("data" + std::to_string(i + 1))).string();
    std::string log = (dir_ / ("log" + std::to_string(i + 1))).string();
    std::string id = std::to_string(i + 1);
    std::string addr = Ip(i) + ":" + std::to_string(port_);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::execl(RAFT_COUNTER_BIN, RAFT_COUNTER_BIN, "serve", "--id", id.c_str(), "--dir",
              data.c_str(), "--addr", addr.c_str(), "--peers", peers_.c_str(),
              "--snapshot-threshold", "200", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    pids_[i] = pid;
  }
  void Kill(int i) {
    if (pids_[i] == 0) return;
    ::kill(pids_[i], SIGKILL);
    ::waitpid(pids_[i], nullptr, 0);
    pids_[i] = 0;
  }
  bool Running(int i) const { return pids_[i] != 0; }

  // Sends `line` to server `i`, following redirects; "" when nobody answered usefully.
  std::string Ask(int i, const std::string& line) {
    for (int hops = 0; hops < 3; ++hops) {
      std::string a = Request(Ip(i), port_ + 1000, line);
      if (a.rfind("redirect ", 0) != 0) return a;
      std::string host = a.substr(9, a.rfind(':') - 9);
      i = host.back() - '2';
      if (i < 0 || i > 2) return "";
    }
    return "";
  }
  // The server that answers a linearizable read itself, if any.
  std::optional<int> Leader() {
    for (int i = 0; i < 3; ++i) {
      if (Running(i) && Request(Ip(i), port_ + 1000, "get").rfind("ok ", 0) == 0) return i;
    }
    return std::nullopt;
  }
  // Polls until some server is leader; its index.
  int WaitLeader() {
    auto end = Clock::now() + kBound;
    while (Clock::now() < end) {
      if (auto l = Leader()) return *l;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL("no leader within the bound; logs in " << dir_);
    return -1;
  }
  // A linearizable read from whichever server answers; retried until the bound.
  int64_t Read() {
    auto end = Clock::now() + kBound;
    while (Clock::now() < end) {
      for (int i = 0; i < 3; ++i) {
        if (!Running(i)) continue;
        std::string a = Ask(i, "get");
        if (a.rfind("ok ", 0) == 0) return std::stoll(a.substr(3));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL("no linearizable read within the bound; logs in " << dir_);
    return -1;
  }
  // What server i has logged so far (all its runs).
  std::string Log(int i) const {
    std::ifstream in(dir_ / ("log" + std::to_string(i + 1)));
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  std::optional<int64_t> Stale(int i) {
    std::string a = Request(Ip(i), port_ + 1000, "stale");
    if (a.rfind("ok ", 0) != 0) return std::nullopt;
    return std::stoll(a.substr(3));
  }

 private:
  std::filesystem::path dir_;
  int port_ = 0;
  std::string peers_;
  std::atomic<pid_t> pids_[3] = {0, 0, 0};
};

// Writers that increment through any running server and record every acknowledged value.
class Load {
 public:
  Load(Cluster& c, int threads) {
    for (int t = 0; t < threads; ++t) {
      threads_.emplace_back([this, &c, t] {
        for (int n = t; !stop_; ++n) {
          int i = n % 3;
          if (!c.Running(i)) continue;
          std::string a = c.Ask(i, "incr 1");
          if (a.rfind("ok ", 0) == 0) {
            std::lock_guard lock(mu_);
            acked_.push_back(std::stoll(a.substr(3)));
          } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
          }
        }
      });
    }
  }
  ~Load() { Stop(); }
  void Stop() {
    stop_ = true;
    for (auto& t : threads_) t.join();
    threads_.clear();
  }
  size_t Count() {
    std::lock_guard lock(mu_);
    return acked_.size();
  }
  int64_t Max() {
    std::lock_guard lock(mu_);
    int64_t m = 0;
    for (int64_t v : acked_) m = std::max(m, v);
    return m;
  }
  std::vector<int64_t> Acked() {
    std::lock_guard lock(mu_);
    return acked_;
  }
  bool WaitCount(size_t n) {
    auto end = Clock::now() + kBound;
    while (Count() < n && Clock::now() < end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return Count() >= n;
  }

 private:
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<int64_t> acked_;
  std::vector<std::thread> threads_;
};

TEST_CASE(
    "raft process: the leader is killed under load, a new one takes over, the old one "
    "catches up",
    "[process]") {
  Cluster cluster;
  int old_leader = cluster.WaitLeader();
  Load load(cluster, 4);
  REQUIRE(load.WaitCount(100));
  cluster.Kill(old_leader);
  size_t at_kill = load.Count();
  REQUIRE(load.WaitCount(at_kill + 100));  // only possible with a new leader
  int new_leader = cluster.WaitLeader();
  REQUIRE(new_leader != old_leader);

  cluster.Start(old_leader);
  REQUIRE(load.WaitCount(load.Count() + 100));
  load.Stop();
  int64_t value = cluster.Read();
  // Each acknowledged increment returned a distinct value (the counter is linearizable),
  // and all of them are at most the final value.
  std::vector<int64_t> acked = load.Acked();
  REQUIRE(std::set<int64_t>(acked.begin(), acked.end()).size() == acked.size());
  REQUIRE(value >= load.Max());
  REQUIRE(value >= static_cast<int64_t>(acked.size()));
  // The restarted server catches up: its own copy (read locally) reaches the leader's
  // value. (Compared with a fresh read each time: a request whose client gave up may
  // still commit later.)
  auto end = Clock::now() + kBound;
  std::optional<int64_t> copy;
  int64_t now = value;
  while (Clock::now() < end && (copy = cluster.Stale(old_leader)) != now) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    now = cluster.Read();
  }
  REQUIRE(copy == now);
  REQUIRE(now >= value);
}

TEST_CASE("raft process: a server that missed a log compaction catches up by snapshot",
          "[process]") {
  Cluster cluster;
  int leader = cluster.WaitLeader();
  int follower = (leader + 1) % 3;
  cluster.Kill(follower);
  // Servers snapshot every 200 entries keeping 100 (--snapshot-threshold 200): after 500
  // more entries the leader's log no longer reaches back to what the follower has.
  Load load(cluster, 4);
  REQUIRE(load.WaitCount(500));
  load.Stop();
  cluster.Start(follower);
  auto end = Clock::now() + kBound;
  std::optional<int64_t> copy;
  int64_t now = cluster.Read();
  while (Clock::now() < end && (copy = cluster.Stale(follower)) != now) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    now = cluster.Read();
  }
  REQUIRE(copy == now);
  REQUIRE(now >= load.Max());
  // It got there through InstallSnapshot (the node logs "installed snapshot").
  REQUIRE(cluster.Log(follower).find("installed snapshot") != std::string::npos);
}

TEST_CASE("raft process: 20 kill and restart cycles lose no acknowledged write", "[process]") {
  Cluster cluster;
  cluster.WaitLeader();
  Load load(cluster, 3);
  for (int cycle = 0; cycle < 20; ++cycle) {
    INFO("cycle " << cycle);
    REQUIRE(load.WaitCount(load.Count() + 15));
    std::vector<int> victims;
    if (cycle % 2 == 0) {
      victims = {0, 1, 2};
    } else if (auto leader = cluster.Leader()) {
      victims = {*leader};
    } else {
      victims = {cycle % 3};
    }
    int64_t acked_before = load.Max();  // every ack received before the crash
    for (int v : victims) cluster.Kill(v);
    for (int v : victims) cluster.Start(v);
    int64_t value = cluster.Read();
    REQUIRE(value >= acked_before);
  }
  load.Stop();
  REQUIRE(cluster.Read() >= load.Max());
  std::vector<int64_t> acked = load.Acked();
  REQUIRE(std::set<int64_t>(acked.begin(), acked.end()).size() == acked.size());
}

}  // namespace
