// Load target for the libdns server hot path: a Server on one io_context thread whose
// handler parses the question with the Consul name grammar and answers every
// `*.service.consul` A question with `--answers` A records, everything else NXDOMAIN.
// No catalog: this measures codec + server + name parsing, the floor under the resolver.
//
//   dns_server_bench --port=8653 --seconds=20 --answers=1 &
//   echo "web.service.consul A" > /tmp/q.txt
//   dnsperf -s 127.0.0.1 -p 8653 -d /tmp/q.txt -l 10 -c 8 -Q 500000
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cairn/dns/query_name.h>
#include <cairn/dns/server.h>

namespace {

using namespace cairn::dns;

class BenchHandler : public Handler {
 public:
  explicit BenchHandler(int answers) : answers_(answers) {
    domains_.domain = *Name::Parse("consul.");
  }

  void Handle(const Request& request, Responder responder) override {
    const Question& q = request.message.questions[0];
    ParsedQuery parsed = ParseQueryName(q.name, q.type, domains_);
    // One Message per thread, reused: its vectors keep their capacity.
    thread_local Message reply;
    reply.Clear();
    reply.header.id = request.message.header.id;
    reply.header.qr = true;
    reply.header.aa = true;
    reply.header.rd = request.message.header.rd;
    reply.questions.push_back(q);
    if (request.message.edns) reply.edns = MakeReplyEdns(*request.message.edns);
    if (parsed.kind == QueryKind::kService && q.type == RrType::kA) {
      for (int i = 0; i < answers_; ++i) {
        reply.answers.push_back(ResourceRecord::A(
            q.name, 0, {10, 0, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)}));
      }
    } else {
      reply.header.rcode = kNxDomain;
    }
    (void)responder.Reply(reply);
  }

 private:
  int answers_;
  DomainConfig domains_;
};

int Flag(int argc, char** argv, std::string_view name, int fallback) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg(argv[i]);
    if (arg.size() > name.size() + 3 && arg.substr(0, 2) == "--" &&
        arg.substr(2, name.size()) == name && arg[2 + name.size()] == '=') {
      return std::atoi(argv[i] + 3 + name.size());
    }
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  boost::asio::io_context io(1);
  BenchHandler handler(Flag(argc, argv, "answers", 1));
  ServerOptions options;
  options.port = static_cast<std::uint16_t>(Flag(argc, argv, "port", 8653));
  auto server = Server::Start(io, options, handler);
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return 1;
  }
  boost::asio::steady_timer stop(io, std::chrono::seconds(Flag(argc, argv, "seconds", 20)));
  stop.async_wait([&](const boost::system::error_code&) {
    (*server)->Stop();
    io.stop();
  });
  std::printf("listening on 127.0.0.1:%u\n", (*server)->port());
  std::fflush(stdout);
  io.run();
  ServerStats s = (*server)->stats();
  std::printf("udp_queries=%llu replies=%llu truncated=%llu\n",
              static_cast<unsigned long long>(s.udp_queries),
              static_cast<unsigned long long>(s.replies),
              static_cast<unsigned long long>(s.truncated));
  return 0;
}
