#include "grpc_credentials.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <cairn/base/status.h>

namespace cairn::raft::internal {

absl::StatusOr<GrpcCredentials> MakeGrpcCredentials(const std::optional<base::TlsConfig>& tls) {
  GrpcCredentials out;
  if (!tls) {
    out.server = grpc::InsecureServerCredentials();
    out.channel = grpc::InsecureChannelCredentials();
    return out;
  }
  const base::TlsConfig& config = *tls;
  // The context builders apply Consul's rules (verify_incoming needs a CA, a server needs
  // a certificate, ...) and check every file; the contexts themselves are not used,
  // because gRPC takes PEM text.
  CAIRN_RETURN_IF_ERROR(base::MakeServerTlsContext(config).status());
  CAIRN_RETURN_IF_ERROR(base::MakeClientTlsContext(config).status());
  CAIRN_ASSIGN_OR_RETURN(base::TlsPem pem, base::LoadTlsPem(config));

  grpc::SslServerCredentialsOptions server(
      config.verify_incoming ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                             : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  server.pem_root_certs = pem.ca;
  server.pem_key_cert_pairs.push_back({pem.key, pem.cert});
  out.server = grpc::SslServerCredentials(server);

  // The client uses gRPC's TLS credentials (experimental in 1.51, stable in substance)
  // because the SSL ones can neither skip verification (verify_outgoing = false) nor
  // verify the chain without the host name.
  std::vector<grpc::experimental::IdentityKeyCertPair> identity;
  if (!pem.cert.empty()) identity.push_back({pem.key, pem.cert});
  auto provider =
      std::make_shared<grpc::experimental::StaticDataCertificateProvider>(pem.ca, identity);
  grpc::experimental::TlsChannelCredentialsOptions client;
  client.set_certificate_provider(provider);
  if (!pem.ca.empty()) client.watch_root_certs();
  if (!identity.empty()) client.watch_identity_key_cert_pairs();
  bool verify = config.verify_outgoing || config.verify_server_hostname;
  client.set_verify_server_certs(verify);
  if (config.verify_server_hostname) {
    client.set_certificate_verifier(
        std::make_shared<grpc::experimental::HostNameCertificateVerifier>());
    out.target_name = config.server_name;
  } else {
    client.set_certificate_verifier(
        std::make_shared<grpc::experimental::NoOpCertificateVerifier>());
    client.set_check_call_host(false);
  }
  out.channel = grpc::experimental::TlsCredentials(client);
  if (!out.channel) return absl::InvalidArgumentError("tls: gRPC refused the client settings");
  return out;
}

}  // namespace cairn::raft::internal
