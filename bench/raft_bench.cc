// raft_bench: commit throughput and latency of a 3-server cairn::raft cluster in one
// process — three Nodes with GrpcTransport on 127.0.0.2-4 and LevelDB with fsync on —
// under 1, 16, 64 and 256 concurrent proposers of 256-byte entries. Not a test: it prints
// figures.
//
//   raft_bench [--dir DIR] [--seconds S] [--proposers 1,16,64,256] [--transport grpc|memory]
//
// DIR (default ./raft-bench-data, removed first and after) must be on the disk being
// measured, not a tmpfs. Per phase it prints committed entries/s, commit latency
// percentiles (Propose to its callback on the leader), the leader's fsyncs/s and entries
// per fsync (NodeStats), and the process CPU use (getrusage; all three servers). Before
// the phases it measures the raw fdatasync latency of DIR's disk (4 KiB overwrite +
// fdatasync in a loop) and each phase reports throughput as a multiple of 1/fsync, the rate a
// server that synced each entry alone could reach. `--transport memory` swaps gRPC for
// the in-process MemoryNetwork, to see what the transport costs.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <thread>

#include <cairn/base/event_loop.h>
#include <cairn/base/log.h>
#include <cairn/raft/grpc_transport.h>
#include <cairn/raft/memory_transport.h>
#include <cairn/raft/node.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

namespace raft = cairn::raft;
using Clock = std::chrono::steady_clock;

namespace {

class Sink : public raft::StateMachine {
 public:
  std::any Apply(const raft::Entry& entry) override {
    bytes_ += entry.data.size();
    return {};
  }
  absl::StatusOr<std::unique_ptr<raft::StateMachineSnapshot>> Snapshot() override {
    return std::unique_ptr<raft::StateMachineSnapshot>(new Snap(bytes_));
  }
  absl::Status Restore(std::istream& in) override {
    in >> bytes_;
    return absl::OkStatus();
  }

 private:
  struct Snap : raft::StateMachineSnapshot {
    explicit Snap(uint64_t b) : b(b) {}
    absl::Status WriteTo(std::ostream& out) override {
      out << b;
      return absl::OkStatus();
    }
    uint64_t b;
  };
  uint64_t bytes_ = 0;
};

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// Latency of a 4 KiB overwrite + fdatasync of one file in `dir`, over ~1 s: the median,
// and the 99th percentile in *p99.
double FsyncLatency(const std::filesystem::path& dir, double* p99) {
  std::string path = (dir / "fsync-probe").string();
  int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
  if (fd < 0) return 0;
  std::string block(4096, 'x');
  // Allocate the 256 KiB first, so the loop measures the flush of overwritten data, not
  // the file system's metadata journal as the file grows.
  for (int i = 0; i < 64; ++i) {
    if (::pwrite(fd, block.data(), block.size(), i * 4096) < 0) break;
  }
  ::fsync(fd);
  std::vector<double> samples;
  Clock::time_point end = Clock::now() + std::chrono::seconds(1);
  for (int i = 0; Clock::now() < end || samples.size() < 20; ++i) {
    Clock::time_point t0 = Clock::now();
    if (::pwrite(fd, block.data(), block.size(), (i % 64) * 4096) < 0 || ::fdatasync(fd) != 0)
      break;
    samples.push_back(Seconds(Clock::now() - t0));
  }
  ::close(fd);
  std::filesystem::remove(path);
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  *p99 = samples[samples.size() * 99 / 100];
  return samples[samples.size() / 2];
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * v.size()));
  std::nth_element(v.begin(), v.begin() + i, v.end());
  return v[i];
}

