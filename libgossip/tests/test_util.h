// Test helpers: hex conversion for readable wire vectors.
#ifndef CAIRN_GOSSIP_TESTS_TEST_UTIL_H_
#define CAIRN_GOSSIP_TESTS_TEST_UTIL_H_

#include <cctype>
#include <string>
#include <string_view>

namespace cairn::gossip::testing {

// "00 85 a4" -> bytes; whitespace ignored; `"text"` inserts the text verbatim.
inline std::string FromHex(std::string_view hex) {
  std::string out;
  int nibbles = 0, acc = 0;
  for (size_t i = 0; i < hex.size(); ++i) {
    const char c = hex[i];
    if (c == '"') {
      const size_t end = hex.find('"', i + 1);
      out.append(hex.substr(i + 1, end - i - 1));
      i = end;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    acc =
        acc * 16 + (std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (c | 0x20) - 'a' + 10);
    if (++nibbles == 2) {
      out.push_back(static_cast<char>(acc));
      nibbles = acc = 0;
    }
  }
  return out;
}

inline std::string ToHex(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    if (!out.empty()) out.push_back(' ');
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

}  // namespace cairn::gossip::testing

#endif  // CAIRN_GOSSIP_TESTS_TEST_UTIL_H_
