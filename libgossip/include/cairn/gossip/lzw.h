// cairn/gossip/lzw.h — LZW exactly as Go's compress/lzw (LSB order, 8-bit literals).
//
// memberlist's `compress` message (type 9, Algo 0) carries the inner message LZW-coded
// with Go's `lzw.NewWriter(w, lzw.LSB, 8)`. Our encoder reproduces Go 1.19's output bit for
// bit, so a decoded compress message re-encodes to the captured bytes:
//
//   * codes 0..255 are literals, 256 = clear, 257 = end of data, new codes from 258;
//   * codes start 9 bits wide, grow to at most 12, and are packed LSB first;
//   * the encoder writes a clear code first (Go does since 1.17 / GIF appendix F), and
//     when the next code number reaches 4095 it writes clear and starts a fresh table;
//   * the stream ends with the pending code, then 257, then the last partial byte.
//
// Example:
//
//   std::string packed = cairn::gossip::LzwCompress(payload);
//   CAIRN_ASSIGN_OR_RETURN(std::string back, cairn::gossip::LzwDecompress(packed, 1 << 20));
#ifndef CAIRN_GOSSIP_LZW_H_
#define CAIRN_GOSSIP_LZW_H_

#include <cstddef>
#include <string>
#include <string_view>

#include <absl/status/statusor.h>

namespace cairn::gossip {

// Compresses `input`; never fails. Thread-safe (no shared state).
std::string LzwCompress(std::string_view input);

// Decompresses a Go compress/lzw LSB-8 stream. Errors (kInvalidArgument): an undefined
// code, a stream that ends before the end-of-data code, or output that would exceed
// `max_output` bytes (LZW expands up to ~4000x, so callers cap it: a decompressed UDP
// packet is at most 64 KiB, a TCP stream at most 20 MiB). Bytes after the end-of-data
// code are ignored, as Go's reader does.
absl::StatusOr<std::string> LzwDecompress(std::string_view input, size_t max_output);

}  // namespace cairn::gossip

#endif  // CAIRN_GOSSIP_LZW_H_