struct Server {
  std::unique_ptr<raft::Transport> transport;
  Sink sink;
  std::unique_ptr<raft::Node> node;
};

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::filesystem::path dir = "raft-bench-data";
  double seconds = 3;
  std::vector<int> proposer_counts = {1, 16, 64, 256};
  bool memory = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--dir") dir = value;
    if (flag == "--seconds") seconds = std::stod(value);
    if (flag == "--transport") memory = value == "memory";
    if (flag == "--proposers") {
      proposer_counts.clear();
      std::stringstream in(value);
      for (std::string n; std::getline(in, n, ',');) proposer_counts.push_back(std::stoi(n));
    }
  }
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  cairn::base::LogSystem::Default().SetLevel(cairn::base::LogLevel::kWarn);

  double fsync_p99 = 0;
  double fsync = FsyncLatency(dir, &fsync_p99);
  std::printf("disk: fdatasync of 4 KiB in %s: median %.3f ms, p99 %.3f ms -> 1/fsync = %.0f/s\n",
              dir.c_str(), fsync * 1e3, fsync_p99 * 1e3, fsync > 0 ? 1 / fsync : 0);

  cairn::base::EventLoop loop(2);
  loop.Start();
  raft::MemoryNetwork network(loop.executor());  // outlives the transports
  Server servers[3];
  raft::Configuration config;
  for (int i = 0; i < 3; ++i) {
    raft::ServerId id = i + 1;
    if (memory) {
      servers[i].transport = network.CreateTransport(id, "mem-" + std::to_string(id));
    } else {
      raft::GrpcTransportOptions t;
      t.id = id;
      t.listen_address = "127.0.0." + std::to_string(i + 2) + ":0";
      auto transport = raft::GrpcTransport::Create(t);
      if (!transport.ok()) {
        std::fprintf(stderr, "transport: %s\n", std::string(transport.status().message()).c_str());
        return 1;
      }
      servers[i].transport = *std::move(transport);
    }
    config.servers.push_back({id, servers[i].transport->LocalAddress()});
  }
  for (int i = 0; i < 3; ++i) {
    raft::NodeOptions o;
    o.id = i + 1;
    o.data_dir = (dir / std::to_string(i + 1)).string();
    o.transport = servers[i].transport.get();
    o.state_machine = &servers[i].sink;
    o.tick = std::chrono::milliseconds(50);  // 500 ms election timeout
    auto node = raft::Node::Create(loop.executor(), o);
    if (!node.ok()) {
      std::fprintf(stderr, "node: %s\n", std::string(node.status().message()).c_str());
      return 1;
    }
    servers[i].node = *std::move(node);
    if (!servers[i].node->Start().ok() || !servers[i].node->BootstrapCluster(config).ok()) return 1;
  }
  raft::Node* leader = nullptr;
  for (Clock::time_point end = Clock::now() + std::chrono::seconds(30);
       !leader && Clock::now() < end;) {
    for (auto& s : servers) {
      if (s.node->IsLeader()) leader = s.node.get();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!leader) {
    std::fprintf(stderr, "no leader\n");
    return 1;
  }

  std::printf("transport: %s\n", memory ? "in-process MemoryNetwork" : "gRPC on 127.0.0.2-4");
  std::printf("%9s %11s %8s %8s %8s %9s %9s %8s %7s\n", "proposers", "entries/s", "p50 ms",
              "p99 ms", "p999 ms", "fsyncs/s", "ent/fsync", "cpu", "x1/fsync");
  const std::string payload(256, 'p');
  for (int proposers : proposer_counts) {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<double> latencies;
    latencies.reserve(1 << 20);
    std::atomic<bool> stop{false};
    int outstanding = proposers;
    uint64_t errors = 0;
    // A closed loop per proposer: each callback (on the leader's strand) records its
    // latency and proposes again until the phase ends.
    std::function<void()> propose = [&] {
      Clock::time_point t0 = Clock::now();
      leader->Propose(payload, [&, t0](absl::StatusOr<std::any> r) {
        double lat = Seconds(Clock::now() - t0);
        {
          std::lock_guard lock(mu);
          if (r.ok()) {
            latencies.push_back(lat);
          } else {
            ++errors;
          }
          if (stop) {
            if (--outstanding == 0) cv.notify_all();
            return;
          }
        }
        propose();
      });
    };
    raft::NodeStats before = leader->Stats();
    double cpu0 = CpuSeconds();
    Clock::time_point start = Clock::now();
    for (int p = 0; p < proposers; ++p) propose();
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    size_t done;
    {
      std::lock_guard lock(mu);
      done = latencies.size();
    }
    double wall = Seconds(Clock::now() - start);
    double cpu = CpuSeconds() - cpu0;
    raft::NodeStats after = leader->Stats();
    stop = true;
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return outstanding == 0; });
    }
    std::vector<double> lat(latencies.begin(), latencies.begin() + done);
    double rate = done / wall;
    uint64_t fsyncs = after.fsyncs - before.fsyncs;
    uint64_t persisted = after.entries_persisted - before.entries_persisted;
    double p50 = Percentile(lat, 0.5), p99 = Percentile(lat, 0.99), p999 = Percentile(lat, 0.999);
    std::printf("%9d %11.0f %8.2f %8.2f %8.2f %9.0f %9.1f %7.0f%% %7.1fx\n", proposers, rate,
                p50 * 1e3, p99 * 1e3, p999 * 1e3, fsyncs / wall,
                fsyncs ? static_cast<double>(persisted) / fsyncs : 0.0, 100 * cpu / wall,
                fsync > 0 ? rate * fsync : 0.0);
    if (errors)
      std::printf("          (%llu proposals failed)\n", static_cast<unsigned long long>(errors));
  }
  std::printf("cpu: process CPU time / wall time (all three servers; 200%% = both cores)\n");
  for (auto& s : servers) s.node->Shutdown();
  for (auto& s : servers) s.transport->Stop();
  loop.Stop();
  loop.Wait();
  std::filesystem::remove_all(dir);
  return 0;
}
