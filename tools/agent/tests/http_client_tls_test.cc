// The CLI over HTTPS: https:// addresses and CONSUL_HTTP_SSL, -ca-file, client
// certificates (the seed's `consul info -http-addr=... -ca-file=... -client-cert=...
// -client-key=...`), and CONSUL_HTTP_SSL_VERIFY=false. Certificates are made in the test.
#include <cstdio>
#include <fstream>

#include <boost/asio/ssl/context.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "cli.h"
#include "command_util.h"
#include "fake_agent.h"
#include <unistd.h>

namespace cairn::cli {
namespace {

using testing::CliResult;
using testing::FakeAgent;
using testing::Json;
using testing::RunCommand;
namespace ssl = boost::asio::ssl;

// A self-signed certificate (usable as its own CA) for 127.0.0.1 and localhost, written
// as PEM files that are removed again at the end.
class SelfSigned {
 public:
  explicit SelfSigned(const std::string& name)
      : cert_path_(fmt::format("/tmp/cairn-cli-{}-{}.pem", name, ::getpid())),
        key_path_(fmt::format("/tmp/cairn-cli-{}-{}-key.pem", name, ::getpid())) {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* subject = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0);
    X509_set_issuer_name(cert, subject);
    for (auto [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:TRUE"},
                              std::pair{NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost"}}) {
      X509V3_CTX ctx;
      X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
      X509_add_ext(cert, ext, -1);
      X509_EXTENSION_free(ext);
    }
    X509_sign(cert, key, EVP_sha256());
    std::FILE* f = std::fopen(cert_path_.c_str(), "w");
    PEM_write_X509(f, cert);
    std::fclose(f);
    f = std::fopen(key_path_.c_str(), "w");
    PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    X509_free(cert);
    EVP_PKEY_free(key);
  }
  ~SelfSigned() {
    std::remove(cert_path_.c_str());
    std::remove(key_path_.c_str());
  }
  const std::string& cert() const { return cert_path_; }
  const std::string& key() const { return key_path_; }

 private:
  std::string cert_path_;
  std::string key_path_;
};

// A server context presenting `server`; with `client_ca`, client certificates signed by
// it are required (Consul's verify_incoming).
std::shared_ptr<ssl::context> ServerContext(const SelfSigned& server,
                                            const SelfSigned* client_ca = nullptr) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->use_certificate_chain_file(server.cert());
  ctx->use_private_key_file(server.key(), ssl::context::pem);
  if (client_ca != nullptr) {
    ctx->load_verify_file(client_ca->cert());
    ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  return ctx;
}

constexpr const char* kSelf = R"({"Config":{},"Stats":{"consul":{"server":"true"}}})";

TEST_CASE("https agent: -ca-file verifies it, an unknown CA is refused", "[unit]") {
  SelfSigned server("tls-server");
  FakeAgent agent(nullptr, "", ServerContext(server));
  agent.Route("GET", "/v1/agent/self", Json(kSelf));
  std::string addr = "https://" + agent.address();

  CliResult ok = RunCommand(RunInfo, {"-http-addr=" + addr, "-ca-file=" + server.cert()});
  CHECK(ok.code == 0);
  CHECK(ok.err.empty());
  CHECK(ok.out == "consul:\n\tserver = true\n");

  CliResult untrusted = RunCommand(RunInfo, {"-http-addr=" + addr});
  CHECK(untrusted.code == 1);
  CHECK(untrusted.err.rfind(
            fmt::format("Error querying agent: Get \"{}/v1/agent/self\": tls: ", addr), 0) == 0);

  // CONSUL_HTTP_SSL turns a scheme-less address into https; CONSUL_HTTP_SSL_VERIFY=false
  // skips verification, and CONSUL_CACERT names the CA.
  std::map<std::string, std::string> env{{"CONSUL_HTTP_ADDR", agent.address()},
                                         {"CONSUL_HTTP_SSL", "true"},
                                         {"CONSUL_HTTP_SSL_VERIFY", "false"}};
  CHECK(RunCommand(RunInfo, {}, env).code == 0);
  env.erase("CONSUL_HTTP_SSL_VERIFY");
  CHECK(RunCommand(RunInfo, {}, env).code == 1);
  env["CONSUL_CACERT"] = server.cert();
  CHECK(RunCommand(RunInfo, {}, env).code == 0);

  // The name checked is the one dialled, or -tls-server-name.
  CHECK(RunCommand(RunInfo, {"-http-addr=" + addr, "-ca-file=" + server.cert(),
                             "-tls-server-name=other.example"})
            .code == 1);
  CHECK(RunCommand(RunInfo, {"-http-addr=" + addr, "-ca-file=" + server.cert(),
                             "-tls-server-name=localhost"})
            .code == 0);
}

TEST_CASE("https agent with verify_incoming: the seed's info line with client certs", "[unit]") {
  SelfSigned server("tls-server2");
  SelfSigned client("tls-client");
  FakeAgent agent(nullptr, "", ServerContext(server, &client));
  agent.Route("GET", "/v1/agent/self", Json(kSelf));
  std::string addr = "https://" + agent.address();

  CliResult r =
      RunCommand(RunInfo, {"-http-addr=" + addr, "-ca-file=" + server.cert(),
                           "-client-cert=" + client.cert(), "-client-key=" + client.key()});
  CHECK(r.code == 0);
  CHECK(r.out == "consul:\n\tserver = true\n");

  CliResult no_cert = RunCommand(RunInfo, {"-http-addr=" + addr, "-ca-file=" + server.cert()});
  CHECK(no_cert.code == 1);
  CHECK(no_cert.err.rfind(fmt::format("Error querying agent: Get \"{}/v1/agent/self\": ", addr),
                          0) == 0);

  CliResult half = RunCommand(RunInfo, {"-http-addr=" + addr, "-client-cert=" + client.cert()});
  CHECK(half.code == 1);
  CHECK(half.err ==
        "Error connecting to Consul agent: Error loading client certificate: both -client-cert "
        "and -client-key must be set\n");
  CliResult missing = RunCommand(RunInfo, {"-http-addr=" + addr, "-ca-file=/nonexistent.pem"});
  CHECK(missing.code == 1);
  CHECK(missing.err.rfind("Error connecting to Consul agent: Error loading CA file "
                          "/nonexistent.pem: ",
                          0) == 0);
}

}  // namespace
}  // namespace cairn::cli
