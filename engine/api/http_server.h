// HttpServer: HTTP/1.1 with keep-alive (Boost.Beast on Boost.Asio), optionally over TLS, in front of the API handler.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "api/api_handler.h"
#include "common/result.h"

namespace cortex {

struct HttpServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: the OS picks a free port; port() tells which
  int threads = 2;
  std::size_t body_limit_bytes = 64 * 1024;  // larger bodies: 413
  std::size_t header_limit_bytes = 8 * 1024;  // larger request line + headers: 431
  std::chrono::seconds read_timeout{30};     // per request (header and body), and per response write
  int max_connections = 256;                 // beyond: 503 and close
  std::chrono::seconds stop_timeout{10};     // how long stop() waits for requests in flight

  // TLS (OpenSSL). An empty certificate file means plain HTTP. With one the listener speaks only
  // TLS 1.2 or later; the TLS handshake is bounded by read_timeout like a request.
  std::string tls_certificate_file;  // PEM: the server certificate first, then any intermediates
  std::string tls_private_key_file;  // PEM, unencrypted; must match the certificate
  // PEM CA certificates. When set, every client must present a certificate that verifies against
  // them, or the handshake fails (no request is read).
  std::string tls_client_ca_file;

  // Told the status of each answer the server gives by itself, before a request reaches the handler: 400 (not
  // HTTP), 413, 431 and 503 (too many connections). For metrics; called on io threads, must not block.
  std::function<void(unsigned status)> on_server_answer;
};

// Answers one request. Called on io threads, concurrently; may block (SQLite), which holds the thread.
using RequestHandler = std::function<ApiResponse(const ApiRequest&)>;
// Answers one request through `respond`, now or later from any thread (a registration waiting for
// its group commit). The connection waits for that answer without holding an io thread; it reads
// its next request only after the answer is written, so answers keep the order of the requests.
using AsyncRequestHandler = std::function<void(const ApiRequest&, Responder respond)>;

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, RequestHandler handler);
  HttpServer(HttpServerOptions options, AsyncRequestHandler handler);
  ~HttpServer();  // stops
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Loads the TLS files (if any), binds and starts the io threads. A bind failure names the address
  // and port; a TLS file that is missing, unreadable or does not fit names the file and the OpenSSL reason.
  Status start();
  // The bound port (after start).
  std::uint16_t port() const;
  // Whether the listener speaks TLS (a certificate file is configured).
  bool tls() const;
  // Closes the acceptor and idle connections, lets requests in flight finish and answer
  // (with Connection: close), then joins the threads. Idempotent. An answer still owed by an
  // asynchronous handler is waited for up to stop_timeout, like a request in flight.
  void stop();

  struct Core;

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace cortex
