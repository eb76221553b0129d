// http_request: a small synchronous HTTP/1.1 client for the CLI, the demo and the tests.
#pragma once

#include <chrono>
#include <cstdint>
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

// One request on its own connection. An empty content_type sends no Content-Type. `timeout` bounds
// connecting, sending and receiving together. Any HTTP status is a reply; errors are transport failures
// (Unavailable: could not connect or no answer in time; IOError: the connection broke).
Result<HttpReply> http_request(const std::string& host, std::uint16_t port, const std::string& method,
                               const std::string& target, const std::string& content_type, const std::string& body,
                               std::chrono::seconds timeout, const HttpHeaders& extra_headers = {});

}  // namespace cortex
