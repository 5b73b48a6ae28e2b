// grpc_credentials.h (private) — gRPC credentials from Consul-style TLS settings.
#ifndef CAIRN_RAFT_SRC_GRPC_CREDENTIALS_H_
#define CAIRN_RAFT_SRC_GRPC_CREDENTIALS_H_

#include <memory>
#include <optional>
#include <string>

#include <absl/status/statusor.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <cairn/base/tls.h>

namespace cairn::raft::internal {

struct GrpcCredentials {
  std::shared_ptr<grpc::ServerCredentials> server;
  std::shared_ptr<grpc::ChannelCredentials> channel;
  // The name the server's certificate must carry (verify_server_hostname), given to gRPC
  // as the target name override; empty otherwise.
  std::string target_name;
};

// Insecure credentials for nullopt. Otherwise checks `tls` with libbase's context
// builders (errors name the setting and the file), then builds gRPC credentials from the
// PEM text (see grpc_transport.h for the verify_* rules).
absl::StatusOr<GrpcCredentials> MakeGrpcCredentials(const std::optional<base::TlsConfig>& tls);

}  // namespace cairn::raft::internal

#endif  // CAIRN_RAFT_SRC_GRPC_CREDENTIALS_H_
