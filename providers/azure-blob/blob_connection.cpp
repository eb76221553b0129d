// The HTTP client under the provider: Boost.Beast over a kept-alive TCP or TLS stream. Each call runs the
// connection's private io_context until the operation completes, so timeouts are Beast's stream expiries.
#include "azure-blob/blob_connection.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <optional>

namespace cortex::providers::azure {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_tls_failure(const beast::error_code& ec) { return ec.category() == asio::error::get_ssl_category(); }

}  // namespace

std::string HttpResponse::header(std::string_view lowercase_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lowercase_name) return value;
  }
  return {};
}

class BlobConnection::Impl {
 public:
  Impl(BlobEndpoint endpoint, TlsOptions tls, std::chrono::milliseconds timeout)
      : endpoint_(std::move(endpoint)), tls_(std::move(tls)), timeout_(timeout), ssl_context_(ssl::context::tls_client) {
    if (!endpoint_.https) return;
    ssl_context_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                             ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    beast::error_code ec;
    if (!tls_.verify) {
      ssl_context_.set_verify_mode(ssl::verify_none);
      return;
    }
    ssl_context_.set_verify_mode(ssl::verify_peer);
    if (!tls_.ca_file.empty()) {
      ssl_context_.load_verify_file(tls_.ca_file, ec);
      if (ec) tls_setup_error_ = "cannot load the CA file " + tls_.ca_file + ": " + ec.message();
    } else {
      ssl_context_.set_default_verify_paths(ec);
      if (ec) tls_setup_error_ = "cannot load the system's trusted certificates: " + ec.message();
    }
  }

  Status check_tls_setup() const {
    if (!tls_setup_error_.empty()) return make_error(ErrorCode::IOError, tls_setup_error_);
    return Status::OK();
  }

  Result<HttpResponse> send(const std::string& method, const std::string& target, const HeaderList& headers,
                            std::string_view body) {
    CORTEX_RETURN_IF_ERROR(check_tls_setup());
    for (int attempt = 0;; ++attempt) {
      bool reused = connected_;
      if (!connected_) CORTEX_RETURN_IF_ERROR(connect());
      beast::error_code ec;
      auto response = exchange(method, target, headers, body, ec);
      if (!ec) return response;
      close();
      // A reused connection the server had closed: send once more on a fresh one (requests are idempotent).
      if (!reused || attempt > 0 || ec == beast::error::timeout) {
        return make_error(is_tls_failure(ec) ? ErrorCode::IOError : ErrorCode::Unavailable,
                          "the request to " + where() + " failed: " + describe(ec));
      }
    }
  }

 private:
  std::string where() const { return endpoint_.host_header(); }

  std::string describe(const beast::error_code& ec) const {
    if (ec == beast::error::timeout) return "no answer within " + std::to_string(timeout_.count() / 1000) + " s";
    return ec.message();
  }

  tcp::socket& socket() {
    return tls_stream_ ? beast::get_lowest_layer(*tls_stream_).socket() : tcp_stream_->socket();
  }
  beast::tcp_stream& lowest() { return tls_stream_ ? beast::get_lowest_layer(*tls_stream_) : *tcp_stream_; }

  // Runs the io_context until the started operation completes.
  void run() {
    io_.restart();
    io_.run();
  }

  void close() {
    if (tcp_stream_ || tls_stream_) {
      beast::error_code ignored;
      socket().shutdown(tcp::socket::shutdown_both, ignored);
      socket().close(ignored);
    }
    // A TLS stream cannot be reused after its socket closed; both are rebuilt on the next connect.
    tls_stream_.reset();
    tcp_stream_.reset();
    buffer_.clear();
    connected_ = false;
  }

