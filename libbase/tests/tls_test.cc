#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cairn/base/tls.h>

#include <stdlib.h>
#include <unistd.h>

namespace cairn::base {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;

// ---- a throwaway PKI, generated with the OpenSSL 3 API so nothing ever expires ----------

struct Pem {
  std::string cert;
  std::string key;
};

void AddExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  REQUIRE(ext != nullptr);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

std::string ToPem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, n);
  BIO_free(bio);
  return out;
}

std::string ToPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, n);
  BIO_free(bio);
  return out;
}

// A P-256 key and a certificate for it, signed by `issuer` (self-signed when null).
class KeyCert {
 public:
  KeyCert(const char* cn, const KeyCert* issuer, bool is_ca, const char* san) {
    key_ = EVP_EC_gen("P-256");
    REQUIRE(key_ != nullptr);
    cert_ = X509_new();
    X509_set_version(cert_, 2);
    static long serial = 1;
    ASN1_INTEGER_set(X509_get_serialNumber(cert_), serial++);
    X509_gmtime_adj(X509_getm_notBefore(cert_), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert_), 24 * 3600);
    X509_NAME* name = X509_get_subject_name(cert_);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn),
                               -1, -1, 0);
    X509* issuer_cert = issuer ? issuer->cert_ : cert_;
    X509_set_issuer_name(cert_, X509_get_subject_name(issuer_cert));
    X509_set_pubkey(cert_, key_);
    if (is_ca) {
      AddExt(cert_, issuer_cert, NID_basic_constraints, "critical,CA:TRUE");
      AddExt(cert_, issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
      AddExt(cert_, issuer_cert, NID_basic_constraints, "critical,CA:FALSE");
      AddExt(cert_, issuer_cert, NID_ext_key_usage, "serverAuth,clientAuth");
    }
    if (san != nullptr) AddExt(cert_, issuer_cert, NID_subject_alt_name, san);
    REQUIRE(X509_sign(cert_, issuer ? issuer->key_ : key_, EVP_sha256()) > 0);
  }
  ~KeyCert() {
    X509_free(cert_);
    EVP_PKEY_free(key_);
  }
  KeyCert(const KeyCert&) = delete;
  KeyCert& operator=(const KeyCert&) = delete;

  std::string CertPem() const { return ToPem(cert_); }
  std::string KeyPem() const { return ToPem(key_); }

 private:
  EVP_PKEY* key_;
  X509* cert_;
};

