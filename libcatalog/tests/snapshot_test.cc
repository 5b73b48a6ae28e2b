// Snapshot streams: round trip, chunking, and refusal of damaged streams without touching
// the current catalog.
#include <catch2/catch.hpp>

#include <cairn/catalog/catalog.h>

namespace cairn::catalog {
namespace {

std::string Snapshot(const ReadView& v, std::size_t* chunks = nullptr) {
  std::string out;
  REQUIRE(v.WriteSnapshot([&](std::string_view c) {
             out.append(c);
             if (chunks) ++*chunks;
             return absl::OkStatus();
           }).ok());
  return out;
}

void Populate(Catalog& cat, int nodes) {
  WriteTxn txn = cat.BeginWrite(7);
  for (int i = 0; i < nodes; ++i) {
    RegisterRequest r;
    r.node.name = "node-" + std::to_string(i);
    r.node.address = "10.0.0." + std::to_string(i % 250);
    r.node.meta = {{"rack", std::to_string(i % 3)}};
    r.service = Service{};
    r.service->id = "svc-" + std::to_string(i);
    r.service->service = i % 2 ? "web" : "db";
    r.service->tags = {"t" + std::to_string(i % 4)};
    r.service->tagged_addresses = {{"lan", ServiceAddress{"10.1.0.1", 80}}};
    r.service->port = 1000 + i;
    Check c;
    c.check_id = "check-" + std::to_string(i);
    c.status = i % 3 ? "passing" : "critical";
    c.service_id = r.service->id;
    c.definition.http = "http://x/";
    c.definition.interval = absl::Seconds(10);
    c.definition.header = {{"A", {"b", "c"}}};
    r.checks = {c};
    REQUIRE(txn.Register(r).ok());
  }
  REQUIRE(txn.Commit().ok());
}

TEST_CASE("snapshot round trip restores identical state", "[unit]") {
  Catalog src;
  Populate(src, 300);
  std::size_t chunks = 0;
  std::string stream = Snapshot(src.Read(), &chunks);
  CHECK(chunks >= 1);

  Catalog dst;
  int woke = 0;
  auto h = dst.WatchService("web", 0, [&](uint64_t index) {
    ++woke;
    CHECK(index == 7);
  });
  absl::Status restored = dst.Restore(stream);
  INFO(restored.ToString());
  REQUIRE(restored.ok());
  CHECK(woke == 1);
  ReadView a = src.Read(), b = dst.Read();
  CHECK(b.LastIndex() == 7);
  CHECK(b.TableIndex(Table::kChecks) == a.TableIndex(Table::kChecks));
  CHECK(b.ServiceIndex("web") == a.ServiceIndex("web"));
  CHECK(b.Nodes().size() == 300);
  CHECK(b.HealthService("web", {}).size() == a.HealthService("web", {}).size());
  auto c = b.GetCheck("node-5", "check-5");
  REQUIRE(c);
  CHECK(c->definition.interval == absl::Seconds(10));
  CHECK(c->definition.header.at("A") == std::vector<std::string>{"b", "c"});
  CHECK(c->SameContent(*a.GetCheck("node-5", "check-5")));
  CHECK(b.GetService("node-3", "svc-3")->SameContent(*a.GetService("node-3", "svc-3")));
  // Re-snapshotting the restored catalog yields the same bytes.
  CHECK(Snapshot(b) == stream);
}

TEST_CASE("corrupt snapshots are refused and change nothing", "[unit]") {
  Catalog src;
  Populate(src, 20);
  std::string stream = Snapshot(src.Read());
  Catalog dst;
  Populate(dst, 2);
  auto check_untouched = [&] { CHECK(dst.Read().Nodes().size() == 2); };
  std::string flipped = stream;
  flipped[stream.size() / 2] ^= 0x40;
  absl::Status st = dst.Restore(flipped);
  CHECK(st.code() == absl::StatusCode::kDataLoss);
  CHECK(st.message() == "catalog snapshot is corrupt: checksum mismatch");
  check_untouched();
  CHECK(dst.Restore(stream.substr(0, stream.size() - 9)).code() == absl::StatusCode::kDataLoss);
  check_untouched();
  CHECK(dst.Restore("garbage").message() == "not a catalog snapshot (bad magic)");
  check_untouched();
  // Every truncation is refused.
  for (std::size_t n = 0; n < stream.size(); n += 37)
    CHECK_FALSE(dst.Restore(stream.substr(0, n)).ok());
  check_untouched();
}

TEST_CASE("snapshot sink errors stop the stream", "[unit]") {
  Catalog src;
  Populate(src, 5);
  absl::Status st = src.Read().WriteSnapshot(
      [](std::string_view) { return absl::UnavailableError("disk full"); });
  CHECK(st.message() == "disk full");
}

}  // namespace
}  // namespace cairn::catalog
