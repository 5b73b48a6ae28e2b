// Fuzzes cairn::kv::Store::Restore, the decoder of snapshot streams (they arrive from disk
// and from the leader over Raft's InstallSnapshot). Properties: no crash, no sanitizer
// report; a refused stream leaves the store empty; an accepted stream is canonical, so
// writing the restored state back out reproduces the input byte for byte.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include <cairn/kv/store.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cairn::kv::Store store;
  std::size_t pos = 0;
  absl::Status s = store.Restore([&](char* buf, std::size_t n) -> absl::StatusOr<std::size_t> {
    std::size_t m = n < size - pos ? n : size - pos;
    if (m > 0) std::memcpy(buf, data + pos, m);
    pos += m;
    return m;
  });
  cairn::kv::ReadView view = store.Snapshot();
  if (!s.ok()) {
    if (view.entry_count() != 0 || view.applied_index() != 0) std::abort();
    return 0;
  }
  std::string out;
  absl::Status w = view.WriteSnapshot([&](std::string_view chunk) {
    out.append(chunk);
    return absl::OkStatus();
  });
  if (!w.ok()) std::abort();
  if (out.size() != size || std::memcmp(out.data(), data, size) != 0) std::abort();
  return 0;
}
