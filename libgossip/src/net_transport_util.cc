// Address helpers of transport.h, shared by the real and the simulated transport.
#include <charconv>

#include <fmt/format.h>

#include <cairn/gossip/transport.h>

#include <arpa/inet.h>

namespace cairn::gossip {

absl::Status SplitHostPort(std::string_view address, std::string* host, uint16_t* port) {
  std::string_view h;
  std::string_view p;
  if (!address.empty() && address.front() == '[') {
    const size_t close = address.find(']');
    if (close == std::string_view::npos || close + 1 >= address.size() ||
        address[close + 1] != ':') {
      return absl::InvalidArgumentError(fmt::format("address '{}': want [ip]:port", address));
    }
    h = address.substr(1, close - 1);
    p = address.substr(close + 2);
  } else {
    const size_t colon = address.rfind(':');
    if (colon == std::string_view::npos || address.find(':') != colon) {
      return absl::InvalidArgumentError(fmt::format("address '{}': want ip:port", address));
    }
    h = address.substr(0, colon);
    p = address.substr(colon + 1);
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
  if (p.empty() || ec != std::errc() || end != p.data() + p.size() || value > 65535) {
    return absl::InvalidArgumentError(fmt::format("address '{}': bad port", address));
  }
  if (!IpToBytes(h).ok()) {
    return absl::InvalidArgumentError(fmt::format("address '{}': '{}' is not an IP", address, h));
  }
  *host = std::string(h);
  *port = static_cast<uint16_t>(value);
  return absl::OkStatus();
}

std::string JoinHostPort(std::string_view host, uint16_t port) {
  if (host.find(':') != std::string_view::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

absl::StatusOr<std::string> IpToBytes(std::string_view ip_text) {
  const std::string text(ip_text);
  unsigned char buf[16];
  if (inet_pton(AF_INET, text.c_str(), buf) == 1)
    return std::string(reinterpret_cast<char*>(buf), 4);
  if (inet_pton(AF_INET6, text.c_str(), buf) == 1) {
    return std::string(reinterpret_cast<char*>(buf), 16);
  }
  return absl::InvalidArgumentError(fmt::format("'{}' is not an IP address", ip_text));
}

absl::StatusOr<std::string> IpFromBytes(std::string_view raw) {
  char text[INET6_ADDRSTRLEN] = {};
  if (raw.size() == 4) {
    inet_ntop(AF_INET, raw.data(), text, sizeof(text));
    return std::string(text);
  }
  if (raw.size() == 16) {
    // An IPv4-mapped address prints as IPv4, as Go's net.IP.String does.
    static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(kMapped, kMapped + 12, reinterpret_cast<const unsigned char*>(raw.data()))) {
      inet_ntop(AF_INET, raw.data() + 12, text, sizeof(text));
    } else {
      inet_ntop(AF_INET6, raw.data(), text, sizeof(text));
    }
    return std::string(text);
  }
  return absl::InvalidArgumentError(fmt::format("IP address of {} bytes", raw.size()));
}

}  // namespace cairn::gossip
