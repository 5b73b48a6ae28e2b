#include "filter_parser.h"

#include <cstdint>
#include <utility>

#include <cairn/catalog/filter.h>

#include "str_util.h"

namespace cairn::catalog::internal {
namespace {

// Bounds the size of the tree (and so the recursion when evaluating and freeing it).
constexpr int kMaxMatches = 1024;

bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsIdentChar(char c) { return IsIdentStart(c) || (c >= '0' && c <= '9') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Recursive descent over the characters, mirroring go-bexpr's PEG (grammar.peg) rule by
// rule, so that positions in errors point where a reader would look. Recursion is bounded
// by kMaxFilterDepth, which keeps hostile input from exhausting the stack.
class Parser {
 public:
  explicit Parser(std::string_view in) : in_(in) {}

  absl::StatusOr<std::unique_ptr<ParsedExpr>> Run() {
    SkipWs();
    if (AtEnd()) return Error(pos_, "expected an expression");
    auto expr = ParseOr();
    if (!expr.ok()) return expr;
    SkipWs();
    if (!AtEnd()) return Error(pos_, "expected \"and\", \"or\" or end of input");
    return expr;
  }

 private:
  using Result = absl::StatusOr<std::unique_ptr<ParsedExpr>>;

  bool AtEnd() const { return pos_ >= in_.size(); }
  char Peek(std::size_t ahead = 0) const {
    return pos_ + ahead < in_.size() ? in_[pos_ + ahead] : '\0';
  }
  void SkipWs() {
    while (!AtEnd() && IsSpace(in_[pos_])) ++pos_;
  }

  // True (and consumes it) when the input at pos_ is the word `kw` not followed by an
  // identifier character.
  bool TakeKeyword(std::string_view kw) {
    if (in_.substr(pos_, kw.size()) != kw) return false;
    std::size_t end = pos_ + kw.size();
    if (end < in_.size() && IsIdentChar(in_[end])) return false;
    pos_ = end;
    return true;
  }
  bool PeekKeyword(std::string_view kw) {
    std::size_t saved = pos_;
    bool found = TakeKeyword(kw);
    pos_ = saved;
    return found;
  }

  // "line:col (offset)" of byte `at`, as pigeon (go-bexpr's parser generator) prints it.
  std::string Location(std::size_t at) const {
    int line = 1, col = 1;
    for (std::size_t i = 0; i < at && i < in_.size(); ++i) {
      if (in_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    return Cat(line, ":", col, " (", at, ")");
  }

  // "<location>: expected ..., got <what is there>".
  absl::Status Error(std::size_t at, std::string_view expected) const {
    std::string got;
    if (at >= in_.size()) {
      got = "end of input";
    } else {
      std::size_t end = at;
      while (end < in_.size() && end - at < 16 && !IsSpace(in_[end])) ++end;
      if (end == at) end = at + 1;
      got = Cat("\"", in_.substr(at, end - at), "\"");
    }
    return absl::InvalidArgumentError(Cat(Location(at), ": ", expected, ", got ", got));
  }
  absl::Status ErrorText(std::size_t at, std::string_view text) const {
    return absl::InvalidArgumentError(Cat(Location(at), ": ", text));
  }

  static std::unique_ptr<ParsedExpr> Binary(ParsedExpr::Kind kind, std::unique_ptr<ParsedExpr> l,
                                            std::unique_ptr<ParsedExpr> r) {
    auto e = std::make_unique<ParsedExpr>();
    e->kind = kind;
    e->left = std::move(l);
    e->right = std::move(r);
    return e;
  }

  Result ParseOr() {
    auto left = ParseAnd();
    if (!left.ok()) return left;
    std::unique_ptr<ParsedExpr> acc = std::move(*left);
    while (true) {
      std::size_t saved = pos_;
      SkipWs();
      if (!TakeKeyword("or")) {
        pos_ = saved;
        return acc;
      }
      SkipWs();
      auto right = ParseAnd();
      if (!right.ok()) return right;
      acc = Binary(ParsedExpr::Kind::kOr, std::move(acc), std::move(*right));
    }
  }

  Result ParseAnd() {
    auto left = ParseNot();
    if (!left.ok()) return left;
    std::unique_ptr<ParsedExpr> acc = std::move(*left);
    while (true) {
      std::size_t saved = pos_;
      SkipWs();
      if (!TakeKeyword("and")) {
        pos_ = saved;
        return acc;
      }
      SkipWs();
      auto right = ParseNot();
      if (!right.ok()) return right;
      acc = Binary(ParsedExpr::Kind::kAnd, std::move(acc), std::move(*right));
    }
  }

  Result ParseNot() {
    if (++depth_ > kMaxFilterDepth) {
      return ErrorText(pos_, Cat("expression nested more than ", kMaxFilterDepth, " levels deep"));
    }
    Result out = ParseNotInner();
    --depth_;
    return out;
  }

  Result ParseNotInner() {
    std::size_t start = pos_;
    if (TakeKeyword("not")) {
      // `not == x` and `not in Tags` use "not" as a selector or bare value instead.
      std::size_t after = pos_;
      SkipWs();
      if (!PeekKeyword("in") && Peek() != '=' && Peek() != '!' && !AtEnd() &&
          (pos_ > after || Peek() == '(')) {
        auto operand = ParseNot();
        if (!operand.ok()) return operand;
        if ((*operand)->kind == ParsedExpr::Kind::kNot) return std::move((*operand)->left);
        auto e = std::make_unique<ParsedExpr>();
        e->kind = ParsedExpr::Kind::kNot;
        e->left = std::move(*operand);
        return e;
      }
      pos_ = start;
    }
    if (Peek() == '(') {
      ++pos_;
      SkipWs();
      auto inner = ParseOr();
      if (!inner.ok()) return inner;
      SkipWs();
      if (Peek() != ')') return Error(pos_, "expected \")\" (unmatched parentheses)");
      ++pos_;
      return inner;
    }
    return ParseMatch();
  }

  // One term before the operator: a selector, or (for `in`) a value.
  struct Term {
    bool is_selector = false;
    std::vector<std::string> path;  // when is_selector
    std::string value;              // literal value, or the selector's dotted text
  };

  absl::StatusOr<std::string> ParseString() {
    char quote = Peek();
    std::size_t start = pos_;
    ++pos_;
    std::string out;
    while (true) {
      if (AtEnd()) return ErrorText(start, "Unterminated string literal");
      char c = in_[pos_++];
      if (c == quote) return out;
      if (quote == '`') {
        if (c != '\r') out += c;  // Go drops carriage returns from raw strings
        continue;
      }
      if (c == '\n') return ErrorText(start, "invalid string literal: newline inside quotes");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (AtEnd()) return ErrorText(start, "Unterminated string literal");
      char e = in_[pos_++];
      switch (e) {
        case 'a':
          out += '\a';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'v':
          out += '\v';
          break;
        case '\\':
          out += '\\';
          break;
        case '"':
          out += '"';
          break;
        case 'x':
        case 'u':
        case 'U': {
          int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          uint32_t v = 0;
          for (int i = 0; i < digits; ++i) {
            int h = HexValue(Peek());
            if (h < 0) return ErrorText(pos_, "invalid escape in string literal");
            v = v * 16 + static_cast<uint32_t>(h);
            ++pos_;
          }
          if (e == 'x') {
            out += static_cast<char>(v);
          } else {
            if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
              return ErrorText(pos_, "invalid Unicode code point in string literal");
            AppendUtf8(v, out);
          }
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            uint32_t v = static_cast<uint32_t>(e - '0');
            for (int i = 0; i < 2; ++i) {
              char d = Peek();
              if (d < '0' || d > '7') return ErrorText(pos_, "invalid escape in string literal");
              v = v * 8 + static_cast<uint32_t>(d - '0');
              ++pos_;
            }
            if (v > 255) return ErrorText(pos_, "invalid escape in string literal");
            out += static_cast<char>(v);
            break;
          }
          return ErrorText(pos_ - 2, "invalid escape in string literal");
      }
    }
  }

  absl::StatusOr<std::string> ParseNumber() {
    std::size_t start = pos_;
    if (Peek() == '-') ++pos_;
    if (Peek() == '0') {
      ++pos_;
    } else if (IsDigit(Peek())) {
      while (IsDigit(Peek())) ++pos_;
    } else {
      return Error(pos_, "expected a number");
    }
    if (Peek() == '.' && IsDigit(Peek(1))) {
      ++pos_;
      while (IsDigit(Peek())) ++pos_;
    }
    if (!AtEnd() && !IsSpace(Peek()) && Peek() != ')') {
      return ErrorText(start, "Invalid number literal");
    }
    return std::string(in_.substr(start, pos_ - start));
  }

  absl::StatusOr<std::vector<std::string>> ParseSelector() {
    std::vector<std::string> path;
    auto ident = [&]() {
      std::size_t s = pos_;
      while (IsIdentChar(Peek())) ++pos_;
      return std::string(in_.substr(s, pos_ - s));
    };
    path.push_back(ident());
    while (true) {
      if (Peek() == '.' && IsIdentStart(Peek(1))) {
        ++pos_;
        path.push_back(ident());
      } else if (Peek() == '.' && IsDigit(Peek(1))) {
        ++pos_;
        std::size_t s = pos_;
        while (IsDigit(Peek())) ++pos_;
        path.emplace_back(in_.substr(s, pos_ - s));
      } else if (Peek() == '[') {
        ++pos_;
        SkipWs();
        if (Peek() != '"' && Peek() != '`') return ErrorText(pos_, "Invalid index");
        auto key = ParseString();
        if (!key.ok()) return key.status();
        SkipWs();
        if (Peek() != ']') return ErrorText(pos_, "Unclosed index expression");
        ++pos_;
        path.push_back(*std::move(key));
      } else {
        return path;
      }
    }
  }

  absl::StatusOr<Term> ParseTerm(bool selector_required) {
    Term t;
    char c = Peek();
    if (IsIdentStart(c)) {
      auto path = ParseSelector();
      if (!path.ok()) return path.status();
      t.is_selector = true;
      t.path = *std::move(path);
      t.value = SelectorText(t.path, t.path.size());
      return t;
    }
    if (selector_required) return Error(pos_, "expected a selector");
    if (c == '"' || c == '`') {
      auto s = ParseString();
      if (!s.ok()) return s.status();
      t.value = *std::move(s);
      return t;
    }
    if (c == '-' || IsDigit(c)) {
      auto n = ParseNumber();
      if (!n.ok()) return n.status();
      t.value = *std::move(n);
      return t;
    }
    return Error(pos_, "expected a selector or a value");
  }

  Result ParseMatch() {
    std::size_t term_pos = pos_;
    if (++matches_ > kMaxMatches) {
      return ErrorText(pos_, Cat("more than ", kMaxMatches, " match expressions"));
    }
    auto first = ParseTerm(/*selector_required=*/false);
    if (!first.ok()) return first.status();
    SkipWs();
    auto e = std::make_unique<ParsedExpr>();
    e->kind = ParsedExpr::Kind::kMatch;
    std::size_t op_pos = pos_;
    bool value_first = false;  // `value in selector`
    if (in_.substr(pos_, 2) == "==") {
      pos_ += 2;
      e->op = MatchOp::kEqual;
    } else if (in_.substr(pos_, 2) == "!=") {
      pos_ += 2;
      e->op = MatchOp::kNotEqual;
    } else if (TakeKeyword("is")) {
      SkipWs();
      bool negated = TakeKeyword("not");
      SkipWs();
      if (!TakeKeyword("empty")) return Error(pos_, "expected \"empty\"");
      e->op = negated ? MatchOp::kIsNotEmpty : MatchOp::kIsEmpty;
    } else if (TakeKeyword("contains")) {
      e->op = MatchOp::kIn;
    } else if (TakeKeyword("matches")) {
      e->op = MatchOp::kMatches;
    } else if (TakeKeyword("in")) {
      e->op = MatchOp::kIn;
      value_first = true;
    } else if (TakeKeyword("not")) {
      SkipWs();
      if (TakeKeyword("in")) {
        e->op = MatchOp::kNotIn;
        value_first = true;
      } else if (TakeKeyword("contains")) {
        e->op = MatchOp::kNotIn;
      } else if (TakeKeyword("matches")) {
        e->op = MatchOp::kNotMatches;
      } else {
        return Error(pos_, "expected \"in\", \"contains\" or \"matches\"");
      }
    } else {
      return Error(op_pos, first->is_selector
                               ? "expected \"==\", \"!=\", \"contains\", \"matches\", \"in\" "
                                 "or \"is\""
                               : "expected \"in\" or \"not in\"");
    }
    SkipWs();
    if (value_first) {
      auto sel = ParseTerm(/*selector_required=*/true);
      if (!sel.ok()) return sel.status();
      e->selector = std::move(sel->path);
      e->has_value = true;
      e->value = std::move(first->value);
      return e;
    }
    if (!first->is_selector) return Error(term_pos, "expected a selector");
    e->selector = std::move(first->path);
    if (e->op == MatchOp::kIsEmpty || e->op == MatchOp::kIsNotEmpty) return e;
    if (AtEnd()) return Error(pos_, "expected a value");
    auto value = ParseTerm(/*selector_required=*/false);
    if (!value.ok()) return value.status();
    e->has_value = true;
    e->value = std::move(value->value);
    return e;
  }

  std::string_view in_;
  std::size_t pos_ = 0;
  int depth_ = 0;
  int matches_ = 0;
};

}  // namespace

std::string_view MatchOpName(MatchOp op) {
  switch (op) {
    case MatchOp::kEqual:
      return "Equal";
    case MatchOp::kNotEqual:
      return "Not Equal";
    case MatchOp::kIn:
      return "In";
    case MatchOp::kNotIn:
      return "Not In";
    case MatchOp::kIsEmpty:
      return "Is Empty";
    case MatchOp::kIsNotEmpty:
      return "Is Not Empty";
    case MatchOp::kMatches:
      return "Matches";
    case MatchOp::kNotMatches:
      return "Not Matches";
  }
  return "Unknown";
}

std::string SelectorText(const std::vector<std::string>& path, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count && i < path.size(); ++i) {
    if (i > 0) out += '.';
    out += path[i];
  }
  return out;
}

absl::StatusOr<std::unique_ptr<ParsedExpr>> ParseFilterExpression(std::string_view text) {
  if (text.size() > kMaxFilterBytes) {
    return absl::InvalidArgumentError(Cat("filter expression is ", text.size(),
                                          " bytes, more than the limit of ", kMaxFilterBytes));
  }
  return Parser(text).Run();
}

}  // namespace cairn::catalog::internal
