// Shared Key canonicalisation: the exact text the service re-computes to check a request's signature.
#include "azure-blob/shared_key.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <map>

#include "azure-blob/blob_crypto.h"

namespace cortex::providers::azure {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Trims, and folds every run of linear whitespace into one space.
std::string fold_whitespace(std::string_view value) {
  std::string out;
  bool pending_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

std::string header_value(const HeaderList& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (lower(n) == name) return v;
  }
  return {};
}

}  // namespace

std::string canonicalized_headers(const HeaderList& headers) {
  std::map<std::string, std::string> sorted;
  for (const auto& [name, value] : headers) {
    std::string n = lower(fold_whitespace(name));
    if (n.rfind("x-ms-", 0) == 0) sorted[n] = fold_whitespace(value);
  }
  std::string out;
  for (const auto& [name, value] : sorted) out += name + ":" + value + "\n";
  return out;
}

std::string canonicalized_resource(std::string_view account, std::string_view path, const QueryList& query) {
  std::string out = "/";
  out += account;
  out += path.empty() ? std::string_view("/") : path;
  std::map<std::string, std::vector<std::string>> params;
  for (const auto& [name, value] : query) params[lower(name)].push_back(value);
  for (auto& [name, values] : params) {
    std::sort(values.begin(), values.end());
    out += "\n" + name + ":";
    for (std::size_t i = 0; i < values.size(); ++i) out += (i ? "," : "") + values[i];
  }
  return out;
}

std::string string_to_sign(const SignedRequest& request, std::string_view account) {
  // From version 2015-02-21 a zero Content-Length is signed as an empty line.
  std::string length = request.content_length == 0 ? "" : std::to_string(request.content_length);
  std::string out = request.method + "\n";
  out += header_value(request.headers, "content-encoding") + "\n";
  out += header_value(request.headers, "content-language") + "\n";
  out += length + "\n";
  out += header_value(request.headers, "content-md5") + "\n";
  out += header_value(request.headers, "content-type") + "\n";
  out += header_value(request.headers, "date") + "\n";
  out += header_value(request.headers, "if-modified-since") + "\n";
  out += header_value(request.headers, "if-match") + "\n";
  out += header_value(request.headers, "if-none-match") + "\n";
  out += header_value(request.headers, "if-unmodified-since") + "\n";
  out += header_value(request.headers, "range") + "\n";
  out += canonicalized_headers(request.headers);
  out += canonicalized_resource(account, request.path, request.query);
  return out;
}

std::string shared_key_authorization(const SignedRequest& request, std::string_view account, std::string_view key) {
  std::string out = "SharedKey ";
  out += account;
  out += ':';
  out += base64_encode(hmac_sha256(key, string_to_sign(request, account)));
  return out;
}

std::string rfc1123_date(std::chrono::system_clock::time_point when) {
  // Fixed English names: strftime would follow the process locale.
  static const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
                months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buffer;
}

}  // namespace cortex::providers::azure
