// cairn/gossip/net_transport.h — the real Transport: one UDP socket and one TCP listener
// on the same address and port (memberlist's NetTransport), on Boost.Asio.
//
// Example:
//
//   cairn::base::EventLoop loop(1);
//   auto strand = loop.MakeStrand();
//   CAIRN_ASSIGN_OR_RETURN(auto net, cairn::gossip::NetTransport::Create(
//                                        strand, {.bind_addr = "127.0.0.1", .bind_port = 0}));
//   std::string local = net->LocalAddress();   // "127.0.0.1:43122"
//
// Threading: all callbacks run on `executor` (pass the Memberlist's strand); methods must
// be called there too, except Create and LocalAddress, which may be called from anywhere.
// Destroy it on the executor after Shutdown(), or from outside once the event loop has
// stopped.
#ifndef CAIRN_GOSSIP_NET_TRANSPORT_H_
#define CAIRN_GOSSIP_NET_TRANSPORT_H_

#include <cstdint>
#include <memory>
#include <string>

#include <absl/status/statusor.h>
#include <boost/asio/any_io_executor.hpp>

#include <cairn/gossip/transport.h>

namespace cairn::gossip {

class NetTransport final : public Transport {
 public:
  struct Options {
    std::string bind_addr = "0.0.0.0";  // IP literal
    uint16_t bind_port = 7946;          // 0: pick a free port (the same for UDP and TCP)
  };

  // Binds UDP and TCP. Errors: kInvalidArgument for a bad address, kUnavailable when the
  // port is taken (with port 0 it retries a few free ports so UDP and TCP match).
  static absl::StatusOr<std::unique_ptr<NetTransport>> Create(boost::asio::any_io_executor executor,
                                                              Options options);
  ~NetTransport() override;

  void Start(Handlers handlers) override;
  std::string LocalAddress() const override;
  absl::Status SendPacket(std::string_view to, std::string packet) override;
  void DialStream(
      std::string_view to, absl::Duration timeout,
      absl::AnyInvocable<void(absl::StatusOr<std::unique_ptr<Stream>>) &&> done) override;
  void Shutdown() override;

  struct State;  // private; defined in src/net_transport.cc

 private:
  explicit NetTransport(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

}  // namespace cairn::gossip

#endif  // CAIRN_GOSSIP_NET_TRANSPORT_H_
