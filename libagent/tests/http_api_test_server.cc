// A test-only server: the state endpoints over a TestStateBackend on 127.0.0.1, for
// clients written in other languages (python_consul_test.py drives it with Debian's
// python3-consul). Prints "port=<n>" once it listens and exits when stdin closes.
//
// Usage: agent_http_api_test_server [node-name]
#include <iostream>
#include <string>

#include <cairn/agent/http_api.h>
#include <cairn/agent/http_server.h>
#include <cairn/base/event_loop.h>
#include <cairn/base/real_clock.h>

#include "test_state_backend.h"

int main(int argc, char** argv) {
  using namespace cairn;
  agent::testing::TestStateBackend backend(argc > 1 ? argv[1] : "test-node");
  agent::RaftInfo raft;
  raft.index = 1;
  raft.servers = {{1, "127.0.0.1:8300", true, true}};
  backend.SetRaft(raft, "127.0.0.1:8300");
  base::EventLoop loop(2);
  base::RealClock clock(loop.executor());
  auto router = std::make_shared<agent::Router>();
  agent::RegisterStateApi(*router, backend, loop.executor(), clock);
  auto server = agent::HttpServer::Start(loop.context(), {{"127.0.0.1", 0}}, router, {});
  if (!server.ok()) {
    std::cerr << server.status().message() << "\n";
    return 1;
  }
  loop.Start();
  std::cout << "port=" << (*server)->ports().at(0) << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  server->reset();
  loop.Stop();
  loop.Wait();
  return 0;
}
