// The JSON shapes of KV entries, sessions and transactions, and the request decoders,
// against Consul's (spec §2-§4, Go's encoding/json and encoding/base64 behaviour).
#include "../src/json_codec.h"

#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

namespace cairn::agent::json {
namespace {

std::string Str(const boost::json::value& v) { return boost::json::serialize(v); }

TEST_CASE("Base64 encodes and decodes as Go's StdEncoding", "[unit]") {
  CHECK(Base64Encode("") == "");
  CHECK(Base64Encode("a") == "YQ==");
  CHECK(Base64Encode("ab") == "YWI=");
  CHECK(Base64Encode("abc") == "YWJj");
  CHECK(Base64Encode(std::string("\x00\xff\xfe", 3)) == "AP/+");
  for (std::string s : {"", "a", "ab", "abc", "hello world", "\x01\x02\x03\x04\x05"}) {
    CHECK(*Base64Decode(Base64Encode(s)) == s);
  }
  CHECK(*Base64Decode("YWJj\r\nZGVm") == "abcdef");  // newlines are skipped
  struct Bad {
    const char* in;
    int at;
  };
  for (Bad b : {Bad{"YQ", 0}, Bad{"Y===", 1}, Bad{"YQ=a", 2}, Bad{"YQ=", 3}, Bad{"YWJj!", 4},
                Bad{"YQ==YQ==", 4}, Bad{"YWJjZ", 4}, Bad{"a b=", 1}}) {
    auto r = Base64Decode(b.in);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == "illegal base64 data at input byte " + std::to_string(b.at));
  }
}

TEST_CASE("Go quoting, UTF-8 repair, query encoding and ParseUint", "[unit]") {
  CHECK(GoQuote("a/b") == R"("a/b")");
  CHECK(GoQuote("q\"\\\n\t") == R"("q\"\\\n\t")");
  CHECK(GoQuote(std::string("\x01\x7f\xff", 3)) == R"("\x01\x7f\xff")");
  CHECK(GoQuote("é") == "\"é\"");
  CHECK(ValidUtf8("ok é") == "ok é");
  CHECK(ValidUtf8(std::string("a\xff"
                              "b",
                              3)) ==
        "a\xef\xbf\xbd"
        "b");
  CHECK(ValidUtf8("\xed\xa0\x80") == "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // a surrogate
  CHECK(GoQueryEncode({{"release", "s 1"}, {"cas", "5"}, {"acquire", "a/b"}}) ==
        "acquire=a%2Fb&cas=5&release=s+1");
  CHECK(GoQueryEncode({{"b", ""}, {"a", "2"}, {"b", "x"}}) == "a=2&b=&b=x");
  CHECK(*GoParseUint("18446744073709551615") == UINT64_MAX);
  CHECK(*GoParseUint("0") == 0);
  CHECK(GoParseUint("18446744073709551616").status().message() ==
        "strconv.ParseUint: parsing \"18446744073709551616\": value out of range");
  CHECK(GoParseUint("-1").status().message() ==
        "strconv.ParseUint: parsing \"-1\": invalid syntax");
  CHECK(GoParseUint("").status().message() == "strconv.ParseUint: parsing \"\": invalid syntax");
  CHECK(GoParseUint("1x").status().message() ==
        "strconv.ParseUint: parsing \"1x\": invalid syntax");
}

TEST_CASE("KV entries encode in DirEntry order with base64 values", "[unit]") {
  kv::Entry e = kv::Entry::Make("web/cfg", "v", 42, 5, 7, 0, "");
  CHECK(
      Str(EntryToJson(e)) ==
      R"({"LockIndex":0,"Key":"web/cfg","Flags":42,"Value":"dg==","CreateIndex":5,"ModifyIndex":7})");
  // Empty values are null; Session appears only while locked.
  kv::Entry locked = kv::Entry::Make("l", "", 0, 3, 4, 2, "sid");
  CHECK(
      Str(EntryToJson(locked)) ==
      R"({"LockIndex":2,"Key":"l","Flags":0,"Value":null,"Session":"sid","CreateIndex":3,"ModifyIndex":4})");
  CHECK(
      Str(EntryToJson(e, /*include_value=*/false)) ==
      R"({"LockIndex":0,"Key":"web/cfg","Flags":42,"Value":null,"CreateIndex":5,"ModifyIndex":7})");
  // Keys that are not UTF-8 are repaired as encoding/json repairs them.
  kv::Entry odd = kv::Entry::Make(std::string("k\xff", 2), "", 0, 1, 1, 0, "");
  CHECK(Str(EntryToJson(odd)).find("\"Key\":\"k\xef\xbf\xbd\"") != std::string::npos);
}

TEST_CASE("Sessions encode in structs.Session order", "[unit]") {
  kv::Session s;
  s.id = "adf4238a-882b-9ddc-4a9d-5b6758e4159e";
  s.name = "web-lock";
  s.node = "node1";
  s.node_checks = {"serfHealth"};
  s.lock_delay = std::chrono::seconds(15);
  s.behavior = kv::SessionBehavior::kDelete;
  s.ttl_text = "30s";
  s.create_index = 10;
  s.modify_index = 10;
  CHECK(Str(SessionToJson(s)) ==
        R"({"ID":"adf4238a-882b-9ddc-4a9d-5b6758e4159e","Name":"web-lock","Node":"node1",)"
        R"("LockDelay":15000000000,"Behavior":"delete","TTL":"30s","NodeChecks":["serfHealth"],)"
        R"("ServiceChecks":null,"CreateIndex":10,"ModifyIndex":10})");
  s.node_checks.clear();
  s.checks = {"web-alive"};
  s.service_checks = {{"svc-check", ""}};
  s.behavior = kv::SessionBehavior::kRelease;
  s.ttl_text = "";
  CHECK(Str(SessionToJson(s)) ==
        R"({"ID":"adf4238a-882b-9ddc-4a9d-5b6758e4159e","Name":"web-lock","Node":"node1",)"
        R"("LockDelay":15000000000,"Behavior":"release","TTL":"","NodeChecks":null,)"
        R"("ServiceChecks":[{"ID":"svc-check","Namespace":""}],"Checks":["web-alive"],)"
        R"("CreateIndex":10,"ModifyIndex":10})");
}

TEST_CASE("Txn outcomes: Results or Errors, the other null", "[unit]") {
  kv::TxnOutcome ok;
  ok.results.push_back({kv::Entry::Make("a", "x", 0, 2, 2, 0, ""), true});
  ok.results.push_back({kv::Entry::Make("b", "y", 0, 3, 3, 0, ""), false});
  CHECK(
      Str(TxnOutcomeToJson(ok)) ==
      R"({"Results":[{"KV":{"LockIndex":0,"Key":"a","Flags":0,"Value":"eA==","CreateIndex":2,"ModifyIndex":2}},)"
      R"({"KV":{"LockIndex":0,"Key":"b","Flags":0,"Value":null,"CreateIndex":3,"ModifyIndex":3}}],"Errors":null})");
  CHECK(Str(TxnOutcomeToJson(kv::TxnOutcome{})) == R"({"Results":[],"Errors":null})");
  kv::TxnOutcome failed;
  failed.errors.push_back({1, "failed to set key \"b\", index is stale"});
  CHECK(
      Str(TxnOutcomeToJson(failed)) ==
      R"({"Results":null,"Errors":[{"OpIndex":1,"What":"failed to set key \"b\", index is stale"}]})");
}

