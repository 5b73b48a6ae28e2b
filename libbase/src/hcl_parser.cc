#include "hcl_parser.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <absl/strings/str_format.h>
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <cairn/base/config_reader.h>

namespace cairn::base::internal {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHexDigit(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
// HCL1 lets identifiers hold any Unicode letter; we accept every non-ASCII character
// (the input is validated as UTF-8 first), which is a superset.
bool IsIdentStart(char c) {
  return IsAsciiLetter(c) || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c) || c == '-' || c == '.'; }

int HexValue(char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

std::string DescribeChar(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  if (u < 0x20 || u >= 0x7f) return absl::StrFormat("byte 0x%02x", u);
  return Cat("'", std::string_view(&c, 1), "'");
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

enum class Tok {
  kEof,
  kIdent,
  kString,
  kHeredoc,
  kInt,
  kFloat,
  kBool,
  kLBrace,
  kRBrace,
  kLBrack,
  kRBrack,
  kComma,
  kAssign,
};

struct Token {
  Tok kind = Tok::kEof;
  std::size_t offset = 0;  // first byte in the text
  std::size_t end = 0;     // one past the last byte
  std::string text;        // identifier, or the decoded string / heredoc
  int64_t int_value = 0;
  double float_value = 0;
  bool bool_value = false;
};

// Turns text into tokens one at a time. Comments and whitespace (including newlines: HCL1
// does not need them between items) are skipped.
class Lexer {
 public:
  Lexer(std::string_view text, std::string_view filename) : text_(text), filename_(filename) {}

  absl::StatusOr<Token> Next() {
    if (absl::Status s = SkipSpaceAndComments(); !s.ok()) return s;
    Token tok;
    tok.offset = pos_;
    if (pos_ >= text_.size()) {
      tok.end = pos_;
      return tok;
    }
    char c = text_[pos_];
    static constexpr std::string_view kPunctuation = "{}[],=";
    static constexpr Tok kPunctuationTok[] = {Tok::kLBrace, Tok::kRBrace, Tok::kLBrack,
                                              Tok::kRBrack, Tok::kComma,  Tok::kAssign};
    if (std::size_t i = kPunctuation.find(c); i != std::string_view::npos) {
      tok.kind = kPunctuationTok[i];
      tok.end = ++pos_;
      return tok;
    }
    if (c == '"') return LexString(std::move(tok));
    if (c == '<') return LexHeredoc(std::move(tok));
    if (IsDigit(c) || (c == '-' && pos_ + 1 < text_.size() && IsDigit(text_[pos_ + 1]))) {
      return LexNumber(std::move(tok));
    }
    if (IsIdentStart(c)) {
      while (pos_ < text_.size() && IsIdentChar(text_[pos_])) ++pos_;
      tok.end = pos_;
      tok.text = std::string(text_.substr(tok.offset, pos_ - tok.offset));
      tok.kind = Tok::kIdent;
      if (tok.text == "true" || tok.text == "false") {
        tok.kind = Tok::kBool;
        tok.bool_value = tok.text == "true";
      }
      return tok;
    }
    return Error(pos_, Cat("unexpected character ", DescribeChar(c)));
  }

  absl::Status Error(std::size_t offset, std::string_view what) const {
    return SyntaxErrorAt(filename_, text_, offset, what);
  }

 private:
  absl::Status SkipSpaceAndComments() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        ++pos_;
      } else if (c == '#' || (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '/')) {
        std::size_t nl = text_.find('\n', pos_);
        pos_ = nl == std::string_view::npos ? text_.size() : nl;
      } else if (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '*') {
        std::size_t close = text_.find("*/", pos_ + 2);
        if (close == std::string_view::npos) {
          return Error(pos_, "unterminated comment: '/*' has no closing '*/'");
        }
        pos_ = close + 2;
      } else if (c == '/') {
        return Error(pos_, "unexpected character '/' (comments start with //, /* or #)");
      } else {
        break;
      }
    }
    return absl::OkStatus();
  }

