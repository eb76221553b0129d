// http_request over Beast: asynchronous operations on a private io_context, so that the timeout holds.
#include "api/http_client.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <optional>

namespace cortex {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {
constexpr std::uint64_t kReplyLimit = 64ull << 20;
}  // namespace

std::string HttpReply::header(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (beast::iequals(n, name)) return v;
  return "";
}

Result<HttpReply> http_request(const std::string& host, std::uint16_t port, const std::string& method,
                               const std::string& target, const std::string& content_type, const std::string& body,
                               std::chrono::seconds timeout, const HttpHeaders& extra_headers) {
  const std::string where = host + ":" + std::to_string(port);
  net::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kReplyLimit);

  http::request<http::string_body> request;
  request.version(11);
  request.method_string(method);
  request.target(target);
  request.set(http::field::host, where);
  request.set(http::field::user_agent, "cortexd");
  request.set(http::field::accept, "application/json");
  if (!content_type.empty()) request.set(http::field::content_type, content_type);
  for (const auto& [name, value] : extra_headers) request.set(name, value);
  request.body() = body;
  request.keep_alive(false);
  request.prepare_payload();

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
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  };
  auto on_write = [&](beast::error_code ec, std::size_t) {
    if (ec == beast::error::timeout) return fail(ErrorCode::Unavailable, "sending to", ec);
    // A server that refuses a request (413) may answer and stop reading before the body is sent:
    // read the answer anyway.
    write_error = ec;
    http::async_read(stream, buffer, parser, on_read);
  };
  auto on_connect = [&](beast::error_code ec, const tcp::endpoint&) {
    if (ec) return fail(ErrorCode::Unavailable, "connecting to", ec);
    http::async_write(stream, request, on_write);
  };
  resolver.async_resolve(host, std::to_string(port), [&](beast::error_code ec, tcp::resolver::results_type results) {
    if (ec) return fail(ErrorCode::Unavailable, "resolving", ec);
    stream.expires_after(timeout);
    stream.async_connect(results, on_connect);
  });
  ioc.run();

  if (failure) return *failure;
  auto& response = parser.get();
  HttpReply reply;
  reply.status = static_cast<unsigned>(response.result_int());
  reply.body = std::move(response.body());
  for (const auto& field : response) reply.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  return reply;
}

}  // namespace cortex
