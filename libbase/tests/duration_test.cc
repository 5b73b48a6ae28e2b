#include <catch2/catch.hpp>

#include <cairn/base/duration.h>

namespace cairn::base {
namespace {

using namespace std::chrono_literals;

TEST_CASE("ParseGoDuration accepts what Go's time.ParseDuration accepts", "[unit]") {
  struct Case {
    const char* text;
    Duration want;
  } cases[] = {
      {"0", 0ns},
      {"10s", 10s},
      {"1m30s", 90s},
      {"500ms", 500ms},
      {"72h", 72h},
      {"1.5h", 90min},
      {".5s", 500ms},
      {"1.s", 1s},
      {"-1m", -1min},
      {"+3s", 3s},
      {"2h45m", 165min},
      {"1us", 1us},
      {"1\xC2\xB5s", 1us},
      {"1\xCE\xBCs", 1us},
      {"7ns", 7ns},
      {"1h1m1s1ms1us1ns", 3661001001001ns},
      {"0.000001s", 1us},
      {"87600h", 87600h},
      {"9223372036854775807ns", Duration(INT64_MAX)},
      {"-9223372036854775808ns", Duration(INT64_MIN)},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto d = ParseGoDuration(c.text);
    REQUIRE(d.ok());
    CHECK(*d == c.want);
  }
}

TEST_CASE("ParseGoDuration rejects malformed input with Go's messages", "[unit]") {
  CHECK(ParseGoDuration("").status().message() == "time: invalid duration \"\"");
  CHECK(ParseGoDuration("10").status().message() == "time: missing unit in duration \"10\"");
  CHECK(ParseGoDuration("3x").status().message() == "time: unknown unit \"x\" in duration \"3x\"");
  for (const char* bad : {"s", ".s", "-", "1h-1m", "inf", "1e3s", " 1s", "1s ",
                          "9223372036854775808ns", "3000000h"}) {
    INFO(bad);
    CHECK(ParseGoDuration(bad).status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("FormatGoDuration matches time.Duration.String", "[unit]") {
  CHECK(FormatGoDuration(0ns) == "0s");
  CHECK(FormatGoDuration(1ns) == "1ns");
  CHECK(FormatGoDuration(1500ns) == "1.5\xC2\xB5s");
  CHECK(FormatGoDuration(500ms) == "500ms");
  CHECK(FormatGoDuration(1500ms) == "1.5s");
  CHECK(FormatGoDuration(10s) == "10s");
  CHECK(FormatGoDuration(90s) == "1m30s");
  CHECK(FormatGoDuration(72h) == "72h0m0s");
  CHECK(FormatGoDuration(-2min) == "-2m0s");
  CHECK(FormatGoDuration(3661001001001ns) == "1h1m1.001001001s");
  CHECK(FormatGoDuration(Duration(INT64_MIN)) == "-2562047h47m16.854775808s");
}

TEST_CASE("Format then parse round-trips", "[unit]") {
  for (int64_t n : {int64_t{1}, int64_t{999}, int64_t{1'000'001}, int64_t{59'999'999'999},
                    int64_t{3'600'000'000'000}, int64_t{123'456'789'012'345}}) {
    INFO(n);
    CHECK(ParseGoDuration(FormatGoDuration(Duration(n))).value() == Duration(n));
  }
}

}  // namespace
}  // namespace cairn::base
