// `cairn kv put|get|delete`: /v1/kv/<key> with Consul's flags and output texts.
#include <fmt/format.h>

#include "cli.h"
#include "command_util.h"

namespace cairn::cli {
namespace {

constexpr std::string_view kPutHelp = R"(Usage: cairn kv put [options] KEY [DATA]

  Writes the data to the given path in the key-value store. The data can be of
  any type.

      $ cairn kv put config/redis/maxconns 5

  The data can also be consumed from a file on disk by prefixing with the "@"
  symbol. For example:

      $ cairn kv put config/program/license @license.lic

  Or it can be read from stdin using the "-" symbol:

      $ echo "abcd1234" | cairn kv put config/program/license -

  The DATA argument itself is optional. If omitted, this will create an empty
  key-value pair at the specified path:

      $ cairn kv put webapp/beta/active

  If the -base64 flag is specified, the data will be treated as base 64
  encoded.

  To perform a Check-And-Set operation, specify the -cas flag with the
  appropriate -modify-index flag corresponding to the key you want to perform
  the CAS operation on:

      $ cairn kv put -cas -modify-index=844 config/redis/maxconns 5)";

constexpr std::string_view kGetHelp = R"(Usage: cairn kv get [options] [KEY_OR_PREFIX]

  Retrieves the value from the key-value store at the given key name. If no
  key exists with that name, an error is returned. If a key exists with that
  name but has no data, nothing is returned. If the name or prefix is omitted,
  it defaults to "" which is the root of the key-value store.

      $ cairn kv get foo
      $ cairn kv get -detailed foo
      $ cairn kv get -recurse foo
      $ cairn kv get -keys foo)";

constexpr std::string_view kDeleteHelp = R"(Usage: cairn kv delete [options] KEY_OR_PREFIX

  Removes the value from the key-value store at the given path. If no
  key exists at the path, no action is taken.

      $ cairn kv delete foo

  To delete all keys which start with "foo", specify the -recurse option:

      $ cairn kv delete -recurse foo)";

constexpr std::string_view kKvHelp = R"(Usage: cairn kv <subcommand> [options] [args]

  This command has subcommands for interacting with the key-value store.

      $ cairn kv put redis/config/connections 5
      $ cairn kv get redis/config/connections
      $ cairn kv get -recurse redis/config
      $ cairn kv delete redis/config/connections
      $ cairn kv delete -recurse redis/config

Subcommands:
    delete    Removes data from the KV store
    export    Exports a tree from the KV store as JSON
    get       Retrieves or lists data from the KV store
    import    Imports a tree stored as JSON to the KV store
    put       Sets or updates data in the KV store)";

std::string StripSlash(std::string key) {
  if (!key.empty() && key[0] == '/') key.erase(0, 1);
  return key;
}

// Consul's prettyKVPair: a tabwriter with padding 6, so labels are padded to the widest
// label ("CreateIndex", 11) plus 6. No trailing newline.
std::string PrettyPair(const boost::json::value& pair, const std::string& value, bool b64) {
  auto line = [](std::string_view label, std::string_view v) {
    return fmt::format("{:<17}{}", label, v);
  };
  std::string session = JsonString(pair, "Session");
  return line("CreateIndex", std::to_string(JsonUint(pair, "CreateIndex"))) + "\n" +
         line("Flags", std::to_string(JsonUint(pair, "Flags"))) + "\n" +
         line("Key", JsonString(pair, "Key")) + "\n" +
         line("LockIndex", std::to_string(JsonUint(pair, "LockIndex"))) + "\n" +
         line("ModifyIndex", std::to_string(JsonUint(pair, "ModifyIndex"))) + "\n" +
         line("Session", session.empty() ? "-" : session) + "\n" +
         line("Value", b64 ? Base64Encode(value) : value);
}

std::optional<HttpClient> Connect(const Context& ctx, const ClientFlags& http) {
  absl::StatusOr<HttpClient> client = http.Client(ctx);
  if (!client.ok()) {
    ctx.Err(fmt::format("Error connecting to Consul agent: {}", Msg(client.status())));
    return std::nullopt;
  }
  return *std::move(client);
}

}  // namespace

absl::StatusOr<std::vector<boost::json::value>> FetchPairs(const HttpClient& client,
                                                           HttpRequest req) {
  absl::StatusOr<HttpResponse> res = client.Call(req);
  if (!res.ok()) return res.status();
  if (res->status == 404) return std::vector<boost::json::value>{};
  if (res->status != 200) return absl::UnknownError(UnexpectedResponse(*res));
  absl::StatusOr<boost::json::value> v = ParseJson(res->body);
  if (!v.ok()) return v.status();
  if (!v->is_array())
    return absl::InvalidArgumentError("invalid JSON in response: expected an array");
  return std::vector<boost::json::value>(v->get_array().begin(), v->get_array().end());
}

