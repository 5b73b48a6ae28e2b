#include <catch2/catch.hpp>

#include <cairn/base/flags.h>

namespace cairn::base {
namespace {

struct Agent {
  std::string data_dir;
  bool server = false;
  int64_t expect = 0;
  Duration retry = std::chrono::seconds(30);
  std::vector<std::string> joins;
  FlagSet flags{"agent"};
  Agent() {
    flags.String("data-dir", &data_dir, "Path to a data directory.");
    flags.Bool("server", &server, "Switches agent to server mode.");
    flags.Int("bootstrap-expect", &expect, "Sets server to expect bootstrap mode.");
    flags.Duration("retry-interval", &retry, "Time to wait between join attempts.");
    flags.StringList("retry-join", &joins, "Address of an agent to join at start time.");
  }
};

TEST_CASE("Go flag forms: -f v, -f=v, --f v, --f=v, bare bools", "[unit]") {
  Agent a;
  auto r = a.flags.Parse({"-server", "--bootstrap-expect", "3", "-data-dir=/tmp/x",
                          "--retry-interval=5s", "-retry-join", "127.0.0.2",
                          "-retry-join=127.0.0.3", "rest", "-notaflag"});
  REQUIRE(r.ok());
  CHECK(a.server);
  CHECK(a.expect == 3);
  CHECK(a.data_dir == "/tmp/x");
  CHECK(a.retry == std::chrono::seconds(5));
  CHECK(a.joins == std::vector<std::string>{"127.0.0.2", "127.0.0.3"});
  CHECK(r->args == std::vector<std::string>{"rest", "-notaflag"});
  CHECK(a.flags.IsSet("server"));
  CHECK_FALSE(Agent().flags.IsSet("server"));
}

TEST_CASE("Bool flags take =false but never a separate value", "[unit]") {
  Agent a;
  auto r = a.flags.Parse({"-server=false", "-server", "false"});
  REQUIRE(r.ok());
  CHECK(a.server);
  CHECK(r->args == std::vector<std::string>{"false"});
}

TEST_CASE("A double dash ends the flags, -h asks for help", "[unit]") {
  Agent a;
  auto r = a.flags.Parse({"--", "-server"});
  REQUIRE(r.ok());
  CHECK_FALSE(a.server);
  CHECK(r->args == std::vector<std::string>{"-server"});
  Agent b;
  auto h = b.flags.Parse({"-h"});
  REQUIRE(h.ok());
  CHECK(h->help);
}

TEST_CASE("Flag errors use Go's wording", "[unit]") {
  Agent a;
  CHECK(a.flags.Parse({"-nope"}).status().message() == "flag provided but not defined: -nope");
  CHECK(a.flags.Parse({"-data-dir"}).status().message() == "flag needs an argument: -data-dir");
  CHECK(a.flags.Parse({"-bootstrap-expect", "three"}).status().message() ==
        "invalid value \"three\" for flag -bootstrap-expect: parse error");
  CHECK(a.flags.Parse({"-server=maybe"}).status().message() ==
        "invalid boolean value \"maybe\" for flag -server: parse error");
  CHECK(a.flags.Parse({"-retry-interval=5"}).status().message() ==
        "invalid value \"5\" for flag -retry-interval: time: missing unit in duration \"5\"");
  CHECK(a.flags.Parse({"---x"}).status().message() == "bad flag syntax: ---x");
}

TEST_CASE("Int flags take hex and reject overflow, usage lists flags", "[unit]") {
  Agent a;
  REQUIRE(a.flags.Parse({"-bootstrap-expect=0x10"}).ok());
  CHECK(a.expect == 16);
  CHECK_FALSE(a.flags.Parse({"-bootstrap-expect=99999999999999999999"}).ok());
  std::string usage = a.flags.Usage();
  CHECK(usage.find("  -bootstrap-expect=<int>\n     Sets server to expect bootstrap mode.") !=
        std::string::npos);
  CHECK(usage.find("  -server\n") != std::string::npos);
}

TEST_CASE("Func flags validate their values", "[unit]") {
  FlagSet f("x");
  std::string mode;
  f.Func(
      "mode",
      [&](std::string_view v) {
        if (v != "a" && v != "b") return absl::InvalidArgumentError("must be a or b");
        mode = std::string(v);
        return absl::OkStatus();
      },
      "a or b");
  CHECK(f.Parse({"-mode=c"}).status().message() ==
        "invalid value \"c\" for flag -mode: must be a or b");
  REQUIRE(f.Parse({"-mode", "b"}).ok());
  CHECK(mode == "b");
}

}  // namespace
}  // namespace cairn::base
