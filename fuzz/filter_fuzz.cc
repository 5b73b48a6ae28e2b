// libFuzzer target for the ?filter= expression parser and evaluator (libcatalog/filter.h).
// Input: the first byte picks a schema, the rest is the expression. Every input must
// either compile (and then evaluate without crashing on a sample record) or return an
// InvalidArgument status carrying Consul's message prefix.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include <cairn/base/status.h>
#include <cairn/catalog/filter.h>
#include <cairn/catalog/schemas.h>

namespace {

using namespace cairn::catalog;

const ServiceInstance& SampleInstance() {
  static const ServiceInstance* inst = [] {
    auto node = std::make_shared<Node>();
    node->name = "web-1";
    node->address = "10.0.0.1";
    node->meta = {{"env", "prod"}};
    auto svc = std::make_shared<Service>();
    svc->id = "web";
    svc->service = "web";
    svc->tags = {"v1", "primary"};
    svc->port = 80;
    auto check = std::make_shared<Check>();
    check->check_id = "serfHealth";
    check->status = "passing";
    check->output = "Agent alive and reachable";
    check->service_tags = {"v1"};
    return new ServiceInstance{node, svc, {check, check}};
  }();
  return *inst;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view expr(reinterpret_cast<const char*>(data) + 1, size - 1);
  const ServiceInstance& inst = SampleInstance();
  switch (data[0] % 4) {
    case 0: {
      auto f = Filter::Create(expr, ServiceInstanceSchema());
      if (f.ok())
        f->Matches(inst);
      else
        CAIRN_CHECK(f.status().code() == absl::StatusCode::kInvalidArgument);
      break;
    }
    case 1: {
      auto f = Filter::Create(expr, NodeSchema());
      if (f.ok()) f->Matches(*inst.node);
      break;
    }
    case 2: {
      auto f = Filter::Create(expr, CheckSchema());
      if (f.ok()) f->Matches(*inst.checks[0]);
      break;
    }
    default: {
      auto f = Filter::Create(expr, CatalogServiceSchema());
      if (f.ok()) f->Matches(CatalogService{inst.node, inst.service});
      break;
    }
  }
  return 0;
}
