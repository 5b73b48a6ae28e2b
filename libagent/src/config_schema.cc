// The per-source check: key lookup (case-insensitive, CamelCase aliases in services and
// checks), type checks, and the move of legacy keys to their modern places. The key tables
// themselves are in config_keys.cc.
#include "config_schema.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include <absl/strings/ascii.h>
#include <absl/strings/str_join.h>
#include <absl/strings/str_split.h>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <cairn/base/duration.h>
#include <cairn/base/status.h>

#include "str_cat.h"

namespace cairn::agent::internal {
namespace {

using boost::json::array;
using boost::json::object;
using boost::json::value;
using K = ValueKind;

// Which table governs the children of a kObject path that is not in TopTable's dotted
// namespace.
const Table* ChildTable(std::string_view path) {
  if (path == "gossip_lan" || path == "gossip_wan") return &GossipTable();
  if (path == "tls.defaults" || path == "tls.internal_rpc" || path == "tls.https" ||
      path == "tls.grpc") {
    return &TlsInterfaceTable();
  }
  return nullptr;
}

// Lower-cases and drops underscores: "DeregisterCriticalServiceAfter" and
// "deregister_critical_service_after" both become "deregistercriticalserviceafter".
std::string Folded(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c != '_') out.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string Join(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : Cat(path, ".", key);
}

class Normalizer {
 public:
  Normalizer(std::string_view name, std::vector<std::string>* warnings)
      : name_(name), warnings_(warnings) {}

  absl::Status Error(std::string_view path, std::string_view what) {
    return absl::InvalidArgumentError(Cat(name_, ": ", path, ": ", what));
  }
  absl::Status Unknown(std::string_view path) {
    return absl::InvalidArgumentError(Cat(name_, ": invalid config key ", path));
  }
  absl::Status Expected(std::string_view path, std::string_view type, const value& got) {
    return Error(path, Cat("expected ", type, ", got ", DescribeValue(got)));
  }

  // Checks an object whose keys come from the top-level dotted namespace at `prefix`.
  absl::StatusOr<object> TopObject(const object& in, const std::string& prefix) {
    object out;
    for (const auto& [raw_key, val] : in) {
      if (val.is_null()) continue;  // Consul ignores nulls: the key stays unset
      std::string key(raw_key);
      std::string path = Join(prefix, key);
      auto it = TopTable().find(path);
      if (it == TopTable().end()) {  // mapstructure matches names case-insensitively
        std::string lower = absl::AsciiStrToLower(path);
        it = TopTable().find(lower);
        if (it == TopTable().end()) return Unknown(path);
        key = it->first.substr(prefix.empty() ? 0 : prefix.size() + 1);
        path = it->first;
      }
      absl::StatusOr<value> v = Value(val, it->second, path, nullptr);
      if (!v.ok()) return v.status();
      Put(out, key, std::move(*v));
    }
    return out;
  }

  // Checks an object governed by `table` (service, check, gossip, tls interface), matching
  // keys by their folded form so CamelCase aliases are accepted.
  absl::StatusOr<object> TableObject(const object& in, const Table& table,
                                     const std::string& prefix) {
    object out;
    for (const auto& [raw_key, val] : in) {
      if (val.is_null()) continue;
      std::string path = Join(prefix, std::string(raw_key));
      std::string folded = Folded(raw_key);
      if (folded == "scriptargs") folded = "args";
      if (folded == "checkid") folded = "id";
      const std::pair<const std::string, ValueKind>* entry = nullptr;
      for (const auto& e : table) {
        if (Folded(e.first) == folded) entry = &e;
      }
      if (entry == nullptr) return Unknown(path);
      absl::StatusOr<value> v = Value(val, entry->second, path, &table);
      if (!v.ok()) return v.status();
      Put(out, entry->first, std::move(*v));
    }
    return out;
  }

