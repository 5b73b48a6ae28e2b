// cairn/catalog/filter.h — Consul's `?filter=` expression language (go-bexpr).
//
// A filter is compiled once against a Schema (the static description of one result type:
// its field names, their kinds, and how to reach them from an object), then evaluated on
// each result element. The grammar, as the HTTP spec (§1.10) gives it:
//
//   expr     := and_expr ("or" and_expr)*           precedence: not > and > or
//   and_expr := not_expr ("and" not_expr)*
//   not_expr := "not" not_expr | "(" expr ")" | match
//   match    := sel ("==" | "!=") value | sel "is" ["not"] "empty"
//             | value ["not"] "in" sel | sel ["not"] "contains" value
//             | sel ["not"] "matches" value
//   sel      := ident ("." ident | "." digits | "[" string "]")*
//   value    := "string" | `raw string` | number | bare word or dotted path
//
// Usage:
//
//   auto filter = Filter::Create(R"(Service.Tags contains "v2" and Node.Meta.env == prod)",
//                                ServiceInstanceSchema());
//   if (!filter.ok()) return HttpError(400, filter.status().message());
//   for (const ServiceInstance& inst : instances)
//     if (filter->Matches(inst)) out.push_back(inst);
//
// Semantics (those of go-bexpr as Consul 1.10–1.16 uses it):
//  * Operators allowed per field kind: scalars `==` `!=`; strings also `in`/`contains`
//    (substring), `matches` (regular expression) and `is empty`; string lists `in`/`contains`
//    (element equality) and `is empty`; string maps `in`/`contains` (key present), `is empty`
//    and `Map.key` / `Map["key"]` to reach a value (a missing key reads as ""); struct lists
//    `is empty`, and a selector through them (`Checks.Status`) is true if any element matches
//    (so on an empty list every such match, negated ones included, is false).
//  * The value is coerced to the field's type when the filter is compiled: `Port == "80"` and
//    `Port == 80` are the same; `Port == web` fails to compile.
//  * Regular expressions are RE2, as in Consul (Go's regexp is RE2): matching takes time
//    linear in the subject, whatever the pattern. Patterns are limited to kMaxRegexBytes and
//    a compiled program of kMaxRegexProgramBytes, and a field value longer than
//    kMaxRegexSubjectBytes never satisfies `matches` (and always `not matches`).
//
// Errors: Create() returns InvalidArgument whose message is the full text Consul sends,
// "Failed to create boolean expression evaluator: " followed by e.g.
//   1:13 (12): expected "==", "!=", "contains", "matches", "in" or "is", got "foo"
//   Selector "Service.Foo" is not valid
//   Invalid match operator "Matches" for selector "Port"
//   Failed to coerce value "web" for selector "Port": not an integer
//   Failed to compile regular expression "(": <reason>
//
// Thread-safety: a compiled Filter is immutable; Matches() may run on many threads at once.
// Schemas are immutable after construction and usually function-local statics.
#ifndef CAIRN_CATALOG_FILTER_H_
#define CAIRN_CATALOG_FILTER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <typeindex>
#include <vector>

#include <absl/status/statusor.h>

namespace cairn::catalog {

// Longest expression accepted, deepest nesting of parentheses / `not`, longest pattern.
inline constexpr std::size_t kMaxFilterBytes = 64 * 1024;
inline constexpr int kMaxFilterDepth = 64;
inline constexpr std::size_t kMaxRegexBytes = 512;
inline constexpr std::size_t kMaxRegexSubjectBytes = 4096;
inline constexpr int64_t kMaxRegexProgramBytes = 1 << 20;

// Prefix of every compile error, as Consul's HTTP handlers write it.
inline constexpr std::string_view kFilterErrorPrefix =
    "Failed to create boolean expression evaluator: ";

class StructSchema;

// The kind of one field and what the type-erased pointer to it points at.
enum class FieldKind {
  kString,      // const std::string*
  kBool,        // const bool*
  kInt,         // const int*
  kUint64,      // const uint64_t*
  kStringList,  // const std::vector<std::string>*
  kStringMap,   // const std::map<std::string, std::string>*
  kStruct,      // an object described by a StructSchema
  kStructList,  // a sequence of such objects, reached through size/at functions
};

// One field of a struct: its name, kind, and how to reach it from the containing object.
struct FieldSpec {
  std::string name;
  FieldKind kind;
  // Returns a pointer to the field inside `object` (see FieldKind for its type), or nullptr
  // when the field is absent (an unset nested object): matches under it are then false,
  // negated ones true.
  std::function<const void*(const void* object)> get;
  // kStruct and kStructList: the element's schema (outlives this spec).
  const StructSchema* element = nullptr;
  // kStructList: number of elements of the list `get` returned, and element i of it.
  std::function<std::size_t(const void* list)> size;
  std::function<const void*(const void* list, std::size_t i)> at;
};

// Describes one filterable type T: the selectors Filter accepts and how to read them.
// Build it once (a function-local static) with the typed helpers below; the agent builds
// schemas for its own result types (AgentService, AgentCheck) the same way. Not copyable,
// so the element pointers held by other schemas stay valid.
class StructSchema {
 public:
  explicit StructSchema(std::type_index type) : type_(type) {}
  StructSchema(const StructSchema&) = delete;
  StructSchema& operator=(const StructSchema&) = delete;

