// `cairn kv ...` against an in-test agent that keeps a small KV store with the
// semantics of the spec's /v1/kv endpoint: each test checks the requests the command sent
// (method, path, query, body) and what it printed and returned.
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "cli.h"
#include "command_util.h"
#include "fake_agent.h"

namespace cairn::cli {
namespace {

using testing::CliResult;
using testing::FakeAgent;
using testing::RecordedRequest;
using testing::Reply;
using testing::RunCommand;

// The spec's KV semantics, enough for the CLI: set, cas, flags, acquire for one known
// session, delete (recurse, cas), get (recurse, keys with separator).
class FakeKv {
 public:
  Reply Handle(const RecordedRequest& r) {
    std::lock_guard<std::mutex> lock(mu_);
    if (r.path.rfind("/v1/kv/", 0) != 0) return {404, "Invalid URL path", {}};
    std::string key = r.path.substr(7);
    std::string index_header = std::to_string(index_);
    if (r.method == "PUT") {
      auto it = entries_.find(key);
      if (auto cas = r.Param("cas")) {
        uint64_t want = std::stoull(*cas);
        bool ok =
            want == 0 ? it == entries_.end() : it != entries_.end() && it->second.modify == want;
        if (!ok) return {200, "false", {}};
      }
      Entry e = it == entries_.end() ? Entry{} : it->second;
      if (auto acquire = r.Param("acquire")) {
        if (*acquire != "sess-1" || (!e.session.empty() && e.session != *acquire)) {
          return {200, "false", {}};
        }
        if (e.session.empty()) ++e.lock;
        e.session = *acquire;
      }
      ++index_;
      if (it == entries_.end()) e.create = index_;
      e.modify = index_;
      e.value = r.body;
      e.flags = r.Param("flags") ? std::stoull(*r.Param("flags")) : 0;
      entries_[key] = e;
      return {200, "true", {}};
    }
    if (r.method == "DELETE") {
      if (r.Param("recurse")) {
        for (auto it = entries_.lower_bound(key);
             it != entries_.end() && it->first.rfind(key, 0) == 0;) {
          it = entries_.erase(it);
        }
        ++index_;
        return {200, "true", {}};
      }
      auto it = entries_.find(key);
      if (auto cas = r.Param("cas");
          cas && it != entries_.end() && it->second.modify != std::stoull(*cas)) {
        return {200, "false", {}};
      }
      if (it != entries_.end()) entries_.erase(it), ++index_;
      return {200, "true", {}};
    }
    // GET
    std::vector<std::pair<std::string, Entry>> found;
    bool prefix = r.Param("recurse") || r.Param("keys");
    for (const auto& [k, e] : entries_) {
      if (prefix ? k.rfind(key, 0) == 0 : k == key) found.emplace_back(k, e);
    }
    Reply reply{200, "", {{"X-Consul-Index", index_header}}};
    if (r.Param("keys")) {
      std::string sep = r.Param("separator").value_or("");
      std::vector<std::string> keys;
      for (const auto& [k, e] : found) {
        std::string shown = k;
        if (!sep.empty()) {
          std::size_t at = k.find(sep, key.size());
          if (at != std::string::npos) shown = k.substr(0, at + sep.size());
        }
        if (keys.empty() || keys.back() != shown) keys.push_back(shown);
      }
      if (keys.empty() && !key.empty()) return {404, "", {{"X-Consul-Index", index_header}}};
      reply.body = "[";
      for (std::size_t i = 0; i < keys.size(); ++i)
        reply.body += (i ? "," : "") + GoJsonQuote(keys[i]);
      reply.body += "]";
      return reply;
    }
    if (found.empty()) return {404, "", {{"X-Consul-Index", index_header}}};
    reply.body = "[";
    for (std::size_t i = 0; i < found.size(); ++i) {
      const auto& [k, e] = found[i];
      reply.body += fmt::format(
          "{}{{\"LockIndex\":{},\"Key\":{},\"Flags\":{},\"Value\":{},{}\"CreateIndex\":{},"
          "\"ModifyIndex\":{}}}",
          i ? "," : "", e.lock, GoJsonQuote(k), e.flags,
          e.value.empty() ? "null" : GoJsonQuote(Base64Encode(e.value)),
          e.session.empty() ? "" : "\"Session\":" + GoJsonQuote(e.session) + ",", e.create,
          e.modify);
    }
    reply.body += "]";
    return reply;
  }

