// gossip-node: a serf-compatible gossip node on libgossip. It joins a pool (serf agents
// or other gossip-nodes), prints membership and events on stdout, answers queries, and
// takes commands on stdin (see README.md). The interop test drives it this way.
#include <csignal>
#include <cstdio>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/post.hpp>
#include <fmt/format.h>

#include <cairn/base/event_loop.h>
#include <cairn/base/log.h>
#include <cairn/base/real_clock.h>
#include <cairn/gossip/net_transport.h>
#include <cairn/gossip/serf_runtime.h>

#include <unistd.h>

namespace {

using namespace cairn::gossip;

struct Flags {
  std::string node;
  std::string bind = "127.0.0.1:7946";
  TagList tags;
  std::vector<std::string> join;
  std::string encrypt;
  std::string profile = "lan";
  std::string snapshot;
  bool rejoin = false;
  std::string answer;  // reply to every (non-internal) query with this; default the node name
  std::string log_level = "info";
};

void Out(const std::string& line) {
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

std::string TagText(const TagList& tags) {
  std::string out;
  for (const auto& [k, v] : tags) out += fmt::format("{}{}={}", out.empty() ? "" : ",", k, v);
  return out;
}

std::string Addr(const SerfMember& m) {
  char buf[64] = "?";
  if (m.addr.size() == 4) {
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", uint8_t(m.addr[0]), uint8_t(m.addr[1]),
                  uint8_t(m.addr[2]), uint8_t(m.addr[3]));
  }
  return fmt::format("{}:{}", buf, m.port);
}

void PrintEvent(const SerfEvent& e) {
  if (auto* m = std::get_if<MemberEvent>(&e)) {
    for (const SerfMember& mem : m->members) {
      Out(fmt::format("{} {} {} {}", MemberEventName(m->type), mem.name, Addr(mem),
                      TagText(mem.tags)));
    }
  } else if (auto* u = std::get_if<SerfUserEvent>(&e)) {
    Out(fmt::format("user-event {} {} ltime={}", u->name, u->payload.value_or(""), u->ltime));
  } else if (auto* q = std::get_if<IncomingQuery>(&e)) {
    Out(fmt::format("query {} {} from={}", q->name, q->payload.value_or(""), q->source_node));
  }
}

absl::StatusOr<Flags> ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) == 0) a = a.substr(1);
    std::string key = a, value;
    if (size_t eq = a.find('='); eq != std::string::npos) {
      key = a.substr(0, eq);
      value = a.substr(eq + 1);
    } else if (a != "-rejoin" && i + 1 < argc) {
      value = argv[++i];
    }
    if (key == "-node")
      f.node = value;
    else if (key == "-bind")
      f.bind = value;
    else if (key == "-tag") {
      size_t eq = value.find('=');
      if (eq == std::string::npos) return absl::InvalidArgumentError("-tag wants key=value");
      f.tags.emplace_back(value.substr(0, eq), value.substr(eq + 1));
    } else if (key == "-join")
      f.join.push_back(value);
    else if (key == "-encrypt")
      f.encrypt = value;
    else if (key == "-profile")
      f.profile = value;
    else if (key == "-snapshot")
      f.snapshot = value;
    else if (key == "-rejoin")
      f.rejoin = true;
    else if (key == "-answer")
      f.answer = value;
    else if (key == "-log-level")
      f.log_level = value;
    else
      return absl::InvalidArgumentError(fmt::format("unknown flag {}", argv[i]));
  }
  if (f.node.empty()) return absl::InvalidArgumentError("-node is required");
  if (f.answer.empty()) f.answer = f.node;
  return f;
}

class App {
 public:
  App(Flags flags, cairn::base::EventLoop& loop)
      : flags_(std::move(flags)), loop_(loop), strand_(loop.MakeStrand()), clock_(strand_) {}

