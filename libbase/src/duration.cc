#include <cstdint>
#include <limits>

#include <fmt/format.h>

#include <cairn/base/duration.h>

namespace cairn::base {
namespace {

struct Unit {
  std::string_view name;
  uint64_t nanos;
};

// Longest names first where one is a prefix of another ("ms" before "m").
constexpr Unit kUnits[] = {
    {"ns", 1},
    {"us", 1'000},
    {"\xC2\xB5s", 1'000},  // U+00B5 micro sign
    {"\xCE\xBCs", 1'000},  // U+03BC Greek mu
    {"ms", 1'000'000},
    {"s", 1'000'000'000},
    {"m", 60'000'000'000},
    {"h", 3'600'000'000'000},
};

absl::Status Invalid(std::string_view text) {
  return absl::InvalidArgumentError(fmt::format("time: invalid duration \"{}\"", text));
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

absl::StatusOr<Duration> ParseGoDuration(std::string_view text) {
  std::string_view s = text;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return Duration::zero();
  if (s.empty()) return Invalid(text);

  // Like Go, accumulate in uint64 nanoseconds and reject anything past 2^63 (2^63 itself
  // only for a negative result).
  constexpr uint64_t kLimit = uint64_t{1} << 63;
  uint64_t total = 0;
  while (!s.empty()) {
    if (!(IsDigit(s[0]) || s[0] == '.')) return Invalid(text);
    // Integer part.
    uint64_t whole = 0;
    bool overflow = false;
    std::size_t i = 0;
    for (; i < s.size() && IsDigit(s[i]); ++i) {
      if (whole > (kLimit - 1) / 10) overflow = true;
      whole = whole * 10 + static_cast<uint64_t>(s[i] - '0');
      if (whole > kLimit) overflow = true;
    }
    bool had_int = i > 0;
    // Fraction: keep digits while they still add precision.
    uint64_t frac = 0;
    double scale = 1;
    bool had_frac = false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      std::size_t start = i;
      for (; i < s.size() && IsDigit(s[i]); ++i) {
        if (frac <= (std::numeric_limits<uint64_t>::max() - 9) / 10) {
          frac = frac * 10 + static_cast<uint64_t>(s[i] - '0');
          scale *= 10;
        }
      }
      had_frac = i > start;
    }
    if (!had_int && !had_frac) return Invalid(text);
    if (overflow) return Invalid(text);
    s.remove_prefix(i);
    // Unit.
    std::size_t ulen = 0;
    while (ulen < s.size() && s[ulen] != '.' && !IsDigit(s[ulen])) ++ulen;
    if (ulen == 0) {
      return absl::InvalidArgumentError(fmt::format("time: missing unit in duration \"{}\"", text));
    }
    std::string_view uname = s.substr(0, ulen);
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      if (u.name == uname) unit = &u;
    }
    if (unit == nullptr) {
      return absl::InvalidArgumentError(
          fmt::format("time: unknown unit \"{}\" in duration \"{}\"", uname, text));
    }
    s.remove_prefix(ulen);
    if (whole > kLimit / unit->nanos) return Invalid(text);
    uint64_t v = whole * unit->nanos;
    if (frac > 0) {
      v += static_cast<uint64_t>(static_cast<double>(frac) *
                                 (static_cast<double>(unit->nanos) / scale));
      if (v > kLimit) return Invalid(text);
    }
    total += v;
    if (total > kLimit) return Invalid(text);
  }
  if (neg) {
    if (total == kLimit) return Duration(std::numeric_limits<int64_t>::min());
    return Duration(-static_cast<int64_t>(total));
  }
  if (total > kLimit - 1) return Invalid(text);
  return Duration(static_cast<int64_t>(total));
}

namespace {

// Writes v/10^prec's fraction as ".ddd" without trailing zeros (nothing if it is zero) and
// returns v/10^prec, as Go's fmtFrac does.
uint64_t AppendFrac(std::string& out, uint64_t v, int prec) {
  std::string digits;
  bool print = false;
  for (int i = 0; i < prec; ++i) {
    uint64_t digit = v % 10;
    print = print || digit != 0;
    if (print) digits.insert(digits.begin(), static_cast<char>('0' + digit));
    v /= 10;
  }
  if (print) out += "." + digits;
  return v;
}

}  // namespace

std::string FormatGoDuration(Duration d) {
  int64_t n = d.count();
  if (n == 0) return "0s";
  bool neg = n < 0;
  uint64_t u = neg ? static_cast<uint64_t>(-(n + 1)) + 1 : static_cast<uint64_t>(n);
  std::string out;
  if (u < 1'000'000'000) {
    std::string frac;
    std::string unit;
    uint64_t whole;
    if (u < 1'000) {
      whole = u;
      unit = "ns";
    } else if (u < 1'000'000) {
      whole = AppendFrac(frac, u, 3);
      unit = "\xC2\xB5s";
    } else {
      whole = AppendFrac(frac, u, 6);
      unit = "ms";
    }
    out = fmt::format("{}{}{}{}", neg ? "-" : "", whole, frac, unit);
    return out;
  }
  std::string frac;
  uint64_t secs = AppendFrac(frac, u, 9);
  std::string tail = fmt::format("{}{}s", secs % 60, frac);
  uint64_t mins = secs / 60;
  if (mins > 0) {
    tail = fmt::format("{}m{}", mins % 60, tail);
    uint64_t hours = mins / 60;
    if (hours > 0) tail = fmt::format("{}h{}", hours, tail);
  }
  return neg ? "-" + tail : tail;
}

}  // namespace cairn::base
