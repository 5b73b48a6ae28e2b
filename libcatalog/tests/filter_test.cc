// The ?filter= language: parsing (good and bad input, exact messages) and evaluation over
// the catalog's schemas, following go-bexpr's grammar.peg and its operator table.
#include <string>

#include <catch2/catch.hpp>

#include <cairn/catalog/filter.h>
#include <cairn/catalog/schemas.h>

namespace cairn::catalog {
namespace {

std::string CompileError(std::string_view expr, const StructSchema& schema) {
  auto f = Filter::Create(expr, schema);
  REQUIRE_FALSE(f.ok());
  CHECK(f.status().code() == absl::StatusCode::kInvalidArgument);
  std::string msg(f.status().message());
  REQUIRE(msg.rfind(std::string(kFilterErrorPrefix), 0) == 0);
  return msg.substr(kFilterErrorPrefix.size());
}

bool Eval(std::string_view expr, const ServiceInstance& inst) {
  auto f = Filter::Create(expr, ServiceInstanceSchema());
  INFO(expr);
  REQUIRE(f.ok());
  return f->Matches(inst);
}

ServiceInstance Sample() {
  auto node = std::make_shared<Node>();
  node->name = "web-1";
  node->address = "10.0.0.1";
  node->meta = {{"env", "prod"}, {"odd key", "x"}};
  auto svc = std::make_shared<Service>();
  svc->id = "web-a";
  svc->service = "web";
  svc->tags = {"v2", "primary"};
  svc->port = 8080;
  svc->enable_tag_override = true;
  auto c1 = std::make_shared<Check>();
  c1->check_id = "serfHealth";
  c1->status = "passing";
  c1->output = "Agent alive and reachable";
  auto c2 = std::make_shared<Check>();
  c2->check_id = "http";
  c2->status = "warning";
  c2->definition.http = "http://localhost/health";
  return ServiceInstance{node, svc, {c1, c2}};
}

TEST_CASE("filter parses the documented forms", "[unit]") {
  const auto& s = ServiceInstanceSchema();
  struct Case {
    const char* in;
    const char* printed;
  } cases[] = {
      {"Service.Port == 8080", "Service.Port Equal 8080"},
      {"Service.Port==\"8080\"", "Service.Port Equal 8080"},
      {"Node.Node != `web-1`", "Node.Node Not Equal \"web-1\""},
      {"v2 in Service.Tags", "Service.Tags In \"v2\""},
      {"\"v2\" not in Service.Tags", "Service.Tags Not In \"v2\""},
      {"Service.Tags contains v2", "Service.Tags In \"v2\""},
      {"Service.Tags not contains v2", "Service.Tags Not In \"v2\""},
      {"Node.Meta.env == prod", "Node.Meta.env Equal \"prod\""},
      {"Node.Meta[\"odd key\"] == x", "Node.Meta.odd key Equal \"x\""},
      {"Service.Tags is empty", "Service.Tags Is Empty"},
      {"Service.Tags is not empty", "Service.Tags Is Not Empty"},
      {"Node.Node matches \"^web-[0-9]+$\"", "Node.Node Matches \"^web-[0-9]+$\""},
      {"Node.Node not matches web", "Node.Node Not Matches \"web\""},
      {"a.b == 1 or Node.Node == x", ""},  // invalid selector, checked below
      {"not Service.Port == 1", "not Service.Port Equal 1"},
      {"not not Service.Port == 1", "Service.Port Equal 1"},
      {"Service.Port == 1 or Service.Port == 2 and Service.Port == 3",
       "(Service.Port Equal 1 or (Service.Port Equal 2 and Service.Port Equal 3))"},
      {"(Service.Port == 1 or Service.Port == 2) and Service.Port == 3",
       "((Service.Port Equal 1 or Service.Port Equal 2) and Service.Port Equal 3)"},
      {"  ( Checks.Status == passing )  ", "Checks.Status Equal \"passing\""},
      {"Service.EnableTagOverride == true", "Service.EnableTagOverride Equal true"},
      {"Node.Meta.env == \"a\\tb\\u00e9\"", "Node.Meta.env Equal \"a\tb\xc3\xa9\""},
  };
  for (const Case& c : cases) {
    if (*c.printed == '\0') continue;
    INFO(c.in);
    auto f = Filter::Create(c.in, s);
    REQUIRE(f.ok());
    CHECK(f->DebugString() == c.printed);
  }
}

TEST_CASE("filter syntax errors give position and expectation", "[unit]") {
  const auto& s = ServiceInstanceSchema();
  CHECK(CompileError("", s) == "1:1 (0): expected an expression, got end of input");
  CHECK(CompileError("Service.Port", s) ==
        "1:13 (12): expected \"==\", \"!=\", \"contains\", \"matches\", \"in\" or \"is\", got "
        "end of input");
  CHECK(CompileError("Service.Port ==", s) == "1:16 (15): expected a value, got end of input");
  CHECK(CompileError("Service.Port == 1 and", s) ==
        "1:22 (21): expected a selector or a value, got end of input");
  CHECK(CompileError("(Service.Port == 1", s) ==
        "1:19 (18): expected \")\" (unmatched parentheses), got end of input");
  CHECK(CompileError("Service.Port == 1)", s) ==
        "1:18 (17): expected \"and\", \"or\" or end of input, got \")\"");
  CHECK(CompileError("Node.Node == \"abc", s) == "1:14 (13): Unterminated string literal");
  CHECK(CompileError("Service.Port == 12ab", s) == "1:17 (16): Invalid number literal");
  CHECK(CompileError("Node.Meta[env] == x", s) == "1:11 (10): Invalid index");
  CHECK(CompileError("Node.Meta[\"env\" == x", s) == "1:17 (16): Unclosed index expression");
  CHECK(CompileError("Service.Tags is full", s) == "1:17 (16): expected \"empty\", got \"full\"");
  CHECK(CompileError("\"x\" == Node.Node", s) == "1:1 (0): expected a selector, got \"\"x\"\"");
  CHECK(CompileError("\"x\" Node.Node", s) ==
        "1:5 (4): expected \"in\" or \"not in\", got \"Node.Node\"");
  CHECK(CompileError("x in \"y\"", s) == "1:6 (5): expected a selector, got \"\"y\"\"");
  CHECK(CompileError("Node.Node == \"\\q\"", s) == "1:15 (14): invalid escape in string literal");
  CHECK(CompileError("Service.Port == 1\nand ?", s) ==
        "2:5 (22): expected a selector or a value, got \"?\"");
  std::string deep(100, '(');
  CHECK(CompileError(deep + "Service.Port == 1" + std::string(100, ')'), s) ==
        "1:65 (64): expression nested more than 64 levels deep");
}

TEST_CASE("filter semantic errors name the selector", "[unit]") {
  const auto& s = ServiceInstanceSchema();
  CHECK(CompileError("Service.Foo == 1", s) == "Selector \"Service.Foo\" is not valid");
  CHECK(CompileError("Nope == 1", s) == "Selector \"Nope\" is not valid");
  CHECK(CompileError("Service.Port.X == 1", s) == "Selector \"Service.Port.X\" is not valid");
  CHECK(CompileError("Service.Port matches 1", s) ==
        "Invalid match operator \"Matches\" for selector \"Service.Port\"");
  CHECK(CompileError("Service == x", s) ==
        "Invalid match operator \"Equal\" for selector \"Service\"");
  CHECK(CompileError("Service.Tags == x", s) ==
        "Invalid match operator \"Equal\" for selector \"Service.Tags\"");
  CHECK(CompileError("Service.Port == web", s) ==
        "Failed to coerce value \"web\" for selector \"Service.Port\": not an integer");
  CHECK(CompileError("Service.EnableTagOverride == yes", s) ==
        "Failed to coerce value \"yes\" for selector \"Service.EnableTagOverride\": not a "
        "boolean");
  CHECK(CompileError("Node.Node matches \"(\"", s)
            .rfind("Failed to compile regular expression \"(\": ", 0) == 0);
  CHECK(CompileError("Node.Node matches \"((a{100}){100}){100}\"", s)
            .rfind("Failed to compile regular expression \"((a{100}){100}){100}\": ", 0) == 0);
  CHECK(CompileError("Node.Node matches \"a{1001}\"", s)
            .rfind("Failed to compile regular expression \"a{1001}\": ", 0) == 0);
}

TEST_CASE("filter evaluation follows bexpr semantics", "[unit]") {
  ServiceInstance inst = Sample();
  CHECK(Eval("Service.Port == 8080", inst));
  CHECK_FALSE(Eval("Service.Port != 8080", inst));
  CHECK(Eval("v2 in Service.Tags and Service.Tags contains primary", inst));
  CHECK_FALSE(Eval("Service.Tags contains V2", inst));  // element equality is exact
  CHECK(Eval("\"eb-\" in Node.Node", inst));            // substring on strings
  CHECK(Eval("Node.Meta contains env", inst));          // key presence on maps
  CHECK(Eval("Node.Meta.env == prod and Node.Meta[\"odd key\"] == x", inst));
  CHECK(Eval("Node.Meta.missing is empty", inst));  // a missing key reads as ""
  CHECK(Eval("Node.Meta.missing != prod", inst));
  CHECK(Eval("Node.TaggedAddresses is empty", inst));
  CHECK(Eval("Checks.Status == warning", inst));  // any element
  CHECK(Eval("Checks.Status == passing", inst));
  CHECK_FALSE(Eval("Checks.Status == critical", inst));
  CHECK(Eval("Checks.Status != passing", inst));  // any element differs
  CHECK(Eval("Checks.Definition.HTTP matches \"^http://\"", inst));
  CHECK(Eval("Checks is not empty", inst));
  CHECK(Eval("Node.Node matches \"^web-[0-9]+$\"", inst));
  CHECK(Eval("Node.Node not matches \"^db\"", inst));
  CHECK(Eval("not (Service.Port == 1 or Service.Port == 2)", inst));
  CHECK(Eval("Service.EnableTagOverride == true and Service.Weights.Passing == 1", inst));
  CHECK(Eval("Service.Port == 1 or Service.Port == 8080 and Node.Node == \"web-1\"", inst));

  ServiceInstance bare = inst;
  bare.checks.clear();
  CHECK_FALSE(Eval("Checks.Status == passing", bare));
  CHECK_FALSE(Eval("Checks.Status != passing", bare));  // no element: nothing matches
  CHECK(Eval("Checks is empty", bare));
}

TEST_CASE("filter regexes are RE2 and match in linear time", "[unit]") {
  ServiceInstance inst = Sample();
  // A pattern that makes a backtracking engine take exponential time on a long subject
  // (found by fuzz_filter against the earlier std::regex implementation).
  auto check = std::make_shared<Check>(*inst.checks[0]);
  check->output = std::string(4000, 'b');
  inst.checks = {check};
  CHECK_FALSE(Eval("Checks.Output matches \"^(b|b+)+c$\"", inst));
  CHECK(Eval("Checks.Output matches \"(?i)^B+$\"", inst));
}

TEST_CASE("filter regex subjects are bounded", "[unit]") {
  ServiceInstance inst = Sample();
  auto check = std::make_shared<Check>(*inst.checks[0]);
  check->output = std::string(kMaxRegexSubjectBytes, 'a');
  inst.checks = {check};
  CHECK(Eval("Checks.Output matches \"^a*$\"", inst));
  check->output += "a";
  CHECK_FALSE(Eval("Checks.Output matches \"^a*$\"", inst));
  CHECK(Eval("Checks.Output not matches \"^a*$\"", inst));
}

TEST_CASE("filter works over every catalog schema", "[unit]") {
  Node node;
  node.name = "n1";
  node.modify_index = 42;
  auto f = Filter::Create("ModifyIndex == 42 and Node == n1", NodeSchema());
  REQUIRE(f.ok());
  CHECK(f->Matches(node));

  Check check;
  check.status = "critical";
  check.service_tags = {"a"};
  f = Filter::Create("Status == critical and a in ServiceTags", CheckSchema());
  REQUIRE(f.ok());
  CHECK(f->Matches(check));

  auto n = std::make_shared<Node>(node);
  auto s = std::make_shared<Service>();
  s->service = "web";
  s->port = 80;
  CatalogService cs{n, s};
  f = Filter::Create(
      "ServiceName == web and ServicePort == 80 and Node == n1 and "
      "ServiceWeights.Warning == 1",
      CatalogServiceSchema());
  REQUIRE(f.ok());
  CHECK(f->Matches(cs));
  CHECK(CompileError("Service == web", CatalogServiceSchema()) ==
        "Selector \"Service\" is not valid");
}

// A type the agent might define: the schema builder is generic.
struct AgentThing {
  std::string id;
  std::vector<std::string> tags;
};

TEST_CASE("filter schemas can describe other types", "[unit]") {
  static const auto* schema = [] {
    auto* s = new TypedSchema<AgentThing>();
    s->Field("ID", FieldKind::kString, [](const AgentThing& t) {
       return &t.id;
     }).Field("Tags", FieldKind::kStringList, [](const AgentThing& t) { return &t.tags; });
    return s;
  }();
  auto f = Filter::Create("ID == x and y in Tags", *schema);
  REQUIRE(f.ok());
  CHECK(f->Matches(AgentThing{"x", {"y"}}));
  CHECK_FALSE(f->Matches(AgentThing{"x", {}}));
}

}  // namespace
}  // namespace cairn::catalog