  absl::StatusOr<value> Integer(const value& v, const std::string& path) {
    if (v.is_int64()) return v;
    if (v.is_uint64() && v.get_uint64() <= uint64_t{INT64_MAX}) {
      return value(static_cast<int64_t>(v.get_uint64()));
    }
    // JSON numbers written as 3.0 are integers too (Go decodes every JSON number as a
    // float64 and mapstructure converts it); the range check keeps the cast defined.
    if (v.is_double() && std::abs(v.get_double()) < 9.0e18 &&
        v.get_double() == std::trunc(v.get_double())) {
      return value(static_cast<int64_t>(v.get_double()));
    }
    return Expected(path, "an integer", v);
  }

  absl::StatusOr<value> Value(const value& v, ValueKind kind, const std::string& path,
                              const Table* table) {
    switch (kind) {
      case K::kBool:
        if (!v.is_bool()) return Expected(path, "a bool", v);
        return v;
      case K::kInt: {
        absl::StatusOr<value> i = Integer(v, path);
        if (!i.ok()) return i;
        // Only byte counts may exceed 32 bits; everything else lands in an int.
        bool wide = path == "log_rotate_bytes" || path == "limits.kv_max_value_size";
        if (!wide && (i->get_int64() > INT32_MAX || i->get_int64() < INT32_MIN)) {
          return Error(path, Cat("value ", i->get_int64(), " is out of range"));
        }
        return i;
      }
      case K::kString:
        if (!v.is_string()) return Expected(path, "a string", v);
        return v;
      case K::kDuration: {
        if (!v.is_string()) return Expected(path, "a duration string such as \"30s\"", v);
        absl::StatusOr<base::Duration> d = base::ParseGoDuration(v.get_string());
        if (!d.ok()) return Error(path, base::ToStd(d.status().message()));
        return v;
      }
      case K::kStringList:
        if (!v.is_array()) return Expected(path, "a list of strings", v);
        for (const value& e : v.get_array()) {
          if (!e.is_string()) return Expected(path, "a list of strings", e);
        }
        return v;
      case K::kStringMap:
      case K::kDurationMap:
      case K::kHeaderMap: {
        if (!v.is_object()) return Expected(path, "an object", v);
        for (const auto& [k, e] : v.get_object()) {
          std::string sub = Join(path, std::string(k));
          ValueKind each = kind == K::kStringMap     ? K::kString
                           : kind == K::kDurationMap ? K::kDuration
                                                     : K::kStringList;
          absl::StatusOr<value> checked = Value(e, each, sub, nullptr);
          if (!checked.ok()) return checked.status();
        }
        return v;
      }
      case K::kObject: {
        if (!v.is_object()) return Expected(path, "an object", v);
        if (path == "tls") return TlsBlock(v.get_object());
        if (table != nullptr) {  // a block inside a service: only `weights`
          return WeightsBlock(v.get_object(), path);
        }
        const Table* child = ChildTable(path);
        absl::StatusOr<object> o = child != nullptr ? TableObject(v.get_object(), *child, path)
                                                    : TopObject(v.get_object(), path);
        if (!o.ok()) return o.status();
        return value(std::move(*o));
      }
      case K::kServices:
      case K::kChecks:
        return DefinitionList(v, kind, path);
      case K::kTaggedAddresses: {
        if (!v.is_object()) return Expected(path, "an object", v);
        static const Table* address = new Table{{"address", K::kString}, {"port", K::kInt}};
        object out;
        for (const auto& [k, e] : v.get_object()) {
          std::string sub = Join(path, std::string(k));
          if (!e.is_object()) return Expected(sub, "an object", e);
          absl::StatusOr<object> o = TableObject(e.get_object(), *address, sub);
          if (!o.ok()) return o.status();
          out[k] = std::move(*o);
        }
        return value(std::move(out));
      }
      case K::kOpaque:
        warnings_->push_back(
            Cat(name_, ": config key ", path, " is accepted for compatibility but ignored"));
        return v;
    }
    return Unknown(path);
  }

