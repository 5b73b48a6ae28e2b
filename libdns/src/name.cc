#include <cstring>

#include <absl/strings/str_cat.h>

#include <cairn/base/status.h>
#include <cairn/dns/name.h>

namespace cairn::dns {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(static_cast<std::uint8_t>(a[i])) != AsciiLower(static_cast<std::uint8_t>(b[i])))
      return false;
  }
  return true;
}

absl::StatusOr<Name> Name::Parse(std::string_view text) {
  Name name;
  if (text.empty() || text == ".") return name;
  // A label is accumulated here before AppendLabel checks its length; escapes make the
  // presentation form longer than the label, never shorter, so 255 bytes are plenty for
  // any label that can be valid.
  std::array<char, kMaxWireLength> label;
  std::size_t label_len = 0;
  bool label_overflow = false;
  auto flush = [&]() -> absl::Status {
    if (label_overflow || label_len > kMaxLabelLength) {
      return absl::InvalidArgumentError(
          absl::StrCat("DNS label longer than 63 bytes in \"", base::ToAbsl(text), "\""));
    }
    if (label_len == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("empty DNS label in \"", base::ToAbsl(text), "\""));
    }
    absl::Status s = name.AppendLabel(std::string_view(label.data(), label_len));
    label_len = 0;
    return s;
  };
  auto push = [&](char c) {
    if (label_len < label.size()) {
      label[label_len++] = c;
    } else {
      label_overflow = true;
    }
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.') {
      absl::Status s = flush();
      if (!s.ok()) return s;
      continue;
    }
    if (c != '\\') {
      push(c);
      continue;
    }
    if (i + 1 >= text.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("DNS name ends in a backslash: \"", base::ToAbsl(text), "\""));
    }
    char next = text[i + 1];
    if (next >= '0' && next <= '9') {
      if (i + 3 >= text.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("short \\DDD escape in \"", base::ToAbsl(text), "\""));
      }
      int value = 0;
      for (int k = 1; k <= 3; ++k) {
        char d = text[i + k];
        if (d < '0' || d > '9') {
          return absl::InvalidArgumentError(
              absl::StrCat("bad \\DDD escape in \"", base::ToAbsl(text), "\""));
        }
        value = value * 10 + (d - '0');
      }
      if (value > 255) {
        return absl::InvalidArgumentError(
            absl::StrCat("\\DDD escape over 255 in \"", base::ToAbsl(text), "\""));
      }
      push(static_cast<char>(value));
      i += 3;
    } else {
      push(next);
      i += 1;
    }
  }
  if (label_len > 0 || label_overflow) {
    absl::Status s = flush();
    if (!s.ok()) return s;
  }
  return name;
}

absl::StatusOr<Name> Name::FromWire(std::span<const std::uint8_t> wire) {
  Name name;
  std::size_t pos = 0;
  while (true) {
    if (pos >= wire.size()) return absl::InvalidArgumentError("DNS name without its root label");
    std::uint8_t len = wire[pos];
    if (len == 0) break;
    if (len > kMaxLabelLength) return absl::InvalidArgumentError("DNS label longer than 63 bytes");
    if (pos + 1 + len > wire.size())
      return absl::InvalidArgumentError("DNS label runs past the end");
    absl::Status s = name.AppendLabel(
        std::string_view(reinterpret_cast<const char*>(wire.data() + pos + 1), len));
    if (!s.ok()) return s;
    pos += 1 + len;
  }
  return name;
}

absl::Status Name::AppendLabel(std::string_view label) {
  if (label.empty()) return absl::InvalidArgumentError("empty DNS label");
  if (label.size() > kMaxLabelLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("DNS label longer than 63 bytes: ", base::ToAbsl(label)));
  }
  if (size_ + 1 + label.size() > kMaxWireLength) {
    return absl::InvalidArgumentError("DNS name longer than 255 bytes");
  }
  // Overwrite the root byte with the label, then put the root back at the end.
  std::size_t at = size_ - 1;
  bytes_[at] = static_cast<std::uint8_t>(label.size());
  std::memcpy(bytes_.data() + at + 1, label.data(), label.size());
  size_ = static_cast<std::uint8_t>(size_ + 1 + label.size());
  bytes_[size_ - 1] = 0;
  return absl::OkStatus();
}

absl::Status Name::Append(const Name& suffix) {
  if (static_cast<std::size_t>(size_ - 1 + suffix.size_) > kMaxWireLength) {
    return absl::InvalidArgumentError("DNS name longer than 255 bytes");
  }
  std::memcpy(bytes_.data() + size_ - 1, suffix.bytes_.data(), suffix.size_);
  size_ = static_cast<std::uint8_t>(size_ - 1 + suffix.size_);
  return absl::OkStatus();
}

std::string Name::ToString() const {
  if (is_root()) return ".";
  std::string out;
  out.reserve(size_);
  std::size_t pos = 0;
  while (bytes_[pos] != 0) {
    std::size_t len = bytes_[pos];
    for (std::size_t i = pos + 1; i <= pos + len; ++i) {
      std::uint8_t c = bytes_[i];
      if (c == '.' || c == '\\') {
        out.push_back('\\');
        out.push_back(static_cast<char>(c));
      } else if (c < 0x21 || c > 0x7e) {
        char esc[5] = {'\\', static_cast<char>('0' + c / 100),
                       static_cast<char>('0' + (c / 10) % 10), static_cast<char>('0' + c % 10), 0};
        out.append(esc, 4);
      } else {
        out.push_back(static_cast<char>(c));
      }
    }
    out.push_back('.');
    pos += 1 + len;
  }
  return out;
}

int Name::LabelCount() const {
  int n = 0;
  for (std::size_t pos = 0; bytes_[pos] != 0; pos += 1 + bytes_[pos]) ++n;
  return n;
}

int Name::Labels(std::string_view* out) const {
  int n = 0;
  for (std::size_t pos = 0; bytes_[pos] != 0; pos += 1 + bytes_[pos]) {
    out[n++] =
        std::string_view(reinterpret_cast<const char*>(bytes_.data() + pos + 1), bytes_[pos]);
  }
  return n;
}

void Name::ToLower() {
  for (std::size_t pos = 0; bytes_[pos] != 0; pos += 1 + bytes_[pos]) {
    for (std::size_t i = pos + 1; i <= pos + bytes_[pos]; ++i) bytes_[i] = AsciiLower(bytes_[i]);
  }
}

bool Name::IsSubdomainOf(const Name& zone) const {
  if (zone.size_ > size_) return false;
  // Walk label boundaries of *this; the zone can only start at one of them.
  std::size_t pos = 0;
  while (size_ - pos > zone.size_) pos += 1 + bytes_[pos];
  if (size_ - pos != zone.size_) return false;
  for (std::size_t i = 0; i < zone.size_; ++i) {
    if (AsciiLower(bytes_[pos + i]) != AsciiLower(zone.bytes_[i])) return false;
  }
  return true;
}

bool operator==(const Name& a, const Name& b) {
  if (a.size_ != b.size_) return false;
  // Length bytes are < 64, so lower-casing them is a no-op and a byte-wise comparison of
  // the lower-cased forms is exactly label-wise case-insensitive equality.
  for (std::size_t i = 0; i < a.size_; ++i) {
    if (AsciiLower(a.bytes_[i]) != AsciiLower(b.bytes_[i])) return false;
  }
  return true;
}

}  // namespace cairn::dns
