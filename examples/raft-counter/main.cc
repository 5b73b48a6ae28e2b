// raft-counter: a replicated counter with compare-and-set, built on cairn::raft alone
// (Node + GrpcTransport + the LevelDB store). See README.md for a 3-node walkthrough.
//
//   raft-counter serve --id 1 --dir /tmp/c1 --addr 127.0.0.2:7001
//                      --peers 1=127.0.0.2:7001,2=127.0.0.3:7001,3=127.0.0.4:7001
//   raft-counter incr [n] --server 127.0.0.3:8001      # prints the new value
//   raft-counter cas <old> <new> --server 127.0.0.3:8001
//   raft-counter get --server 127.0.0.3:8001           # linearizable (ReadIndex)
//   raft-counter stale --server 127.0.0.3:8001         # that server's copy, maybe stale
//
// Clients speak one line per connection to a server's client port (the Raft port + 1000
// unless --client says otherwise): "get", "stale", "incr <n>" or "cas <old> <new>"; the answer is
// "ok <value>", "failed <value>" (CAS mismatch), "redirect <leader raft address>" or
// "err <message>". The client follows redirects to the leader's client port.
#include <atomic>
#include <csignal>
#include <future>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include <boost/asio.hpp>

#include <cairn/base/event_loop.h>
#include <cairn/raft/grpc_transport.h>
#include <cairn/raft/node.h>

namespace raft = cairn::raft;
using boost::asio::ip::tcp;

namespace {

struct Result {
  bool ok;
  int64_t value;
};

// The replicated state: one integer. Apply runs on the node's strand, as do the callbacks
// of Propose and ReadIndex; `value_` is atomic only for "stale" reads from other threads.
class Counter : public raft::StateMachine {
 public:
  std::any Apply(const raft::Entry& entry) override {
    std::istringstream in(entry.data);
    std::string op;
    int64_t a = 0, b = 0;
    in >> op >> a >> b;
    int64_t v = value_.load();
    if (op == "cas" && v != a) return Result{false, v};
    value_ = op == "incr" ? v + a : b;
    return Result{true, value_};
  }
  absl::StatusOr<std::unique_ptr<raft::StateMachineSnapshot>> Snapshot() override {
    return std::unique_ptr<raft::StateMachineSnapshot>(new ValueSnapshot(value_));
  }
  absl::Status Restore(std::istream& in) override {
    int64_t v = 0;
    if (!(in >> v)) return absl::DataLossError("counter snapshot: not a number");
    value_ = v;
    return absl::OkStatus();
  }
  int64_t value() const { return value_; }

 private:
  struct ValueSnapshot : raft::StateMachineSnapshot {
    explicit ValueSnapshot(int64_t v) : v(v) {}
    absl::Status WriteTo(std::ostream& out) override {
      out << v;
      return absl::OkStatus();
    }
    int64_t v;
  };
  std::atomic<int64_t> value_{0};
};

std::pair<std::string, int> SplitHostPort(const std::string& address) {
  size_t colon = address.rfind(':');
  return {address.substr(0, colon), std::stoi(address.substr(colon + 1))};
}

std::string ClientAddressOf(const std::string& raft_address) {
  auto [host, port] = SplitHostPort(raft_address);
  return host + ":" + std::to_string(port + 1000);
}

// One request line -> one answer line, waiting for the node on this connection's thread.
std::string Handle(raft::Node& node, Counter& counter, const std::string& line) {
  auto answer = std::make_shared<std::promise<std::string>>();
  auto reply = [&node, answer](absl::Status status, std::string ok) {
    raft::LeaderInfo leader = node.leader();
    if (status.ok()) {
      answer->set_value(std::move(ok));
    } else if (status.code() == absl::StatusCode::kUnavailable && !leader.address.empty() &&
               !node.IsLeader()) {
      answer->set_value("redirect " + leader.address);
    } else {
      answer->set_value("err " + std::string(status.message()));
    }
  };
  if (line == "stale") return "ok " + std::to_string(counter.value());  // this server's copy
  if (line == "get") {
    node.ReadIndex(
        [reply, &counter](absl::Status s) { reply(s, "ok " + std::to_string(counter.value())); });
  } else if (line.rfind("incr ", 0) == 0 || line.rfind("cas ", 0) == 0) {
    node.Propose(line, [reply](absl::StatusOr<std::any> r) {
      if (!r.ok()) return reply(r.status(), "");
      Result res = std::any_cast<Result>(*r);
      reply(absl::OkStatus(), (res.ok ? "ok " : "failed ") + std::to_string(res.value));
    });
  } else {
    return "err unknown command";
  }
  return answer->get_future().get();
}

std::map<std::string, std::string> Flags(int argc, char** argv, std::vector<std::string>* args) {
  std::map<std::string, std::string> flags;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) == 0 && i + 1 < argc) {
      flags[a.substr(2)] = argv[++i];
    } else {
      args->push_back(a);
    }
  }
  return flags;
}