  // Reads `count` hex digits at pos_ into a code point.
  absl::StatusOr<uint32_t> ReadHex(std::size_t escape_at, int count) {
    uint32_t cp = 0;
    for (int i = 0; i < count; ++i, ++pos_) {
      if (pos_ >= text_.size() || !IsHexDigit(text_[pos_])) {
        return Error(escape_at,
                     Cat("invalid escape sequence: \\", std::string_view(&text_[escape_at + 1], 1),
                         " needs ", count, " hex digits"));
      }
      cp = cp * 16 + static_cast<uint32_t>(HexValue(text_[pos_]));
    }
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return Error(escape_at, absl::StrFormat("invalid escape sequence: U+%04X is not a valid "
                                              "Unicode character",
                                              cp));
    }
    return cp;
  }

  absl::StatusOr<Token> LexString(Token tok) {
    ++pos_;  // opening quote
    while (true) {
      if (pos_ >= text_.size() || text_[pos_] == '\n') {
        return Error(tok.offset, Cat("unterminated string: no closing '\"' before ",
                                     pos_ >= text_.size() ? "end of input" : "end of line"));
      }
      char c = text_[pos_];
      if (c == '"') break;
      if (c != '\\') {
        tok.text.push_back(c);
        ++pos_;
        continue;
      }
      std::size_t escape_at = pos_;
      if (pos_ + 1 >= text_.size()) {
        return Error(tok.offset, "unterminated string: no closing '\"' before end of input");
      }
      char e = text_[pos_ + 1];
      pos_ += 2;
      // Pairs of (escape letter, character it stands for), as in Go's strconv.Unquote.
      static constexpr std::string_view kSimple = "a\ab\bf\fn\nr\rt\tv\v\\\\\"\"''";
      std::size_t at = kSimple.find(e);
      if (at != std::string_view::npos && at % 2 == 0) {
        tok.text.push_back(kSimple[at + 1]);
      } else if (e == 'u' || e == 'U') {
        absl::StatusOr<uint32_t> cp = ReadHex(escape_at, e == 'u' ? 4 : 8);
        if (!cp.ok()) return cp.status();
        AppendUtf8(tok.text, *cp);
      } else {
        std::string shown = e > 0x20 && e < 0x7f ? std::string(1, e) : DescribeChar(e);
        return Error(escape_at, Cat("invalid escape sequence \"\\", shown, "\""));
      }
    }
    tok.end = ++pos_;
    tok.kind = Tok::kString;
    return tok;
  }

  absl::StatusOr<Token> LexHeredoc(Token tok) {
    std::size_t p = pos_ + 1;
    if (p >= text_.size() || text_[p] != '<') {
      return Error(pos_, "unexpected character '<' (a heredoc starts with <<)");
    }
    ++p;
    bool indented = p < text_.size() && text_[p] == '-';
    if (indented) ++p;
    std::size_t anchor_start = p;
    while (p < text_.size() && (IsAsciiLetter(text_[p]) || IsDigit(text_[p]) || text_[p] == '_')) {
      ++p;
    }
    std::string_view anchor = text_.substr(anchor_start, p - anchor_start);
    if (anchor.empty()) {
      return Error(p,
                   Cat("expected a heredoc marker name after '<<', found ", DescribeAt(text_, p)));
    }
    if (p + 1 < text_.size() && text_[p] == '\r' && text_[p + 1] == '\n') ++p;
    if (p >= text_.size() || text_[p] != '\n') {
      return Error(p, Cat("expected a newline after heredoc marker <<", indented ? "-" : "", anchor,
                          ", found ", DescribeAt(text_, p)));
    }
    const std::size_t content_start = p + 1;
    std::size_t line_start = content_start;
    std::string_view marker_indent;
    while (true) {
      if (line_start >= text_.size()) {
        return Error(tok.offset,
                     Cat("unterminated heredoc: no line holding only \"", anchor, "\" closes it"));
      }
      std::size_t nl = text_.find('\n', line_start);
      std::size_t line_end = nl == std::string_view::npos ? text_.size() : nl;
      std::string_view line = text_.substr(line_start, line_end - line_start);
      while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      std::size_t lead = line.find_first_not_of(" \t");
      if (lead != std::string_view::npos && line.substr(lead) == anchor) {
        marker_indent = line.substr(0, lead);
        pos_ = line_end;
        break;
      }
      line_start = line_end + 1;
    }
    std::string_view content = text_.substr(content_start, line_start - content_start);
    tok.kind = Tok::kHeredoc;
    tok.end = pos_;
    tok.text = indented ? Unindent(content, marker_indent) : std::string(content);
    return tok;
  }

  // HCL1's `<<-` rule: when every line starts with the closing marker's indentation, strip
  // it; otherwise keep the text as written. Unlike HCL1, a blank line does not defeat the
  // rule (HCL1 then silently keeps all the indentation, which surprises users).
  static std::string Unindent(std::string_view content, std::string_view prefix) {
    std::vector<std::string_view> lines;
    for (std::size_t start = 0; start < content.size();) {
      std::size_t nl = content.find('\n', start);  // content ends with '\n' when non-empty
      lines.push_back(content.substr(start, nl - start));
      start = nl + 1;
    }
    for (std::string_view line : lines) {
      bool blank = line.find_first_not_of(" \t\r") == std::string_view::npos;
      if (!blank && line.substr(0, prefix.size()) != prefix) return std::string(content);
    }
    std::string out;
    for (std::string_view line : lines) {
      if (line.substr(0, prefix.size()) == prefix) out.append(line.substr(prefix.size()));
      out.push_back('\n');
    }
    return out;
  }

  absl::StatusOr<Token> LexNumber(Token tok) {
    std::size_t p = pos_;
    bool negative = text_[p] == '-';
    if (negative) ++p;
    std::size_t body_start = p;
    bool hex = p + 1 < text_.size() && text_[p] == '0' && (text_[p + 1] | 0x20) == 'x';
    while (p < text_.size()) {
      char c = text_[p];
      bool sign_after_exponent =
          (c == '+' || c == '-') && !hex && p > body_start && (text_[p - 1] | 0x20) == 'e';
      if (IsAsciiLetter(c) || IsDigit(c) || c == '_' || c == '.' || sign_after_exponent) {
        ++p;
      } else {
        break;
      }
    }
    std::string_view raw = text_.substr(pos_, p - pos_);
    std::string_view body = text_.substr(body_start, p - body_start);
    pos_ = p;
    tok.end = p;
    auto invalid = [&](std::string_view why) {
      return Error(tok.offset, Cat(why, " \"", raw, "\""));
    };

    int base = 10;
    std::string_view digits = body;
    if (hex) {
      base = 16;
      digits = body.substr(2);
    } else if (body.size() > 1 && body[0] == '0' &&
               body.find_first_not_of("0123456789") == std::string_view::npos) {
      base = 8;  // Go's ParseInt(s, 0, 0), which HCL1 uses: a leading 0 means octal
      digits = body.substr(1);
    }
    bool integral = !digits.empty();
    for (char c : digits) integral = integral && (base == 16 ? IsHexDigit(c) : IsDigit(c));
    if (integral) {
      uint64_t magnitude = 0;
      auto [end, ec] =
          std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
      if (ec == std::errc::invalid_argument || end != digits.data() + digits.size()) {
        return invalid("invalid octal number");  // only base 8 can fail here (8 or 9)
      }
      uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
      if (ec == std::errc::result_out_of_range || magnitude > limit) {
        return invalid("integer out of range (64-bit signed)");
      }
      tok.kind = Tok::kInt;
      tok.int_value =
          negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
      return tok;
    }

    // Float: digits, then an optional fraction and exponent; at least one of the two.
    std::size_t i = 0;
    auto skip_digits = [&] {
      std::size_t from = i;
      while (i < body.size() && IsDigit(body[i])) ++i;
      return i > from;
    };
    bool ok = skip_digits();
    bool has_fraction = false;
    bool has_exponent = false;
    if (ok && i < body.size() && body[i] == '.') {
      ++i;
      ok = has_fraction = skip_digits();
    }
    if (ok && i < body.size() && (body[i] | 0x20) == 'e') {
      ++i;
      if (i < body.size() && (body[i] == '+' || body[i] == '-')) ++i;
      ok = has_exponent = skip_digits();
    }
    if (!ok || i != body.size() || (!has_fraction && !has_exponent)) {
      return invalid("invalid number");
    }
    double value = 0;
    auto [end, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), value);
    if (ec != std::errc() || end != raw.data() + raw.size()) {
      return invalid("number out of range");
    }
    tok.kind = Tok::kFloat;
    tok.float_value = value;
    return tok;
  }

  std::string_view text_;
  std::string_view filename_;
  std::size_t pos_ = 0;
};

