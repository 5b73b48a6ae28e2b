// libFuzzer target: arbitrary bytes as hostile messages and calls against a Raft core
// (leader and follower). See step_driver.h.
#include <cstddef>
#include <cstdint>

#include "step_driver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  cairn::raft::fuzz::StepDriver driver(/*leader=*/data[0] & 1);
  driver.Run(data + 1, size - 1);
  return 0;
}