TEST_CASE("Txn bodies decode case-insensitively with base64 values", "[unit]") {
  auto ops = DecodeTxnOps(R"([
    {"KV": {"Verb": "set", "Key": "a", "Value": "eA==", "Flags": 7}},
    {"kv": {"verb": "cas", "key": "b", "value": null, "index": 12, "session": "s"}},
    {"KV": {"Verb": "frobnicate", "Key": "c"}},
    {"Node": {"Verb": "set", "Node": {"Node": "n"}}},
    {},
    null
  ])");
  REQUIRE(ops.ok());
  REQUIRE(ops->size() == 6);
  const auto& a = (*ops)[0];
  CHECK(a.kind == TxnRequestOp::Kind::kKv);
  CHECK(a.kv.verb == kv::TxnVerb::kSet);
  CHECK(a.kv.key == "a");
  CHECK(a.kv.value == "x");
  CHECK(a.kv.flags == 7);
  const auto& b = (*ops)[1];
  CHECK(b.kv.verb == kv::TxnVerb::kCas);
  CHECK(b.kv.index == 12);
  CHECK(b.kv.session == "s");
  CHECK(b.kv.value.empty());
  CHECK((*ops)[2].unknown_verb == "frobnicate");
  CHECK((*ops)[3].kind == TxnRequestOp::Kind::kNode);
  CHECK((*ops)[4].kind == TxnRequestOp::Kind::kNone);
  CHECK((*ops)[5].kind == TxnRequestOp::Kind::kNone);
  CHECK(DecodeTxnOps("null")->empty());
}