std::string_view KindName(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::object:
      return "an object";
    case boost::json::kind::array:
      return "a list";
    case boost::json::kind::string:
      return "a string";
    case boost::json::kind::bool_:
      return "a bool";
    case boost::json::kind::null:
      return "null";
    default:
      return "a number";
  }
}

// Recursive-descent parser with one token of lookahead (cur_). Depth is the nesting level
// of the object being filled (the file's top level is 1); anything that would open a level
// beyond kMaxConfigDepth is an error, which bounds the recursion.
class Parser {
 public:
  Parser(std::string_view text, std::string_view filename) : text_(text), lexer_(text, filename) {}

  absl::StatusOr<boost::json::object> ParseFile() {
    if (absl::Status s = Advance(); !s.ok()) return s;
    boost::json::object root;
    if (absl::Status s = ParseBody(root, 1, nullptr); !s.ok()) return s;
    return root;
  }

 private:
  absl::Status Advance() {
    absl::StatusOr<Token> tok = lexer_.Next();
    if (!tok.ok()) return tok.status();
    cur_ = *std::move(tok);
    return absl::OkStatus();
  }

  absl::Status ErrorHere(std::string_view expected) const {
    return lexer_.Error(cur_.offset, Cat(expected, ", found ", Describe(cur_)));
  }

