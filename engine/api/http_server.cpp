// HttpServer: the accept loop, one Beast session per connection (plain or TLS), limits, timeouts and the graceful stop.
#include "api/http_server.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

namespace cortex {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
namespace ssl = net::ssl;

namespace {

class Session;

// Connections past max_connections still get their 503 read and answered; past this many more
// they are closed unanswered, so a flood cannot hold an unbounded number of sockets.
constexpr std::size_t kOverflowAnswered = 64;
// After an error answer the rest of the request is read and thrown away for a while before closing:
// closing with unread input makes the kernel send a reset, which can destroy the answer in flight.
constexpr std::chrono::seconds kLingerTime{2};
constexpr std::size_t kLingerBytes = 1 << 20;

std::string endpoint_text(const tcp::endpoint& endpoint) {
  std::string address = endpoint.address().to_string();
  if (endpoint.address().is_v6()) address = "[" + address + "]";
  return address + ":" + std::to_string(endpoint.port());
}

// The reasons on OpenSSL's error queue, oldest (the root cause) first; empties the queue.
std::string openssl_reasons() {
  std::string out;
  while (unsigned long code = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(code);
    std::string text;
    if (reason) {
      text = reason;
    } else {
      std::array<char, 256> buffer{};
      ERR_error_string_n(code, buffer.data(), buffer.size());
      text = buffer.data();
    }
    if (out.find(text) != std::string::npos) continue;
    if (!out.empty()) out += "; ";
    out += text;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

// A clear "cannot read" before OpenSSL's terser "system lib" reason.
Status check_readable(const std::string& what, const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return make_error(ErrorCode::InvalidArgument, what + " '" + path + "' is a directory, not a PEM file");
  }
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) return make_error(ErrorCode::IOError, what + " '" + path + "' cannot be read: " + std::strerror(errno));
  std::fclose(file);
  return Status::OK();
}

std::string subject_of(X509* certificate) {
  std::array<char, 512> buffer{};
  X509_NAME_oneline(X509_get_subject_name(certificate), buffer.data(), static_cast<int>(buffer.size()));
  return buffer.data();
}

// An encrypted key would make OpenSSL prompt on the terminal; a daemon refuses it instead.
int refuse_passphrase(char*, int, int, void*) { return 0; }

// TLS 1.2 at least; for TLS 1.2 the ECDHE/DHE AEAD suites of Mozilla's "intermediate" profile
// (forward secrecy, no CBC, no RSA key exchange; the client's order wins, as all are strong);
// TLS 1.3 keeps OpenSSL's default suites.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";

Result<std::unique_ptr<ssl::context>> make_tls_context(const HttpServerOptions& options) {
  const std::string& cert_file = options.tls_certificate_file;
  const std::string& key_file = options.tls_private_key_file;
  const std::string& ca_file = options.tls_client_ca_file;
  ERR_clear_error();
  auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  auto fail = [](ErrorCode code, const std::string& message) -> Error {
    return make_error(code, message + ": " + openssl_reasons());
  };
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) return fail(ErrorCode::Internal, "TLS: cannot require TLS 1.2");
  SSL_CTX_set_options(ctx, SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 |
                               SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1) return fail(ErrorCode::Internal, "TLS: cannot set the cipher list");
  SSL_CTX_set_dh_auto(ctx, 1);  // the DHE suites need DH parameters: OpenSSL's built-in ones, sized to the key
  SSL_CTX_set_default_passwd_cb(ctx, refuse_passphrase);

