// Test support: a tiny reader for classic pcap files (Ethernet or raw IPv4) with IPv4,
// UDP and TCP, enough to replay the serf captures in tests/testdata/. Not for production:
// it assumes well-formed captures and reports anything else as an error.
#ifndef CAIRN_GOSSIP_TESTS_PCAP_READER_H_
#define CAIRN_GOSSIP_TESTS_PCAP_READER_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <absl/status/statusor.h>

namespace cairn::gossip::testing {

struct IpPacket {
  uint32_t src_ip = 0, dst_ip = 0;  // host order
  uint16_t src_port = 0, dst_port = 0;
  uint8_t protocol = 0;  // 6 TCP, 17 UDP
  uint32_t tcp_seq = 0;
  uint8_t tcp_flags = 0;
  std::string payload;  // UDP or TCP payload
};

// Reads every IPv4 UDP/TCP packet from a pcap file (link types 1 Ethernet, 101 raw,
// 113 Linux cooked). Other frames are skipped.
absl::StatusOr<std::vector<IpPacket>> ReadPcap(const std::string& path);

// One direction of a TCP connection with its payload reassembled in sequence order
// (retransmitted segments dropped).
struct TcpFlow {
  uint32_t src_ip = 0, dst_ip = 0;
  uint16_t src_port = 0, dst_port = 0;
  std::string data;
};
// Flows in order of their first packet; flows without payload are left out.
std::vector<TcpFlow> ReassembleTcp(const std::vector<IpPacket>& packets);

}  // namespace cairn::gossip::testing

#endif  // CAIRN_GOSSIP_TESTS_PCAP_READER_H_
