#include <catch2/catch.hpp>

#include <cairn/base/status.h>

namespace cairn::base {
namespace {

absl::StatusOr<int> Half(int x) {
  if (x % 2 != 0) return absl::InvalidArgumentError("odd");
  return x / 2;
}

absl::StatusOr<int> Quarter(int x) {
  CAIRN_ASSIGN_OR_RETURN(int h, Half(x));
  CAIRN_ASSIGN_OR_RETURN(auto q, Half(h));
  return q;
}

absl::Status CheckEven(int x) {
  CAIRN_RETURN_IF_ERROR(Half(x).status());
  return absl::OkStatus();
}

TEST_CASE("ASSIGN_OR_RETURN propagates the first error and unwraps values", "[unit]") {
  REQUIRE(Quarter(8).value() == 2);
  REQUIRE(Quarter(6).status().code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(Quarter(3).status().message() == "odd");
  REQUIRE(CheckEven(4).ok());
  REQUIRE(CheckEven(5).code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("Annotate prefixes context and keeps the code", "[unit]") {
  absl::Status s = Annotate(absl::NotFoundError("no such key"), "reading foo");
  REQUIRE(s.code() == absl::StatusCode::kNotFound);
  REQUIRE(s.message() == "reading foo: no such key");
  REQUIRE(Annotate(absl::OkStatus(), "x").ok());
}

TEST_CASE("fmt formats absl::Status and absl::string_view", "[unit]") {
  REQUIRE(fmt::format("{}", absl::UnavailableError("no leader")) == "UNAVAILABLE: no leader");
  REQUIRE(fmt::format("{}", absl::OkStatus()) == "OK");
  absl::string_view v = "abc";
  REQUIRE(fmt::format("[{:>5}]", v) == "[  abc]");
  REQUIRE(ToStd(ToAbsl(std::string_view("xy"))) == "xy");
}

}  // namespace
}  // namespace cairn::base
