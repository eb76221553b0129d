// BlobConnection: one kept-alive HTTP/1.1 connection (plain or TLS) to the blob endpoint, with timeouts.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "azure-blob/connection_string.h"
#include "azure-blob/shared_key.h"
#include "common/result.h"

namespace cortex::providers::azure {

struct TlsOptions {
  bool verify = true;   // certificate chain and host name
  std::string ca_file;  // empty: the system's trust store
};

struct HttpResponse {
  unsigned status = 0;
  HeaderList headers;  // names lowercase
  std::string body;

  std::string header(std::string_view lowercase_name) const;
};

class BlobConnection {
 public:
  BlobConnection(BlobEndpoint endpoint, TlsOptions tls, std::chrono::milliseconds timeout);
  ~BlobConnection();
  BlobConnection(const BlobConnection&) = delete;
  BlobConnection& operator=(const BlobConnection&) = delete;

  // Sends one request on the kept-alive connection, connecting (again) when needed. Connection
  // failures, resets and timeouts are ErrorCode::Unavailable; a failed TLS verification is IOError.
  // Every request the provider sends is idempotent, so one that fails on a reused connection (the
  // server closed it while idle) is sent once more on a fresh one.
  Result<HttpResponse> send(const std::string& method, const std::string& target, const HeaderList& headers,
                            std::string_view body);

  // Fails early (IOError) when the TLS settings cannot be used (an unreadable ca_file).
  Status check_tls_setup() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cortex::providers::azure