  std::string Describe(const Token& tok) const {
    switch (tok.kind) {
      case Tok::kEof:
        return "end of input";
      case Tok::kString:
        return Cat("string ", DescribeAt(text_, tok.offset));
      case Tok::kHeredoc:
        return "a heredoc";
      default:
        return DescribeAt(text_, tok.offset);
    }
  }

  std::string Where(std::size_t offset) const {
    TextPosition p = PositionOf(text_, offset);
    return Cat(p.line, ":", p.column);
  }

  absl::Status TooDeep() const {
    return lexer_.Error(cur_.offset, Cat("nesting deeper than ", kMaxConfigDepth, " levels"));
  }

  // Items up to the closing '}' of `open` (consumed), or up to end of input when `open` is
  // null (the file's top level).
  absl::Status ParseBody(boost::json::object& out, std::size_t depth, const Token* open) {
    while (true) {
      if (cur_.kind == Tok::kEof && open == nullptr) return absl::OkStatus();
      if (cur_.kind == Tok::kRBrace && open != nullptr) return Advance();
      if (cur_.kind != Tok::kIdent && cur_.kind != Tok::kString) {
        if (open != nullptr && cur_.kind == Tok::kEof) {
          return ErrorHere(Cat("expected '}' to close the '{' at ", Where(open->offset)));
        }
        return ErrorHere(open == nullptr ? "expected a key (identifier or quoted string)"
                                         : "expected a key or '}'");
      }
      if (absl::Status s = ParseItem(out, depth); !s.ok()) return s;
      if (cur_.kind == Tok::kComma) {
        if (absl::Status s = Advance(); !s.ok()) return s;
      }
    }
  }