TEST_CASE("Bad txn bodies give Go's decode errors", "[unit]") {
  auto err = [](std::string_view body) {
    auto r = DecodeTxnOps(body);
    REQUIRE_FALSE(r.ok());
    return std::string(r.status().message());
  };
  CHECK(err("") == "EOF");
  CHECK(err("  \n") == "EOF");
  CHECK(err("[{\"KV\":") == "unexpected EOF");
  CHECK(err("xyz") == "invalid character 'x' looking for beginning of value");
  CHECK(err("{}") == "json: cannot unmarshal object into Go value of type api.TxnOps");
  CHECK(err("[1]") == "json: cannot unmarshal number 1 into Go value of type api.TxnOp");
  CHECK(err(R"([{"KV": "x"}])") ==
        "json: cannot unmarshal string into Go struct field TxnOp.KV of type api.KVTxnOp");
  CHECK(err(R"([{"KV": {"Flags": -1}}])") ==
        "json: cannot unmarshal number -1 into Go struct field TxnOp.KV.Flags of type uint64");
  CHECK(err(R"([{"KV": {"Index": "3"}}])") ==
        "json: cannot unmarshal string into Go struct field TxnOp.KV.Index of type uint64");
  CHECK(err(R"([{"KV": {"Key": 5}}])") ==
        "json: cannot unmarshal number 5 into Go struct field TxnOp.KV.Key of type string");
  CHECK(err(R"([{"KV": {"Verb": "set", "Key": "k", "Value": "not base64"}}])") ==
        "illegal base64 data at input byte 3");
}

TEST_CASE("Session bodies: fields, LockDelay forms and check lists", "[unit]") {
  SessionBody b;
  REQUIRE(DecodeSessionCreate(R"({"name": "n1", "node": "web-1", "lockdelay": "20s",
                                  "behavior": "delete", "ttl": "15.0s",
                                  "ServiceChecks": [{"ID": "svc", "Namespace": ""}]})",
                              b)
              .ok());
  REQUIRE(ValidateSessionFields(b).ok());
  CHECK(b.request.name == "n1");
  CHECK(b.request.node == "web-1");
  CHECK(b.request.lock_delay == std::chrono::seconds(20));
  CHECK(b.request.behavior == kv::SessionBehavior::kDelete);
  CHECK(b.request.ttl == std::chrono::seconds(15));
  CHECK(b.request.ttl_text == "15.0s");
  CHECK(!b.request.checks.has_value());
  CHECK(!b.request.node_checks.has_value());
  REQUIRE(b.request.service_checks.size() == 1);
  CHECK(b.request.service_checks[0].id == "svc");

  auto delay = [](std::string_view json) {
    SessionBody s;
    REQUIRE(DecodeSessionCreate(json, s).ok());
    return s.request.lock_delay;
  };
  CHECK(delay(R"({"LockDelay": 5})") == std::chrono::seconds(5));  // small numbers: seconds
  CHECK(delay(R"({"LockDelay": 2000000000})") == std::chrono::seconds(2));
  CHECK(delay(R"({"LockDelay": "0.001s"})") == std::chrono::milliseconds(1));
  CHECK(delay(R"({"LockDelay": "0s"})") == std::chrono::seconds(0));
  CHECK(delay(R"({"LockDelay": true})") == std::chrono::seconds(0));
  CHECK(delay(R"({})") == std::chrono::seconds(15));  // the default stays

  SessionBody c;
  REQUIRE(DecodeSessionCreate(R"({"checks": []})", c).ok());
  REQUIRE(c.request.checks.has_value());
  CHECK(c.request.checks->empty());
  SessionBody d;
  REQUIRE(DecodeSessionCreate(R"({"Checks": ["a"], "NodeChecks": ["b", "c"]})", d).ok());
  CHECK(*d.request.checks == std::vector<std::string>{"a"});
  CHECK(*d.request.node_checks == std::vector<std::string>{"b", "c"});
  SessionBody e;
  REQUIRE(DecodeSessionCreate("null", e).ok());
}

TEST_CASE("Bad session bodies and fields", "[unit]") {
  auto err = [](std::string_view body) {
    SessionBody s;
    absl::Status st = DecodeSessionCreate(body, s);
    REQUIRE_FALSE(st.ok());
    return std::string(st.message());
  };
  CHECK(err("{") == "unexpected EOF");
  CHECK(err("[]") == "json: cannot unmarshal array into Go value of type structs.Session");
  CHECK(err(R"({"LockDelay": "soon"})") == "time: invalid duration \"soon\"");
  CHECK(err(R"({"Name": 1})") ==
        "json: cannot unmarshal number 1 into Go struct field Session.Name of type string");
  CHECK(err(R"({"Checks": "serfHealth"})") ==
        "json: cannot unmarshal string into Go struct field Session.Checks of type []string");
  CHECK(err(R"({"NodeChecks": [1]})") ==
        "json: cannot unmarshal number 1 into Go struct field Session.NodeChecks of type string");

  SessionBody b;
  b.behavior_text = "keep";
  CHECK(ValidateSessionFields(b).message() == "Invalid Behavior setting 'keep'");
  SessionBody t;
  t.request.ttl_text = "10";
  CHECK(ValidateSessionFields(t).message() ==
        "Session TTL '10' invalid: time: missing unit in duration \"10\"");
  SessionBody z;
  z.request.ttl_text = "0s";
  REQUIRE(ValidateSessionFields(z).ok());
  CHECK(z.request.ttl == std::chrono::seconds(0));
}

}  // namespace
}  // namespace cairn::agent::json
