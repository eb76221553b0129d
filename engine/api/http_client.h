// http_request: a small synchronous HTTP/1.1 client (plain or TLS) for the CLI, the demo and the tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace cortex {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpReply {
  unsigned status = 0;
  std::string body;
  HttpHeaders headers;
  // The value of a header (case-insensitive name), or "" when absent.
  std::string header(std::string_view name) const;
};

// How to talk TLS (1.2 or later) to the server. Its certificate chain is always verified.
struct HttpTlsOptions {
  std::string ca_file;           // PEM CA certificates to trust; empty: the system's default trust store
  std::string certificate_file;  // PEM client certificate (then intermediates), for a server that asks; empty: none
  std::string private_key_file;  // its unencrypted PEM key; required with certificate_file
  bool verify_host_name = true;  // the certificate must name `host` (a DNS name, or an IP address in its SAN)
};

// One request on its own connection; over TLS when `tls` is given. An empty content_type sends no
// Content-Type. `timeout` bounds connecting, the TLS handshake, sending and receiving together. Any
// HTTP status is a reply; errors are transport failures (Unavailable: could not connect or no answer
// in time; IOError: the connection broke or the TLS handshake failed, with OpenSSL's reason;
// InvalidArgument: a TLS file cannot be used).
Result<HttpReply> http_request(const std::string& host, std::uint16_t port, const std::string& method,
                               const std::string& target, const std::string& content_type, const std::string& body,
                               std::chrono::seconds timeout, const HttpHeaders& extra_headers = {},
                               const std::optional<HttpTlsOptions>& tls = std::nullopt);

}  // namespace cortex
