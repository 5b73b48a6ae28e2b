#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <utility>

#include <absl/strings/match.h>
#include <absl/strings/numbers.h>

#include <cairn/base/status.h>
#include <cairn/catalog/filter.h>

#include "filter_parser.h"
#include "str_util.h"
#include <re2/re2.h>

namespace cairn::catalog {
namespace internal {

// One step from an object towards the selected value.
struct Step {
  enum class Kind { kField, kMapKey, kEach };
  Kind kind;
  const FieldSpec* field = nullptr;  // kField: the field; kEach: the list field
  std::string key;                   // kMapKey
};

// The compiled tree: selectors resolved to steps, values coerced to the field's type.
struct FilterNode {
  ParsedExpr::Kind kind = ParsedExpr::Kind::kMatch;
  std::unique_ptr<const FilterNode> left, right;
  // kMatch:
  std::vector<Step> steps;
  FieldKind leaf = FieldKind::kString;
  MatchOp op = MatchOp::kEqual;
  std::string text;  // string value (also the regex source)
  bool boolean = false;
  int64_t integer = 0;
  uint64_t unsigned_integer = 0;
  std::unique_ptr<const re2::RE2> regex;  // kMatches / kNotMatches
  std::string selector;                   // for DebugString
};

}  // namespace internal

namespace {

using internal::Append;
using internal::Cat;
using internal::FilterNode;
using internal::MatchOp;
using internal::ParsedExpr;
using internal::Step;

absl::Status CompileError(std::string_view detail) {
  return absl::InvalidArgumentError(Cat(kFilterErrorPrefix, detail));
}

bool OpAllowed(FieldKind kind, MatchOp op) {
  switch (kind) {
    case FieldKind::kString:
      return true;
    case FieldKind::kBool:
    case FieldKind::kInt:
    case FieldKind::kUint64:
      return op == MatchOp::kEqual || op == MatchOp::kNotEqual;
    case FieldKind::kStringList:
    case FieldKind::kStringMap:
      return op == MatchOp::kIn || op == MatchOp::kNotIn || op == MatchOp::kIsEmpty ||
             op == MatchOp::kIsNotEmpty;
    case FieldKind::kStructList:
      return op == MatchOp::kIsEmpty || op == MatchOp::kIsNotEmpty;
    case FieldKind::kStruct:
      return false;
  }
  return false;
}

// Result of a match whose value is absent (an unset nested object): negations hold.
bool AbsentResult(MatchOp op) {
  return op == MatchOp::kNotEqual || op == MatchOp::kNotIn || op == MatchOp::kNotMatches ||
         op == MatchOp::kIsEmpty;
}

// Go's strconv.ParseBool.
bool ParseGoBool(std::string_view s, bool* out) {
  if (s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "true" || s == "True") {
    *out = true;
    return true;
  }
  if (s == "0" || s == "f" || s == "F" || s == "FALSE" || s == "false" || s == "False") {
    *out = false;
    return true;
  }
  return false;
}

absl::Status Coerce(FilterNode& node, const std::string& raw, const std::string& sel) {
  auto fail = [&](std::string_view why) {
    return CompileError(
        Cat("Failed to coerce value \"", raw, "\" for selector \"", sel, "\": ", why));
  };
  if (node.op == MatchOp::kMatches || node.op == MatchOp::kNotMatches) {
    node.text = raw;
    // RE2, as Consul's filters use (Go's regexp): its syntax, and matching in time linear in
    // the subject, so no pattern a client sends can make an evaluation backtrack for ever.
    std::string why;
    if (raw.size() > kMaxRegexBytes) {
      why = Cat("pattern longer than ", kMaxRegexBytes, " bytes");
    } else {
      re2::RE2::Options options;
      options.set_log_errors(false);
      options.set_max_mem(kMaxRegexProgramBytes);
      auto compiled = std::make_unique<re2::RE2>(raw, options);
      if (compiled->ok()) {
        node.regex = std::move(compiled);
      } else {
        why = compiled->error();
      }
    }
    if (!why.empty()) {
      return CompileError(Cat("Failed to compile regular expression \"", raw, "\": ", why));
    }
    return absl::OkStatus();
  }
  // `in` against a list or map compares strings; on scalars the field's type decides.
  FieldKind kind = node.leaf;
  if (kind == FieldKind::kStringList || kind == FieldKind::kStringMap) kind = FieldKind::kString;
  switch (kind) {
    case FieldKind::kBool:
      if (!ParseGoBool(raw, &node.boolean)) return fail("not a boolean");
      return absl::OkStatus();
    case FieldKind::kInt:
      if (!absl::SimpleAtoi(base::ToAbsl(raw), &node.integer) ||
          node.integer < std::numeric_limits<int>::min() ||
          node.integer > std::numeric_limits<int>::max()) {
        return fail("not an integer");
      }
      return absl::OkStatus();
    case FieldKind::kUint64:
      if (!absl::SimpleAtoi(base::ToAbsl(raw), &node.unsigned_integer)) {
        return fail("not an unsigned integer");
      }
      return absl::OkStatus();
    default:
      node.text = raw;
      return absl::OkStatus();
  }
}

absl::StatusOr<std::unique_ptr<const FilterNode>> Compile(const ParsedExpr& e,
                                                          const StructSchema& schema) {
  auto node = std::make_unique<FilterNode>();
  node->kind = e.kind;
  if (e.kind != ParsedExpr::Kind::kMatch) {
    auto left = Compile(*e.left, schema);
    if (!left.ok()) return left.status();
    node->left = *std::move(left);
    if (e.right) {
      auto right = Compile(*e.right, schema);
      if (!right.ok()) return right.status();
      node->right = *std::move(right);
    }
    return std::unique_ptr<const FilterNode>(std::move(node));
  }
  std::string sel = internal::SelectorText(e.selector, e.selector.size());
  node->selector = sel;
  node->op = e.op;
  const StructSchema* current = &schema;
  FieldKind kind = FieldKind::kStruct;
  const FieldSpec* list_field = nullptr;
  for (std::size_t i = 0; i < e.selector.size(); ++i) {
    const std::string& seg = e.selector[i];
    if (kind == FieldKind::kStringMap) {
      node->steps.push_back(Step{Step::Kind::kMapKey, nullptr, seg});
      kind = FieldKind::kString;
      continue;
    }
    if (kind == FieldKind::kStructList) {
      node->steps.push_back(Step{Step::Kind::kEach, list_field, {}});
    } else if (kind != FieldKind::kStruct) {
      current = nullptr;
    }
    const FieldSpec* f = current ? current->Find(seg) : nullptr;
    if (f == nullptr) {
      return CompileError(
          Cat("Selector \"", internal::SelectorText(e.selector, i + 1), "\" is not valid"));
    }
    node->steps.push_back(Step{Step::Kind::kField, f, {}});
    kind = f->kind;
    current = f->element;
    list_field = f;
  }
  node->leaf = kind;
  if (!OpAllowed(kind, e.op)) {
    return CompileError(Cat("Invalid match operator \"", internal::MatchOpName(e.op),
                            "\" for selector \"", sel, "\""));
  }
  if (e.has_value) CAIRN_RETURN_IF_ERROR(Coerce(*node, e.value, sel));
  return std::unique_ptr<const FilterNode>(std::move(node));
}

bool ApplyLeaf(const FilterNode& n, const void* v) {
  switch (n.leaf) {
    case FieldKind::kString: {
      const std::string& s = *static_cast<const std::string*>(v);
      switch (n.op) {
        case MatchOp::kEqual:
          return s == n.text;
        case MatchOp::kNotEqual:
          return s != n.text;
        case MatchOp::kIn:
          return absl::StrContains(s, n.text);
        case MatchOp::kNotIn:
          return !absl::StrContains(s, n.text);
        case MatchOp::kIsEmpty:
          return s.empty();
        case MatchOp::kIsNotEmpty:
          return !s.empty();
        case MatchOp::kMatches:
        case MatchOp::kNotMatches: {
          bool found = s.size() <= kMaxRegexSubjectBytes &&
                       re2::RE2::PartialMatch(re2::StringPiece(s.data(), s.size()), *n.regex);
          return n.op == MatchOp::kMatches ? found : !found;
        }
      }
      return false;
    }
    case FieldKind::kBool: {
      bool b = *static_cast<const bool*>(v);
      return (b == n.boolean) == (n.op == MatchOp::kEqual);
    }
    case FieldKind::kInt: {
      int64_t i = *static_cast<const int*>(v);
      return (i == n.integer) == (n.op == MatchOp::kEqual);
    }
    case FieldKind::kUint64: {
      uint64_t u = *static_cast<const uint64_t*>(v);
      return (u == n.unsigned_integer) == (n.op == MatchOp::kEqual);
    }
    case FieldKind::kStringList: {
      const auto& list = *static_cast<const std::vector<std::string>*>(v);
      if (n.op == MatchOp::kIsEmpty) return list.empty();
      if (n.op == MatchOp::kIsNotEmpty) return !list.empty();
      bool found = std::find(list.begin(), list.end(), n.text) != list.end();
      return n.op == MatchOp::kIn ? found : !found;
    }
    case FieldKind::kStringMap: {
      const auto& map = *static_cast<const std::map<std::string, std::string>*>(v);
      if (n.op == MatchOp::kIsEmpty) return map.empty();
      if (n.op == MatchOp::kIsNotEmpty) return !map.empty();
      bool found = map.count(n.text) > 0;
      return n.op == MatchOp::kIn ? found : !found;
    }
    case FieldKind::kStructList: {
      std::size_t size = n.steps.back().field->size(v);
      return n.op == MatchOp::kIsEmpty ? size == 0 : size != 0;
    }
    case FieldKind::kStruct:
      return false;
  }
  return false;
}

bool EvalMatch(const FilterNode& n, const void* object, std::size_t step) {
  static const std::string kEmpty;
  if (step == n.steps.size()) return ApplyLeaf(n, object);
  const Step& s = n.steps[step];
  switch (s.kind) {
    case Step::Kind::kField: {
      const void* child = s.field->get(object);
      if (child == nullptr) return AbsentResult(n.op);
      return EvalMatch(n, child, step + 1);
    }
    case Step::Kind::kMapKey: {
      const auto& map = *static_cast<const std::map<std::string, std::string>*>(object);
      auto it = map.find(s.key);
      return EvalMatch(n, it == map.end() ? &kEmpty : &it->second, step + 1);
    }
    case Step::Kind::kEach: {
      std::size_t size = s.field->size(object);
      for (std::size_t i = 0; i < size; ++i) {
        const void* elem = s.field->at(object, i);
        if (elem != nullptr && EvalMatch(n, elem, step + 1)) return true;
      }
      return false;
    }
  }
  return false;
}

bool Eval(const FilterNode& n, const void* object) {
  switch (n.kind) {
    case ParsedExpr::Kind::kAnd:
      return Eval(*n.left, object) && Eval(*n.right, object);
    case ParsedExpr::Kind::kOr:
      return Eval(*n.left, object) || Eval(*n.right, object);
    case ParsedExpr::Kind::kNot:
      return !Eval(*n.left, object);
    case ParsedExpr::Kind::kMatch:
      return EvalMatch(n, object, 0);
  }
  return false;
}

void Print(const FilterNode& n, std::string& out) {
  switch (n.kind) {
    case ParsedExpr::Kind::kAnd:
    case ParsedExpr::Kind::kOr:
      out += "(";
      Print(*n.left, out);
      out += n.kind == ParsedExpr::Kind::kAnd ? " and " : " or ";
      Print(*n.right, out);
      out += ")";
      return;
    case ParsedExpr::Kind::kNot:
      out += "not ";
      Print(*n.left, out);
      return;
    case ParsedExpr::Kind::kMatch:
      break;
  }
  Append(out, n.selector, " ", internal::MatchOpName(n.op));
  if (n.op == MatchOp::kIsEmpty || n.op == MatchOp::kIsNotEmpty) return;
  switch (n.leaf) {
    case FieldKind::kBool:
      Append(out, " ", n.boolean ? "true" : "false");
      break;
    case FieldKind::kInt:
      Append(out, " ", n.integer);
      break;
    case FieldKind::kUint64:
      Append(out, " ", n.unsigned_integer);
      break;
    default:
      Append(out, " \"", n.text, "\"");
      break;
  }
}

}  // namespace

const FieldSpec* StructSchema::Find(std::string_view name) const {
  for (const FieldSpec& f : fields_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

absl::StatusOr<Filter> Filter::Create(std::string_view expression, const StructSchema& schema) {
  auto parsed = internal::ParseFilterExpression(expression);
  if (!parsed.ok()) return CompileError(base::ToStd(parsed.status().message()));
  auto root = Compile(**parsed, schema);
  if (!root.ok()) return root.status();
  return Filter(std::shared_ptr<const FilterNode>(*std::move(root)), &schema);
}

bool Filter::MatchesErased(const void* object) const { return Eval(*root_, object); }

void Filter::CheckType(std::type_index t) const {
  CAIRN_CHECK_MSG(t == schema_->type(), "Filter compiled for {} evaluated on {}",
                  schema_->type().name(), t.name());
}

std::string Filter::DebugString() const {
  std::string out;
  Print(*root_, out);
  return out;
}

}  // namespace cairn::catalog
