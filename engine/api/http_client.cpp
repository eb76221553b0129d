// http_request over Beast: asynchronous operations on a private io_context, so that the timeout holds.
#include "api/http_client.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <type_traits>

namespace cortex {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

constexpr std::uint64_t kReplyLimit = 64ull << 20;

std::string openssl_reason() {
  std::string out;
  while (unsigned long code = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(code);
    std::string text = reason ? reason : "error " + std::to_string(code);
    if (out.find(text) != std::string::npos) continue;
    if (!out.empty()) out += "; ";
    out += text;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

Status check_readable(const std::string& what, const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) return make_error(ErrorCode::InvalidArgument, what + " '" + path + "' cannot be read: " + std::strerror(errno));
  std::fclose(file);
  return Status::OK();
}

Result<std::unique_ptr<ssl::context>> make_client_context(const HttpTlsOptions& tls) {
  ERR_clear_error();
  auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
  SSL_CTX* ctx = context->native_handle();
  auto fail = [](const std::string& message) -> Error {
    return make_error(ErrorCode::InvalidArgument, message + ": " + openssl_reason());
  };
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) return fail("TLS: cannot require TLS 1.2");
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_default_passwd_cb(ctx, [](char*, int, int, void*) { return 0; });  // never prompt
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  if (tls.ca_file.empty()) {
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) return fail("TLS: cannot load the system's trusted CAs");
  } else {
    CORTEX_RETURN_IF_ERROR(check_readable("TLS CA file", tls.ca_file));
    if (SSL_CTX_load_verify_locations(ctx, tls.ca_file.c_str(), nullptr) != 1) {
      return fail("TLS CA file '" + tls.ca_file + "' holds no usable PEM certificate");
    }
  }
  if (tls.certificate_file.empty() != tls.private_key_file.empty()) {
    return make_error(ErrorCode::InvalidArgument, "a TLS client certificate needs both a certificate and a key file");
  }
  if (!tls.certificate_file.empty()) {
    CORTEX_RETURN_IF_ERROR(check_readable("TLS client certificate file", tls.certificate_file));
    CORTEX_RETURN_IF_ERROR(check_readable("TLS client key file", tls.private_key_file));
    if (SSL_CTX_use_certificate_chain_file(ctx, tls.certificate_file.c_str()) != 1) {
      return fail("TLS client certificate file '" + tls.certificate_file + "' holds no usable PEM certificate");
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, tls.private_key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
      return fail("TLS client key file '" + tls.private_key_file + "' is not an unencrypted PEM key matching '" +
                  tls.certificate_file + "'");
    }
  }
  ERR_clear_error();
  return context;
}

// Server name indication and the name the certificate must carry.
Status set_peer_name(SSL* ssl_handle, const std::string& host, bool verify_host_name) {
  beast::error_code ec;
  net::ip::make_address(host, ec);
  bool is_ip = !ec;
  if (!is_ip && SSL_set_tlsext_host_name(ssl_handle, host.c_str()) != 1) {
    return make_error(ErrorCode::InvalidArgument, "TLS: '" + host + "' cannot be sent as a server name: " + openssl_reason());
  }
  if (!verify_host_name) return Status::OK();
  int set = 0;
  if (is_ip) {
    set = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_handle), host.c_str());
  } else {
    SSL_set_hostflags(ssl_handle, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    set = SSL_set1_host(ssl_handle, host.c_str());
  }
  if (set != 1) return make_error(ErrorCode::InvalidArgument, "TLS: cannot verify the name '" + host + "': " + openssl_reason());
  return Status::OK();
}

