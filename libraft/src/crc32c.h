// CRC-32C (Castagnoli), bytewise table version: checksums for snapshot files. LevelDB's
// own crc32c is not part of its installed API, hence this small copy of the algorithm.
#ifndef CAIRN_RAFT_SRC_CRC32C_H_
#define CAIRN_RAFT_SRC_CRC32C_H_

#include <array>
#include <cstdint>
#include <string_view>

namespace cairn::raft::internal {

inline uint32_t Crc32c(std::string_view data, uint32_t crc = 0) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  crc = ~crc;
  for (unsigned char b : data) crc = table[(crc ^ b) & 0xff] ^ (crc >> 8);
  return ~crc;
}

}  // namespace cairn::raft::internal

#endif  // CAIRN_RAFT_SRC_CRC32C_H_
