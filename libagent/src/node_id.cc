// Node IDs (spec A12: `<data_dir>/node-id`) and the small Config helpers that need no
// other home.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <absl/random/random.h>
#include <absl/strings/ascii.h>
#include <absl/strings/str_format.h>

#include <cairn/agent/config_loader.h>
#include <cairn/base/status.h>

#include "str_cat.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cairn::agent {

using internal::Cat;
namespace {

absl::Status ErrnoError(std::string_view what, const std::string& path, int e) {
  std::string message = Cat(what, " ", path, ": ", std::strerror(e));
  if (e == ENOENT) return absl::NotFoundError(message);
  if (e == EACCES || e == EPERM) return absl::PermissionDeniedError(message);
  return absl::InternalError(message);
}

// mkdir -p with mode 0700 for the directories it creates.
absl::Status MakeDirs(const std::string& path) {
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string prefix = path.substr(0, pos);
    if (mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      return ErrnoError("cannot create directory", prefix, errno);
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string GenerateUuid() {
  absl::BitGen gen;
  uint64_t hi = absl::Uniform<uint64_t>(gen);
  uint64_t lo = absl::Uniform<uint64_t>(gen);
  hi = (hi & ~uint64_t{0xF000}) | 0x4000;                      // version 4
  lo = (lo & ~(uint64_t{0xC} << 60)) | (uint64_t{0x8} << 60);  // RFC 4122 variant
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", hi >> 32, (hi >> 16) & 0xFFFF, hi & 0xFFFF,
                         lo >> 48, lo & 0xFFFFFFFFFFFFULL);
}

bool IsValidUuid(std::string_view id) {
  if (id.size() != 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (id[i] != '-') return false;
    } else if (!absl::ascii_isxdigit(static_cast<unsigned char>(id[i]))) {
      return false;
    }
  }
  return true;
}

absl::Status EnsureNodeId(Config& config) {
  if (!config.node_id.empty()) {
    config.node_id = absl::AsciiStrToLower(config.node_id);
    if (!IsValidUuid(config.node_id)) {
      return absl::InvalidArgumentError(
          Cat("node_id \"", config.node_id, "\" is not a valid UUID"));
    }
    return absl::OkStatus();
  }
  if (config.dev_mode || config.data_dir.empty()) {
    config.node_id = GenerateUuid();
    return absl::OkStatus();
  }
  std::string path = Cat(config.data_dir, "/node-id");
  std::ifstream in(path);
  if (in) {
    std::stringstream text;
    text << in.rdbuf();
    std::string id(absl::StripAsciiWhitespace(text.str()));
    id = absl::AsciiStrToLower(id);
    if (!IsValidUuid(id)) {
      return absl::InvalidArgumentError(
          Cat("node ID \"", id, "\" in ", path, " is not a valid UUID"));
    }
    config.node_id = id;
    return absl::OkStatus();
  }
  if (errno != ENOENT && access(path.c_str(), F_OK) == 0) {
    return ErrnoError("cannot read", path, errno);
  }
  if (absl::Status s = MakeDirs(config.data_dir); !s.ok()) return s;
  std::string id = GenerateUuid();
  // Write to a temporary file and rename, so a crash never leaves a half-written ID.
  std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return ErrnoError("cannot create", tmp, errno);
  bool ok = write(fd, id.data(), id.size()) == static_cast<ssize_t>(id.size()) && fsync(fd) == 0;
  int e = errno;
  close(fd);
  if (!ok) return ErrnoError("cannot write", tmp, e);
  if (rename(tmp.c_str(), path.c_str()) != 0) return ErrnoError("cannot rename to", path, errno);
  config.node_id = id;
  return absl::OkStatus();
}

std::string CheckDefinition::Kind() const {
  if (!docker_container_id.empty()) return "docker";
  if (!args.empty()) return "script";
  if (!http.empty()) return "http";
  if (!tcp.empty()) return "tcp";
  if (!udp.empty()) return "udp";
  if (!grpc.empty()) return "grpc";
  if (!h2ping.empty()) return "h2ping";
  if (!alias_node.empty() || !alias_service.empty()) return "alias";
  if (!os_service.empty()) return "os_service";
  return "ttl";
}

}  // namespace cairn::agent