  if (key_file.empty()) {
    return make_error(ErrorCode::InvalidArgument,
                      "TLS certificate file '" + cert_file + "' is configured without a private key file");
  }
  CORTEX_RETURN_IF_ERROR(check_readable("TLS certificate file", cert_file));
  CORTEX_RETURN_IF_ERROR(check_readable("TLS private key file", key_file));
  // The chain file: the server certificate first, then the intermediates the clients need.
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    return fail(ErrorCode::InvalidArgument, "TLS certificate file '" + cert_file + "' holds no usable PEM certificate");
  }
  X509* certificate = SSL_CTX_get0_certificate(ctx);
  {
    // Read apart from the context so that a key of another type than the certificate's is reported
    // as a mismatch too (the context would file it in another slot and take it).
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(key_file.c_str(), "r"), &BIO_free);
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_passphrase, nullptr) : nullptr, &EVP_PKEY_free);
    if (!key) {
      return fail(ErrorCode::InvalidArgument,
                  "TLS private key file '" + key_file + "' holds no usable PEM private key (encrypted keys are not supported)");
    }
    if (!certificate || X509_check_private_key(certificate, key.get()) != 1 ||
        SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
      return fail(ErrorCode::InvalidArgument,
                  "TLS private key file '" + key_file + "' does not match the certificate in '" + cert_file + "'");
    }
  }
  if (certificate && X509_cmp_current_time(X509_get0_notAfter(certificate)) <= 0) {
    spdlog::warn("TLS certificate '{}' in {} has expired: clients will refuse it", subject_of(certificate), cert_file);
  } else if (certificate && X509_cmp_current_time(X509_get0_notBefore(certificate)) >= 0) {
    spdlog::warn("TLS certificate '{}' in {} is not valid yet: clients will refuse it", subject_of(certificate), cert_file);
  }

  if (!ca_file.empty()) {
    CORTEX_RETURN_IF_ERROR(check_readable("TLS client CA file", ca_file));
    if (SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1) {
      return fail(ErrorCode::InvalidArgument, "TLS client CA file '" + ca_file + "' holds no usable PEM certificate");
    }
    // Tells clients which CAs are accepted, so that one holding several certificates picks the right one.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(ca_file.c_str());
    if (!names) {
      return fail(ErrorCode::InvalidArgument, "TLS client CA file '" + ca_file + "' holds no usable PEM certificate");
    }
    SSL_CTX_set_client_CA_list(ctx, names);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    // Session resumption with client verification needs a context id, else resumed handshakes fail.
    static constexpr unsigned char kSessionContext[] = "cortexd";
    SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
  }
  ERR_clear_error();
  return context;
}

}  // namespace

struct HttpServer::Core {
  HttpServerOptions options;
  AsyncRequestHandler handler;
  std::atomic<bool> stopping{false};
  std::mutex stop_mutex;  // a second stop() (the destructor's) waits for the first to finish
  std::mutex mutex;
  std::condition_variable sessions_gone;
  std::map<std::uint64_t, std::weak_ptr<Session>> sessions;
  std::uint64_t next_session = 0;
  std::uint16_t port = 0;
  bool started = false;
  bool stopped = false;
  std::vector<std::thread> threads;
  std::unique_ptr<ssl::context> tls;  // null: plain HTTP
  // The I/O objects come last so they go first: the handlers they destroy own sessions, and a
  // session's destructor uses the members above.
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  net::steady_timer accept_retry{ioc};
  // Keeps the io threads running until stop() has posted its interrupts: with every connection
  // waiting for an owed answer (or none left), run() could otherwise return first and leave them unrun.
  std::optional<net::executor_work_guard<net::io_context::executor_type>> keep_running;

  void accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
  void run();
};

namespace {

// What the server holds of a connection: its entry in Core::sessions and a way to interrupt it.
class Session {
 public:
  Session(HttpServer::Core& core, std::uint64_t id) : core_(core), id_(id) {}
  virtual ~Session() {
    std::lock_guard lock(core_.mutex);
    core_.sessions.erase(id_);
    if (core_.sessions.empty()) core_.sessions_gone.notify_all();
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  virtual void start() = 0;
  // From stop(): a connection waiting for (more of) a request is closed; one being answered finishes.
  virtual void interrupt() = 0;

 protected:
  HttpServer::Core& core_;

 private:
  std::uint64_t id_;
};

// One connection over a plain TCP stream or a TLS stream over it. Both run the same request loop; the
// TLS one adds the handshake before it and the close_notify after it.
template <typename Stream>
class StreamSession final : public Session, public std::enable_shared_from_this<StreamSession<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;
  using std::enable_shared_from_this<StreamSession<Stream>>::shared_from_this;

 public:
  StreamSession(HttpServer::Core& core, tcp::socket socket, std::uint64_t id, bool over_capacity)
      : Session(core, id), stream_(make_stream(core, std::move(socket))), over_capacity_(over_capacity) {}

