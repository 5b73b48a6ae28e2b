// cairn/base/tls.h — OpenSSL contexts for Cairn's TLS servers and clients, built from
// Consul's TLS settings (ca_file, ca_path, cert_file, key_file, verify_incoming,
// verify_outgoing, verify_server_hostname, tls_min_version).
//
// Every file is read and checked up front, so a misconfiguration is reported when the
// agent starts, naming the setting and the file ("tls: key_file \"/etc/consul/k.pem\"
// does not match cert_file \"/etc/consul/c.pem\""), never at the first handshake.
//
// Example:
//
//   cairn::base::TlsConfig tls;
//   tls.ca_file = "/etc/cairn/ca.pem";
//   tls.cert_file = "/etc/cairn/server.pem";
//   tls.key_file = "/etc/cairn/server-key.pem";
//   tls.verify_incoming = true;
//   tls.verify_outgoing = true;
//   tls.verify_server_hostname = true;
//   CAIRN_ASSIGN_OR_RETURN(auto server_ctx, cairn::base::MakeServerTlsContext(tls));
//   CAIRN_ASSIGN_OR_RETURN(auto client_ctx,
//                          cairn::base::MakeClientTlsContext(tls, "server.dc1.consul"));
//   boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream(io, *client_ctx);
//
//   // gRPC reads PEM text rather than an SSL_CTX:
//   CAIRN_ASSIGN_OR_RETURN(cairn::base::TlsPem pem, cairn::base::LoadTlsPem(tls));
//   grpc::SslCredentialsOptions opts{pem.ca, pem.key, pem.cert};
#ifndef CAIRN_BASE_TLS_H_
#define CAIRN_BASE_TLS_H_

#include <memory>
#include <string>
#include <string_view>

#include <absl/status/statusor.h>
#include <boost/asio/ssl/context.hpp>

namespace cairn::base {

// The lowest protocol version a context accepts. Cairn never goes below TLS 1.2.
enum class TlsVersion { kTls12, kTls13 };

// Parses Consul's tls_min_version: "tls12" / "TLSv1_2" and "tls13" / "TLSv1_3" (the
// empty string means TLS 1.2). "tls10", "tls11", "TLSv1_0" and "TLSv1_1" are refused with
// kInvalidArgument, as is anything else.
absl::StatusOr<TlsVersion> ParseTlsMinVersion(std::string_view name);

// Consul's TLS settings. File names are paths; empty means unset.
struct TlsConfig {
  // PEM file of CA certificates trusted to sign peers' certificates.
  std::string ca_file;
  // Directory whose every regular file holds PEM CA certificates (added to ca_file's).
  std::string ca_path;
  // PEM certificate presented to peers, optionally followed by its intermediate chain,
  // and its PEM private key. Both or neither.
  std::string cert_file;
  std::string key_file;
  // Server side: require clients to present a certificate signed by the CA.
  bool verify_incoming = false;
  // Client side: verify the server's certificate against the CA.
  bool verify_outgoing = false;
  // Client side: also require the server's certificate to name the expected server (see
  // MakeClientTlsContext). Implies verify_outgoing, as in Consul.
  bool verify_server_hostname = false;
  // The expected server name when MakeClientTlsContext is not given one.
  std::string server_name;
  TlsVersion min_version = TlsVersion::kTls12;
};

// Contexts are returned as shared_ptr because an asio ssl::stream keeps a reference to
// its context for its whole life, and streams end up owned by connection objects whose
// lifetimes are driven by the network, not by whoever built the context. Each stream
// (or its owner) holds a copy of the shared_ptr, so the context outlives the last stream
// without any one owner having to know when that is. A built context is not modified
// again, so it may be shared by streams on any thread.

// The server side: presents cert_file/key_file (required), and with verify_incoming
// requires and verifies client certificates against the CA (required then).
// Errors: kInvalidArgument for an inconsistent config (naming the setting), kNotFound /
// kPermissionDenied / kInvalidArgument for files that are missing, unreadable, not PEM
// or whose key does not match the certificate (naming the file).
absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> MakeServerTlsContext(
    const TlsConfig& config);

// The client side: presents cert_file/key_file when set; with verify_outgoing (or
// verify_server_hostname) verifies the server's certificate against the CA (required
// then); with verify_server_hostname, also checks that the certificate names
// `expected_server_name` (Consul's "server.<datacenter>.<domain>"; config.server_name
// when empty; one of them must be set) as a DNS or IP subject alternative name.
// Without verify_outgoing the server's certificate is not checked (Consul's
// InsecureSkipVerify). Errors as for MakeServerTlsContext.
absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> MakeClientTlsContext(
    const TlsConfig& config, std::string_view expected_server_name = {});

// The PEM text of the configured files, for APIs that take PEM rather than a context
// (grpc::SslCredentialsOptions, grpc::SslServerCredentialsOptions).
struct TlsPem {
  std::string ca;    // ca_file's certificates followed by ca_path's; empty if neither set
  std::string cert;  // cert_file as read; empty if unset
  std::string key;   // key_file as read; empty if unset
};

// Reads and checks the files exactly as the context builders do (each must be readable
// PEM, the key must match the certificate), without the verify_* rules.
absl::StatusOr<TlsPem> LoadTlsPem(const TlsConfig& config);

}  // namespace cairn::base

#endif  // CAIRN_BASE_TLS_H_