absl::StatusOr<std::string> PairValue(const boost::json::value& pair) {
  const boost::json::object* o = pair.if_object();
  if (o == nullptr)
    return absl::InvalidArgumentError("invalid JSON in response: expected an object");
  const boost::json::value* v = o->if_contains("Value");
  if (v == nullptr || v->is_null()) return std::string();
  if (!v->is_string())
    return absl::InvalidArgumentError("invalid JSON in response: Value is not a string");
  absl::StatusOr<std::string> decoded = Base64Decode(v->get_string());
  if (!decoded.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("invalid JSON in response: Value: {}", Msg(decoded.status())));
  }
  return decoded;
}

int RunKvPut(const std::vector<std::string>& args, Context& ctx) {
  base::FlagSet flags("kv put");
  bool cas = false, base64 = false, acquire = false, release = false;
  uint64_t kv_flags = 0, modify_index = 0;
  std::string session;
  flags.Bool("cas", &cas,
             "Perform a Check-And-Set operation. Specifying this value also requires the "
             "-modify-index flag to be set. The default value is false.");
  flags.Uint("flags", &kv_flags,
             "Unsigned integer value to assign to this key-value pair. This value is not read "
             "by Cairn, so clients can use this value however makes sense for their use case. "
             "The default value is 0 (no flags).");
  flags.Bool("base64", &base64, "Treat the data as base 64 encoded. The default value is false.");
  flags.Uint("modify-index", &modify_index,
             "Unsigned integer representing the ModifyIndex of the key. This is used in "
             "combination with the -cas flag.");
  flags.String("session", &session,
               "User-defined identifer for this session as a string. This is commonly used with "
               "the -acquire and -release operations to build robust locking, but it can be set "
               "on any key. The default value is empty (no session).");
  flags.Bool("acquire", &acquire,
             "Obtain a lock on the key. If the key does not exist, this operation will create "
             "the key and obtain the lock. The session must already exist and be specified via "
             "the -session flag. The default value is false.");
  flags.Bool("release", &release,
             "Forfeit the lock on the key at the given path. This requires the -session flag to "
             "be set. The key must be held by the session in order to be unlocked. The default "
             "value is false.");
  ClientFlags http;
  http.AddClientFlags(flags);
  http.AddServerFlags(flags);
  std::vector<std::string> rest;
  if (auto code = ParseFlags(ctx, flags, args, kPutHelp, &rest)) return *code;

  if (rest.empty()) {
    ctx.Err("Error! Missing KEY argument");
    return 1;
  }
  if (rest.size() > 2) {
    ctx.Err(fmt::format("Error! Too many arguments (expected 1 or 2, got {})", rest.size()));
    return 1;
  }
  const std::string& key = rest[0];
  std::string data;
  if (rest.size() == 2) {
    absl::StatusOr<std::string> d = ReadDataArg(ctx, rest[1]);
    if (!d.ok()) {
      ctx.Err(fmt::format("Error! {}", Msg(d.status())));
      return 1;
    }
    data = *std::move(d);
  }
  if (base64) {
    // Consul prints this error and then writes the undecoded data anyway; refusing is the
    // only behaviour that loses nothing and writes nothing unintended.
    absl::StatusOr<std::string> decoded = Base64Decode(data);
    if (!decoded.ok()) {
      ctx.Err(fmt::format("Error! Cannot base 64 decode data: {}", Msg(decoded.status())));
      return 1;
    }
    data = *std::move(decoded);
  }
  if ((release || acquire) && session.empty()) {
    ctx.Err("Error! Missing -session (required with -acquire and -release)");
    return 1;
  }
  if (cas && modify_index == 0) {
    ctx.Err("Must specify -modify-index with -cas!");
    return 1;
  }
  std::optional<HttpClient> client = Connect(ctx, http);
  if (!client) return 1;

  HttpRequest req("PUT", "/v1/kv/" + key);
  req.Body(data);
  if (kv_flags != 0) req.query.emplace_back("flags", std::to_string(kv_flags));
  if (cas) {
    req.query.emplace_back("cas", std::to_string(modify_index));
  } else if (acquire) {
    req.query.emplace_back("acquire", session);
  } else if (release) {
    req.query.emplace_back("release", session);
  }
  absl::StatusOr<HttpResponse> res = client->CallOk(req);
  bool ok = res.ok() && res->body.find("true") != std::string::npos;
  if (cas) {
    if (!res.ok()) {
      ctx.Err(fmt::format("Error! Did not write to {}: {}", key, Msg(res.status())));
      return 1;
    }
    if (!ok) {
      ctx.Err(fmt::format("Error! Did not write to {}: CAS failed", key));
      return 1;
    }
    ctx.Out(fmt::format("Success! Data written to: {}", key));
    return 0;
  }
  if (acquire || release) {
    if (!res.ok()) {
      ctx.Err(fmt::format("Error! Failed writing data: {}", Msg(res.status())));
      return 1;
    }
    if (!ok) {
      ctx.Err(acquire ? "Error! Did not acquire lock" : "Error! Did not release lock");
      return 1;
    }
    ctx.Out(fmt::format("Success! Lock {} on: {}", acquire ? "acquired" : "released", key));
    return 0;
  }
  if (!res.ok()) {
    ctx.Err(fmt::format("Error! Failed writing data: {}", Msg(res.status())));
    return 1;
  }
  ctx.Out(fmt::format("Success! Data written to: {}", key));
  return 0;
}