  void start() override {
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&StreamSession::begin, shared_from_this()));
  }

  void interrupt() override {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->reading_) self->lowest().cancel();
    });
  }

 private:
  static Stream make_stream(HttpServer::Core& core, tcp::socket socket) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *core.tls);
    } else {
      return Stream(std::move(socket));
    }
  }

  // The TCP stream: its timer bounds every operation, TLS records included.
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  std::chrono::seconds read_timeout() const {
    return over_capacity_ ? std::min(core_.options.read_timeout, std::chrono::seconds(5)) : core_.options.read_timeout;
  }

  void begin() {
    if constexpr (kTls) {
      if (core_.stopping) return close();
      // A client that connects and never completes the handshake is dropped like one that never sends a request.
      lowest().expires_after(read_timeout());
      reading_ = true;
      stream_.async_handshake(ssl::stream_base::server,
                              beast::bind_front_handler(&StreamSession::on_handshake, shared_from_this()));
    } else {
      read_request();
    }
  }

  void on_handshake(beast::error_code ec) {
    reading_ = false;
    if (ec) {
      // Debug only: port scanners and plain-HTTP clients produce these all day.
      beast::error_code ignored;
      auto peer = lowest().socket().remote_endpoint(ignored);
      spdlog::debug("TLS handshake with {} failed: {}", ignored ? std::string("a client") : endpoint_text(peer),
                    ec.message());
      return close();
    }
    read_request();
  }

  void read_request() {
    if (core_.stopping) return finish();
    parser_.emplace();
    parser_->body_limit(static_cast<std::uint64_t>(core_.options.body_limit_bytes));
    parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(core_.options.header_limit_bytes, UINT32_MAX)));
    lowest().expires_after(read_timeout());
    reading_ = true;
    http::async_read_header(stream_, buffer_, *parser_, beast::bind_front_handler(&StreamSession::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    // curl sends "Expect: 100-continue" for bodies over 1 KiB and waits a second for this answer.
    if (!parser_->is_done() && beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
      continue_.emplace(http::status::continue_, 11);
      http::async_write(stream_, *continue_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
        if (ec) return self->close();
        self->read_body();
      });
      return;
    }
    read_body();
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&StreamSession::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    reading_ = false;
    auto& req = parser_->get();
    const bool keep_alive = req.keep_alive() && !over_capacity_;
    const bool head = req.method() == http::verb::head;
    if (over_capacity_) {
      return refuse(api_error(503, "ServiceUnavailable", "The server has too many open connections; retry later."),
                    false, head);
    }
    ApiRequest request{std::string(req.method_string()), std::string(req.target()),
                       std::string(req[http::field::content_type]), std::move(req.body()),
                       std::string(req[http::field::authorization])};
    // The answer may come later from another thread: it holds the session until then and goes back
    // onto the connection's strand. Nothing is read meanwhile, and no io thread waits for it; the
    // tracked work keeps the io threads running for it when nothing else is pending (during stop()).
    struct Owed {
      std::shared_ptr<StreamSession> session;
      net::any_io_executor work;
      std::atomic<bool> answered{false};
    };
    auto owed = std::make_shared<Owed>();
    owed->session = shared_from_this();
    owed->work = net::prefer(stream_.get_executor(), net::execution::outstanding_work.tracked);
    Responder respond = [owed, keep_alive, head](ApiResponse response) {
      if (owed->answered.exchange(true)) return;
      // From here the answer holds the session: a copy of this responder kept longer must not.
      auto self = std::move(owed->session);
      net::dispatch(self->stream_.get_executor(), [self, keep_alive, head, response = std::move(response)] {
        self->send(response, keep_alive, false, head);
      });
      owed->work = net::any_io_executor();  // the dispatched answer is work of its own
    };
    try {
      core_.handler(request, respond);
    } catch (const std::exception& e) {
      spdlog::error("HTTP handler failed on {} {}: {}", request.method, request.target, e.what());
      respond(api_error(500, "InternalServerError", "The request failed; the daemon log has the details."));
    }
  }

  void on_read_error(beast::error_code ec) {
    reading_ = false;
    if (ec == http::error::body_limit) {
      return refuse(api_error(413, "PayloadTooLarge",
                              "The request body is larger than the limit of " +
                                  std::to_string(core_.options.body_limit_bytes) + " bytes."),
                    true);
    }
    if (ec == http::error::header_limit) {
      return refuse(api_error(431, "RequestHeaderFieldsTooLarge",
                              "The request line and headers are larger than the limit of " +
                                  std::to_string(core_.options.header_limit_bytes) + " bytes."),
                    true);
    }
    // The client closed between requests (over TLS with its close_notify, which deserves ours).
    if (ec == http::error::end_of_stream) return finish();
    // The client went away, timed out or the server stops: nothing to answer. TLS errors end here too.
    if (ec == http::error::partial_message || ec == beast::error::timeout || ec == net::error::operation_aborted ||
        ec.category() != http::make_error_code(http::error::bad_target).category()) {
      return close();
    }
    refuse(api_error(400, "BadRequest", "The request is not valid HTTP/1.1 (" + ec.message() + ")."), true);
  }

  // An answer of the server's own (the handler never saw the request), with the connection closed after it.
  void refuse(const ApiResponse& answer, bool linger, bool head = false) {
    if (core_.options.on_server_answer) {
      try {
        core_.options.on_server_answer(answer.status);
      } catch (const std::exception& e) {
        spdlog::warn("server answer observer failed: {}", e.what());
      }
    }
    send(answer, false, linger, head);
  }

  void send(const ApiResponse& answer, bool keep_alive, bool linger, bool head = false) {
    if (core_.stopping) keep_alive = false;
    response_.emplace(static_cast<http::status>(answer.status), 11);
    auto& res = *response_;
    res.set(http::field::server, "cortexd");
    res.set(http::field::content_type, answer.content_type);
    for (const auto& [name, value] : answer.headers) res.set(name, value);
    res.body() = answer.body_text();
    res.keep_alive(keep_alive);
    res.prepare_payload();
    if (head) res.body().clear();  // Content-Length stays: the size a GET would have had
    lowest().expires_after(core_.options.read_timeout);
    http::async_write(stream_, res, [self = shared_from_this(), keep_alive, linger](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      if (keep_alive && !self->core_.stopping) return self->read_request();
      if (linger) return self->linger();
      self->finish();
    });
  }

  void linger() {
    if constexpr (!kTls) {
      beast::error_code ignored;
      lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
    // Over TLS a half-close would need the close_notify first, which ends reading too: the answer's
    // Content-Length and Connection: close tell the client it is complete.
    lowest().expires_after(kLingerTime);
    reading_ = true;
    discard();
  }

  void discard() {
    stream_.async_read_some(net::buffer(discard_), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      self->discarded_ += n;
      if (ec || self->discarded_ > kLingerBytes) return self->close();
      self->discard();
    });
  }

  // The orderly end of a connection: over TLS the close_notify (briefly: a client that closes its
  // socket instead of answering ends it at once), then the socket.
  void finish() {
    if constexpr (kTls) {
      lowest().expires_after(std::min<std::chrono::seconds>(core_.options.read_timeout, kLingerTime));
      reading_ = true;
      stream_.async_shutdown([self = shared_from_this()](beast::error_code) { self->close(); });
    } else {
      close();
    }
  }

  void close() {
    reading_ = false;
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close();
  }

  Stream stream_;
  bool over_capacity_;
  bool reading_ = false;  // a read is pending: stop() may cancel it
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::empty_body>> continue_;
  std::optional<http::response<http::string_body>> response_;
  std::array<char, 4096> discard_{};
  std::size_t discarded_ = 0;
};

