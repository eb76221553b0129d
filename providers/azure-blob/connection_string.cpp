// Connection strings and SAS URLs. No error quotes a value: values may be keys or signatures.
#include "azure-blob/connection_string.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>

#include "azure-blob/blob_crypto.h"

namespace cortex::providers::azure {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

Error bad(const std::string& message) { return make_error(ErrorCode::InvalidArgument, message); }

// The canonical spelling of each part we understand, by lowercase name.
const std::map<std::string, std::string>& known_parts() {
  static const std::map<std::string, std::string> parts{
      {"defaultendpointsprotocol", "DefaultEndpointsProtocol"},
      {"accountname", "AccountName"},
      {"accountkey", "AccountKey"},
      {"blobendpoint", "BlobEndpoint"},
      {"endpointsuffix", "EndpointSuffix"},
      {"sharedaccesssignature", "SharedAccessSignature"},
      {"usedevelopmentstorage", "UseDevelopmentStorage"},
      {"developmentstorageproxyuri", "DevelopmentStorageProxyUri"},
      // Other services' endpoints are legitimately part of account connection strings: accepted, unused.
      {"queueendpoint", "QueueEndpoint"},
      {"tableendpoint", "TableEndpoint"},
      {"fileendpoint", "FileEndpoint"},
  };
  return parts;
}

// A part's name is quoted in an error only when it looks like a name: a pasted key ("abc...==") splits
// at its padding into something that must not be echoed.
std::string describe_part_name(std::string_view name) {
  bool wordlike = !name.empty() && name.size() <= 32 &&
                  std::all_of(name.begin(), name.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
  if (!wordlike) return "(a part whose name is not a known word; not shown)";
  std::string quoted = "'";
  quoted += name;
  quoted += '\'';
  return quoted;
}

bool valid_account_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 &&
         std::all_of(name.begin(), name.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
}

bool hex_digit(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// The value of `sig` in a SAS query, raw as written.
std::optional<std::string> sas_signature(std::string_view sas) {
  std::size_t pos = 0;
  while (pos <= sas.size()) {
    std::size_t end = sas.find('&', pos);
    if (end == std::string_view::npos) end = sas.size();
    std::string_view pair = sas.substr(pos, end - pos);
    if (pair.size() >= 4 && lower(pair.substr(0, 4)) == "sig=") return std::string(pair.substr(4));
    pos = end + 1;
  }
  return std::nullopt;
}

}  // namespace

std::string BlobEndpoint::host_header() const {
  bool default_port = (https && port == 443) || (!https && port == 80);
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return default_port ? h : h + ":" + std::to_string(port);
}

std::string BlobEndpoint::str() const { return std::string(https ? "https://" : "http://") + host_header() + base_path; }

std::vector<std::string> BlobCredentials::secrets() const {
  std::vector<std::string> out;
  if (!account_key.empty()) out.push_back(base64_encode(account_key));
  if (!sas.empty()) {
    out.push_back(sas);
    if (auto sig = sas_signature(sas); sig && !sig->empty()) {
      out.push_back(*sig);
      out.push_back(url_decode(*sig));
    }
  }
  return out;
}

Result<BlobEndpoint> parse_endpoint(std::string_view url, const std::string& what) {
  BlobEndpoint e;
  std::string_view rest = trim(url);
  std::string scheme = lower(rest.substr(0, std::min<std::size_t>(rest.size(), 8)));
  if (scheme.rfind("https://", 0) == 0) {
    e.https = true;
    e.port = 443;
    rest.remove_prefix(8);
  } else if (scheme.rfind("http://", 0) == 0) {
    e.https = false;
    e.port = 80;
    rest.remove_prefix(7);
  } else {
    return bad(what + " must start with http:// or https://");
  }
  if (rest.find_first_of("?#") != std::string_view::npos) return bad(what + " must not have a query or fragment");
  std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) return bad(what + " must not hold a user name or password");
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad(what + " has an unclosed [ in its host");
    e.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad(what + " has text after the ] of its host");
      port_text = after.substr(1);
      if (port_text.empty()) return bad(what + " has an empty port");
    }
  } else {
    std::size_t colon = authority.find(':');
    e.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return bad(what + " has an empty port");
    }
  }
  if (e.host.empty()) return bad(what + " has no host");
  if (!port_text.empty()) {
    if (port_text.size() > 5 || !std::all_of(port_text.begin(), port_text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return bad(what + " has a port that is not a number");
    }
    int port = std::stoi(std::string(port_text));
    if (port < 1 || port > 65535) return bad(what + " has a port outside 1..65535");
    e.port = static_cast<std::uint16_t>(port);
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  e.base_path = std::string(path);
  return e;
}

Result<BlobAccount> parse_connection_string(std::string_view text) {
  const std::string what = "connection_string";
  std::map<std::string, std::string> parts;  // canonical name -> value
  std::size_t pos = 0;
  std::string_view all = trim(text);
  if (all.empty()) return bad(what + " is empty");
  while (pos <= all.size()) {
    std::size_t end = all.find(';', pos);
    if (end == std::string_view::npos) end = all.size();
    std::string_view part = trim(all.substr(pos, end - pos));
    pos = end + 1;
    if (part.empty()) continue;
    std::size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      return bad(what + " has a part without '=' (the form is Name=Value;Name=Value)");
    }
    std::string_view name = trim(part.substr(0, eq));
    auto known = known_parts().find(lower(name));
    if (known == known_parts().end()) {
      return bad(what + " has the unknown part " + describe_part_name(name) +
                 " (known: DefaultEndpointsProtocol, AccountName, AccountKey, BlobEndpoint, EndpointSuffix, "
                 "SharedAccessSignature, UseDevelopmentStorage)");
    }
    if (parts.count(known->second)) return bad(what + " gives " + known->second + " twice");
    parts[known->second] = std::string(trim(part.substr(eq + 1)));
  }
  auto get = [&](const char* name) -> const std::string* {
    auto it = parts.find(name);
    return it == parts.end() ? nullptr : &it->second;
  };

  BlobAccount account;
  if (const auto* dev = get("UseDevelopmentStorage")) {
    if (lower(*dev) != "true") return bad(what + ": UseDevelopmentStorage must be true when given");
    for (const auto& [name, _] : parts) {
      if (name != "UseDevelopmentStorage" && name != "DevelopmentStorageProxyUri") {
        return bad(what + ": UseDevelopmentStorage=true cannot be combined with " + name +
                   " (write the full connection string instead)");
      }
    }
    auto endpoint = parse_endpoint(kDevelopmentEndpoint, "the development endpoint");
    account.endpoint = *endpoint;
    account.credentials.account_name = std::string(kDevelopmentAccount);
    account.credentials.account_key = *base64_decode(kDevelopmentKey);
    return account;
  }

  const std::string* name = get("AccountName");
  const std::string* key = get("AccountKey");
  const std::string* sas = get("SharedAccessSignature");
  if (name && !valid_account_name(*name)) return bad(what + ": AccountName must be letters and digits only");
  if (name) account.credentials.account_name = *name;

  if (const auto* blob = get("BlobEndpoint")) {
    auto endpoint = parse_endpoint(*blob, what + ": BlobEndpoint");
    if (!endpoint.ok()) return endpoint.error();
    account.endpoint = *endpoint;
  } else {
    if (!name) return bad(what + " has neither BlobEndpoint nor AccountName (one is needed to find the service)");
    bool https = true;
    if (const auto* protocol = get("DefaultEndpointsProtocol")) {
      std::string p = lower(*protocol);
      if (p != "http" && p != "https") return bad(what + ": DefaultEndpointsProtocol must be http or https");
      https = p == "https";
    }
    std::string suffix = "core.windows.net";
    if (const auto* s = get("EndpointSuffix")) {
      if (s->empty() || s->find_first_of("/:?#@ ") != std::string::npos) {
        return bad(what + ": EndpointSuffix must be a DNS suffix such as core.windows.net");
      }
      suffix = *s;
    }
    auto endpoint = parse_endpoint(std::string(https ? "https://" : "http://") + *name + ".blob." + suffix, what);
    if (!endpoint.ok()) return endpoint.error();
    account.endpoint = *endpoint;
  }

  if (key && sas) return bad(what + " gives both AccountKey and SharedAccessSignature; give one");
  if (!key && !sas) return bad(what + " has no AccountKey (or SharedAccessSignature)");
  if (key) {
    if (!name) return bad(what + " has an AccountKey but no AccountName (Shared Key signing needs both)");
    auto decoded = base64_decode(*key);
    if (!decoded || decoded->empty()) return bad(what + ": AccountKey is not valid base64");
    account.credentials.account_key = std::move(*decoded);
  } else {
    std::string_view s = *sas;
    if (!s.empty() && s.front() == '?') s.remove_prefix(1);
    if (!sas_signature(s)) return bad(what + ": SharedAccessSignature has no sig (signature) field");
    account.credentials.sas = std::string(s);
  }
  return account;
}

