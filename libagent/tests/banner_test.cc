#include <catch2/catch.hpp>

#include <cairn/agent/banner.h>
#include <cairn/agent/config_loader.h>

namespace cairn::agent {
namespace {

TEST_CASE("banner lays out Consul's labels, right-aligned to 17 characters", "[unit]") {
  absl::StatusOr<LoadResult> loaded =
      LoadConfigFromArgs({"-dev", "-node", "n1", "-client", "127.0.0.9", "-encrypt",
                          "pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s="});
  REQUIRE(loaded.ok());
  Config& c = loaded->config;
  c.node_id = "0b7c6a2e-8d0c-4a53-b1d8-7e8f1f0b8f11";
  std::string b = StartupBanner(
      c,
      BannerInfo{
          .version = "0.1.0", .revision = "abc123", .build_date = "", .cluster_addr = "127.0.0.1"});
  CHECK(b.rfind("==> Starting Cairn agent...\n", 0) == 0);
  CHECK(b.find("              Version: '0.1.0'\n") != std::string::npos);
  CHECK(b.find("             Revision: 'abc123'\n") != std::string::npos);
  CHECK(b.find("Build Date") == std::string::npos);
  CHECK(b.find("              Node ID: '0b7c6a2e-8d0c-4a53-b1d8-7e8f1f0b8f11'\n") !=
        std::string::npos);
  CHECK(b.find("            Node name: 'n1'\n") != std::string::npos);
  CHECK(b.find("           Datacenter: 'dc1' (Segment: '<all>')\n") != std::string::npos);
  CHECK(b.find("               Server: true (Bootstrap: true)\n") != std::string::npos);
  CHECK(
      b.find("          Client Addr: [127.0.0.9] (HTTP: 8500, HTTPS: -1, gRPC: 8502, gRPC-TLS: ") !=
      std::string::npos);
  CHECK(b.find("DNS: 8600)\n") != std::string::npos);
  CHECK(b.find("         Cluster Addr: 127.0.0.1 (LAN: 8301, WAN: 8302)\n") != std::string::npos);
  CHECK(b.find("    Gossip Encryption: true\n") != std::string::npos);
  CHECK(b.find("     Internal RPC TLS: Verify Incoming: false, Verify Outgoing: false (Verify "
               "Hostname: false), Min Version: TLSv1_2\n") != std::string::npos);
  const std::string tail = "\n==> Log data will now stream in as it occurs:\n\n";
  REQUIRE(b.size() > tail.size());
  CHECK(b.substr(b.size() - tail.size()) == tail);
}

TEST_CASE("banner shows a client's empty segment and no encryption", "[unit]") {
  absl::StatusOr<LoadResult> loaded =
      LoadConfigFromArgs({"-data-dir", "/tmp", "-node", "c1", "-bind", "127.0.0.1"});
  REQUIRE(loaded.ok());
  std::string b = StartupBanner(
      loaded->config,
      BannerInfo{
          .version = "0.1.0", .revision = "", .build_date = "", .cluster_addr = "127.0.0.1"});
  CHECK(b.find("(Segment: '')") != std::string::npos);
  CHECK(b.find("Server: false (Bootstrap: false)") != std::string::npos);
  CHECK(b.find("Gossip Encryption: false") != std::string::npos);
  CHECK(b.find("Revision") == std::string::npos);
}

}  // namespace
}  // namespace cairn::agent
