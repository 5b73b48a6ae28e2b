// The resolver path in process, one thread: query bytes -> DecodeMessage ->
// Resolver::Resolve (catalog lookup, shuffle, records, Consul's size cut, encoding).
// No sockets, so this is the ceiling the DNS server can reach per core with a catalog
// behind it. Prints queries/s and mean latency per case, by wall time and by the
// thread's CPU time (the latter is what to compare on a shared, loaded machine).
//
//   dns_resolver_bench [--seconds=2] [--only=SRV]
//
// With --serve=PORT it instead runs a dns::Server with the Resolver over the same catalog
// on 127.0.0.1:PORT, one io_context thread, for --seconds (default 2; use e.g. 30), as a
// target for dnsperf (../shared/bench/dns-load.sh):
//
//   dns_resolver_bench --serve=8653 --seconds=60 &
//   printf 'web10.service.consul A\n' > /tmp/q.txt
//   DNS_DURATION=10 ../shared/bench/dns-load.sh 127.0.0.1 8653 /tmp/q.txt
//
// Cases: A and SRV of a 10-instance and a 100-instance service, over classic UDP (the
// udp_answer_limit of 3 applies) and with EDNS 4096 (every instance answered), and an
// NXDOMAIN (unknown service).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cairn/catalog/catalog.h>
#include <cairn/dns/resolver.h>
#include <cairn/dns/server.h>

namespace {

using namespace cairn;
using namespace cairn::dns;

void Fill(catalog::Catalog& cat) {
  catalog::WriteTxn txn = cat.BeginWrite(1);
  auto add = [&](const std::string& svc, int count, int subnet) {
    for (int i = 0; i < count; ++i) {
      catalog::RegisterRequest r;
      r.node.name = svc + "-node-" + std::to_string(i);
      r.node.address = "10." + std::to_string(subnet) + "." + std::to_string(i / 250) + "." +
                       std::to_string(i % 250 + 1);
      r.node.meta = {{"consul-network-segment", ""}};
      catalog::Service s;
      s.id = svc;
      s.service = svc;
      s.port = 8000 + i;
      r.service = s;
      catalog::Check node_check;
      node_check.check_id = "serfHealth";
      node_check.status = "passing";
      catalog::Check svc_check;
      svc_check.check_id = "service:" + svc;
      svc_check.status = "passing";
      svc_check.service_id = svc;
      r.checks = {node_check, svc_check};
      if (!txn.Register(r).ok()) std::abort();
    }
  };
  add("web10", 10, 1);
  add("web100", 100, 2);
  if (!txn.Commit().ok()) std::abort();
}

std::vector<std::uint8_t> Query(const char* name, RrType type, std::uint16_t edns) {
  Message m;
  m.header.id = 1;
  m.header.rd = true;
  m.questions.push_back({*Name::Parse(name), type, kClassIn});
  if (edns != 0) m.edns = Edns{edns, 0, false, 0, {}};
  std::vector<std::uint8_t> out;
  if (!EncodeMessage(m, kMaxMessageSize, &out).ok()) std::abort();
  return out;
}

// CPU time of this thread: on a shared, loaded machine wall time overstates the cost.
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

const char* g_only = nullptr;  // --only=<substring of a case label>

void Run(const Resolver& resolver, const char* label, const char* name, RrType type,
         std::uint16_t edns, double seconds) {
  if (g_only != nullptr && std::strstr(label, g_only) == nullptr) return;
  const std::vector<std::uint8_t> wire = Query(name, type, edns);
  Message query;
  std::vector<std::uint8_t> reply;
  std::size_t answers = 0, bytes = 0;
  auto one = [&] {
    if (!DecodeMessage(wire, &query).ok()) std::abort();
    resolver.Resolve(query, Transport::kUdp, MaxUdpResponseSize(query), &reply);
    bytes = reply.size();
  };
  for (int i = 0; i < 1000; ++i) one();  // warm up
  Message decoded;
  if (DecodeMessage(reply, &decoded).ok()) answers = decoded.answers.size();
  using Clock = std::chrono::steady_clock;
  const double cpu_start = ThreadCpuSeconds();
  const auto start = Clock::now();
  const auto until = start + std::chrono::duration<double>(seconds);
  std::uint64_t n = 0;
  Clock::time_point now;
  do {
    for (int i = 0; i < 256; ++i) one();
    n += 256;
    now = Clock::now();
  } while (now < until);
  const double elapsed = std::chrono::duration<double>(now - start).count();
  const double cpu = ThreadCpuSeconds() - cpu_start;
  std::printf("%-36s %9.0f q/s %7.2f us/q (CPU: %9.0f q/s %7.2f us/q)  answers=%zu bytes=%zu\n",
              label, n / elapsed, elapsed / n * 1e6, n / cpu, cpu / n * 1e6, answers, bytes);
}

}  // namespace

