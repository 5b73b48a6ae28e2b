// Seeded random hostile input against a core (the fuzz target's driver, without libFuzzer):
// no input may crash it or make its term or commit index go backwards.
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "step_driver.h"

namespace cairn::raft {
namespace {

TEST_CASE("random hostile messages and calls never crash a core or move it backwards", "[unit]") {
  std::mt19937_64 rng(20261121);
  for (int round = 0; round < 400; ++round) {
    std::vector<uint8_t> bytes(64 + rng() % 2048);
    for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
    fuzz::StepDriver driver(/*leader=*/round % 2 == 0);
    driver.Run(bytes.data(), bytes.size());
  }
  SUCCEED("400 random inputs survived");
}

}  // namespace
}  // namespace cairn::raft