// Files for a CA, a server (server.dc1.consul + 127.0.0.1), a client, and a second,
// unrelated CA with its own server, in a fresh temporary directory.
class Pki {
 public:
  Pki() {
    char tmpl[] = "/tmp/cairn_tls_test_XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
    KeyCert ca("Cairn Test CA", nullptr, true, nullptr);
    KeyCert server("server.dc1.consul", &ca, false, "DNS:server.dc1.consul,IP:127.0.0.1");
    KeyCert client("client.dc1.consul", &ca, false, "DNS:client.dc1.consul");
    KeyCert other_ca("Other CA", nullptr, true, nullptr);
    KeyCert other_server("server.dc1.consul", &other_ca, false, "DNS:server.dc1.consul");
    ca_file = Write("ca.pem", ca.CertPem());
    server_cert = Write("server.pem", server.CertPem());
    server_key = Write("server-key.pem", server.KeyPem());
    client_cert = Write("client.pem", client.CertPem());
    client_key = Write("client-key.pem", client.KeyPem());
    other_ca_file = Write("other-ca.pem", other_ca.CertPem());
    other_server_cert = Write("other-server.pem", other_server.CertPem());
    other_server_key = Write("other-server-key.pem", other_server.KeyPem());
  }
  ~Pki() { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  std::string Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  std::string ca_file, server_cert, server_key, client_cert, client_key;
  std::string other_ca_file, other_server_cert, other_server_key;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

TlsConfig ServerConfig(const Pki& pki) {
  TlsConfig c;
  c.ca_file = pki.ca_file;
  c.cert_file = pki.server_cert;
  c.key_file = pki.server_key;
  c.verify_incoming = true;
  return c;
}

TlsConfig ClientConfig(const Pki& pki) {
  TlsConfig c;
  c.ca_file = pki.ca_file;
  c.cert_file = pki.client_cert;
  c.key_file = pki.client_key;
  c.verify_outgoing = true;
  c.verify_server_hostname = true;
  return c;
}

// ---- a real handshake over loopback -----------------------------------------------------

struct Outcome {
  // Empty when that side completed the handshake and exchanged one byte each way.
  std::string server_error;
  std::string client_error;
  bool ok() const { return server_error.empty() && client_error.empty(); }
};

// Runs a server thread and a client on this thread, both blocking, then joins. Whichever
// side fails closes its socket, which unblocks the other, so nothing waits on a timer.
Outcome Handshake(ssl::context& server_ctx, ssl::context& client_ctx) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  Outcome out;
  std::thread server([&] {
    ssl::stream<tcp::socket> stream(io, server_ctx);
    boost::system::error_code ec;
    acceptor.accept(stream.lowest_layer(), ec);
    if (!ec) stream.handshake(ssl::stream_base::server, ec);
    char c = 's';
    if (!ec) asio::write(stream, asio::buffer(&c, 1), ec);
    if (!ec) asio::read(stream, asio::buffer(&c, 1), ec);
    if (ec) out.server_error = ec.message();
  });
  {
    ssl::stream<tcp::socket> stream(io, client_ctx);
    boost::system::error_code ec;
    stream.lowest_layer().connect(acceptor.local_endpoint(), ec);
    if (!ec) stream.handshake(ssl::stream_base::client, ec);
    char c = 'c';
    // In TLS 1.3 the server judges the client's certificate after the client's handshake
    // has returned, so a rejection only shows on the first read.
    if (!ec) asio::read(stream, asio::buffer(&c, 1), ec);
    if (!ec) asio::write(stream, asio::buffer(&c, 1), ec);
    if (ec) out.client_error = ec.message();
  }
  server.join();
  return out;
}

std::shared_ptr<ssl::context> MustServer(const TlsConfig& c) {
  auto ctx = MakeServerTlsContext(c);
  INFO(ctx.status().ToString());
  REQUIRE(ctx.ok());
  return *ctx;
}

std::shared_ptr<ssl::context> MustClient(const TlsConfig& c, std::string_view name) {
  auto ctx = MakeClientTlsContext(c, name);
  INFO(ctx.status().ToString());
  REQUIRE(ctx.ok());
  return *ctx;
}

TEST_CASE("mutual TLS handshake succeeds", "[unit]") {
  Pki pki;
  auto server = MustServer(ServerConfig(pki));
  auto client = MustClient(ClientConfig(pki), "server.dc1.consul");
  Outcome o = Handshake(*server, *client);
  INFO(o.server_error << " / " << o.client_error);
  CHECK(o.ok());

  // An IP address is checked against the IP SANs.
  auto by_ip = MustClient(ClientConfig(pki), "127.0.0.1");
  CHECK(Handshake(*server, *by_ip).ok());

  // TLS 1.3 minimum on both sides.
  TlsConfig s13 = ServerConfig(pki), c13 = ClientConfig(pki);
  s13.min_version = c13.min_version = TlsVersion::kTls13;
  CHECK(Handshake(*MustServer(s13), *MustClient(c13, "server.dc1.consul")).ok());
}

TEST_CASE("verify_incoming rejects a client without a certificate", "[unit]") {
  Pki pki;
  auto server = MustServer(ServerConfig(pki));
  TlsConfig anonymous = ClientConfig(pki);
  anonymous.cert_file.clear();
  anonymous.key_file.clear();
  Outcome o = Handshake(*server, *MustClient(anonymous, "server.dc1.consul"));
  CHECK_THAT(o.server_error, Catch::Contains("peer did not return a certificate"));
  CHECK(!o.client_error.empty());

  // Without verify_incoming the same client is served.
  TlsConfig lax = ServerConfig(pki);
  lax.verify_incoming = false;
  CHECK(Handshake(*MustServer(lax), *MustClient(anonymous, "server.dc1.consul")).ok());
}

TEST_CASE("verify_incoming rejects a client certificate from another CA", "[unit]") {
  Pki pki;
  TlsConfig stranger = ClientConfig(pki);
  stranger.cert_file = pki.other_server_cert;
  stranger.key_file = pki.other_server_key;
  Outcome o = Handshake(*MustServer(ServerConfig(pki)), *MustClient(stranger, "server.dc1.consul"));
  CHECK_THAT(o.server_error, Catch::Contains("certificate verify failed"));
}

TEST_CASE("verify_server_hostname rejects the wrong server name", "[unit]") {
  Pki pki;
  auto server = MustServer(ServerConfig(pki));
  Outcome o = Handshake(*server, *MustClient(ClientConfig(pki), "server.dc2.consul"));
  CHECK_THAT(o.client_error, Catch::Contains("certificate verify failed"));
  CHECK(!o.server_error.empty());

  // verify_outgoing alone checks the CA but not the name.
  TlsConfig no_name = ClientConfig(pki);
  no_name.verify_server_hostname = false;
  CHECK(Handshake(*server, *MustClient(no_name, "server.dc2.consul")).ok());
}

TEST_CASE("verify_outgoing rejects a server signed by another CA", "[unit]") {
  Pki pki;
  TlsConfig impostor = ServerConfig(pki);
  impostor.cert_file = pki.other_server_cert;
  impostor.key_file = pki.other_server_key;
  impostor.verify_incoming = false;
  TlsConfig client = ClientConfig(pki);
  client.verify_server_hostname = false;
  Outcome o = Handshake(*MustServer(impostor), *MustClient(client, ""));
  CHECK_THAT(o.client_error, Catch::Contains("certificate verify failed"));

  // Without verify_outgoing the client does not look (Consul's InsecureSkipVerify).
  client.verify_outgoing = false;
  CHECK(Handshake(*MustServer(impostor), *MustClient(client, "")).ok());
}

TEST_CASE("TLS 1.1 is refused, TLS 1.2 is refused by a tls13 server", "[unit]") {
  Pki pki;
  TlsConfig sc = ServerConfig(pki);
  sc.verify_incoming = false;
  auto server = MustServer(sc);

  // A client that speaks only TLS 1.1, with the security level lowered so that OpenSSL
  // actually sends the hello.
  ssl::context old(ssl::context::tls_client);
  SSL_CTX_set_security_level(old.native_handle(), 0);
  SSL_CTX_set_cipher_list(old.native_handle(), "DEFAULT:@SECLEVEL=0");
  SSL_CTX_set_min_proto_version(old.native_handle(), TLS1_1_VERSION);
  SSL_CTX_set_max_proto_version(old.native_handle(), TLS1_1_VERSION);
  old.set_verify_mode(ssl::verify_none);
  Outcome o = Handshake(*server, old);
  CHECK_THAT(o.server_error, Catch::Contains("unsupported protocol"));
  CHECK(!o.client_error.empty());

  // The same client allowed TLS 1.2 gets in, so the version was the reason.
  SSL_CTX_set_max_proto_version(old.native_handle(), TLS1_2_VERSION);
  CHECK(Handshake(*server, old).ok());

  // And a tls13 server refuses it.
  sc.min_version = TlsVersion::kTls13;
  Outcome o13 = Handshake(*MustServer(sc), old);
  CHECK_THAT(o13.server_error, Catch::Contains("unsupported protocol"));
}

// ---- configuration errors ---------------------------------------------------------------

TEST_CASE("tls_min_version names", "[unit]") {
  CHECK(*ParseTlsMinVersion("") == TlsVersion::kTls12);
  CHECK(*ParseTlsMinVersion("tls12") == TlsVersion::kTls12);
  CHECK(*ParseTlsMinVersion("TLSv1_2") == TlsVersion::kTls12);
  CHECK(*ParseTlsMinVersion("tls13") == TlsVersion::kTls13);
  CHECK(*ParseTlsMinVersion("TLSv1_3") == TlsVersion::kTls13);
  CHECK_THAT(std::string(ParseTlsMinVersion("tls11").status().message()),
             Catch::Contains("below TLS 1.2"));
  CHECK(ParseTlsMinVersion("tls14").status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("file errors name the setting and the file", "[unit]") {
  Pki pki;
  auto server_error = [](const TlsConfig& c) {
    auto ctx = MakeServerTlsContext(c);
    REQUIRE(!ctx.ok());
    return std::string(ctx.status().message());
  };

  TlsConfig missing = ServerConfig(pki);
  missing.ca_file = pki.dir() + "/nope.pem";
  auto st = MakeServerTlsContext(missing).status();
  CHECK(st.code() == absl::StatusCode::kNotFound);
  CHECK_THAT(std::string(st.message()), Catch::Contains("ca_file \"" + missing.ca_file + "\""));

  TlsConfig mismatched = ServerConfig(pki);
  mismatched.key_file = pki.client_key;
  CHECK(server_error(mismatched) == "tls: key_file \"" + pki.client_key +
                                        "\" does not match cert_file \"" + pki.server_cert + "\"");

  TlsConfig garbage = ServerConfig(pki);
  garbage.cert_file = pki.Write("garbage.pem", "this is not a certificate\n");
  CHECK(server_error(garbage) ==
        "tls: cert_file \"" + garbage.cert_file + "\" contains no PEM certificate");

  // A PEM block whose base64 is damaged.
  std::string pem = pki.Read(pki.ca_file);
  pem[pem.size() / 2] = '!';
  TlsConfig corrupt = ServerConfig(pki);
  corrupt.ca_file = pki.Write("corrupt.pem", pem);
  CHECK_THAT(server_error(corrupt),
             Catch::Contains("ca_file \"" + corrupt.ca_file + "\" holds a malformed PEM"));

  TlsConfig bad_key = ServerConfig(pki);
  bad_key.key_file = pki.server_cert;  // a certificate where the key should be
  CHECK_THAT(server_error(bad_key),
             Catch::Contains("key_file \"" + pki.server_cert + "\" contains no usable PEM"));

  TlsConfig dir_as_file = ServerConfig(pki);
  dir_as_file.cert_file = pki.dir();
  CHECK_THAT(server_error(dir_as_file), Catch::Contains("cannot read cert_file"));
}

TEST_CASE("inconsistent settings are refused", "[unit]") {
  Pki pki;
  TlsConfig no_ca = ServerConfig(pki);
  no_ca.ca_file.clear();
  CHECK(MakeServerTlsContext(no_ca).status().message() ==
        "tls: verify_incoming is set but no CA is configured (set ca_file or ca_path)");

  TlsConfig client_no_ca = ClientConfig(pki);
  client_no_ca.ca_file.clear();
  CHECK(MakeClientTlsContext(client_no_ca, "server.dc1.consul").status().message() ==
        "tls: verify_outgoing is set but no CA is configured (set ca_file or ca_path)");

  TlsConfig no_name = ClientConfig(pki);
  CHECK_THAT(std::string(MakeClientTlsContext(no_name).status().message()),
             Catch::Contains("no server name"));
  no_name.server_name = "server.dc1.consul";  // the fallback
  CHECK(MakeClientTlsContext(no_name).ok());

  TlsConfig no_cert = ServerConfig(pki);
  no_cert.cert_file.clear();
  no_cert.key_file.clear();
  CHECK_THAT(std::string(MakeServerTlsContext(no_cert).status().message()),
             Catch::Contains("needs cert_file and key_file"));

  TlsConfig half = ClientConfig(pki);
  half.key_file.clear();
  CHECK(MakeClientTlsContext(half, "server.dc1.consul").status().message() ==
        "tls: cert_file is set but key_file is not");
}

TEST_CASE("ca_path and the PEM helper", "[unit]") {
  Pki pki;
  std::filesystem::create_directory(pki.dir() + "/cas");
  pki.Write("cas/a.pem", pki.Read(pki.ca_file));
  pki.Write("cas/b.pem", pki.Read(pki.other_ca_file));

  TlsConfig c = ServerConfig(pki);
  c.ca_file.clear();
  c.ca_path = pki.dir() + "/cas";
  auto pem = LoadTlsPem(c);
  REQUIRE(pem.ok());
  CHECK(pem->ca == pki.Read(pki.ca_file) + pki.Read(pki.other_ca_file));
  CHECK(pem->cert == pki.Read(pki.server_cert));
  CHECK(pem->key == pki.Read(pki.server_key));

  // Trust from ca_path works in a handshake.
  TlsConfig cc = ClientConfig(pki);
  cc.ca_file.clear();
  cc.ca_path = c.ca_path;
  CHECK(Handshake(*MustServer(c), *MustClient(cc, "server.dc1.consul")).ok());

  pki.Write("cas/README", "not a certificate");
  auto bad = LoadTlsPem(c);
  REQUIRE(!bad.ok());
  CHECK_THAT(std::string(bad.status().message()), Catch::Contains("cas/README"));

  c.ca_path = pki.dir() + "/missing-dir";
  CHECK_THAT(std::string(LoadTlsPem(c).status().message()),
             Catch::Contains("cannot read ca_path \"" + c.ca_path + "\""));
}

}  // namespace
}  // namespace cairn::base