  // Adds a raw field; the typed helpers of TypedSchema<T> are easier to use.
  void Add(FieldSpec spec) { fields_.push_back(std::move(spec)); }

  // The field called `name` (case-sensitive, as bexpr), or nullptr.
  const FieldSpec* Find(std::string_view name) const;
  std::type_index type() const { return type_; }
  const std::vector<FieldSpec>& fields() const { return fields_; }

 private:
  std::type_index type_;
  std::vector<FieldSpec> fields_;
};

// Typed builder over StructSchema. `f` in every helper is a callable `const X*(const T&)`
// returning the field (or nullptr when absent), e.g. [](const Node& n) { return &n.name; }.
template <typename T>
class TypedSchema : public StructSchema {
 public:
  TypedSchema() : StructSchema(typeid(T)) {}

  template <typename F>
  TypedSchema& Field(std::string name, FieldKind kind, F f) {
    Add(FieldSpec{std::move(name), kind, Wrap(f), nullptr, {}, {}});
    return *this;
  }
  // A nested object described by `element` (which must outlive this schema).
  template <typename F>
  TypedSchema& Struct(std::string name, const StructSchema& element, F f) {
    Add(FieldSpec{std::move(name), FieldKind::kStruct, Wrap(f), &element, {}, {}});
    return *this;
  }
  // A list of objects: `f` returns a const Container*; `deref(container[i])` returns a const
  // pointer to the element (for containers of smart pointers: [](auto& p) { return p.get(); }).
  template <typename Container, typename F, typename D>
  TypedSchema& List(std::string name, const StructSchema& element, F f, D deref) {
    FieldSpec spec{std::move(name), FieldKind::kStructList, Wrap(f), &element, {}, {}};
    spec.size = [](const void* c) { return static_cast<const Container*>(c)->size(); };
    spec.at = [deref](const void* c, std::size_t i) -> const void* {
      return deref((*static_cast<const Container*>(c))[i]);
    };
    Add(std::move(spec));
    return *this;
  }

 private:
  template <typename F>
  static std::function<const void*(const void*)> Wrap(F f) {
    return [f](const void* o) -> const void* { return f(*static_cast<const T*>(o)); };
  }
};

namespace internal {
struct FilterNode;
}  // namespace internal

// A compiled filter expression. Cheap to copy (shares the immutable compiled tree).
class Filter {
 public:
  // Parses and validates `expression` against `schema` (which must outlive the Filter).
  // Errors: InvalidArgument with the message described at the top of this file.
  static absl::StatusOr<Filter> Create(std::string_view expression, const StructSchema& schema);

  // True when `value` satisfies the expression. T must be the type `schema` was built for
  // (checked; a mismatch is a programming error and aborts).
  template <typename T>
  bool Matches(const T& value) const {
    CheckType(typeid(T));
    return MatchesErased(&value);
  }

  // Matches() for a type-erased object of the schema's type.
  bool MatchesErased(const void* object) const;

  // The expression re-printed in a canonical, fully parenthesized form (for tests and logs).
  std::string DebugString() const;

 private:
  Filter(std::shared_ptr<const internal::FilterNode> root, const StructSchema* schema)
      : root_(std::move(root)), schema_(schema) {}
  void CheckType(std::type_index t) const;

  std::shared_ptr<const internal::FilterNode> root_;
  const StructSchema* schema_;
};

}  // namespace cairn::catalog

#endif  // CAIRN_CATALOG_FILTER_H_