int RunKvGet(const std::vector<std::string>& args, Context& ctx) {
  base::FlagSet flags("kv get");
  bool base64 = false, detailed = false, keys = false, recurse = false;
  std::string separator = "/";
  flags.Bool("base64", &base64, "Base64 encode the value. The default value is false.");
  flags.Bool("detailed", &detailed,
             "Provide additional metadata about the key in addition to the value such as the "
             "ModifyIndex and any flags that may have been set on the key. The default value "
             "is false.");
  flags.Bool("keys", &keys,
             "List keys which start with the given prefix, but not their values. This is "
             "especially useful if you only need the key names themselves. This option is "
             "commonly combined with the -separator option. The default value is false.");
  flags.Bool("recurse", &recurse,
             "Recursively look at all keys prefixed with the given path. The default value is "
             "false.");
  flags.String("separator", &separator,
               "String to use as a separator between keys. The default value is \"/\", but this "
               "option is only taken into account when paired with the -keys flag.");
  ClientFlags http;
  http.AddClientFlags(flags);
  http.AddServerFlags(flags);
  std::vector<std::string> rest;
  if (auto code = ParseFlags(ctx, flags, args, kGetHelp, &rest)) return *code;
  if (rest.size() > 1) {
    ctx.Err(fmt::format("Too many arguments (expected 1, got {})", rest.size()));
    return 1;
  }
  std::string key = StripSlash(rest.empty() ? "" : rest[0]);
  if (key.empty() && !(recurse || keys)) {
    ctx.Err("Error! Missing KEY argument");
    return 1;
  }
  std::optional<HttpClient> client = Connect(ctx, http);
  if (!client) return 1;
  HttpRequest req("GET", "/v1/kv/" + key);
  if (http.stale()) req.query.emplace_back("stale", "");

  if (keys) {
    req.query.emplace_back("keys", "");
    if (!separator.empty()) req.query.emplace_back("separator", separator);
    absl::StatusOr<HttpResponse> res = client->Call(req);
    absl::StatusOr<boost::json::value> list =
        !res.ok()            ? absl::StatusOr<boost::json::value>(res.status())
        : res->status == 404 ? absl::StatusOr<boost::json::value>(boost::json::array())
        : res->status != 200
            ? absl::StatusOr<boost::json::value>(absl::UnknownError(UnexpectedResponse(*res)))
            : ParseJson(res->body);
    if (list.ok() && !list->is_array()) {
      list = absl::InvalidArgumentError("invalid JSON in response: expected an array");
    }
    if (!list.ok()) {
      ctx.Err(fmt::format("Error querying Consul agent: {}", Msg(list.status())));
      return 1;
    }
    for (const boost::json::value& k : list->get_array()) ctx.Out(JsonScalarText(k));
    return 0;
  }

  if (recurse) req.query.emplace_back("recurse", "");
  absl::StatusOr<std::vector<boost::json::value>> pairs = FetchPairs(*client, req);
  std::vector<std::string> values;
  if (pairs.ok()) {
    for (const boost::json::value& p : *pairs) {
      absl::StatusOr<std::string> v = PairValue(p);
      if (!v.ok()) {
        pairs = v.status();
        break;
      }
      values.push_back(*std::move(v));
    }
  }
  if (!pairs.ok()) {
    ctx.Err(fmt::format("Error querying Consul agent: {}", Msg(pairs.status())));
    return 1;
  }
  if (recurse) {
    for (std::size_t i = 0; i < pairs->size(); ++i) {
      const boost::json::value& p = (*pairs)[i];
      if (detailed) {
        ctx.Out(PrettyPair(p, values[i], base64));
        if (i + 1 < pairs->size()) ctx.Out("");
      } else {
        ctx.Out(JsonString(p, "Key") + ":" + (base64 ? Base64Encode(values[i]) : values[i]));
      }
    }
    return 0;
  }
  if (pairs->empty()) {
    ctx.Err(fmt::format("Error! No key exists at: {}", key));
    return 1;
  }
  ctx.Out(detailed ? PrettyPair(pairs->front(), values.front(), base64) : values.front());
  return 0;
}