 private:
  struct Entry {
    std::string value;
    uint64_t flags = 0, create = 0, modify = 0, lock = 0;
    std::string session;
  };
  std::mutex mu_;
  std::map<std::string, Entry> entries_;
  uint64_t index_ = 1;
};

struct KvFixture {
  FakeKv kv;
  FakeAgent agent{[this](const RecordedRequest& r) { return kv.Handle(r); }};
  std::map<std::string, std::string> env{{"CONSUL_HTTP_ADDR", agent.address()}};

  CliResult Kv(std::vector<std::string> args, const std::string& in = "") {
    return RunCommand(RunKv, args, env, in);
  }
  RecordedRequest Last() {
    auto all = agent.requests();
    REQUIRE(!all.empty());
    return all.back();
  }
};

TEST_CASE_METHOD(KvFixture, "kv put and get, the seed tutorial's lines", "[unit]") {
  CliResult put = Kv({"put", "redis/config", "192.168.99.133"});
  CHECK(put.code == 0);
  CHECK(put.out == "Success! Data written to: redis/config\n");
  CHECK(put.err.empty());
  RecordedRequest r = Last();
  CHECK(r.method == "PUT");
  CHECK(r.path == "/v1/kv/redis/config");
  CHECK(r.query.empty());
  CHECK(r.body == "192.168.99.133");

  CliResult get = Kv({"get", "redis/config"});
  CHECK(get.code == 0);
  CHECK(get.out == "192.168.99.133\n");
  r = Last();
  CHECK(r.method == "GET");
  CHECK(r.target == "/v1/kv/redis/config");
}

TEST_CASE_METHOD(KvFixture, "kv put reads @file, stdin and base64, and sends flags", "[unit]") {
  std::string path = fmt::format("/tmp/cairn-cli-kv-{}.txt", ::getpid());
  { std::ofstream(path) << "from a file\n"; }
  CHECK(Kv({"put", "-flags=42", "a", "@" + path}).code == 0);
  CHECK(Last().body == "from a file\n");
  CHECK(Last().QueryString() == "flags=42");
  std::remove(path.c_str());

  CHECK(Kv({"put", "b", "-"},
           "piped\x01"
           "data")
            .code == 0);
  CHECK(Last().body ==
        "piped\x01"
        "data");
  CHECK(Last().query.empty());

  CHECK(Kv({"put", "c", "-literal"}).code == 0);  // only "-" alone means stdin
  CHECK(Last().body == "-literal");

  CHECK(Kv({"put", "-base64", "d", "aGVsbG8="}).code == 0);
  CHECK(Last().body == "hello");

  // No DATA: an empty value, sent with an explicit zero Content-Length.
  CHECK(Kv({"put", "webapp/beta/active"}).code == 0);
  CHECK(Last().body.empty());
  CHECK(Last().has_content_length);
  CHECK(Kv({"get", "webapp/beta/active"}).out == "\n");
}

TEST_CASE_METHOD(KvFixture, "kv put refuses bad input before sending anything", "[unit]") {
  CliResult r = Kv({"put"});
  CHECK(r.code == 1);
  CHECK(r.err == "Error! Missing KEY argument\n");
  r = Kv({"put", "a", "b", "c"});
  CHECK(r.code == 1);
  CHECK(r.err == "Error! Too many arguments (expected 1 or 2, got 3)\n");
  r = Kv({"put", "-base64", "k", "not base64!"});
  CHECK(r.code == 1);
  CHECK(r.err == "Error! Cannot base 64 decode data: illegal base64 data at input byte 3\n");
  r = Kv({"put", "-cas", "k", "v"});
  CHECK(r.code == 1);
  CHECK(r.err == "Must specify -modify-index with -cas!\n");
  r = Kv({"put", "-acquire", "k", "v"});
  CHECK(r.code == 1);
  CHECK(r.err == "Error! Missing -session (required with -acquire and -release)\n");
  r = Kv({"put", "k", "@/nonexistent/cairn-file"});
  CHECK(r.code == 1);
  CHECK(r.err ==
        "Error! Failed to read file: open /nonexistent/cairn-file: no such file or directory\n");
  r = Kv({"put", "k", "@/tmp"});
  CHECK(r.code == 1);
  CHECK(r.err == "Error! Failed to read file: read /tmp: is a directory\n");
  r = Kv({"put", "-flags=-1", "k", "v"});
  CHECK(r.code == 1);
  CHECK(r.err.find("invalid value \"-1\" for flag -flags") != std::string::npos);
  CHECK(agent.requests().empty());
}

TEST_CASE_METHOD(KvFixture, "kv put -cas writes only at the right index", "[unit]") {
  REQUIRE(Kv({"put", "k", "v1"}).code == 0);
  CliResult stale = Kv({"put", "-cas", "-modify-index=1", "k", "v2"});
  CHECK(stale.code == 1);
  CHECK(stale.err == "Error! Did not write to k: CAS failed\n");
  CHECK(Last().QueryString() == "cas=1");

  CliResult detailed = Kv({"get", "-detailed", "k"});
  REQUIRE(detailed.code == 0);
  CliResult ok = Kv({"put", "-cas", "-modify-index=2", "k", "v2"});
  CHECK(ok.code == 0);
  CHECK(ok.out == "Success! Data written to: k\n");
  CHECK(Kv({"get", "k"}).out == "v2\n");
}

TEST_CASE_METHOD(KvFixture, "kv put -acquire and -release print Consul's lock messages", "[unit]") {
  CliResult r = Kv({"put", "-acquire", "-session=sess-1", "lock", "me"});
  CHECK(r.code == 0);
  CHECK(r.out == "Success! Lock acquired on: lock\n");
  CHECK(Last().QueryString() == "acquire=sess-1");
  r = Kv({"put", "-acquire", "-session=other", "lock", "me"});
  CHECK(r.code == 1);
  CHECK(r.err == "Error! Did not acquire lock\n");
  agent.Route("PUT", "/v1/kv/lock", Reply{200, "true", {}});
  r = Kv({"put", "-release", "-session=sess-1", "lock"});
  CHECK(r.code == 0);
  CHECK(r.out == "Success! Lock released on: lock\n");
  CHECK(Last().QueryString() == "release=sess-1");
}

TEST_CASE_METHOD(KvFixture, "kv get -detailed, -recurse, -keys and -base64 formats", "[unit]") {
  REQUIRE(Kv({"put", "-flags=7", "web/a", "1"}).code == 0);
  REQUIRE(Kv({"put", "web/b", "two"}).code == 0);
  REQUIRE(Kv({"put", "web/sub/c", "3"}).code == 0);
  REQUIRE(Kv({"put", "-acquire", "-session=sess-1", "web/sub/d", "4"}).code == 0);

  CliResult d = Kv({"get", "-detailed", "/web/a"});  // a leading '/' is dropped
  CHECK(d.code == 0);
  CHECK(d.out ==
        "CreateIndex      2\n"
        "Flags            7\n"
        "Key              web/a\n"
        "LockIndex        0\n"
        "ModifyIndex      2\n"
        "Session          -\n"
        "Value            1\n");
  CHECK(Last().path == "/v1/kv/web/a");

  CliResult rec = Kv({"get", "-recurse", "web"});
  CHECK(rec.code == 0);
  CHECK(rec.out == "web/a:1\nweb/b:two\nweb/sub/c:3\nweb/sub/d:4\n");
  CHECK(Last().QueryString() == "recurse=");

  CliResult recd = Kv({"get", "-recurse", "-detailed", "-base64", "web/sub/"});
  CHECK(recd.out ==
        "CreateIndex      4\nFlags            0\nKey              web/sub/c\n"
        "LockIndex        0\nModifyIndex      4\nSession          -\nValue            Mw==\n"
        "\n"
        "CreateIndex      5\nFlags            0\nKey              web/sub/d\n"
        "LockIndex        1\nModifyIndex      5\nSession          sess-1\n"
        "Value            NA==\n");

  CliResult keys = Kv({"get", "-keys", "web/"});
  CHECK(keys.code == 0);
  CHECK(keys.out == "web/a\nweb/b\nweb/sub/\n");
  CHECK(Last().QueryString() == "keys=&separator=/");
  CHECK(Last().target == "/v1/kv/web/?keys=&separator=%2F");

  CliResult flat = Kv({"get", "-keys", "-separator=", "web/"});
  CHECK(flat.out == "web/a\nweb/b\nweb/sub/c\nweb/sub/d\n");
  CHECK(Last().QueryString() == "keys=");

  CliResult root = Kv({"get", "-keys"});  // no prefix: the root
  CHECK(root.code == 0);
  CHECK(root.out == "web/\n");
  CHECK(Last().path == "/v1/kv/");

  // As in Consul, -base64 changes -detailed and -recurse output; a plain get prints raw.
  CHECK(Kv({"get", "-base64", "web/b"}).out == "two\n");
  CHECK(Kv({"get", "-recurse", "nothing-here"}).out.empty());
}

TEST_CASE_METHOD(KvFixture, "kv get of a missing key and other errors", "[unit]") {
  CliResult r = Kv({"get", "missing"});
  CHECK(r.code == 1);
  CHECK(r.out.empty());
  CHECK(r.err == "Error! No key exists at: missing\n");
  r = Kv({"get"});
  CHECK(r.code == 1);
  CHECK(r.err == "Error! Missing KEY argument\n");
  r = Kv({"get", "a", "b"});
  CHECK(r.code == 1);
  CHECK(r.err == "Too many arguments (expected 1, got 2)\n");

  agent.Route("GET", "/v1/kv/broken", Reply{500, "No cluster leader\n", {}});
  r = Kv({"get", "broken"});
  CHECK(r.code == 1);
  CHECK(r.err ==
        "Error querying Consul agent: Unexpected response code: 500 (No cluster leader)\n");
  agent.Route("GET", "/v1/kv/garbage", Reply{200, "[{\"Key\":", {}});
  r = Kv({"get", "garbage"});
  CHECK(r.code == 1);
  CHECK(r.err.rfind("Error querying Consul agent: invalid JSON in response", 0) == 0);
}

TEST_CASE_METHOD(KvFixture, "kv read flags: -stale and -datacenter reach the query", "[unit]") {
  REQUIRE(Kv({"put", "-datacenter=dc1", "k", "v"}).code == 0);
  CHECK(Last().QueryString() == "dc=dc1");
  CHECK(Kv({"get", "-stale", "-datacenter=dc1", "k"}).out == "v\n");
  CHECK(Last().QueryString() == "dc=dc1&stale=");
  CHECK(Kv({"get", "-stale", "-recurse", "k"}).code == 0);
  CHECK(Last().QueryString() == "recurse=&stale=");
}

TEST_CASE_METHOD(KvFixture, "kv delete: a key, a prefix and check-and-set", "[unit]") {
  REQUIRE(Kv({"put", "app/a", "1"}).code == 0);
  REQUIRE(Kv({"put", "app/b", "2"}).code == 0);
  REQUIRE(Kv({"put", "apple", "3"}).code == 0);

  CliResult r = Kv({"delete", "app/a"});
  CHECK(r.code == 0);
  CHECK(r.out == "Success! Deleted key: app/a\n");
  CHECK(Last().method == "DELETE");
  CHECK(Last().path == "/v1/kv/app/a");
  CHECK(Last().query.empty());

  r = Kv({"delete", "-cas", "-modify-index=99", "app/b"});
  CHECK(r.code == 1);
  CHECK(r.err == "Error! Did not delete key app/b: CAS failed\n");
  CHECK(Last().QueryString() == "cas=99");
  r = Kv({"delete", "-cas", "-modify-index=3", "app/b"});
  CHECK(r.code == 0);
  CHECK(r.out == "Success! Deleted key: app/b\n");

  r = Kv({"delete", "-recurse", "app"});  // greedy: "apple" goes too
  CHECK(r.code == 0);
  CHECK(r.out == "Success! Deleted keys with prefix: app\n");
  CHECK(Last().QueryString() == "recurse=");
  CHECK(Kv({"get", "apple"}).code == 1);

  std::size_t sent = agent.requests().size();
  CHECK(Kv({"delete"}).err == "Error! Missing KEY argument\n");
  CHECK(Kv({"delete", "-cas", "-recurse", "-modify-index=1", "x"}).err ==
        "Cannot specify both -cas and -recurse!\n");
  CHECK(Kv({"delete", "-cas", "x"}).err ==
        "Cannot delete a key that does not exist. Provide a -modify-index greater than than "
        "0.\n");
  CHECK(Kv({"delete", "-modify-index=1", "x"}).err ==
        "Cannot specify -modify-index without -cas!\n");
  CHECK(agent.requests().size() == sent);
}

TEST_CASE_METHOD(KvFixture, "kv export prints Go's indented JSON and import reads it back",
                 "[unit]") {
  CliResult empty = Kv({"export"});
  CHECK(empty.code == 0);
  CHECK(empty.out == "[]\n");

  REQUIRE(Kv({"put", "-flags=5", "cfg/a<b>", "x&y"}).code == 0);
  REQUIRE(Kv({"put", "cfg/empty"}).code == 0);
  CliResult exp = Kv({"export", "cfg/"});
  CHECK(exp.code == 0);
  CHECK(exp.out ==
        "[\n"
        "\t{\n\t\t\"key\": \"cfg/a\\u003cb\\u003e\",\n\t\t\"flags\": 5,\n\t\t\"value\": "
        "\"eCZ5\"\n\t},\n"
        "\t{\n\t\t\"key\": \"cfg/empty\",\n\t\t\"flags\": 0,\n\t\t\"value\": \"\"\n\t}\n"
        "]\n");
  CHECK(Last().QueryString() == "recurse=");

  REQUIRE(Kv({"delete", "-recurse", "cfg/"}).code == 0);
  agent.ClearRequests();
  CliResult imp = Kv({"import", "-"}, exp.out);
  CHECK(imp.code == 0);
  CHECK(imp.out == "Imported: cfg/a<b>\nImported: cfg/empty\n");
  auto sent = agent.requests();
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].method == "PUT");
  CHECK(sent[0].path == "/v1/kv/cfg/a<b>");
  CHECK(sent[0].target == "/v1/kv/cfg/a%3Cb%3E?flags=5");
  CHECK(sent[0].body == "x&y");
  CHECK(sent[1].query.empty());
  CHECK(Kv({"export", "cfg/"}).out == exp.out);

