// cairn/gossip/crc32.h — CRC-32/IEEE, the checksum of memberlist's hasCrc message.
//
// memberlist (type 12) prefixes a UDP packet with Go's `crc32.ChecksumIEEE(inner)`:
// polynomial 0x04C11DB7 reflected (0xEDB88320), init and final xor 0xFFFFFFFF — the
// zlib/Ethernet CRC. Example: `uint32_t crc = cairn::gossip::Crc32Ieee(bytes);`
#ifndef CAIRN_GOSSIP_CRC32_H_
#define CAIRN_GOSSIP_CRC32_H_

#include <cstdint>
#include <string_view>

namespace cairn::gossip {

// The CRC-32/IEEE of `data` ("123456789" gives 0xCBF43926). Thread-safe.
uint32_t Crc32Ieee(std::string_view data);

}  // namespace cairn::gossip

#endif  // CAIRN_GOSSIP_CRC32_H_
