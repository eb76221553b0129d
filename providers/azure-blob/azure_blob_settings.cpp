// Validation of azure-blob profile settings.
#include "azure-blob/azure_blob_settings.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <optional>
#include <vector>

#include "azure-blob/block_plan.h"

namespace cortex::providers::azure {
namespace {

const char* kKnown =
    "connection_string, sas_url, container, prefix, create_container, single_put_max_bytes, timeout_seconds, "
    "ca_file, verify_tls";

std::optional<bool> parse_bool(const std::string& text) {
  if (text == "true") return true;
  if (text == "false") return false;
  return std::nullopt;
}

std::optional<std::uint64_t> parse_count(const std::string& text) {
  if (text.empty() || text.size() > 19 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return std::stoull(text);
}

// A setting's name is quoted only when it looks like one (a stray key pasted as a name is not echoed).
std::string quote_setting_name(const std::string& key) {
  bool namelike = !key.empty() && key.size() <= 40 && std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
  return namelike ? "'" + key + "'" : "(a name that is not shown)";
}

}  // namespace

bool valid_container_name(const std::string& name) {
  if (name.size() < 3 || name.size() > 63) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && c != '-') return false;
    if (c == '-' && (i == 0 || i + 1 == name.size() || name[i - 1] == '-')) return false;
  }
  return true;
}

std::string AzureBlobSettings::url() const {
  std::string out = account.endpoint.str() + "/" + container;
  if (!prefix.empty()) {
    out += '/';
    out.append(prefix, 0, prefix.size() - 1);  // without the trailing '/'
  }
  return out;
}

Result<AzureBlobSettings> parse_azure_blob_settings(const ProviderSettings& settings) {
  std::vector<std::string> problems;
  AzureBlobSettings out;
  for (const auto& [key, _] : settings) {
    static const std::vector<std::string> known{"connection_string", "sas_url", "container", "prefix",
                                                "create_container", "single_put_max_bytes", "timeout_seconds",
                                                "ca_file", "verify_tls"};
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      problems.push_back("unknown azure-blob setting " + quote_setting_name(key) + " (known: " + kKnown + ")");
    }
  }
  auto get = [&](const char* key) -> const std::string* {
    auto it = settings.find(key);
    return it == settings.end() ? nullptr : &it->second;
  };

  const std::string* connection = get("connection_string");
  const std::string* sas_url = get("sas_url");
  const std::string* container = get("container");
  std::string sas_container;
  if (connection && sas_url) {
    problems.push_back("give either 'connection_string' or 'sas_url', not both");
  } else if (!connection && !sas_url) {
    problems.push_back("the azure-blob provider needs 'connection_string' (with 'container') or 'sas_url'");
  } else if (connection) {
    auto account = parse_connection_string(*connection);
    if (!account.ok()) problems.push_back("setting " + account.error().message);
    else out.account = std::move(*account);
    if (!container || container->empty()) {
      problems.push_back("setting 'container' is required with 'connection_string'");
    } else {
      out.container = *container;
    }
  } else {
    auto account = parse_sas_url(*sas_url, sas_container);
    if (!account.ok()) {
      problems.push_back("setting " + account.error().message);
    } else {
      out.account = std::move(*account);
      out.container = sas_container;
      if (container && *container != sas_container) {
        problems.push_back("setting 'container' names another container than the one in 'sas_url' (leave it out)");
      }
    }
  }
  if (!out.container.empty() && !valid_container_name(out.container)) {
    problems.push_back("setting 'container' must be 3-63 characters of a-z, 0-9 and '-', start and end with a letter "
                       "or digit, and have no '--' (Azure's naming rules); '" + out.container + "' is not");
  }

  if (const auto* prefix = get("prefix"); prefix && !prefix->empty()) {
    const std::string& p = *prefix;
    bool control = std::any_of(p.begin(), p.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
    if (p.front() == '/') problems.push_back("setting 'prefix' must not start with '/'");
    else if (p.find("..") != std::string::npos) problems.push_back("setting 'prefix' must not contain '..'");
    else if (p.find('\\') != std::string::npos || control) {
      problems.push_back("setting 'prefix' must not contain '\\' or control characters");
    } else if (p.find("//") != std::string::npos) problems.push_back("setting 'prefix' must not contain '//'");
    else if (p.size() > 512) problems.push_back("setting 'prefix' is longer than 512 characters");
    else out.prefix = p.back() == '/' ? p : p + "/";
  }

  if (const auto* v = get("create_container")) {
    if (auto b = parse_bool(*v)) out.create_container = *b;
    else problems.push_back("setting 'create_container' must be true or false, not '" + *v + "'");
  }
  if (const auto* v = get("verify_tls")) {
    if (auto b = parse_bool(*v)) out.verify_tls = *b;
    else problems.push_back("setting 'verify_tls' must be true or false, not '" + *v + "'");
  }
  if (const auto* v = get("single_put_max_bytes")) {
    auto n = parse_count(*v);
    if (!n || *n < kMinSinglePutMaxBytes || *n > kMaxSinglePutBytes) {
      problems.push_back("setting 'single_put_max_bytes' must be a whole number of bytes from " +
                         std::to_string(kMinSinglePutMaxBytes) + " to " + std::to_string(kMaxSinglePutBytes) +
                         ", not '" + *v + "'");
    } else {
      out.single_put_max_bytes = *n;
    }
  }
  if (const auto* v = get("timeout_seconds")) {
    auto n = parse_count(*v);
    if (!n || *n < 1 || *n > 3600) {
      problems.push_back("setting 'timeout_seconds' must be a whole number from 1 to 3600, not '" + *v + "'");
    } else {
      out.timeout = std::chrono::seconds(*n);
    }
  }
  if (const auto* v = get("ca_file"); v && !v->empty()) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(*v, ec)) problems.push_back("setting 'ca_file': there is no file " + *v);
    else out.ca_file = *v;
  }

  if (!problems.empty()) {
    std::string message;
    for (const auto& p : problems) {
      if (!message.empty()) message += "; ";
      message += p;
    }
    return make_error(ErrorCode::InvalidArgument, message);
  }
  return out;
}

}  // namespace cortex::providers::azure
