#include <absl/container/flat_hash_set.h>
#include <absl/strings/str_cat.h>

#include <cairn/raft/types.h>

namespace cairn::raft {
namespace {

constexpr uint8_t kConfigurationVersion = 1;
// Bounds that keep a hostile encoding from allocating without limit.
constexpr size_t kMaxServers = 1 << 16;
constexpr size_t kMaxAddress = 1 << 12;

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

}  // namespace

const Server* Configuration::Find(ServerId id) const {
  for (const Server& s : servers) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

bool Configuration::IsVoter(ServerId id) const {
  const Server* s = Find(id);
  return s != nullptr && s->suffrage == Suffrage::kVoter;
}

std::vector<ServerId> Configuration::Voters() const {
  std::vector<ServerId> out;
  for (const Server& s : servers) {
    if (s.suffrage == Suffrage::kVoter) out.push_back(s.id);
  }
  return out;
}

std::vector<ServerId> Configuration::Ids() const {
  std::vector<ServerId> out;
  for (const Server& s : servers) out.push_back(s.id);
  return out;
}

absl::Status ValidateConfiguration(const Configuration& config) {
  absl::flat_hash_set<ServerId> seen;
  for (const Server& s : config.servers) {
    if (s.id == kNoServer) return absl::InvalidArgumentError("configuration: server id 0");
    if (!seen.insert(s.id).second) {
      return absl::InvalidArgumentError(absl::StrCat("configuration: duplicate id ", s.id));
    }
    if (s.suffrage != Suffrage::kVoter && s.suffrage != Suffrage::kNonvoter) {
      return absl::InvalidArgumentError(
          absl::StrCat("configuration: bad suffrage for server ", s.id));
    }
    if (s.address.size() > kMaxAddress) {
      return absl::InvalidArgumentError(absl::StrCat("configuration: address too long ", s.id));
    }
  }
  if (config.servers.size() > kMaxServers) {
    return absl::InvalidArgumentError("configuration: too many servers");
  }
  return absl::OkStatus();
}

std::string EncodeConfiguration(const Configuration& config) {
  std::string out;
  out.push_back(static_cast<char>(kConfigurationVersion));
  PutFixed64(out, config.servers.size());
  for (const Server& s : config.servers) {
    PutFixed64(out, s.id);
    out.push_back(static_cast<char>(s.suffrage));
    PutFixed64(out, s.address.size());
    out += s.address;
  }
  return out;
}

absl::StatusOr<Configuration> DecodeConfiguration(std::string_view in) {
  auto bad = [](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("configuration encoding: ", what));
  };
  if (in.empty() || static_cast<uint8_t>(in[0]) != kConfigurationVersion) {
    return bad("unknown version");
  }
  in.remove_prefix(1);
  uint64_t n = 0;
  if (!GetFixed64(in, n)) return bad("truncated count");
  if (n > kMaxServers) return bad("too many servers");
  Configuration config;
  for (uint64_t i = 0; i < n; ++i) {
    Server s;
    uint64_t len = 0;
    if (!GetFixed64(in, s.id) || in.empty()) return bad("truncated server");
    uint8_t suffrage = static_cast<uint8_t>(in[0]);
    if (suffrage > 1) return bad("bad suffrage");
    s.suffrage = static_cast<Suffrage>(suffrage);
    in.remove_prefix(1);
    if (!GetFixed64(in, len) || len > kMaxAddress || in.size() < len) {
      return bad("truncated address");
    }
    s.address = std::string(in.substr(0, len));
    in.remove_prefix(len);
    config.servers.push_back(std::move(s));
  }
  if (!in.empty()) return bad("trailing bytes");
  if (absl::Status st = ValidateConfiguration(config); !st.ok()) return st;
  return config;
}

std::string DebugString(const Entry& e) {
  const char* type = e.type == EntryType::kNormal          ? ""
                     : e.type == EntryType::kConfiguration ? " conf"
                                                           : " noop";
  return absl::StrCat(e.term, ".", e.index, type);
}

std::string DebugString(const Configuration& config) {
  std::string out = "{";
  for (const Server& s : config.servers) {
    if (out.size() > 1) out += " ";
    absl::StrAppend(&out, s.id, s.suffrage == Suffrage::kVoter ? "" : "(nv)");
  }
  return out + "}";
}

}  // namespace cairn::raft