int RunKvDelete(const std::vector<std::string>& args, Context& ctx) {
  base::FlagSet flags("kv delete");
  bool cas = false, recurse = false;
  uint64_t modify_index = 0;
  flags.Bool("cas", &cas,
             "Perform a Check-And-Set operation. Specifying this value also requires the "
             "-modify-index flag to be set. The default value is false.");
  flags.Uint("modify-index", &modify_index,
             "Unsigned integer representing the ModifyIndex of the key. This is used in "
             "combination with the -cas flag.");
  flags.Bool("recurse", &recurse,
             "Recursively delete all keys with the path. The default value is false.");
  ClientFlags http;
  http.AddClientFlags(flags);
  http.AddServerFlags(flags);
  std::vector<std::string> rest;
  if (auto code = ParseFlags(ctx, flags, args, kDeleteHelp, &rest)) return *code;
  if (rest.size() > 1) {
    ctx.Err(fmt::format("Too many arguments (expected 1, got {})", rest.size()));
    return 1;
  }
  std::string key = StripSlash(rest.empty() ? "" : rest[0]);
  if (key.empty() && !recurse) {
    ctx.Err("Error! Missing KEY argument");
    return 1;
  }
  if (cas && modify_index == 0) {
    ctx.Err(
        "Cannot delete a key that does not exist. Provide a -modify-index greater than "
        "than 0.");
    return 1;
  }
  if (modify_index != 0 && !cas) {
    ctx.Err("Cannot specify -modify-index without -cas!");
    return 1;
  }
  if (recurse && cas) {
    ctx.Err("Cannot specify both -cas and -recurse!");
    return 1;
  }
  std::optional<HttpClient> client = Connect(ctx, http);
  if (!client) return 1;
  HttpRequest req("DELETE", "/v1/kv/" + key);
  if (recurse) {
    req.query.emplace_back("recurse", "");
    if (auto r = client->CallOk(req); !r.ok()) {
      ctx.Err(fmt::format("Error! Did not delete prefix {}: {}", key, Msg(r.status())));
      return 1;
    }
    ctx.Out(fmt::format("Success! Deleted keys with prefix: {}", key));
    return 0;
  }
  if (cas) {
    req.query.emplace_back("cas", std::to_string(modify_index));
    absl::StatusOr<HttpResponse> r = client->CallOk(req);
    if (!r.ok()) {
      ctx.Err(fmt::format("Error! Did not delete key {}: {}", key, Msg(r.status())));
      return 1;
    }
    if (r->body.find("true") == std::string::npos) {
      ctx.Err(fmt::format("Error! Did not delete key {}: CAS failed", key));
      return 1;
    }
    ctx.Out(fmt::format("Success! Deleted key: {}", key));
    return 0;
  }
  if (auto r = client->CallOk(req); !r.ok()) {
    ctx.Err(fmt::format("Error deleting key {}: {}", key, Msg(r.status())));
    return 1;
  }
  ctx.Out(fmt::format("Success! Deleted key: {}", key));
  return 0;
}

int RunKv(const std::vector<std::string>& args, Context& ctx) {
  if (!args.empty()) {
    std::vector<std::string> rest(args.begin() + 1, args.end());
    if (args[0] == "put") return RunKvPut(rest, ctx);
    if (args[0] == "get") return RunKvGet(rest, ctx);
    if (args[0] == "delete") return RunKvDelete(rest, ctx);
    if (args[0] == "export") return RunKvExport(rest, ctx);
    if (args[0] == "import") return RunKvImport(rest, ctx);
    if (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
      ctx.Out(kKvHelp);
      return 0;
    }
  }
  ctx.Err(kKvHelp);
  return 1;
}

}  // namespace cairn::cli
