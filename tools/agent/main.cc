// The `cairn` binary. Everything it does lives in the libraries and in cli.cc's table of
// subcommands; main only hands over the arguments.
#include <string>
#include <vector>

#include "cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return cairn::cli::Main(args);
}