  // key = value | key [label...] { body }
  absl::Status ParseItem(boost::json::object& out, std::size_t depth) {
    std::vector<Token> keys;
    while (cur_.kind == Tok::kIdent || cur_.kind == Tok::kString) {
      keys.push_back(std::move(cur_));
      if (absl::Status s = Advance(); !s.ok()) return s;
    }
    boost::json::value value;
    if (cur_.kind == Tok::kAssign && keys.size() == 1) {
      if (absl::Status s = Advance(); !s.ok()) return s;
      absl::StatusOr<boost::json::value> v =
          ParseValue(depth + 1, Cat("expected a value after '", keys[0].text, " ='"));
      if (!v.ok()) return v.status();
      value = *std::move(v);
    } else if (cur_.kind == Tok::kLBrace) {
      if (depth + keys.size() > kMaxConfigDepth) return TooDeep();
      Token open = cur_;
      if (absl::Status s = Advance(); !s.ok()) return s;
      boost::json::object body;
      if (absl::Status s = ParseBody(body, depth + keys.size(), &open); !s.ok()) return s;
      value = std::move(body);
    } else if (keys.size() == 1) {
      return ErrorHere(Cat("expected '=' or '{' after key \"", keys[0].text, "\""));
    } else {
      return ErrorHere(Cat("expected '{' after block \"", keys[0].text, "\" and its labels"));
    }
    return Insert(out, keys, std::move(value));
  }

  absl::StatusOr<boost::json::value> ParseValue(std::size_t depth, std::string_view expected) {
    Token tok = cur_;
    switch (tok.kind) {
      case Tok::kString:
      case Tok::kHeredoc:
      case Tok::kInt:
      case Tok::kFloat:
      case Tok::kBool: {
        if (absl::Status s = Advance(); !s.ok()) return s;
        if (tok.kind == Tok::kInt) return boost::json::value(tok.int_value);
        if (tok.kind == Tok::kFloat) return boost::json::value(tok.float_value);
        if (tok.kind == Tok::kBool) return boost::json::value(tok.bool_value);
        return boost::json::value(boost::json::string_view(tok.text));
      }
      case Tok::kLBrace: {
        if (depth > kMaxConfigDepth) return TooDeep();
        if (absl::Status s = Advance(); !s.ok()) return s;
        boost::json::object body;
        if (absl::Status s = ParseBody(body, depth, &tok); !s.ok()) return s;
        return boost::json::value(std::move(body));
      }
      case Tok::kLBrack:
        if (depth > kMaxConfigDepth) return TooDeep();
        return ParseList(depth);
      case Tok::kIdent:
        return lexer_.Error(tok.offset, Cat(expected, ", found ", Describe(tok),
                                            " (strings must be in double quotes)"));
      default:
        return ErrorHere(expected);
    }
  }

  absl::StatusOr<boost::json::value> ParseList(std::size_t depth) {
    Token open = cur_;
    if (absl::Status s = Advance(); !s.ok()) return s;
    boost::json::array list;
    while (true) {
      if (cur_.kind == Tok::kRBrack) break;
      if (cur_.kind == Tok::kEof) {
        return ErrorHere(Cat("expected ']' to close the '[' at ", Where(open.offset)));
      }
      absl::StatusOr<boost::json::value> v = ParseValue(depth + 1, "expected a value or ']'");
      if (!v.ok()) return v.status();
      list.push_back(*std::move(v));
      if (cur_.kind == Tok::kComma) {
        if (absl::Status s = Advance(); !s.ok()) return s;
      } else if (cur_.kind == Tok::kEof) {
        return ErrorHere(Cat("expected ']' to close the '[' at ", Where(open.offset)));
      } else if (cur_.kind != Tok::kRBrack) {
        return ErrorHere("expected ',' or ']' after a list element");
      }
    }
    if (absl::Status s = Advance(); !s.ok()) return s;
    return boost::json::value(std::move(list));
  }

