// `cairn snapshot save|restore|inspect`: GET and PUT /v1/snapshot, and a local look at an
// archive (snapshot_archive.h).
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "cli.h"
#include "command_util.h"
#include "snapshot_archive.h"
#include <fcntl.h>
#include <unistd.h>

namespace cairn::cli {
namespace {

constexpr std::string_view kSnapshotHelp = R"(Usage: cairn snapshot <subcommand> [options] [args]

  This command has subcommands for saving, restoring, and inspecting the state
  of the Cairn servers for disaster recovery. These are atomic, point-in-time
  snapshots which include key/value entries, service catalog, prepared queries,
  sessions, and ACLs.

      $ cairn snapshot save backup.snap
      $ cairn snapshot restore backup.snap
      $ cairn snapshot inspect backup.snap

Subcommands:
    inspect    Displays information about a Cairn snapshot file
    restore    Restores snapshot of Cairn server state
    save       Saves snapshot of Cairn server state)";

constexpr std::string_view kSaveHelp = R"(Usage: cairn snapshot save [options] FILE

  Retrieves an atomic, point-in-time snapshot of the state of the Cairn servers
  which includes key/value entries, service catalog, prepared queries, sessions,
  and ACLs.

  To create a snapshot from the leader server and save it to "backup.snap":

    $ cairn snapshot save backup.snap

  To create a potentially stale snapshot from any available server (useful if no
  leader is available):

    $ cairn snapshot save -stale backup.snap)";

constexpr std::string_view kRestoreHelp = R"(Usage: cairn snapshot restore [options] FILE

  Restores an atomic, point-in-time snapshot of the state of the Cairn servers
  which includes key/value entries, service catalog, prepared queries, sessions,
  and ACLs.

  Restores involve a potentially dangerous low-level Raft operation that is not
  designed to handle server failures during a restore. This command is primarily
  intended to be used when recovering from a disaster, restoring into a fresh
  cluster of Cairn servers.

    $ cairn snapshot restore backup.snap)";

constexpr std::string_view kInspectHelp = R"(Usage: cairn snapshot inspect [options] FILE

  Displays the metadata of a snapshot file (ID, size, Raft index and term,
  version) after verifying the archive's checksums. Works offline.

    $ cairn snapshot inspect backup.snap)";

std::string Errno(int err) {
  std::string s = std::strerror(err);
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

// Writes `data` to `path` (mode 0600) and fsyncs it, as Consul's safeio.WriteToFile does.
absl::Status WriteFileSynced(const std::string& path, std::string_view data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return absl::UnavailableError(fmt::format("open {}: {}", path, Errno(errno)));
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return absl::UnavailableError(fmt::format("write {}: {}", path, Errno(err)));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    return absl::UnavailableError(fmt::format("sync {}: {}", path, Errno(err)));
  }
  if (::close(fd) != 0)
    return absl::UnavailableError(fmt::format("close {}: {}", path, Errno(errno)));
  return absl::OkStatus();
}

// Exactly one FILE argument, or Consul's message and exit 1.
std::optional<int> OneFile(const Context& ctx, const std::vector<std::string>& rest) {
  if (rest.empty()) {
    ctx.Err("Missing FILE argument");
    return 1;
  }
  if (rest.size() > 1) {
    ctx.Err(fmt::format("Too many arguments (expected 1, got {})", rest.size()));
    return 1;
  }
  return std::nullopt;
}

