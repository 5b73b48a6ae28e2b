// The piggyback queue: memberlist's picking order, retransmit limit, named replacement
// and unique (serf) broadcasts, pruning.
#include <catch2/catch.hpp>

#include <cairn/gossip/broadcast_queue.h>

namespace cairn::gossip {
namespace {

TEST_CASE("retransmit limit is mult * ceil(log10(n + 1))", "[unit]") {
  CHECK(RetransmitLimit(3, 0) == 0);
  CHECK(RetransmitLimit(3, 1) == 3);
  CHECK(RetransmitLimit(3, 99) == 6);
  CHECK(RetransmitLimit(4, 9) == 4);
  CHECK(RetransmitLimit(4, 10) == 8);
}

TEST_CASE("named broadcasts replace queued news about the same node", "[unit]") {
  BroadcastQueue q(3);
  int finished = 0;
  q.Queue("alive-1", "n1", [&] { ++finished; });
  q.Queue("alive-2", "n2");
  q.Queue("dead-1", "n1");
  CHECK(q.size() == 2);
  CHECK(finished == 1);
  auto out = q.GetBroadcasts(2, 1400, 10);
  CHECK(out.size() == 2);
  CHECK(std::find(out.begin(), out.end(), "dead-1") != out.end());
  // Unique broadcasts never replace each other.
  q.Queue("ev", "");
  q.Queue("ev", "");
  CHECK(q.size() == 4);
}

TEST_CASE("order: fewest transmits, then largest that fits, then newest", "[unit]") {
  BroadcastQueue q(3);
  q.Queue("aaaa");
  q.Queue("bb");
  q.Queue("cccccc");
  q.Queue("dd");  // same length as "bb", newer
  // Room for 2 + 6 and 2 + 2 only.
  auto first = q.GetBroadcasts(2, 12, 10);
  REQUIRE(first.size() == 2);
  CHECK(first[0] == "cccccc");
  CHECK(first[1] == "dd");
  // Untransmitted ones go before the ones just sent.
  auto second = q.GetBroadcasts(2, 100, 10);
  REQUIRE(second.size() == 4);
  CHECK(second[0] == "aaaa");
  CHECK(second[1] == "bb");
  CHECK(second[2] == "cccccc");
  CHECK(second[3] == "dd");
  CHECK(q.GetBroadcasts(2, 2, 10).empty());  // no room at all
}

TEST_CASE("a broadcast is dropped after the retransmit limit", "[unit]") {
  BroadcastQueue q(2);
  bool done = false;
  q.Queue("msg", "n", [&] { done = true; });
  // 3 nodes: limit 2 * ceil(log10(4)) = 2.
  CHECK(q.GetBroadcasts(2, 100, 3).size() == 1);
  CHECK(!done);
  CHECK(q.GetBroadcasts(2, 100, 3).size() == 1);
  CHECK(done);
  CHECK(q.size() == 0);
  CHECK(q.GetBroadcasts(2, 100, 3).empty());
}

TEST_CASE("prune keeps the least transmitted, reset finishes all", "[unit]") {
  BroadcastQueue q(10);
  int finished = 0;
  for (int i = 0; i < 5; ++i) q.Queue(std::string(i + 1, 'x'), "", [&] { ++finished; });
  q.GetBroadcasts(0, 3, 100);  // sends "xxx"
  q.Prune(3);
  CHECK(q.size() == 3);
  CHECK(finished == 2);
  auto out = q.GetBroadcasts(0, 1000, 100);
  CHECK(std::find(out.begin(), out.end(), "xxx") == out.end());  // most transmitted went
  q.Reset();
  CHECK(q.size() == 0);
  CHECK(finished == 5);
}

}  // namespace
}  // namespace cairn::gossip