int Serve(std::map<std::string, std::string> flags) {
  raft::Configuration config;
  std::istringstream peers(flags["peers"]);
  for (std::string item; std::getline(peers, item, ',');) {
    size_t eq = item.find('=');
    config.servers.push_back({std::stoull(item.substr(0, eq)), item.substr(eq + 1)});
  }
  raft::GrpcTransportOptions topt;
  topt.id = std::stoull(flags["id"]);
  topt.listen_address = flags["addr"];
  auto transport = raft::GrpcTransport::Create(topt);
  if (!transport.ok()) {
    std::cerr << transport.status() << "\n";
    return 1;
  }
  Counter counter;
  cairn::base::EventLoop loop(2);
  raft::NodeOptions options;
  options.id = topt.id;
  options.data_dir = flags["dir"];
  options.transport = transport->get();
  options.state_machine = &counter;
  if (flags.count("snapshot-threshold")) {
    options.snapshot_threshold = std::stoull(flags["snapshot-threshold"]);
    options.trailing_logs = options.snapshot_threshold / 2;
  }
  auto node = raft::Node::Create(loop.executor(), options);
  if (!node.ok()) {
    std::cerr << node.status() << "\n";
    return 1;
  }
  loop.Start();
  if (absl::Status s = (*node)->Start(); !s.ok()) {
    std::cerr << s << "\n";
    return 1;
  }
  // Every server of a new cluster bootstraps with the same configuration; on a restart
  // (state exists) this is refused and ignored.
  absl::Status boot = (*node)->BootstrapCluster(config);
  if (!boot.ok() && boot.code() != absl::StatusCode::kFailedPrecondition) {
    std::cerr << boot << "\n";
    return 1;
  }
  auto [client_host, client_port] =
      SplitHostPort(flags.count("client") ? flags["client"] : ClientAddressOf(topt.listen_address));
  boost::asio::io_context io;
  tcp::acceptor acceptor(
      io, {boost::asio::ip::make_address(client_host), static_cast<unsigned short>(client_port)});
  std::cerr << "raft-counter: server " << topt.id << " serving clients on " << client_host << ":"
            << client_port << "\n";
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](auto, int) { acceptor.close(); });
  std::atomic<int> active{0};
  std::function<void()> accept = [&] {
    acceptor.async_accept([&](boost::system::error_code ec, tcp::socket socket) {
      if (ec) return;
      ++active;
      std::thread([&, socket = std::move(socket)]() mutable {
        boost::asio::streambuf buf;
        boost::system::error_code ec;
        boost::asio::read_until(socket, buf, '\n', ec);
        std::string line;
        std::getline(std::istream(&buf), line);
        if (!ec)
          boost::asio::write(socket, boost::asio::buffer(Handle(**node, counter, line) + "\n"), ec);
        --active;
      }).detach();
      accept();
    });
  };
  accept();
  io.run();
  (*node)->Shutdown();  // fails whatever is pending, so the connection threads finish
  while (active > 0) std::this_thread::yield();
  loop.Stop();
  loop.Wait();
  return 0;
}

// Sends one request, following redirects to the leader and retrying while there is none.
int Client(const std::string& line, std::string server) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string answer;
    try {
      boost::asio::io_context io;
      tcp::socket socket(io);
      auto [host, port] = SplitHostPort(server);
      socket.connect({boost::asio::ip::make_address(host), static_cast<unsigned short>(port)});
      boost::asio::write(socket, boost::asio::buffer(line + "\n"));
      boost::asio::streambuf buf;
      boost::system::error_code ec;
      boost::asio::read_until(socket, buf, '\n', ec);
      std::getline(std::istream(&buf), answer);
    } catch (const std::exception& e) {
      answer = std::string("err ") + e.what();
    }
    if (answer.rfind("redirect ", 0) == 0) {
      server = ClientAddressOf(answer.substr(9));
      continue;
    }
    if (answer.rfind("ok ", 0) == 0 || answer.rfind("failed ", 0) == 0) {
      std::cout << answer.substr(answer.find(' ') + 1) << "\n";
      return answer[0] == 'o' ? 0 : 3;
    }
    if (attempt == 99) std::cerr << "raft-counter: " << server << ": " << answer << "\n";
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // no leader yet
  }
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string cmd = argc > 1 ? argv[1] : "";
  std::vector<std::string> args;
  auto flags = Flags(argc, argv, &args);
  if (cmd == "serve" && flags.count("id") && flags.count("addr") && flags.count("peers") &&
      flags.count("dir")) {
    return Serve(flags);
  }
  if (flags.count("server") && (cmd == "get" || cmd == "stale" || cmd == "incr" || cmd == "cas")) {
    std::string line = cmd;
    if (cmd == "incr") line += " " + (args.empty() ? std::string("1") : args[0]);
    if (cmd == "cas" && args.size() == 2) line += " " + args[0] + " " + args[1];
    if (cmd != "cas" || args.size() == 2) return Client(line, flags["server"]);
  }
  std::cerr
      << "usage: raft-counter serve --id N --dir DIR --addr HOST:PORT --peers ID=HOST:PORT,...\n"
         "       raft-counter get|stale|incr [n]|cas <old> <new> --server HOST:PORT\n";
  return 2;
}