  absl::Status Start() {
    std::string host;
    uint16_t port = 0;
    if (absl::Status s = SplitHostPort(flags_.bind, &host, &port); !s.ok()) return s;
    absl::StatusOr<std::unique_ptr<NetTransport>> net =
        NetTransport::Create(strand_, NetTransport::Options{.bind_addr = host, .bind_port = port});
    if (!net.ok()) return net.status();
    net_ = *std::move(net);
    Serf::Options o;
    o.memberlist = flags_.profile == "local" ? Memberlist::Options::Local(flags_.node)
                   : flags_.profile == "wan" ? Memberlist::Options::WAN(flags_.node)
                                             : Memberlist::Options::LAN(flags_.node);
    if (!flags_.encrypt.empty()) {
      absl::StatusOr<Keyring> ring = Keyring::FromBase64({flags_.encrypt});
      if (!ring.ok()) return ring.status();
      o.memberlist.keyring = *std::move(ring);
    }
    o.serf.node_name = flags_.node;
    o.serf.tags = flags_.tags;
    o.snapshot_path = flags_.snapshot;
    o.rejoin_after_leave = flags_.rejoin;
    absl::StatusOr<std::unique_ptr<Serf>> serf =
        Serf::Create(std::move(o), *net_, clock_, [this](SerfEvent e) { OnEvent(std::move(e)); });
    if (!serf.ok()) return serf.status();
    serf_ = *std::move(serf);
    Out(fmt::format("ready {} {}", flags_.node, net_->LocalAddress()));
    if (!flags_.join.empty()) Command("join " + Join(flags_.join));
    return absl::OkStatus();
  }

  void Post(std::string line) {
    boost::asio::post(strand_, [this, line = std::move(line)] { Command(line); });
  }

  // Runs on the strand.
  void Stop() {
    if (serf_) serf_->Shutdown();
    serf_.reset();
    if (net_) net_->Shutdown();
  }
  cairn::base::Strand& strand() { return strand_; }

 private:
  static std::string Join(const std::vector<std::string>& v) {
    std::string out;
    for (const std::string& s : v) out += (out.empty() ? "" : " ") + s;
    return out;
  }

  void OnEvent(SerfEvent e) {
    PrintEvent(e);
    if (auto* q = std::get_if<IncomingQuery>(&e)) {
      absl::Status s = serf_->Respond(*q, flags_.answer);
      if (!s.ok()) Out(fmt::format("respond-error {}", s.ToString()));
    }
  }

