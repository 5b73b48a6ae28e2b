#include <cstddef>

#include <cairn/catalog/types.h>

#include "str_util.h"

namespace cairn::catalog {
namespace {

using internal::Cat;

constexpr std::size_t kMaxMetaPairs = 64;
constexpr std::size_t kMaxMetaKeyLength = 128;
constexpr std::size_t kMaxMetaValueLength = 512;

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// The texts of hashicorp/go-uuid's ParseUUID, which Consul wraps as "Bad node ID: ...".
absl::Status ValidateUuid(std::string_view id) {
  if (id.size() != 36)
    return absl::InvalidArgumentError("Bad node ID: uuid string is wrong length");
  for (std::size_t i = 0; i < id.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? id[i] != '-' : !IsHex(id[i])) {
      return absl::InvalidArgumentError("Bad node ID: uuid is improperly formatted");
    }
  }
  return absl::OkStatus();
}

// Consul's ValidateNodeMetadata / ValidateServiceMetadata. The "consul-" prefix is allowed
// here because agents store their own keys (consul-network-segment) through this path.
absl::Status ValidateMeta(const StringMap& meta, std::string_view what) {
  auto fail = [&](std::string_view why) {
    return absl::InvalidArgumentError(Cat("Invalid ", what, " metadata: ", why));
  };
  if (meta.size() > kMaxMetaPairs) {
    return fail(Cat(what == "node" ? "Node" : "Service", " metadata cannot contain more than ",
                    kMaxMetaPairs, " key/value pairs"));
  }
  for (const auto& [key, value] : meta) {
    if (key.empty()) return fail("Key cannot be blank");
    for (char c : key) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '-';
      if (!ok) return fail(Cat("Key contains invalid characters: \"", key, "\""));
    }
    if (key.size() > kMaxMetaKeyLength) {
      return fail(Cat("Key is too long (limit: ", kMaxMetaKeyLength, " characters)"));
    }
    if (value.size() > kMaxMetaValueLength) {
      return fail(Cat("Value is too long (limit: ", kMaxMetaValueLength, " characters)"));
    }
  }
  return absl::OkStatus();
}

// Names become parts of composite table keys separated by NUL bytes.
absl::Status NoNul(std::string_view value, std::string_view what) {
  if (value.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError(Cat(what, " must not contain NUL bytes"));
  }
  return absl::OkStatus();
}

int Rank(std::string_view status) {
  if (status == kStatusMaintenance) return 3;
  if (status == kStatusCritical) return 2;
  if (status == kStatusWarning) return 1;
  return 0;
}

}  // namespace

bool IsValidStatus(std::string_view s) {
  return s == kStatusPassing || s == kStatusWarning || s == kStatusCritical ||
         s == kStatusMaintenance;
}

bool IsCriticalStatus(std::string_view s) {
  return s == kStatusCritical || s == kStatusMaintenance;
}

bool Node::SameContent(const Node& o) const {
  return id == o.id && name == o.name && address == o.address && datacenter == o.datacenter &&
         tagged_addresses == o.tagged_addresses && meta == o.meta;
}

bool Service::SameContent(const Service& o) const {
  return kind == o.kind && id == o.id && service == o.service && tags == o.tags &&
         address == o.address && tagged_addresses == o.tagged_addresses && meta == o.meta &&
         port == o.port && weights == o.weights && enable_tag_override == o.enable_tag_override;
}

bool Check::SameContent(const Check& o) const {
  return node == o.node && check_id == o.check_id && name == o.name && status == o.status &&
         notes == o.notes && output == o.output && service_id == o.service_id &&
         service_name == o.service_name && service_tags == o.service_tags && type == o.type &&
         exposed_port == o.exposed_port && definition == o.definition;
}

std::string_view ServiceInstance::AggregatedStatus() const {
  int worst = 0;
  for (const auto& c : checks) worst = std::max(worst, Rank(c->status));
  static constexpr std::string_view kByRank[] = {kStatusPassing, kStatusWarning, kStatusCritical,
                                                 kStatusMaintenance};
  return kByRank[worst];
}

absl::Status ValidateNode(const Node& node, bool address_required) {
  if (node.name.empty()) return absl::InvalidArgumentError("Must provide node");
  CAIRN_RETURN_IF_ERROR(NoNul(node.name, "Node name"));
  if (address_required && node.address.empty()) {
    return absl::InvalidArgumentError("Must provide address if SkipNodeUpdate is not set");
  }
  if (!node.id.empty()) CAIRN_RETURN_IF_ERROR(ValidateUuid(node.id));
  return ValidateMeta(node.meta, "node");
}

absl::Status ValidateService(const Service& s) {
  if (s.id.empty() && s.service.empty()) {
    return absl::InvalidArgumentError("Must provide service name");
  }
  if (s.service.empty()) return absl::InvalidArgumentError("Must provide service name with ID");
  CAIRN_RETURN_IF_ERROR(NoNul(s.id, "Service ID"));
  CAIRN_RETURN_IF_ERROR(NoNul(s.service, "Service name"));
  if (s.port < 0 || s.port > 65535) {
    return absl::InvalidArgumentError(Cat("Invalid service port ", s.port));
  }
  for (const auto& [tag, addr] : s.tagged_addresses) {
    if (addr.port < 0 || addr.port > 65535) {
      return absl::InvalidArgumentError(
          Cat("Invalid port ", addr.port, " for tagged address \"", tag, "\""));
    }
  }
  return ValidateMeta(s.meta, "service");
}

absl::Status ValidateCheck(const Check& c) {
  if (c.check_id.empty() && c.name.empty()) {
    return absl::InvalidArgumentError("Must provide check ID or name");
  }
  CAIRN_RETURN_IF_ERROR(NoNul(c.check_id, "Check ID"));
  CAIRN_RETURN_IF_ERROR(NoNul(c.service_id, "Check service ID"));
  if (!c.status.empty() && !IsValidStatus(c.status)) {
    return absl::InvalidArgumentError(Cat("Invalid check status: \"", c.status, "\""));
  }
  return absl::OkStatus();
}

}  // namespace cairn::catalog