using PlainSession = StreamSession<beast::tcp_stream>;
using TlsSession = StreamSession<beast::ssl_stream<beast::tcp_stream>>;

}  // namespace

void HttpServer::Core::accept() {
  acceptor.async_accept(net::make_strand(ioc),
                        [this](beast::error_code ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
}

void HttpServer::Core::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || stopping) return;
  if (ec) {
    // Typically out of file descriptors: wait a little rather than spin on the failing accept.
    spdlog::warn("HTTP accept failed: {}", ec.message());
    accept_retry.expires_after(std::chrono::milliseconds(100));
    accept_retry.async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec && !stopping) accept();
    });
    return;
  }
  beast::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(mutex);
    auto limit = static_cast<std::size_t>(std::max(1, options.max_connections));
    if (sessions.size() < limit + kOverflowAnswered) {
      bool over_capacity = sessions.size() >= limit;
      if (tls) session = std::make_shared<TlsSession>(*this, std::move(socket), next_session, over_capacity);
      else session = std::make_shared<PlainSession>(*this, std::move(socket), next_session, over_capacity);
      sessions[next_session++] = session;
    }
  }
  if (session) session->start();
  else socket.close(ignored);
  accept();
}

void HttpServer::Core::run() {
  for (;;) {
    try {
      ioc.run();
      return;
    } catch (const std::exception& e) {
      // No exception leaves an io thread; the loop goes on serving the other connections.
      spdlog::error("HTTP io thread: {}", e.what());
    }
  }
}