  Status connect() {
    close();
    tcp::resolver resolver(io_);
    beast::error_code ec = asio::error::would_block;
    tcp::resolver::results_type results;
    bool resolved = false;
    resolver.async_resolve(endpoint_.host, std::to_string(endpoint_.port),
                           [&](const beast::error_code& e, tcp::resolver::results_type r) {
                             ec = e;
                             results = std::move(r);
                             resolved = true;
                           });
    io_.restart();
    io_.run_for(timeout_);
    if (!resolved) {
      resolver.cancel();
      run();
      return make_error(ErrorCode::Unavailable, "cannot resolve " + endpoint_.host + ": no answer in time");
    }
    if (ec) return make_error(ErrorCode::Unavailable, "cannot resolve " + endpoint_.host + ": " + ec.message());

    if (endpoint_.https) {
      tls_stream_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(io_, ssl_context_);
    } else {
      tcp_stream_ = std::make_unique<beast::tcp_stream>(io_);
    }
    lowest().expires_after(timeout_);
    lowest().async_connect(results, [&](const beast::error_code& e, const tcp::endpoint&) { ec = e; });
    run();
    if (ec) {
      close();
      return make_error(ErrorCode::Unavailable, "cannot connect to " + where() + ": " + describe(ec));
    }
    if (tls_stream_) {
      // SNI (host names only: RFC 6066 has no IP literals), and the certificate must name the host we asked for.
      beast::error_code not_an_address;
      asio::ip::make_address(endpoint_.host, not_an_address);
      if (not_an_address && !SSL_set_tlsext_host_name(tls_stream_->native_handle(), endpoint_.host.c_str())) {
        close();
        return make_error(ErrorCode::IOError, "cannot set the TLS server name for " + endpoint_.host);
      }
      if (tls_.verify) tls_stream_->set_verify_callback(ssl::host_name_verification(endpoint_.host));
      lowest().expires_after(timeout_);
      tls_stream_->async_handshake(ssl::stream_base::client, [&](const beast::error_code& e) { ec = e; });
      run();
      if (ec) {
        bool tls = is_tls_failure(ec);
        close();
        return make_error(tls ? ErrorCode::IOError : ErrorCode::Unavailable,
                          "the TLS handshake with " + where() + " failed: " + describe(ec));
      }
    }
    connected_ = true;
    return Status::OK();
  }

  HttpResponse exchange(const std::string& method, const std::string& target, const HeaderList& headers,
                        std::string_view body, beast::error_code& ec) {
    http::request<http::span_body<const char>> request;
    request.method_string(method);
    request.target(target);
    request.version(11);
    request.set(http::field::host, endpoint_.host_header());
    request.set(http::field::user_agent, "cortexd-azure-blob/1");
    for (const auto& [name, value] : headers) request.set(name, value);
    request.body() = http::span_body<const char>::value_type(body.data(), body.size());
    if (method == "PUT" || method == "POST" || !body.empty()) request.content_length(body.size());
    request.keep_alive(true);

    lowest().expires_after(timeout_);
    auto on_done = [&](const beast::error_code& e, std::size_t) { ec = e; };
    if (tls_stream_) http::async_write(*tls_stream_, request, on_done);
    else http::async_write(*tcp_stream_, request, on_done);
    run();
    if (ec) return {};

    http::response_parser<http::string_body> parser;
    parser.body_limit(boost::none);  // objects of any size; the caller asked for them
    lowest().expires_after(timeout_);
    if (tls_stream_) http::async_read(*tls_stream_, buffer_, parser, on_done);
    else http::async_read(*tcp_stream_, buffer_, parser, on_done);
    run();
    if (ec) return {};
    lowest().expires_never();

    auto& message = parser.get();
    HttpResponse response;
    response.status = message.result_int();
    for (const auto& field : message) {
      response.headers.emplace_back(lower(std::string_view(field.name_string().data(), field.name_string().size())),
                                    std::string(field.value()));
    }
    if (!message.keep_alive()) close();
    response.body = std::move(message.body());
    return response;
  }

  BlobEndpoint endpoint_;
  TlsOptions tls_;
  std::chrono::milliseconds timeout_;
  asio::io_context io_;
  ssl::context ssl_context_;
  std::string tls_setup_error_;
  std::unique_ptr<beast::tcp_stream> tcp_stream_;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls_stream_;
  beast::flat_buffer buffer_;
  bool connected_ = false;
};

BlobConnection::BlobConnection(BlobEndpoint endpoint, TlsOptions tls, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(std::move(endpoint), std::move(tls), timeout)) {}

BlobConnection::~BlobConnection() = default;

Result<HttpResponse> BlobConnection::send(const std::string& method, const std::string& target,
                                          const HeaderList& headers, std::string_view body) {
  return impl_->send(method, target, headers, body);
}

Status BlobConnection::check_tls_setup() const { return impl_->check_tls_setup(); }

}  // namespace cortex::providers::azure
