#include "pcap_reader.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <absl/status/status.h>
#include <absl/strings/str_format.h>

namespace cairn::gossip::testing {
namespace {

uint32_t Le32(std::string_view b, size_t at) {
  return uint32_t{static_cast<uint8_t>(b[at])} | uint32_t{static_cast<uint8_t>(b[at + 1])} << 8 |
         uint32_t{static_cast<uint8_t>(b[at + 2])} << 16 |
         uint32_t{static_cast<uint8_t>(b[at + 3])} << 24;
}
uint32_t Be16(std::string_view b, size_t at) {
  return uint32_t{static_cast<uint8_t>(b[at])} << 8 | static_cast<uint8_t>(b[at + 1]);
}
uint32_t Be32(std::string_view b, size_t at) { return Be16(b, at) << 16 | Be16(b, at + 2); }

}  // namespace

absl::StatusOr<std::vector<IpPacket>> ReadPcap(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("cannot open " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string file = ss.str();
  std::string_view d(file);
  if (d.size() < 24 || Le32(d, 0) != 0xa1b2c3d4u) {
    return absl::InvalidArgumentError("not a little-endian microsecond pcap file: " + path);
  }
  const uint32_t link = Le32(d, 20);
  size_t link_header = 0;
  if (link == 1) {
    link_header = 14;
  } else if (link == 101) {
    link_header = 0;
  } else if (link == 113) {
    link_header = 16;
  } else {
    return absl::InvalidArgumentError(absl::StrFormat("unsupported link type %d", link));
  }
  std::vector<IpPacket> out;
  size_t off = 24;
  while (off + 16 <= d.size()) {
    const size_t incl = Le32(d, off + 8);
    off += 16;
    if (off + incl > d.size()) return absl::InvalidArgumentError("truncated pcap record");
    std::string_view frame = d.substr(off, incl);
    off += incl;
    if (frame.size() < link_header + 20) continue;
    if (link == 1 && Be16(frame, 12) != 0x0800) continue;  // not IPv4
    std::string_view ip = frame.substr(link_header);
    if ((static_cast<uint8_t>(ip[0]) >> 4) != 4) continue;
    const size_t ihl = (static_cast<uint8_t>(ip[0]) & 15) * 4;
    const size_t total = std::min<size_t>(Be16(ip, 2), ip.size());
    if (total < ihl) continue;
    IpPacket p;
    p.protocol = static_cast<uint8_t>(ip[9]);
    p.src_ip = Be32(ip, 12);
    p.dst_ip = Be32(ip, 16);
    std::string_view l4 = ip.substr(ihl, total - ihl);
    if (p.protocol == 17 && l4.size() >= 8) {
      p.src_port = static_cast<uint16_t>(Be16(l4, 0));
      p.dst_port = static_cast<uint16_t>(Be16(l4, 2));
      p.payload = std::string(l4.substr(8));
    } else if (p.protocol == 6 && l4.size() >= 20) {
      p.src_port = static_cast<uint16_t>(Be16(l4, 0));
      p.dst_port = static_cast<uint16_t>(Be16(l4, 2));
      p.tcp_seq = Be32(l4, 4);
      const size_t data_off = (static_cast<uint8_t>(l4[12]) >> 4) * 4;
      p.tcp_flags = static_cast<uint8_t>(l4[13]);
      if (data_off > l4.size()) continue;
      p.payload = std::string(l4.substr(data_off));
    } else {
      continue;
    }
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<TcpFlow> ReassembleTcp(const std::vector<IpPacket>& packets) {
  using Key = std::tuple<uint32_t, uint16_t, uint32_t, uint16_t>;
  std::map<Key, std::vector<const IpPacket*>> segments;
  std::vector<Key> order;
  for (const IpPacket& p : packets) {
    if (p.protocol != 6 || p.payload.empty()) continue;
    Key key{p.src_ip, p.src_port, p.dst_ip, p.dst_port};
    if (!segments.count(key)) order.push_back(key);
    segments[key].push_back(&p);
  }
  std::vector<TcpFlow> flows;
  for (const Key& key : order) {
    auto& segs = segments[key];
    // Sequence numbers relative to the first data segment (captures are short; no wrap).
    const uint32_t base = segs.front()->tcp_seq;
    std::stable_sort(segs.begin(), segs.end(), [base](const IpPacket* a, const IpPacket* b) {
      return a->tcp_seq - base < b->tcp_seq - base;
    });
    TcpFlow flow{std::get<0>(key), std::get<2>(key), std::get<1>(key), std::get<3>(key), {}};
    for (const IpPacket* s : segs) {
      const uint32_t rel = s->tcp_seq - base;
      if (rel + s->payload.size() <= flow.data.size()) continue;  // retransmission
      if (rel < flow.data.size()) {
        flow.data.append(s->payload.substr(flow.data.size() - rel));
      } else {
        flow.data.append(s->payload);
      }
    }
    flows.push_back(std::move(flow));
  }
  return flows;
}

}  // namespace cairn::gossip::testing
