// HttpServer: the accept loop, one Beast session per connection, limits, timeouts and the graceful stop.
#include "api/http_server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace cortex {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

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

}  // namespace

struct HttpServer::Core {
  HttpServerOptions options;
  RequestHandler handler;
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
  // The I/O objects come last so they go first: the handlers they destroy own sessions, and a
  // session's destructor uses the members above.
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  net::steady_timer accept_retry{ioc};

  void accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
  void run();
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(HttpServer::Core& core, tcp::socket socket, std::uint64_t id, bool over_capacity)
      : core_(core), stream_(std::move(socket)), id_(id), over_capacity_(over_capacity) {}

  ~Session() {
    std::lock_guard lock(core_.mutex);
    core_.sessions.erase(id_);
    if (core_.sessions.empty()) core_.sessions_gone.notify_all();
  }

  void start() { net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::read_request, shared_from_this())); }

  // From stop(): a connection waiting for (more of) a request is closed; one being answered finishes.
  void interrupt() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->reading_) self->stream_.cancel();
    });
  }

 private:
  std::chrono::seconds read_timeout() const {
    return over_capacity_ ? std::min(core_.options.read_timeout, std::chrono::seconds(5)) : core_.options.read_timeout;
  }

  void read_request() {
    if (core_.stopping) return close();
    parser_.emplace();
    parser_->body_limit(static_cast<std::uint64_t>(core_.options.body_limit_bytes));
    parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(core_.options.header_limit_bytes, UINT32_MAX)));
    stream_.expires_after(read_timeout());
    reading_ = true;
    http::async_read_header(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_header, shared_from_this()));
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
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    reading_ = false;
    auto& req = parser_->get();
    ApiResponse response;
    if (over_capacity_) {
      response = api_error(503, "ServiceUnavailable", "The server has too many open connections; retry later.");
    } else {
      ApiRequest request{std::string(req.method_string()), std::string(req.target()),
                         std::string(req[http::field::content_type]), std::move(req.body()),
                         std::string(req[http::field::authorization])};
      try {
        response = core_.handler(request);
      } catch (const std::exception& e) {
        spdlog::error("HTTP handler failed on {} {}: {}", request.method, request.target, e.what());
        response = api_error(500, "InternalServerError", "The request failed; the daemon log has the details.");
      }
    }
    send(response, req.keep_alive() && !over_capacity_, false, req.method() == http::verb::head);
  }

  void on_read_error(beast::error_code ec) {
    reading_ = false;
    if (ec == http::error::body_limit) {
      return send(api_error(413, "PayloadTooLarge",
                            "The request body is larger than the limit of " +
                                std::to_string(core_.options.body_limit_bytes) + " bytes."),
                  false, true);
    }
    if (ec == http::error::header_limit) {
      return send(api_error(431, "RequestHeaderFieldsTooLarge",
                            "The request line and headers are larger than the limit of " +
                                std::to_string(core_.options.header_limit_bytes) + " bytes."),
                  false, true);
    }
    // The client went away, timed out or the server stops: nothing to answer.
    if (ec == http::error::end_of_stream || ec == http::error::partial_message || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec.category() != http::make_error_code(http::error::bad_target).category()) {
      return close();
    }
    send(api_error(400, "BadRequest", "The request is not valid HTTP/1.1 (" + ec.message() + ")."), false, true);
  }

  void send(const ApiResponse& answer, bool keep_alive, bool linger, bool head = false) {
    if (core_.stopping) keep_alive = false;
    response_.emplace(static_cast<http::status>(answer.status), 11);
    auto& res = *response_;
    res.set(http::field::server, "cortexd");
    res.set(http::field::content_type, "application/json; charset=utf-8");
    for (const auto& [name, value] : answer.headers) res.set(name, value);
    res.body() = answer.body_text();
    res.keep_alive(keep_alive);
    res.prepare_payload();
    if (head) res.body().clear();  // Content-Length stays: the size a GET would have had
    stream_.expires_after(core_.options.read_timeout);
    http::async_write(stream_, res, [self = shared_from_this(), keep_alive, linger](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      if (keep_alive && !self->core_.stopping) return self->read_request();
      if (linger) return self->linger();
      self->close();
    });
  }

  void linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kLingerTime);
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

  void close() {
    reading_ = false;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  HttpServer::Core& core_;
  beast::tcp_stream stream_;
  std::uint64_t id_;
  bool over_capacity_;
  bool reading_ = false;  // a read is pending: stop() may cancel it
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::empty_body>> continue_;
  std::optional<http::response<http::string_body>> response_;
  std::array<char, 4096> discard_{};
  std::size_t discarded_ = 0;
};

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
      session = std::make_shared<Session>(*this, std::move(socket), next_session, sessions.size() >= limit);
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

HttpServer::HttpServer(HttpServerOptions options, RequestHandler handler) : core_(std::make_shared<Core>()) {
  core_->options = std::move(options);
  core_->handler = std::move(handler);
}

HttpServer::~HttpServer() { stop(); }

std::uint16_t HttpServer::port() const { return core_->port; }

Status HttpServer::start() {
  Core& c = *core_;
  if (c.started || c.stopped) return make_error(ErrorCode::Internal, "the HTTP server was already started");
  beast::error_code ec;
  auto address = net::ip::make_address(c.options.address, ec);
  if (ec) return make_error(ErrorCode::InvalidArgument, "'" + c.options.address + "' is not an IP address to listen on");
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
  c.started = true;
  for (int i = 0; i < std::max(1, c.options.threads); ++i) c.threads.emplace_back([&c] { c.run(); });
  spdlog::info("HTTP API listening on {}", endpoint_text(tcp::endpoint(address, c.port)));
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