  CliResult prefixed = Kv({"import", "-prefix=copy", R"([{"Key":"k","Flags":1,"Value":"dg=="}])"});
  CHECK(prefixed.code == 0);
  CHECK(prefixed.out == "Imported: copy/k\n");
  CHECK(Kv({"get", "copy/k"}).out == "v\n");
}

TEST_CASE_METHOD(KvFixture, "kv import writes nothing when any entry is bad", "[unit]") {
  CliResult r = Kv({"import", R"([{"key":"a","value":"YQ=="},{"key":"b","value":"%%%"}])"});
  CHECK(r.code == 1);
  CHECK(r.err == "Error base 64 decoding value for key b: illegal base64 data at input byte 0\n");
  r = Kv({"import", "[{\"key\": 1}]"});
  CHECK(r.code == 1);
  CHECK(r.err.rfind("Cannot unmarshal data: json: cannot unmarshal", 0) == 0);
  r = Kv({"import", "{not json"});
  CHECK(r.code == 1);
  CHECK(r.err.rfind("Cannot unmarshal data: ", 0) == 0);
  CHECK(Kv({"import"}).err == "Error! Missing DATA argument\n");
  CHECK(Kv({"import", ""}).err == "Error! Empty DATA argument\n");
  CHECK(agent.requests().empty());
  CHECK(Kv({"import", "null"}).code == 0);  // Go decodes null as an empty list
}

TEST_CASE_METHOD(KvFixture, "kv without a subcommand prints its usage", "[unit]") {
  CliResult r = Kv({});
  CHECK(r.code == 1);
  CHECK(r.err.rfind("Usage: cairn kv <subcommand>", 0) == 0);
  CHECK(Kv({"-h"}).code == 0);
  CliResult h = Kv({"put", "-h"});
  CHECK(h.code == 0);
  CHECK(h.out.find("-http-addr") != std::string::npos);
  CHECK(h.out.find("-modify-index") != std::string::npos);
}

}  // namespace
}  // namespace cairn::cli