// -append-filename: "backup.snap" becomes "backup-<version>-<dc>-<node>-<leader|follower>.snap"
// for the names listed, in that order, from GET /v1/agent/self.
absl::StatusOr<std::string> AppendToFileName(const HttpClient& client, std::string file,
                                             const std::string& what) {
  std::vector<std::string> items;
  for (std::size_t start = 0; start <= what.size();) {
    std::size_t comma = what.find(',', start);
    items.push_back(
        what.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  auto has = [&items](std::string_view s) {
    return std::find(items.begin(), items.end(), s) != items.end();
  };
  absl::StatusOr<HttpResponse> res = client.CallOk(HttpRequest("GET", "/v1/agent/self"));
  absl::StatusOr<boost::json::value> self =
      res.ok() ? ParseJson(res->body) : absl::StatusOr<boost::json::value>(res.status());
  if (!self.ok()) return self.status();
  std::string ext;
  std::size_t slash = file.rfind('/');
  std::size_t dot = file.rfind('.');
  if (dot != std::string::npos && (slash == std::string::npos || dot > slash)) {
    ext = file.substr(dot);
    file.resize(dot);
  }
  const boost::json::object* top = self->if_object();
  const boost::json::value* config = top ? top->if_contains("Config") : nullptr;
  const boost::json::value* stats = top ? top->if_contains("Stats") : nullptr;
  if (config != nullptr) {
    if (has("version")) file += "-" + JsonString(*config, "Version");
    if (has("dc")) file += "-" + JsonString(*config, "Datacenter");
    if (has("node")) file += "-" + JsonString(*config, "NodeName");
  }
  if (has("status") && stats != nullptr && stats->is_object()) {
    if (const boost::json::value* consul = stats->get_object().if_contains("consul")) {
      if (consul->is_object() && consul->get_object().contains("leader")) {
        file += JsonString(*consul, "leader") == "true" ? "-leader" : "-follower";
      }
    }
  }
  return file + ext;
}

int RunSave(const std::vector<std::string>& args, Context& ctx) {
  base::FlagSet flags("snapshot save");
  std::string append;
  flags.String("append-filename", &append,
               "Append filename flag takes the values version, dc, node and status, separated "
               "by commas. It appends the agent's version, datacenter, node name and "
               "leader/follower status to the file name given in the command");
  ClientFlags http;
  http.AddClientFlags(flags);
  http.AddServerFlags(flags);
  std::vector<std::string> rest;
  if (auto code = ParseFlags(ctx, flags, args, kSaveHelp, &rest)) return *code;
  if (auto code = OneFile(ctx, rest)) return *code;
  std::string file = rest[0];
  absl::StatusOr<HttpClient> client = http.Client(ctx);
  if (!client.ok()) {
    ctx.Err(fmt::format("Error connecting to Consul agent: {}", Msg(client.status())));
    return 1;
  }
  if (!append.empty()) {
    absl::StatusOr<std::string> named = AppendToFileName(*client, file, append);
    if (!named.ok()) {
      ctx.Err(fmt::format("Error connecting to Consul agent and fetching datacenter/version: {}",
                          Msg(named.status())));
      return 1;
    }
    file = *named;
  }
  HttpRequest req("GET", "/v1/snapshot");
  if (http.stale()) req.query.emplace_back("stale", "");
  absl::StatusOr<HttpResponse> res = client->CallOk(req);
  if (!res.ok()) {
    ctx.Err(fmt::format("Error saving snapshot: {}", Msg(res.status())));
    return 1;
  }
  std::string unverified = file + ".unverified";
  if (absl::Status s = WriteFileSynced(unverified, res->body); !s.ok()) {
    ::unlink(unverified.c_str());
    ctx.Err(fmt::format("Error writing unverified snapshot file: {}", Msg(s)));
    return 1;
  }
  absl::StatusOr<std::string> back = ReadWholeFile(unverified);
  if (!back.ok()) {
    ::unlink(unverified.c_str());
    ctx.Err(fmt::format("Error opening snapshot file for verify: {}", Msg(back.status())));
    return 1;
  }
  if (auto archive = ReadSnapshotArchive(*back); !archive.ok()) {
    ::unlink(unverified.c_str());
    ctx.Err(fmt::format("Error verifying snapshot file: {}", Msg(archive.status())));
    return 1;
  }
  if (::rename(unverified.c_str(), file.c_str()) != 0) {
    int err = errno;
    ::unlink(unverified.c_str());
    ctx.Err(fmt::format("Error renaming {} to {}: rename {} {}: {}", GoJsonQuote(unverified),
                        GoJsonQuote(file), unverified, file, Errno(err)));
    return 1;
  }
  ctx.Out(fmt::format("Saved and verified snapshot to index {}", res->Index()));
  return 0;
}

int RunRestore(const std::vector<std::string>& args, Context& ctx) {
  base::FlagSet flags("snapshot restore");
  ClientFlags http;
  http.AddClientFlags(flags);
  http.AddServerFlags(flags);
  std::vector<std::string> rest;
  if (auto code = ParseFlags(ctx, flags, args, kRestoreHelp, &rest)) return *code;
  if (auto code = OneFile(ctx, rest)) return *code;
  absl::StatusOr<HttpClient> client = http.Client(ctx);
  if (!client.ok()) {
    ctx.Err(fmt::format("Error connecting to Consul agent: {}", Msg(client.status())));
    return 1;
  }
  absl::StatusOr<std::string> data = ReadWholeFile(rest[0]);
  if (!data.ok()) {
    ctx.Err(fmt::format("Error opening snapshot file: {}", Msg(data.status())));
    return 1;
  }
  HttpRequest req("PUT", "/v1/snapshot");
  req.Body(*data);
  if (auto r = client->CallOk(req); !r.ok()) {
    ctx.Err(fmt::format("Error restoring snapshot: {}", Msg(r.status())));
    return 1;
  }
  ctx.Out("Restored snapshot");
  return 0;
}

int RunInspect(const std::vector<std::string>& args, Context& ctx) {
  base::FlagSet flags("snapshot inspect");
  std::string format = "pretty";
  flags.String("format", &format, "Output format {pretty|json}");
  std::vector<std::string> rest;
  if (auto code = ParseFlags(ctx, flags, args, kInspectHelp, &rest)) return *code;
  if (auto code = OneFile(ctx, rest)) return *code;
  if (format != "pretty" && format != "json") {
    ctx.Err(fmt::format("Unknown output format \"{}\": must be pretty or json", format));
    return 1;
  }
  absl::StatusOr<std::string> data = ReadWholeFile(rest[0]);
  if (!data.ok()) {
    ctx.Err(fmt::format("Error opening snapshot file: {}", Msg(data.status())));
    return 1;
  }
  absl::StatusOr<SnapshotArchive> archive = ReadSnapshotArchive(*data);
  if (!archive.ok()) {
    ctx.Err(fmt::format("Error verifying snapshot: {}", Msg(archive.status())));
    return 1;
  }
  const SnapshotMeta& m = archive->meta;
  if (format == "json") {
    ctx.Out(fmt::format(
        "{{\n    \"Meta\": {{\n        \"ID\": {},\n        \"Size\": {},\n        \"Index\": "
        "{},\n        \"Term\": {},\n        \"Version\": {}\n    }}\n}}",
        GoJsonQuote(m.id), m.size, m.index, m.term, m.version));
    return 0;
  }
  // Consul's pretty formatter: a tabwriter (minwidth 8, padding 6) over " Label\tvalue".
  ctx.Out(fmt::format(" {:<13}{}\n {:<13}{}\n {:<13}{}\n {:<13}{}\n {:<13}{}", "ID", m.id, "Size",
                      m.size, "Index", m.index, "Term", m.term, "Version", m.version));
  return 0;
}

}  // namespace

int RunSnapshot(const std::vector<std::string>& args, Context& ctx) {
  if (!args.empty()) {
    std::vector<std::string> rest(args.begin() + 1, args.end());
    if (args[0] == "save") return RunSave(rest, ctx);
    if (args[0] == "restore") return RunRestore(rest, ctx);
    if (args[0] == "inspect") return RunInspect(rest, ctx);
    if (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
      ctx.Out(kSnapshotHelp);
      return 0;
    }
  }
  ctx.Err(kSnapshotHelp);
  return 1;
}

}  // namespace cairn::cli