Result<BlobAccount> parse_sas_url(std::string_view url, std::string& container) {
  const std::string what = "sas_url";
  std::string_view text = trim(url);
  std::size_t q = text.find('?');
  if (q == std::string_view::npos || q + 1 >= text.size()) {
    return bad(what + " has no SAS query (it looks like https://account.blob.core.windows.net/container?sv=...&sig=...)");
  }
  std::string_view query = text.substr(q + 1);
  if (query.find('#') != std::string_view::npos) return bad(what + " must not have a fragment");
  if (!sas_signature(query)) return bad(what + "'s query has no sig (signature) field");
  auto endpoint = parse_endpoint(text.substr(0, q), what);
  if (!endpoint.ok()) return endpoint.error();
  BlobAccount account;
  account.endpoint = *endpoint;
  std::string& path = account.endpoint.base_path;
  std::size_t last = path.rfind('/');
  if (path.empty() || last == std::string::npos || last + 1 >= path.size()) {
    return bad(what + " must be a container URL (…/container?sv=…), but it has no container in its path");
  }
  container = url_decode(path.substr(last + 1));
  path.resize(last);
  account.credentials.sas = std::string(query);
  return account;
}

std::string url_encode_path(std::string_view text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string url_encode_component(std::string_view text) {
  std::string out = url_encode_path(text);
  std::string encoded;
  for (char c : out) {
    if (c == '/') encoded += "%2F";
    else encoded += c;
  }
  return encoded;
}

std::string url_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_digit(text[i + 1]) && hex_digit(text[i + 2])) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace cortex::providers::azure