HttpServer::HttpServer(HttpServerOptions options, RequestHandler handler)
    : HttpServer(std::move(options), AsyncRequestHandler([handler = std::move(handler)](const ApiRequest& request,
                                                                                        Responder respond) {
        respond(handler(request));
      })) {}

HttpServer::HttpServer(HttpServerOptions options, AsyncRequestHandler handler) : core_(std::make_shared<Core>()) {
  core_->options = std::move(options);
  core_->handler = std::move(handler);
}

HttpServer::~HttpServer() { stop(); }

std::uint16_t HttpServer::port() const { return core_->port; }

bool HttpServer::tls() const { return !core_->options.tls_certificate_file.empty(); }

Status HttpServer::start() {
  Core& c = *core_;
  if (c.started || c.stopped) return make_error(ErrorCode::Internal, "the HTTP server was already started");
  beast::error_code ec;
  auto address = net::ip::make_address(c.options.address, ec);
  if (ec) return make_error(ErrorCode::InvalidArgument, "'" + c.options.address + "' is not an IP address to listen on");
  if (!c.options.tls_certificate_file.empty()) {
    auto context = make_tls_context(c.options);
    if (!context.ok()) return context.error();
    c.tls = std::move(*context);
  } else if (!c.options.tls_private_key_file.empty() || !c.options.tls_client_ca_file.empty()) {
    return make_error(ErrorCode::InvalidArgument,
                      "a TLS private key or client CA file is configured without a TLS certificate file");
  }
  tcp::endpoint endpoint(address, c.options.port);
  auto fail = [&](const char* step) -> Status {
    beast::error_code ignored;
    c.acceptor.close(ignored);
    return make_error(ErrorCode::IOError,
                      std::string("cannot listen on ") + endpoint_text(endpoint) + " (" + step + "): " + ec.message());
  };
  if (c.acceptor.open(endpoint.protocol(), ec)) return fail("open");
  // Lets a restarted daemon bind while old connections linger in TIME_WAIT; two listeners still conflict.
  if (c.acceptor.set_option(net::socket_base::reuse_address(true), ec)) return fail("SO_REUSEADDR");
  if (c.acceptor.bind(endpoint, ec)) return fail("bind");
  if (c.acceptor.listen(net::socket_base::max_listen_connections, ec)) return fail("listen");
  c.port = c.acceptor.local_endpoint(ec).port();
  c.accept();
  c.keep_running.emplace(c.ioc.get_executor());
  c.started = true;
  for (int i = 0; i < std::max(1, c.options.threads); ++i) c.threads.emplace_back([&c] { c.run(); });
  if (c.tls) {
    X509* certificate = SSL_CTX_get0_certificate(c.tls->native_handle());
    spdlog::info("HTTPS API listening on {} (TLS 1.2+, certificate '{}' from {}{})",
                 endpoint_text(tcp::endpoint(address, c.port)), certificate ? subject_of(certificate) : "?",
                 c.options.tls_certificate_file,
                 c.options.tls_client_ca_file.empty() ? std::string()
                                                      : ", client certificates required from the CAs in " +
                                                            c.options.tls_client_ca_file);
  } else {
    spdlog::info("HTTP API listening on {}", endpoint_text(tcp::endpoint(address, c.port)));
  }
  return Status::OK();
}

void HttpServer::stop() {
  Core& c = *core_;
  std::lock_guard stop_lock(c.stop_mutex);
  {
    std::lock_guard lock(c.mutex);
    if (!c.started || c.stopped) return;
    c.stopped = true;
  }
  c.stopping = true;
  net::post(c.ioc, [&c] {
    beast::error_code ignored;
    c.acceptor.close(ignored);
    c.accept_retry.cancel();
  });
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(c.mutex);
    for (const auto& [_, weak] : c.sessions)
      if (auto s = weak.lock()) live.push_back(std::move(s));
  }
  for (const auto& s : live) s->interrupt();
  live.clear();
  c.keep_running.reset();
  {
    std::unique_lock lock(c.mutex);
    if (!c.sessions_gone.wait_for(lock, c.options.stop_timeout, [&c] { return c.sessions.empty(); })) {
      spdlog::warn("HTTP server: {} connection(s) still busy after {} s; closing them", c.sessions.size(),
                   c.options.stop_timeout.count());
      lock.unlock();
      c.ioc.stop();
    }
  }
  for (auto& t : c.threads) t.join();
  c.threads.clear();
  spdlog::info("HTTP API stopped");
}

}  // namespace cortex
