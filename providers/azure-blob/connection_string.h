// Where the blobs live and how to sign for them: Azure Storage connection strings and SAS URLs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace cortex::providers::azure {

// The blob service endpoint. `base_path` is empty for virtual-host URLs (https://acct.blob.core.windows.net)
// and holds the account for path-style ones (http://127.0.0.1:10000/devstoreaccount1).
struct BlobEndpoint {
  bool https = true;
  std::string host;
  std::uint16_t port = 443;
  std::string base_path;  // "" or "/segment..." without a trailing '/'

  // "http://127.0.0.1:10000/devstoreaccount1": the default port is left out.
  std::string str() const;
  // The Host header value.
  std::string host_header() const;
};

// Exactly one of `account_key` (decoded bytes, Shared Key) or `sas` (a query string without '?') is set.
struct BlobCredentials {
  std::string account_name;
  std::string account_key;
  std::string sas;

  bool shared_key() const { return !account_key.empty(); }
  // Text that must never be shown (the key as written, the SAS and its signature), for redaction.
  std::vector<std::string> secrets() const;
};

struct BlobAccount {
  BlobEndpoint endpoint;
  BlobCredentials credentials;
};

// The Azurite defaults that UseDevelopmentStorage=true stands for (the published development key).
inline constexpr std::string_view kDevelopmentAccount = "devstoreaccount1";
inline constexpr std::string_view kDevelopmentKey =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
inline constexpr std::string_view kDevelopmentEndpoint = "http://127.0.0.1:10000/devstoreaccount1";

// Parses `DefaultEndpointsProtocol=...;AccountName=...;AccountKey=...;BlobEndpoint=...;EndpointSuffix=...`
// (also SharedAccessSignature= instead of AccountKey) or `UseDevelopmentStorage=true`. Part names match
// case-insensitively. Errors name the part that is missing or wrong and never quote a value.
Result<BlobAccount> parse_connection_string(std::string_view text);

// Parses a container URL with a SAS query ("https://acct.blob.core.windows.net/container?sv=...&sig=...").
// `container` receives the last path segment. Errors never quote the query.
Result<BlobAccount> parse_sas_url(std::string_view url, std::string& container);

// Parses "scheme://host[:port][/path]" (no query); errors name `what`.
Result<BlobEndpoint> parse_endpoint(std::string_view url, const std::string& what);

// Percent-encoding for URL paths (keeps '/') and query components (encodes '/').
std::string url_encode_path(std::string_view text);
std::string url_encode_component(std::string_view text);
std::string url_decode(std::string_view text);

}  // namespace cortex::providers::azure
