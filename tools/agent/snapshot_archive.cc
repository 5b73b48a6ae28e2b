#include "snapshot_archive.h"

#include <array>
#include <cstring>
#include <map>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>
#include <openssl/evp.h>

#include <zlib.h>

namespace cairn::cli {
namespace {

constexpr std::size_t kBlock = 512;

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), digest, &n, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < n; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

absl::StatusOr<std::string> Gunzip(std::string_view in) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
    return absl::InternalError("failed to decompress snapshot: zlib init failed");
  }
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[65536];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;  // input ended early
  }
  std::string why = zs.msg != nullptr ? zs.msg : "unexpected EOF";
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) {
    return absl::InvalidArgumentError(fmt::format("failed to decompress snapshot: {}",
                                                  rc == Z_BUF_ERROR ? "unexpected EOF" : why));
  }
  return out;
}

std::string Gzip(std::string_view in) {
  z_stream zs{};
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[65536];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = deflate(&zs, Z_FINISH);
    out.append(buf, sizeof buf - zs.avail_out);
  }
  deflateEnd(&zs);
  return out;
}

// A numeric tar field: octal text, or GNU base-256 when the high bit is set.
bool TarNumber(std::string_view field, uint64_t* out) {
  if (!field.empty() && (static_cast<unsigned char>(field[0]) & 0x80)) {
    uint64_t n = static_cast<unsigned char>(field[0]) & 0x7F;
    for (std::size_t i = 1; i < field.size(); ++i) {
      if (n >> 56) return false;
      n = (n << 8) | static_cast<unsigned char>(field[i]);
    }
    *out = n;
    return true;
  }
  uint64_t n = 0;
  bool digits = false;
  for (char c : field) {
    if (c == '\0' || c == ' ') {
      if (digits) break;
      continue;
    }
    if (c < '0' || c > '7' || (n >> 60)) return false;
    n = n * 8 + static_cast<uint64_t>(c - '0');
    digits = true;
  }
  *out = n;
  return true;
}

std::string CString(std::string_view field) {
  return std::string(field.substr(0, field.find('\0')));
}

void PutOctal(char* field, std::size_t width, uint64_t value) {
  std::string s = fmt::format("{:0{}o}", value, width - 1);
  std::memcpy(field, s.data(), width - 1);
  field[width - 1] = '\0';
}

std::string TarEntry(std::string_view name, std::string_view data) {
  std::array<char, kBlock> h{};
  std::memcpy(h.data(), name.data(), std::min<std::size_t>(name.size(), 100));
  PutOctal(&h[100], 8, 0600);
  PutOctal(&h[108], 8, 0);
  PutOctal(&h[116], 8, 0);
  PutOctal(&h[124], 12, data.size());
  PutOctal(&h[136], 12, 0);
  h[156] = '0';
  std::memcpy(&h[257],
              "ustar\0"
              "00",
              8);
  std::memset(&h[148], ' ', 8);
  unsigned sum = 0;
  for (char c : h) sum += static_cast<unsigned char>(c);
  std::string chk = fmt::format("{:06o}", sum);
  std::memcpy(&h[148], chk.data(), 6);
  h[154] = '\0';
  h[155] = ' ';
  std::string out(h.data(), h.size());
  out.append(data);
  out.append((kBlock - data.size() % kBlock) % kBlock, '\0');
  return out;
}

}  // namespace