// The exchange itself, the same over both streams; TLS adds the handshake after connecting.
template <typename Stream>
std::optional<Error> exchange(net::io_context& ioc, Stream& stream, const std::string& host, std::uint16_t port,
                              http::request<http::string_body>& request,
                              http::response_parser<http::string_body>& parser, std::chrono::seconds timeout) {
  constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;
  const std::string where = host + ":" + std::to_string(port);
  tcp::resolver resolver(ioc);
  beast::flat_buffer buffer;
  auto& lowest = beast::get_lowest_layer(stream);

  std::optional<Error> failure;
  auto fail = [&](ErrorCode code, const std::string& step, beast::error_code ec) {
    if (ec == beast::error::timeout) {
      failure = make_error(ErrorCode::Unavailable,
                           "no answer from " + where + " within " + std::to_string(timeout.count()) + " s");
    } else {
      failure = make_error(code, step + " " + where + " failed: " + ec.message());
    }
  };
  beast::error_code write_error;
  auto on_read = [&](beast::error_code ec, std::size_t) {
    if (ec) return fail(ErrorCode::IOError, write_error ? "sending to" : "reading the answer from", write_error ? write_error : ec);
    // No close_notify: the answer is complete (Content-Length), and waiting for the server's would
    // only add a round trip.
    beast::error_code ignored;
    lowest.socket().shutdown(tcp::socket::shutdown_both, ignored);
  };
  auto on_write = [&](beast::error_code ec, std::size_t) {
    if (ec == beast::error::timeout) return fail(ErrorCode::Unavailable, "sending to", ec);
    // A server that refuses a request (413) may answer and stop reading before the body is sent:
    // read the answer anyway.
    write_error = ec;
    http::async_read(stream, buffer, parser, on_read);
  };
  auto on_handshake = [&](beast::error_code ec) {
    if (ec) {
      if constexpr (kTls) {
        long verify = SSL_get_verify_result(stream.native_handle());
        if (ec != beast::error::timeout && verify != X509_V_OK) {
          failure = make_error(ErrorCode::IOError, "TLS handshake with " + where + " failed: the server certificate " +
                                                       "is not trusted (" + X509_verify_cert_error_string(verify) + ")");
          return;
        }
      }
      return fail(ErrorCode::IOError, "TLS handshake with", ec);
    }
    http::async_write(stream, request, on_write);
  };
  auto on_connect = [&](beast::error_code ec, const tcp::endpoint&) {
    if (ec) return fail(ErrorCode::Unavailable, "connecting to", ec);
    if constexpr (kTls) {
      stream.async_handshake(ssl::stream_base::client, on_handshake);
    } else {
      http::async_write(stream, request, on_write);
    }
  };
  resolver.async_resolve(host, std::to_string(port), [&](beast::error_code ec, tcp::resolver::results_type results) {
    if (ec) return fail(ErrorCode::Unavailable, "resolving", ec);
    lowest.expires_after(timeout);
    lowest.async_connect(results, on_connect);
  });
  ioc.run();
  return failure;
}

}  // namespace

std::string HttpReply::header(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (beast::iequals(n, name)) return v;
  return "";
}

Result<HttpReply> http_request(const std::string& host, std::uint16_t port, const std::string& method,
                               const std::string& target, const std::string& content_type, const std::string& body,
                               std::chrono::seconds timeout, const HttpHeaders& extra_headers,
                               const std::optional<HttpTlsOptions>& tls) {
  net::io_context ioc;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kReplyLimit);

  http::request<http::string_body> request;
  request.version(11);
  request.method_string(method);
  request.target(target);
  request.set(http::field::host, host + ":" + std::to_string(port));
  request.set(http::field::user_agent, "cortexd");
  request.set(http::field::accept, "application/json");
  if (!content_type.empty()) request.set(http::field::content_type, content_type);
  for (const auto& [name, value] : extra_headers) request.set(name, value);
  request.body() = body;
  request.keep_alive(false);
  request.prepare_payload();

  std::optional<Error> failure;
  if (tls) {
    auto context = make_client_context(*tls);
    if (!context.ok()) return context.error();
    beast::ssl_stream<beast::tcp_stream> stream(ioc, **context);
    CORTEX_RETURN_IF_ERROR(set_peer_name(stream.native_handle(), host, tls->verify_host_name));
    failure = exchange(ioc, stream, host, port, request, parser, timeout);
  } else {
    beast::tcp_stream stream(ioc);
    failure = exchange(ioc, stream, host, port, request, parser, timeout);
  }

  if (failure) return *failure;
  auto& response = parser.get();
  HttpReply reply;
  reply.status = static_cast<unsigned>(response.result_int());
  reply.body = std::move(response.body());
  for (const auto& field : response) reply.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  return reply;
}

}  // namespace cortex
