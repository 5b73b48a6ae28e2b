// `cairn keygen`: a new gossip encryption key, as current Consul makes it: 32 bytes from the
// system's cryptographic RNG (OpenSSL's RAND_bytes), standard base64.
#include <cstdio>
#include <string>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cairn/base/flags.h>

#include "cli.h"

namespace cairn::cli {

int RunKeygen(const std::vector<std::string>& args) {
  base::FlagSet flags("keygen");
  auto parsed = flags.Parse(args);
  if (!parsed.ok() || (parsed.ok() && !parsed->help && !parsed->args.empty())) {
    std::fprintf(stderr, "%s\n",
                 parsed.ok() ? "This command takes no arguments"
                             : std::string(parsed.status().message()).c_str());
    std::fputs("\nUsage: cairn keygen\n", stderr);
    return 1;
  }
  if (parsed->help) {
    std::fputs(
        "Usage: cairn keygen\n\n  Generates a new 32-byte encryption key that can be used to "
        "configure the\n  agent to encrypt traffic. The output of this command is already\n  "
        "in the proper format that the agent expects.\n",
        stdout);
    return 0;
  }
  unsigned char key[32];
  if (RAND_bytes(key, sizeof key) != 1) {
    std::fputs("Error reading random data: OpenSSL RAND_bytes failed\n", stderr);
    return 1;
  }
  unsigned char encoded[4 * ((sizeof key + 2) / 3) + 1];
  int n = EVP_EncodeBlock(encoded, key, sizeof key);
  std::printf("%.*s\n", n, reinterpret_cast<const char*>(encoded));
  return 0;
}

}  // namespace cairn::cli
