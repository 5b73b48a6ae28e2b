// serf's event and query de-duplication rings.
#include <catch2/catch.hpp>

#include <cairn/gossip/dedup_buffer.h>

namespace cairn::gossip {
namespace {

TEST_CASE("events: first sighting is new, repeats are duplicates, nil equals empty", "[unit]") {
  EventBuffer buf;
  LamportClock clock;
  auto record = [&](LamportTime t, const char* name, std::optional<std::string> payload) {
    clock.Witness(t);
    return buf.Record(t, clock.Time(), name, payload);
  };
  CHECK(record(1, "deploy", "v1") == Admission::kNew);
  CHECK(record(1, "deploy", "v1") == Admission::kDuplicate);
  CHECK(record(1, "deploy", "v2") == Admission::kNew);  // same time, other payload
  CHECK(record(1, "other", "v1") == Admission::kNew);
  CHECK(record(2, "deploy", std::nullopt) == Admission::kNew);
  CHECK(record(2, "deploy", std::string()) == Admission::kDuplicate);
  REQUIRE(buf.Ring().size() == 512);
  REQUIRE(buf.Ring()[1].has_value());
  CHECK(buf.Ring()[1]->events.size() == 3);
  CHECK(!buf.Ring()[3].has_value());
}

TEST_CASE("events: minimum time and the age window", "[unit]") {
  EventBuffer buf(4);
  buf.set_min_time(10);
  CHECK(buf.Record(9, 20, "e", std::nullopt) == Admission::kBeforeMinTime);
  // Clock 20, 4 slots: anything below 16 is too old; 16 is still accepted.
  CHECK(buf.Record(15, 20, "e", std::nullopt) == Admission::kTooOld);
  CHECK(buf.Record(16, 20, "e", std::nullopt) == Admission::kNew);
  // 20 % 4 == 16 % 4: the newer time takes the slot over and the old entry is forgotten.
  CHECK(buf.Record(20, 20, "e", std::nullopt) == Admission::kNew);
  CHECK(buf.Ring()[0]->ltime == 20);
  CHECK(buf.Ring()[0]->events.size() == 1);
}

TEST_CASE("queries: de-duplicated by LTime and ID", "[unit]") {
  QueryBuffer buf;
  CHECK(buf.Record(5, 6, 42) == Admission::kNew);
  CHECK(buf.Record(5, 6, 42) == Admission::kDuplicate);
  CHECK(buf.Record(5, 6, 43) == Admission::kNew);
  CHECK(buf.Record(517, 518, 42) == Admission::kNew);  // same slot, newer time
  CHECK(buf.Record(5, 600, 44) == Admission::kTooOld);
  buf.set_min_time(100);
  CHECK(buf.Record(99, 600, 1) == Admission::kBeforeMinTime);
}

}  // namespace
}  // namespace cairn::gossip