absl::StatusOr<SnapshotArchive> ReadSnapshotArchive(std::string_view gzipped) {
  absl::StatusOr<std::string> tar = Gunzip(gzipped);
  if (!tar.ok()) return tar.status();
  auto fail = [](std::string_view why) {
    return absl::InvalidArgumentError(fmt::format("failed to read snapshot file: {}", why));
  };

  SnapshotArchive archive;
  bool have_meta = false, have_state = false, have_sums = false;
  std::string sums;
  std::string long_name;
  std::size_t pos = 0;
  while (true) {
    if (pos + kBlock > tar->size()) {
      // Go's tar reader accepts an archive that simply ends after a complete entry.
      if (pos == tar->size()) break;
      return fail("failed reading snapshot: unexpected EOF");
    }
    std::string_view h(tar->data() + pos, kBlock);
    if (h.find_first_not_of('\0') == std::string_view::npos) break;  // end-of-archive block
    uint64_t stored_sum = 0, size = 0;
    if (!TarNumber(h.substr(148, 8), &stored_sum) || !TarNumber(h.substr(124, 12), &size)) {
      return fail("failed reading snapshot: archive/tar: invalid header");
    }
    uint64_t sum = 0;
    for (std::size_t i = 0; i < kBlock; ++i) {
      sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
    }
    if (sum != stored_sum) return fail("failed reading snapshot: archive/tar: invalid header");
    pos += kBlock;
    if (size > tar->size() - pos) return fail("failed reading snapshot: unexpected EOF");
    std::string_view data(tar->data() + pos, size);
    pos += (size + kBlock - 1) / kBlock * kBlock;
    pos = std::min(pos, tar->size());

    char type = h[156];
    std::string name = CString(h.substr(0, 100));
    if (h.substr(257, 5) == "ustar" && h[345] != '\0')
      name = CString(h.substr(345, 155)) + "/" + name;
    if (type == 'L') {  // GNU long name for the next entry
      long_name = CString(data);
      continue;
    }
    if (type == 'x' || type == 'g') continue;  // PAX records: nothing we need
    if (!long_name.empty()) name = std::exchange(long_name, "");
    if (type != '0' && type != '\0') {
      return fail(fmt::format("unexpected file \"{}\" in snapshot", name));
    }
    if (name == "meta.json") {
      archive.meta_json = std::string(data);
      have_meta = true;
    } else if (name == "state.bin") {
      archive.state = std::string(data);
      have_state = true;
    } else if (name == "SHA256SUMS") {
      sums = std::string(data.substr(0, 10000));
      have_sums = true;
    } else {
      return fail(fmt::format("unexpected file \"{}\" in snapshot", name));
    }
  }

  // Consul's hashList.DecodeAndVerify: every line names a hashed file with its hash, and
  // every hashed file is named.
  std::map<std::string, std::string> hashes;
  if (have_meta) hashes["meta.json"] = Sha256Hex(archive.meta_json);
  if (have_state) hashes["state.bin"] = Sha256Hex(archive.state);
  std::map<std::string, bool> seen;
  auto integrity = [&](std::string_view why) {
    return fail(fmt::format("failed checking integrity of snapshot: {}", why));
  };
  std::size_t start = 0;
  while (have_sums && start < sums.size()) {
    std::size_t end = sums.find('\n', start);
    std::string line =
        sums.substr(start, end == std::string::npos ? std::string::npos : end - start);
    start = end == std::string::npos ? sums.size() : end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::size_t sep = line.find("  ");
    if (sep == std::string::npos || sep != 64) return integrity("unexpected EOF");
    std::string hex = line.substr(0, sep);
    std::string file = line.substr(sep + 2);
    if (hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
      return integrity("expected integer");
    }
    for (char& c : hex) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto it = hashes.find(file);
    if (it == hashes.end()) return integrity(fmt::format("list missing hash for \"{}\"", file));
    if (it->second != hex) return integrity(fmt::format("hash check failed for \"{}\"", file));
    seen[file] = true;
  }
  for (const char* file : {"meta.json", "state.bin"}) {
    if (!seen[file]) return integrity(fmt::format("file missing for \"{}\"", file));
  }

  boost::system::error_code ec;
  boost::json::value meta = boost::json::parse(archive.meta_json, ec);
  if (ec || !meta.is_object()) {
    return fail(fmt::format("failed to decode metadata: {}", ec ? ec.message() : "not an object"));
  }
  const boost::json::object& o = meta.get_object();
  auto num = [&o](std::string_view key) -> int64_t {
    const boost::json::value* v = o.if_contains(key);
    if (v == nullptr) return 0;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64()) return static_cast<int64_t>(v->get_uint64());
    return 0;
  };
  auto unum = [&o](std::string_view key) -> uint64_t {
    const boost::json::value* v = o.if_contains(key);
    if (v == nullptr) return 0;
    if (v->is_uint64()) return v->get_uint64();
    if (v->is_int64() && v->get_int64() > 0) return static_cast<uint64_t>(v->get_int64());
    return 0;
  };
  if (const boost::json::value* id = o.if_contains("ID"); id != nullptr && id->is_string()) {
    archive.meta.id = std::string(id->get_string());
  }
  archive.meta.size = num("Size");
  archive.meta.index = unum("Index");
  archive.meta.term = unum("Term");
  archive.meta.version = num("Version");
  return archive;
}

std::string WriteSnapshotArchive(std::string_view meta_json, std::string_view state) {
  std::string sums =
      fmt::format("{}  meta.json\n{}  state.bin\n", Sha256Hex(meta_json), Sha256Hex(state));
  std::string tar = TarEntry("meta.json", meta_json) + TarEntry("state.bin", state) +
                    TarEntry("SHA256SUMS", sums) + std::string(2 * kBlock, '\0');
  return Gzip(tar);
}

}  // namespace cairn::cli
