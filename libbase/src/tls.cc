#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_format.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <cairn/base/status.h>
#include <cairn/base/tls.h>

namespace cairn::base {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

// The oldest queued OpenSSL error as text, and an empty queue afterwards, so that a later
// call never reports a stale error.
std::string TakeOpensslError() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

absl::StatusOr<std::string> ReadFile(std::string_view setting, const std::string& path) {
  std::string where = absl::StrFormat("tls: cannot read %s \"%s\"", ToAbsl(setting), path);
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return absl::ErrnoToStatus(errno, where);
  std::string data;
  char buf[8192];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) data.append(buf, n);
  int err = std::ferror(f) ? errno : 0;
  std::fclose(f);
  if (err != 0) return absl::ErrnoToStatus(err, where);
  return data;
}

// Every certificate in `pem`, in order. A PEM block that fails to parse is an error, as
// is text with no certificate at all.
absl::StatusOr<std::vector<X509Ptr>> ParseCerts(std::string_view setting, const std::string& path,
                                                const std::string& pem) {
  ERR_clear_error();
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::vector<X509Ptr> certs;
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) certs.emplace_back(x);
  // The loop always ends on an error; running out of PEM blocks is the only good one.
  unsigned long e = ERR_peek_last_error();
  if (ERR_GET_LIB(e) != ERR_LIB_PEM || ERR_GET_REASON(e) != PEM_R_NO_START_LINE) {
    return absl::InvalidArgumentError(
        absl::StrFormat("tls: %s \"%s\" holds a malformed PEM "
                        "certificate: %s",
                        ToAbsl(setting), path, TakeOpensslError()));
  }
  ERR_clear_error();
  if (certs.empty()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("tls: %s \"%s\" contains no PEM certificate", ToAbsl(setting), path));
  }
  return certs;
}

absl::StatusOr<PkeyPtr> ParseKey(const std::string& path, const std::string& pem) {
  ERR_clear_error();
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  // A callback that supplies no passphrase: without one OpenSSL would prompt on the
  // terminal for an encrypted key.
  auto no_passphrase = [](char*, int, int, void*) { return 0; };
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr);
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrFormat("tls: key_file \"%s\" contains no usable PEM private key (encrypted "
                        "keys are not supported): %s",
                        path, TakeOpensslError()));
  }
  return PkeyPtr(key);
}

// Everything the files hold, parsed and checked.
struct Material {
  TlsPem pem;
  std::vector<X509Ptr> cas;
  std::vector<X509Ptr> chain;  // leaf first
  PkeyPtr key;
};

absl::StatusOr<Material> LoadMaterial(const TlsConfig& c) {
  Material m;
  if (!c.ca_file.empty()) {
    CAIRN_ASSIGN_OR_RETURN(std::string pem, ReadFile("ca_file", c.ca_file));
    CAIRN_ASSIGN_OR_RETURN(auto certs, ParseCerts("ca_file", c.ca_file, pem));
    for (auto& x : certs) m.cas.push_back(std::move(x));
    m.pem.ca += pem;
  }
  if (!c.ca_path.empty()) {
    // Like Consul (go-rootcerts), every regular file in the directory must hold PEM
    // certificates; sorted so that the PEM text is the same on every run.
    std::error_code ec;
    std::vector<std::filesystem::path> files;
    for (std::filesystem::directory_iterator it(c.ca_path, ec), end; !ec && it != end;
         it.increment(ec)) {
      if (it->is_regular_file()) files.push_back(it->path());
    }
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrFormat("tls: cannot read ca_path \"%s\": %s", c.ca_path, ec.message()));
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      CAIRN_ASSIGN_OR_RETURN(std::string pem, ReadFile("ca_path file", f.string()));
      CAIRN_ASSIGN_OR_RETURN(auto certs, ParseCerts("ca_path file", f.string(), pem));
      for (auto& x : certs) m.cas.push_back(std::move(x));
      if (!m.pem.ca.empty() && m.pem.ca.back() != '\n') m.pem.ca += '\n';
      m.pem.ca += pem;
    }
  }
  if (c.cert_file.empty() != c.key_file.empty()) {
    return absl::InvalidArgumentError(c.cert_file.empty()
                                          ? "tls: key_file is set but cert_file is not"
                                          : "tls: cert_file is set but key_file is not");
  }
  if (!c.cert_file.empty()) {
    CAIRN_ASSIGN_OR_RETURN(m.pem.cert, ReadFile("cert_file", c.cert_file));
    CAIRN_ASSIGN_OR_RETURN(m.chain, ParseCerts("cert_file", c.cert_file, m.pem.cert));
    CAIRN_ASSIGN_OR_RETURN(m.pem.key, ReadFile("key_file", c.key_file));
    CAIRN_ASSIGN_OR_RETURN(m.key, ParseKey(c.key_file, m.pem.key));
    if (X509_check_private_key(m.chain[0].get(), m.key.get()) != 1) {
      ERR_clear_error();
      return absl::InvalidArgumentError(absl::StrFormat(
          "tls: key_file \"%s\" does not match cert_file \"%s\"", c.key_file, c.cert_file));
    }
  }
  return m;
}

absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> NewContext(const TlsConfig& c,
                                                                      const Material& m,
                                                                      bool server) {
  namespace ssl = boost::asio::ssl;
  std::shared_ptr<ssl::context> ctx;
  try {
    ctx = std::make_shared<ssl::context>(server ? ssl::context::tls_server
                                                : ssl::context::tls_client);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrFormat("tls: cannot create an SSL context: %s", e.what()));
  }
  SSL_CTX* raw = ctx->native_handle();
  SSL_CTX_set_min_proto_version(
      raw, c.min_version == TlsVersion::kTls13 ? TLS1_3_VERSION : TLS1_2_VERSION);
  SSL_CTX_set_options(raw, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (!m.chain.empty()) {
    bool ok = SSL_CTX_use_certificate(raw, m.chain[0].get()) == 1;
    for (size_t i = 1; ok && i < m.chain.size(); ++i) {
      ok = SSL_CTX_add1_chain_cert(raw, m.chain[i].get()) == 1;
    }
    ok = ok && SSL_CTX_use_PrivateKey(raw, m.key.get()) == 1 && SSL_CTX_check_private_key(raw) == 1;
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrFormat("tls: cannot use cert_file \"%s\" with key_file \"%s\": %s", c.cert_file,
                          c.key_file, TakeOpensslError()));
    }
  }
  X509_STORE* store = SSL_CTX_get_cert_store(raw);
  for (const auto& ca : m.cas) {
    if (X509_STORE_add_cert(store, ca.get()) != 1) {
      return absl::InternalError(
          absl::StrFormat("tls: cannot add a CA certificate: %s", TakeOpensslError()));
    }
  }
  // Needed for session resumption once peers are verified; the value only has to be
  // stable for this context.
  static constexpr unsigned char kSessionContext[] = "cairn";
  SSL_CTX_set_session_id_context(raw, kSessionContext, sizeof(kSessionContext) - 1);
  return ctx;
}

}  // namespace

absl::StatusOr<TlsVersion> ParseTlsMinVersion(std::string_view name) {
  if (name.empty() || name == "tls12" || name == "TLSv1_2") return TlsVersion::kTls12;
  if (name == "tls13" || name == "TLSv1_3") return TlsVersion::kTls13;
  if (name == "tls10" || name == "tls11" || name == "TLSv1_0" || name == "TLSv1_1") {
    return absl::InvalidArgumentError(absl::StrFormat(
        "tls_min_version \"%s\" is below TLS 1.2, the oldest version Cairn accepts", ToAbsl(name)));
  }
  return absl::InvalidArgumentError(absl::StrFormat(
      "tls_min_version \"%s\" is not one of tls12, tls13, TLSv1_2, TLSv1_3", ToAbsl(name)));
}

absl::StatusOr<TlsPem> LoadTlsPem(const TlsConfig& config) {
  CAIRN_ASSIGN_OR_RETURN(Material m, LoadMaterial(config));
  return std::move(m.pem);
}

absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> MakeServerTlsContext(
    const TlsConfig& config) {
  if (config.cert_file.empty()) {
    return absl::InvalidArgumentError(
        "tls: a TLS server needs cert_file and key_file to present to clients");
  }
  bool has_ca = !config.ca_file.empty() || !config.ca_path.empty();
  if (config.verify_incoming && !has_ca) {
    return absl::InvalidArgumentError(
        "tls: verify_incoming is set but no CA is configured (set ca_file or ca_path)");
  }
  CAIRN_ASSIGN_OR_RETURN(Material m, LoadMaterial(config));
  CAIRN_ASSIGN_OR_RETURN(auto ctx, NewContext(config, m, /*server=*/true));
  SSL_CTX* raw = ctx->native_handle();
  if (config.verify_incoming) {
    SSL_CTX_set_verify(raw, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    // Tells clients which CAs we accept, so one holding several certificates picks right.
    for (const auto& ca : m.cas) SSL_CTX_add_client_CA(raw, ca.get());
  } else {
    SSL_CTX_set_verify(raw, SSL_VERIFY_NONE, nullptr);
  }
  return ctx;
}

absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> MakeClientTlsContext(
    const TlsConfig& config, std::string_view expected_server_name) {
  bool verify = config.verify_outgoing || config.verify_server_hostname;
  bool has_ca = !config.ca_file.empty() || !config.ca_path.empty();
  if (verify && !has_ca) {
    return absl::InvalidArgumentError(
        absl::StrFormat("tls: %s is set but no CA is configured (set ca_file or ca_path)",
                        config.verify_outgoing ? "verify_outgoing" : "verify_server_hostname"));
  }
  std::string name(expected_server_name.empty() ? std::string_view(config.server_name)
                                                : expected_server_name);
  if (config.verify_server_hostname && name.empty()) {
    return absl::InvalidArgumentError(
        "tls: verify_server_hostname is set but no server name to expect was given");
  }
  CAIRN_ASSIGN_OR_RETURN(Material m, LoadMaterial(config));
  CAIRN_ASSIGN_OR_RETURN(auto ctx, NewContext(config, m, /*server=*/false));
  SSL_CTX* raw = ctx->native_handle();
  SSL_CTX_set_verify(raw, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  if (config.verify_server_hostname) {
    // Set on the context's verify parameters, which every SSL made from it inherits. An
    // IP address is matched against IP SANs, anything else against DNS SANs.
    X509_VERIFY_PARAM* param = SSL_CTX_get0_param(raw);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    int ok = X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
    if (ok != 1) {
      ERR_clear_error();
      ok = X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
    }
    if (ok != 1) {
      return absl::InvalidArgumentError(
          absl::StrFormat("tls: cannot verify server name \"%s\": %s", name, TakeOpensslError()));
    }
  }
  return ctx;
}

}  // namespace cairn::base
