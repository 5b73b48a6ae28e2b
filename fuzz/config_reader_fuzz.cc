// libFuzzer target for <cairn/base/config_reader.h>: feeds the same bytes to the JSON and
// the HCL parser. Neither may crash, hang or overflow the stack; every failure must be a
// kInvalidArgument whose message starts with the file name and a line:column.
//
//   ./build-fuzz/fuzz/fuzz_config_reader -max_total_time=60 fuzz/corpus/config_reader
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <boost/json/serialize.hpp>

#include <cairn/base/config_reader.h>

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void ParseOne(std::string_view text, cairn::base::ConfigFormat format) {
  absl::StatusOr<boost::json::object> got = cairn::base::ParseConfig(text, format, "f");
  if (got.ok()) {
    // A parsed tree must serialize and parse back as JSON into the same tree.
    std::string json = boost::json::serialize(*got);
    absl::StatusOr<boost::json::object> again =
        cairn::base::ParseConfig(json, cairn::base::ConfigFormat::kJson, "f");
    Check(again.ok() && *again == *got);
    return;
  }
  Check(got.status().code() == absl::StatusCode::kInvalidArgument);
  Check(got.status().message().substr(0, 2) == "f:");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ParseOne(text, cairn::base::ConfigFormat::kJson);
  ParseOne(text, cairn::base::ConfigFormat::kHcl);
  return 0;
}
