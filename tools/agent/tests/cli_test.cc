// Runs the real `cairn` binary and checks what a user sees: output and exit codes.
#include <cstdio>
#include <set>
#include <string>

#include <catch2/catch.hpp>
#include <openssl/evp.h>

#include <sys/wait.h>

namespace {

struct Run {
  int code;
  std::string out;  // stdout and stderr together
};

Run Cairn(const std::string& args) {
  std::string cmd = CAIRN_BINARY;
  cmd.append(" ").append(args).append(" 2>&1");
  std::FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::string Decode(const std::string& b64) {
  std::string out(b64.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()),
                          static_cast<int>(b64.size()));
  if (n < 0) return "";
  // EVP_DecodeBlock counts padding bytes as data; drop one per '='.
  std::size_t pad = 0;
  while (pad < b64.size() && b64[b64.size() - 1 - pad] == '=') ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

TEST_CASE("cairn --help lists the commands and exits 0", "[process]") {
  Run r = Cairn("--help");
  CHECK(r.code == 0);
  CHECK(r.out.find("Usage: cairn [--version] [--help] <command> [<args>]") == 0);
  CHECK(r.out.find("    keygen ") != std::string::npos);
  CHECK(r.out.find("    version ") != std::string::npos);
}

TEST_CASE("cairn with no command prints help and exits 1", "[process]") {
  Run r = Cairn("");
  CHECK(r.code == 1);
  CHECK(r.out.find("Available commands are:") != std::string::npos);
}

TEST_CASE("cairn version prints version, revision and protocol", "[process]") {
  Run r = Cairn("version");
  CHECK(r.code == 0);
  CHECK(r.out.rfind("Cairn v", 0) == 0);
  CHECK(r.out.find("\nRevision ") != std::string::npos);
  CHECK(r.out.find("Protocol 2 spoken by default, understands 2 to 3") != std::string::npos);
  CHECK(Cairn("--version").out == r.out);

  Run j = Cairn("version -format=json");
  CHECK(j.code == 0);
  CHECK(j.out.find("\"RPC\":{\"Default\":2,\"Min\":2,\"Max\":3}") != std::string::npos);
  Run bad = Cairn("version -format=xml");
  CHECK(bad.code == 1);
  CHECK(bad.out.find("Invalid format \"xml\"") != std::string::npos);
}

TEST_CASE("cairn keygen prints a fresh base64 key of 32 bytes", "[process]") {
  std::set<std::string> keys;
  for (int i = 0; i < 5; ++i) {
    Run r = Cairn("keygen");
    REQUIRE(r.code == 0);
    REQUIRE(r.out.size() == 45);  // 44 base64 characters and a newline
    REQUIRE(r.out.back() == '\n');
    std::string key = r.out.substr(0, 44);
    CHECK(Decode(key).size() == 32);
    keys.insert(key);
  }
  CHECK(keys.size() == 5);
}

TEST_CASE("Unknown commands, flags and arguments exit 1 with a clear message", "[process]") {
  Run r = Cairn("frobnicate");
  CHECK(r.code == 1);
  CHECK(r.out.find("cairn: unknown command \"frobnicate\"") == 0);

  Run f = Cairn("keygen -bogus");
  CHECK(f.code == 1);
  CHECK(f.out.find("flag provided but not defined: -bogus") != std::string::npos);

  Run a = Cairn("keygen extra");
  CHECK(a.code == 1);
  CHECK(a.out.find("This command takes no arguments") != std::string::npos);

  Run h = Cairn("keygen -h");
  CHECK(h.code == 0);
  CHECK(h.out.find("Usage: cairn keygen") == 0);
}

}  // namespace