  void Command(const std::string& line) {
    if (!serf_) return;
    std::istringstream in(line);
    std::string cmd;
    in >> cmd;
    std::vector<std::string> args;
    for (std::string a; in >> a;) args.push_back(a);
    auto arg = [&](size_t i) { return i < args.size() ? args[i] : std::string(); };
    if (cmd == "join") {
      serf_->Join(args, false, [](absl::StatusOr<int> n) {
        Out(n.ok() ? fmt::format("joined {}", *n)
                   : fmt::format("join-error {}", n.status().ToString()));
      });
    } else if (cmd == "members") {
      for (const SerfMember& m : serf_->Members()) {
        Out(fmt::format("member {} {} {} {}", m.name, Addr(m), MemberStatusName(m.status),
                        TagText(m.tags)));
      }
      Out("members-end");
    } else if (cmd == "event") {
      absl::Status s = serf_->UserEvent(arg(0), arg(1), /*coalesce=*/true);
      Out(s.ok() ? std::string("event-sent") : fmt::format("event-error {}", s.ToString()));
    } else if (cmd == "query") {
      QueryCallbacks cb;
      cb.on_ack = [](const std::string& from) { Out(fmt::format("ack {}", from)); };
      cb.on_response = [](const std::string& from, const std::optional<std::string>& p) {
        Out(fmt::format("response {} {}", from, p.value_or("")));
      };
      cb.on_done = [] { Out("query-done"); };
      absl::StatusOr<uint32_t> id =
          serf_->Query(arg(0), arg(1), QueryParams{.request_ack = true}, std::move(cb));
      if (!id.ok()) Out(fmt::format("query-error {}", id.status().ToString()));
    } else if (cmd == "keys") {
      KeyOp op = arg(0) == "install"  ? KeyOp::kInstall
                 : arg(0) == "use"    ? KeyOp::kUse
                 : arg(0) == "remove" ? KeyOp::kRemove
                                      : KeyOp::kList;
      absl::Status s = serf_->KeyOperation(op, arg(1), [](KeyOpResult r) {
        for (const auto& [k, n] : r.keys) Out(fmt::format("key {} {}", k, n));
        for (const auto& [k, n] : r.primary_keys) Out(fmt::format("primary {} {}", k, n));
        for (const auto& [node, msg] : r.messages) Out(fmt::format("key-message {} {}", node, msg));
        Out(fmt::format("keys-result {} nodes={} resp={} err={}", r.status.ok() ? "ok" : "error",
                        r.num_nodes, r.num_resp, r.num_err));
      });
      if (!s.ok()) Out(fmt::format("keys-result error {}", s.ToString()));
    } else if (cmd == "tags") {
      TagList tags;
      for (const std::string& a : args) {
        size_t eq = a.find('=');
        if (eq != std::string::npos) tags.emplace_back(a.substr(0, eq), a.substr(eq + 1));
      }
      absl::Status s = serf_->SetTags(std::move(tags));
      Out(s.ok() ? std::string("tags-set") : fmt::format("tags-error {}", s.ToString()));
    } else if (cmd == "leave") {
      serf_->Leave([this](absl::Status s) {
        Out(s.ok() ? std::string("left") : fmt::format("left {}", s.ToString()));
        Stop();
        loop_.Stop();
      });
    } else if (!cmd.empty()) {
      Out(fmt::format("unknown-command {}", cmd));
    }
  }

  Flags flags_;
  cairn::base::EventLoop& loop_;
  cairn::base::Strand strand_;
  cairn::base::RealClock clock_;
  std::unique_ptr<NetTransport> net_;
  std::unique_ptr<Serf> serf_;
};

}  // namespace

int main(int argc, char** argv) {
  absl::StatusOr<Flags> flags = ParseFlags(argc, argv);
  if (!flags.ok()) {
    std::fprintf(stderr, "gossip-node: %s\n", std::string(flags.status().message()).c_str());
    std::fprintf(stderr,
                 "usage: gossip-node -node NAME [-bind IP:PORT] [-tag K=V]... [-join ADDR]... "
                 "[-encrypt KEY] [-profile lan|local|wan] [-snapshot PATH] [-rejoin] "
                 "[-answer TEXT] [-log-level LEVEL]\n");
    return 2;
  }
  cairn::base::LogSystem& logs = cairn::base::LogSystem::Default();
  if (auto level = cairn::base::ParseLogLevel(flags->log_level); level.ok()) logs.SetLevel(*level);
  cairn::base::EventLoop loop(1);
  App app(*std::move(flags), loop);
  absl::Status started;
  std::promise<void> ready;
  boost::asio::post(app.strand(), [&] {
    started = app.Start();
    ready.set_value();
  });
  loop.Start();
  ready.get_future().wait();
  if (!started.ok()) {
    std::fprintf(stderr, "gossip-node: %s\n", started.ToString().c_str());
    boost::asio::post(app.strand(), [&] { app.Stop(); });
    loop.Stop();
    loop.Wait();
    return 1;
  }
  cairn::base::SignalHandler signals(loop.executor(), {SIGINT, SIGTERM}, [&](int) {
    boost::asio::post(app.strand(), [&] {
      app.Stop();
      loop.Stop();
    });
  });
  // stdin commands; the reader thread is detached because getline cannot be interrupted.
  std::thread([&app] {
    for (std::string line; std::getline(std::cin, line);) app.Post(line);
  }).detach();
  loop.Wait();
  std::fflush(stdout);
  std::_Exit(0);  // the stdin reader may still be blocked in getline
}