int Serve(const catalog::Catalog& cat, int port, double seconds) {
  boost::asio::io_context io(1);
  ResolverOptions options;
  options.datacenter = "dc1";
  auto resolver = Resolver::Create(cat, io, options);
  if (!resolver.ok()) {
    std::fprintf(stderr, "%s\n", resolver.status().ToString().c_str());
    return 1;
  }
  ServerOptions so;
  so.port = static_cast<std::uint16_t>(port);
  auto server = Server::Start(io, so, **resolver);
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return 1;
  }
  boost::asio::steady_timer stop(io, std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::duration<double>(seconds)));
  stop.async_wait([&](const boost::system::error_code&) {
    (*server)->Stop();
    io.stop();
  });
  std::printf("listening on 127.0.0.1:%u\n", (*server)->port());
  std::fflush(stdout);
  io.run();
  ServerStats st = (*server)->stats();
  std::printf("udp_queries=%llu tcp_queries=%llu replies=%llu\n",
              static_cast<unsigned long long>(st.udp_queries),
              static_cast<unsigned long long>(st.tcp_queries),
              static_cast<unsigned long long>(st.replies));
  return 0;
}

int main(int argc, char** argv) {
  double seconds = 2;
  int serve_port = -1;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--seconds=", 10) == 0) {
      seconds = std::atof(argv[i] + 10);
    } else if (std::strncmp(argv[i], "--serve=", 8) == 0) {
      serve_port = std::atoi(argv[i] + 8);
    } else if (std::strncmp(argv[i], "--only=", 7) == 0) {
      g_only = argv[i] + 7;
    } else {
      std::fprintf(stderr, "usage: %s [--seconds=N] [--only=<label substring>] [--serve=PORT]\n",
                   argv[0]);
      return 2;
    }
  }
  catalog::Catalog cat;
  Fill(cat);
  if (serve_port >= 0) return Serve(cat, serve_port, seconds);
  boost::asio::io_context io;
  ResolverOptions options;
  options.datacenter = "dc1";
  auto resolver = Resolver::Create(cat, io, options);
  if (!resolver.ok()) {
    std::fprintf(stderr, "%s\n", resolver.status().ToString().c_str());
    return 1;
  }
  const Resolver& r = **resolver;
  Run(r, "A 10 instances (UDP, 3 answers)", "web10.service.consul", RrType::kA, 0, seconds);
  Run(r, "A 10 instances (EDNS 4096)", "web10.service.consul", RrType::kA, 4096, seconds);
  Run(r, "A 100 instances (UDP, 3 answers)", "web100.service.consul", RrType::kA, 0, seconds);
  Run(r, "A 100 instances (EDNS 4096)", "web100.service.consul", RrType::kA, 4096, seconds);
  Run(r, "SRV 10 instances (UDP, 3 answers)", "web10.service.consul", RrType::kSrv, 0, seconds);
  Run(r, "SRV 10 instances (EDNS 4096)", "web10.service.consul", RrType::kSrv, 4096, seconds);
  Run(r, "SRV 100 instances (UDP, 3 answers)", "web100.service.consul", RrType::kSrv, 0, seconds);
  Run(r, "SRV 100 instances (EDNS 4096)", "web100.service.consul", RrType::kSrv, 4096, seconds);
  Run(r, "NXDOMAIN (unknown service)", "nope.service.consul", RrType::kA, 0, seconds);
  return 0;
}