  absl::StatusOr<value> TlsBlock(const object& in) {
    object out;
    for (const auto& [raw_key, val] : in) {
      std::string key = absl::AsciiStrToLower(absl::string_view(raw_key.data(), raw_key.size()));
      std::string path = Join("tls", key);
      if (key != "defaults" && key != "internal_rpc" && key != "https" && key != "grpc") {
        return Unknown(Join("tls", std::string(raw_key)));
      }
      if (!val.is_object()) return Expected(path, "an object", val);
      absl::StatusOr<object> o = TableObject(val.get_object(), TlsInterfaceTable(), path);
      if (!o.ok()) return o.status();
      out[key] = std::move(*o);
    }
    return value(std::move(out));
  }

  absl::StatusOr<value> WeightsBlock(const object& in, const std::string& path) {
    static const Table* weights = new Table{{"passing", K::kInt}, {"warning", K::kInt}};
    absl::StatusOr<object> o = TableObject(in, *weights, path);
    if (!o.ok()) return o.status();
    return value(std::move(*o));
  }

  // A service or check definition, or a list of them; always returns a list.
  absl::StatusOr<value> DefinitionList(const value& v, ValueKind kind, const std::string& path) {
    array items;
    if (v.is_object()) {
      items.push_back(v);
    } else if (v.is_array()) {
      items = v.get_array();
    } else {
      return Expected(path, "an object or a list of objects", v);
    }
    array out;
    for (size_t i = 0; i < items.size(); ++i) {
      std::string item_path = v.is_array() ? Cat(path, "[", i, "]") : path;
      if (!items[i].is_object()) return Expected(item_path, "an object", items[i]);
      const Table& table = kind == K::kServices ? ServiceTable() : CheckTable();
      absl::StatusOr<object> o = TableObject(items[i].get_object(), table, item_path);
      if (!o.ok()) return o.status();
      if (kind == K::kServices) FoldInto(*o, "check", "checks");
      out.push_back(std::move(*o));
    }
    return value(std::move(out));
  }

  // Stores `v` under `key`; a repeated key (possible after case folding) merges.
  static void Put(object& out, const std::string& key, value v) {
    auto it = out.find(key);
    if (it == out.end() || !it->value().is_object() || !v.is_object()) {
      if (it != out.end() && it->value().is_array() && v.is_array()) {
        for (value& e : v.get_array()) it->value().get_array().push_back(std::move(e));
        return;
      }
      out[key] = std::move(v);
      return;
    }
    MergeInto(it->value().get_object(), v.get_object());
  }

  // Appends the (already list-shaped) `from` list to `to` and drops `from`.
  static void FoldInto(object& o, std::string_view from, std::string_view to) {
    auto it = o.find(from);
    if (it == o.end()) return;
    value moved = std::move(it->value());
    o.erase(it);
    Put(o, std::string(to), std::move(moved));
  }

  // Moves a legacy top-level key to `target` (a dotted path), with a deprecation warning.
  // `shown` prefixes both names in the warning (for keys below the top level).
  void Move(object& o, std::string_view legacy, std::string_view target,
            std::string_view shown = "") {
    auto it = o.find(legacy);
    if (it == o.end()) return;
    value moved = std::move(it->value());
    o.erase(it);
    warnings_->push_back(Cat(name_, ": The '", shown, legacy, "' field is deprecated. Use the '",
                             shown, target, "' field instead."));
    std::vector<std::string> parts;
    for (absl::string_view p : absl::StrSplit(base::ToAbsl(target), '.')) parts.emplace_back(p);
    object* at = &o;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      value& next = (*at)[parts[i]];
      if (!next.is_object()) next = object();
      at = &next.get_object();
    }
    // The modern key, if also given in this source, wins over the legacy one.
    if (at->find(parts.back()) == at->end()) (*at)[parts.back()] = std::move(moved);
  }

