#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>

#include <cairn/base/status.h>
#include <cairn/raft/file_snapshot_store.h>

#include "crc32c.h"
#include <fcntl.h>
#include <unistd.h>

namespace cairn::raft {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kMagic = "CRNSNAP1";

void PutFixed64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

bool GetFixed64(std::string_view& in, uint64_t& v) {
  if (in.size() < 8) return false;
  v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{static_cast<uint8_t>(in[i])} << (8 * i);
  in.remove_prefix(8);
  return true;
}

absl::Status Errno(std::string_view what, const std::string& path) {
  return absl::InternalError(
      absl::StrCat("snapshot store: ", base::ToAbsl(what), " ", path, ": ", std::strerror(errno)));
}

// Writes `bytes` to `path` and fsyncs it.
absl::Status WriteFileSynced(const std::string& path, std::string_view bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("open", path);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return Errno("write", path);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    return Errno("fsync", path);
  }
  if (::close(fd) != 0) return Errno("close", path);
  return absl::OkStatus();
}

absl::Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("open dir", dir);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Errno("fsync dir", dir);
  return absl::OkStatus();
}

std::string FileName(const SnapshotMeta& meta) {
  return absl::StrFormat("snap-%020d-%020d.bin", meta.index, meta.term);
}

std::string Encode(const SnapshotMeta& meta, std::string_view data) {
  std::string out(kMagic);
  PutFixed64(out, meta.index);
  PutFixed64(out, meta.term);
  std::string conf = EncodeConfiguration(meta.configuration);
  PutFixed64(out, conf.size());
  out += conf;
  PutFixed64(out, data.size());
  out.append(data);
  uint32_t crc = internal::Crc32c(out);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  return out;
}

absl::StatusOr<Snapshot> Decode(const std::string& path, std::string_view in) {
  auto corrupt = [&](std::string_view why) {
    return absl::DataLossError(absl::StrCat("snapshot file ", path, " is corrupt (",
                                            base::ToAbsl(why),
                                            "); move it aside to fall back to an older one"));
  };
  if (in.size() < kMagic.size() + 4 || in.substr(0, kMagic.size()) != kMagic) {
    return corrupt("bad magic");
  }
  uint32_t stored = 0;
  for (int i = 0; i < 4; ++i) {
    stored |= uint32_t{static_cast<uint8_t>(in[in.size() - 4 + i])} << (8 * i);
  }
  if (internal::Crc32c(in.substr(0, in.size() - 4)) != stored) return corrupt("checksum");
  in = in.substr(kMagic.size(), in.size() - kMagic.size() - 4);
  Snapshot s;
  uint64_t conf_len = 0, data_len = 0;
  if (!GetFixed64(in, s.meta.index) || !GetFixed64(in, s.meta.term) || !GetFixed64(in, conf_len) ||
      conf_len > in.size()) {
    return corrupt("truncated header");
  }
  absl::StatusOr<Configuration> conf = DecodeConfiguration(in.substr(0, conf_len));
  if (!conf.ok()) return corrupt(base::ToStd(conf.status().message()));
  s.meta.configuration = *std::move(conf);
  in.remove_prefix(conf_len);
  if (!GetFixed64(in, data_len) || data_len != in.size()) return corrupt("data length");
  s.data = std::string(in);
  return s;
}

}  // namespace

absl::StatusOr<std::unique_ptr<FileSnapshotStore>> FileSnapshotStore::Open(std::string dir,
                                                                           int retain) {
  if (retain < 1) return absl::InvalidArgumentError("snapshot store: retain must be >= 1");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    return absl::InternalError(absl::StrCat("snapshot store: mkdir ", dir, ": ", ec.message()));
  std::unique_ptr<FileSnapshotStore> store(new FileSnapshotStore(dir, retain));
  // A .tmp file is a Save that crashed before its rename: never acknowledged, drop it.
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".tmp") fs::remove(e.path(), ec);
  }
  std::vector<std::string> names = store->List();
  if (!names.empty()) {
    std::string path = (fs::path(dir) / names.front()).string();
    std::ifstream f(path, std::ios::binary);
    std::stringstream buf;
    buf << f.rdbuf();
    if (!f.good() && !f.eof()) return Errno("read", path);
    CAIRN_ASSIGN_OR_RETURN(store->latest_, Decode(path, buf.str()));
    if (names.front() != FileName(store->latest_.meta)) {
      return absl::DataLossError(absl::StrCat("snapshot file ", path, " does not match its name"));
    }
  }
  return store;
}

std::vector<std::string> FileSnapshotStore::List() const {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    std::string name = e.path().filename().string();
    if (name.starts_with("snap-") && name.ends_with(".bin")) names.push_back(name);
  }
  // Zero-padded index then term: lexicographic order is snapshot order.
  std::sort(names.rbegin(), names.rend());
  return names;
}

absl::Status FileSnapshotStore::Save(const SnapshotMeta& meta, std::string_view data) {
  if (meta.index < latest_.meta.index) {
    return absl::FailedPreconditionError(absl::StrCat("snapshot store: snapshot ", meta.index,
                                                      " older than newest ", latest_.meta.index));
  }
  std::string path = (fs::path(dir_) / FileName(meta)).string();
  std::string tmp = path + ".tmp";
  CAIRN_RETURN_IF_ERROR(WriteFileSynced(tmp, Encode(meta, data)));
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Errno("rename", tmp);
  CAIRN_RETURN_IF_ERROR(SyncDir(dir_));
  latest_ = Snapshot{meta, std::string(data)};
  return Prune();
}

absl::Status FileSnapshotStore::Prune() {
  std::vector<std::string> names = List();
  for (size_t i = static_cast<size_t>(retain_); i < names.size(); ++i) {
    std::error_code ec;
    fs::remove(fs::path(dir_) / names[i], ec);
    if (ec) {
      return absl::InternalError(
          absl::StrCat("snapshot store: remove ", names[i], ": ", ec.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace cairn::raft