  // Stores `value` under `keys` (a key plus block labels), applying HCL1's rules for
  // repeated keys (see config_reader.h). As in HCL1, `a "b" "c" {..}` is `a { b { c {..} } }`:
  // labels only nest, so two labelled blocks named `a` make a list like any repeated block.
  absl::Status Insert(boost::json::object& out, const std::vector<Token>& keys,
                      boost::json::value value) {
    for (std::size_t i = keys.size() - 1; i > 0; --i) {
      boost::json::object wrapper;
      wrapper.emplace(keys[i].text, std::move(value));
      value = std::move(wrapper);
    }
    const Token& key = keys.front();
    auto [it, inserted] = out.emplace(key.text, nullptr);
    boost::json::value& slot = it->value();
    if (inserted) {
      slot = std::move(value);
      return absl::OkStatus();
    }
    bool old_nested = slot.is_object() || slot.is_array();
    bool new_nested = value.is_object() || value.is_array();
    if (!old_nested && !new_nested) {
      slot = std::move(value);  // two scalars: the last wins
      return absl::OkStatus();
    }
    if (old_nested != new_nested) return Conflict(key, slot, KindName(value));
    if (slot.is_object()) {
      boost::json::array list;
      list.push_back(std::move(slot));
      slot = std::move(list);
    }
    boost::json::array& list = slot.as_array();
    if (value.is_array()) {
      for (boost::json::value& v : value.as_array()) list.push_back(std::move(v));
    } else {
      list.push_back(std::move(value));
    }
    return absl::OkStatus();
  }

  absl::Status Conflict(const Token& key, const boost::json::value& old,
                        std::string_view new_kind) const {
    return lexer_.Error(key.offset, Cat("key \"", key.text, "\" was already set to ", KindName(old),
                                        " and cannot also be ", new_kind));
  }

  std::string_view text_;
  Lexer lexer_;
  Token cur_;
};

}  // namespace

// Go's HCL scanner rejects invalid UTF-8 too; JSON strings must be valid by RFC 8259.
std::size_t FindInvalidUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len;
    uint32_t min;
    uint32_t cp;
    if ((c & 0xe0) == 0xc0) {
      len = 2, min = 0x80, cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3, min = 0x800, cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4, min = 0x10000, cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > s.size()) return i;
    for (int k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += len;
  }
  return std::string_view::npos;
}

TextPosition PositionOf(std::string_view text, std::size_t offset) {
  TextPosition pos;
  if (offset > text.size()) offset = text.size();
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++pos.line;
      pos.column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xc0) != 0x80) {
      ++pos.column;  // count characters, not UTF-8 continuation bytes
    }
  }
  return pos;
}

absl::Status SyntaxErrorAt(std::string_view filename, std::string_view text, std::size_t offset,
                           std::string_view what) {
  TextPosition p = PositionOf(text, offset);
  return absl::InvalidArgumentError(Cat(filename, ":", p.line, ":", p.column, ": ", what));
}

std::string DescribeAt(std::string_view text, std::size_t offset) {
  if (offset >= text.size()) return "end of input";
  char c = text[offset];
  if (c == '\n' || c == '\r') return "end of line";
  std::size_t end = offset;
  if (c == '"') {
    end = offset + 1;
    while (end < text.size() && text[end] != '"' && text[end] != '\n') {
      end += text[end] == '\\' && end + 1 < text.size() ? 2 : 1;
    }
    if (end >= text.size() || text[end] != '"') return DescribeChar(c);  // unterminated
    ++end;
  } else {
    while (end < text.size() && (IsIdentChar(text[end]) || text[end] == '+')) ++end;
  }
  if (end == offset) return DescribeChar(c);
  constexpr std::size_t kMaxShown = 40;
  std::size_t shown = std::min(end - offset, kMaxShown);
  while (shown > 1 && offset + shown < text.size() &&
         (static_cast<unsigned char>(text[offset + shown]) & 0xc0) == 0x80) {
    --shown;  // never cut a UTF-8 character in half
  }
  std::string_view word = text.substr(offset, shown);
  if (FindInvalidUtf8(word) != std::string_view::npos) return DescribeChar(c);
  if (c == '"') return Cat(word, end - offset > kMaxShown ? "..." : "");
  return Cat("\"", word, end - offset > kMaxShown ? "...\"" : "\"");
}

absl::StatusOr<boost::json::object> ParseHcl(std::string_view text, std::string_view filename) {
  if (std::size_t bad = FindInvalidUtf8(text); bad != std::string_view::npos) {
    return SyntaxErrorAt(filename, text, bad, "invalid UTF-8 encoding");
  }
  return Parser(text, filename).ParseFile();
}

}  // namespace cairn::base::internal
