// Small helpers shared by the serf sources (private).
#ifndef CAIRN_GOSSIP_SRC_SERF_UTIL_H_
#define CAIRN_GOSSIP_SRC_SERF_UTIL_H_

#include <string>
#include <string_view>

#include <arpa/inet.h>

namespace cairn::gossip::serf_internal {

// Raw IP bytes (4 or 16) as text; "" for anything else.
inline std::string IpText(std::string_view raw) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (raw.size() == 4 && inet_ntop(AF_INET, raw.data(), buf, sizeof(buf)) != nullptr) return buf;
  if (raw.size() == 16 && inet_ntop(AF_INET6, raw.data(), buf, sizeof(buf)) != nullptr) return buf;
  return {};
}

// IP text to raw bytes (4 or 16); "" when it does not parse.
inline std::string IpBytes(std::string_view text) {
  std::string t(text);
  unsigned char buf[16];
  if (inet_pton(AF_INET, t.c_str(), buf) == 1) return std::string(reinterpret_cast<char*>(buf), 4);
  if (inet_pton(AF_INET6, t.c_str(), buf) == 1)
    return std::string(reinterpret_cast<char*>(buf), 16);
  return {};
}

// "ip:port", brackets around IPv6 (Go net.JoinHostPort).
inline std::string HostPort(std::string_view raw_ip, uint16_t port) {
  std::string ip = IpText(raw_ip);
  if (raw_ip.size() == 16) return "[" + ip + "]:" + std::to_string(port);
  return ip + ":" + std::to_string(port);
}

}  // namespace cairn::gossip::serf_internal

#endif  // CAIRN_GOSSIP_SRC_SERF_UTIL_H_