  void MoveNested(object& o, std::string_view block, std::string_view block_shown,
                  std::string_view legacy, std::string_view target) {
    auto it = o.find(block);
    if (it == o.end() || !it->value().is_object()) return;
    Move(it->value().get_object(), legacy, target, Cat(block_shown, "."));
  }

  void MapLegacy(object& o) {
    Move(o, "ui", "ui_config.enabled");
    Move(o, "ui_dir", "ui_config.dir");
    Move(o, "ui_content_path", "ui_config.content_path");
    Move(o, "acl_datacenter", "primary_datacenter");
    Move(o, "acl_default_policy", "acl.default_policy");
    Move(o, "acl_down_policy", "acl.down_policy");
    Move(o, "acl_ttl", "acl.token_ttl");
    Move(o, "acl_token", "acl.tokens.default");
    Move(o, "acl_agent_token", "acl.tokens.agent");
    Move(o, "acl_agent_master_token", "acl.tokens.agent_recovery");
    Move(o, "acl_master_token", "acl.tokens.initial_management");
    Move(o, "acl_replication_token", "acl.tokens.replication");
    Move(o, "acl_enable_key_list_policy", "acl.enable_key_list_policy");
    if (o.erase("acl_enforce_version_8") > 0) {
      warnings_->push_back(Cat(name_,
                               ": config key \"acl_enforce_version_8\" is "
                               "deprecated and should be removed"));
    }
    auto acl = o.find("acl");
    if (acl != o.end()) {
      MoveNested(acl->value().get_object(), "tokens", "acl.tokens", "master", "initial_management");
      MoveNested(acl->value().get_object(), "tokens", "acl.tokens", "agent_master",
                 "agent_recovery");
    }
    for (std::string_view key : {"ca_file", "ca_path", "cert_file", "key_file", "verify_incoming",
                                 "verify_outgoing", "tls_min_version", "tls_cipher_suites"}) {
      Move(o, key, Cat("tls.defaults.", key));
    }
    Move(o, "verify_server_hostname", "tls.internal_rpc.verify_server_hostname");
    Move(o, "verify_incoming_rpc", "tls.internal_rpc.verify_incoming");
    Move(o, "verify_incoming_https", "tls.https.verify_incoming");
    if (o.erase("tls_prefer_server_cipher_suites") > 0) {
      warnings_->push_back(
          Cat(name_, ": The 'tls_prefer_server_cipher_suites' field is deprecated and ignored."));
    }
    FoldInto(o, "service", "services");
    FoldInto(o, "check", "checks");
  }

 private:
  std::string name_;
  std::vector<std::string>* warnings_;
};

}  // namespace

absl::StatusOr<object> NormalizeSource(const object& source, std::string_view name,
                                       std::vector<std::string>* warnings) {
  Normalizer n(name, warnings);
  absl::StatusOr<object> out = n.TopObject(source, "");
  if (!out.ok()) return out.status();
  n.MapLegacy(*out);
  return out;
}

void MergeInto(object& base, const object& over) {
  for (const auto& [key, val] : over) {
    auto it = base.find(key);
    if (it == base.end()) {
      base[key] = val;
    } else if (it->value().is_object() && val.is_object()) {
      MergeInto(it->value().get_object(), val.get_object());
    } else if (it->value().is_array() && val.is_array()) {
      for (const value& e : val.get_array()) it->value().get_array().push_back(e);
    } else {
      it->value() = val;
    }
  }
}

std::string DescribeValue(const value& v) {
  switch (v.kind()) {
    case boost::json::kind::bool_:
      return v.get_bool() ? "bool true" : "bool false";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_:
      return Cat("number ", boost::json::serialize(v));
    case boost::json::kind::string:
      return Cat("string ", boost::json::serialize(v));
    case boost::json::kind::array:
      return "a list";
    case boost::json::kind::object:
      return "an object";
    case boost::json::kind::null:
      return "null";
  }
  return "a value";
}

}  // namespace cairn::agent::internal
