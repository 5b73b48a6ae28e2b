// Private: the syntax tree of a filter expression and the parser that builds it. Types are
// not checked here; filter.cc resolves selectors against a schema afterwards.
#ifndef CAIRN_CATALOG_SRC_FILTER_PARSER_H_
#define CAIRN_CATALOG_SRC_FILTER_PARSER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>

namespace cairn::catalog::internal {

// go-bexpr's match operators; `contains` parses to kIn and `not contains` to kNotIn.
enum class MatchOp { kEqual, kNotEqual, kIn, kNotIn, kIsEmpty, kIsNotEmpty, kMatches, kNotMatches };

// bexpr's display names ("Equal", "Not In", ...), used in error messages.
std::string_view MatchOpName(MatchOp op);

struct ParsedExpr {
  enum class Kind { kAnd, kOr, kNot, kMatch };
  Kind kind = Kind::kMatch;
  std::unique_ptr<ParsedExpr> left;   // kAnd, kOr, kNot (the operand)
  std::unique_ptr<ParsedExpr> right;  // kAnd, kOr
  // kMatch:
  std::vector<std::string> selector;  // path segments, map keys unquoted
  MatchOp op = MatchOp::kEqual;
  bool has_value = false;
  std::string value;  // the literal, unquoted; a bare word keeps its dotted text
};

// Parses `text`. Errors are InvalidArgument with the bare detail (no Consul prefix), e.g.
// `1:6 (5): expected a value, got end of input`.
absl::StatusOr<std::unique_ptr<ParsedExpr>> ParseFilterExpression(std::string_view text);

// Joins selector segments with '.', as bexpr prints selectors.
std::string SelectorText(const std::vector<std::string>& path, std::size_t count);

}  // namespace cairn::catalog::internal

#endif  // CAIRN_CATALOG_SRC_FILTER_PARSER_H_
