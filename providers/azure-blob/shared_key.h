// Shared Key signing of Blob service requests (the 2009-09-19 and later string-to-sign).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cortex::providers::azure {

using HeaderList = std::vector<std::pair<std::string, std::string>>;
// Query parameters, decoded (the canonical resource uses decoded values; the URL encodes them).
using QueryList = std::vector<std::pair<std::string, std::string>>;

// What the signature covers of one request.
struct SignedRequest {
  std::string method;         // "PUT"
  std::string path;           // as sent, percent-encoded: "/devstoreaccount1/container/blob.json"
  QueryList query;            // the request's own parameters (never a SAS)
  HeaderList headers;         // every header sent except Authorization; names in any case
  std::uint64_t content_length = 0;
};

// CanonicalizedHeaders: the x-ms-* headers, lowercase, sorted, whitespace folded, each "name:value\n".
std::string canonicalized_headers(const HeaderList& headers);
// CanonicalizedResource: "/" + account + path, then "\nname:v1,v2" per query parameter, sorted.
// With path-style URLs the account appears twice ("/devstoreaccount1/devstoreaccount1/container").
std::string canonicalized_resource(std::string_view account, std::string_view path, const QueryList& query);
std::string string_to_sign(const SignedRequest& request, std::string_view account);
// "SharedKey account:base64(HMAC-SHA256(key, string-to-sign))".
std::string shared_key_authorization(const SignedRequest& request, std::string_view account, std::string_view key);

// RFC 1123 date for x-ms-date: "Sun, 11 Oct 2009 21:49:13 GMT".
std::string rfc1123_date(std::chrono::system_clock::time_point when);

}  // namespace cortex::providers::azure
