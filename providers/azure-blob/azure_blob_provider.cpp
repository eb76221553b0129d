// The azure-blob provider: Put Blob (or Put Block + Put Block List) to store, List Blobs, Get Blob, Delete Blob.
#include "azure-blob/azure_blob_provider.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <set>

#include "azure-blob/azure_blob_settings.h"
#include "azure-blob/blob_connection.h"
#include "azure-blob/blob_crypto.h"
#include "azure-blob/blob_xml.h"
#include "azure-blob/block_plan.h"
#include "azure-blob/shared_key.h"
#include "common/guid.h"

namespace cortex::providers {
namespace {

using namespace azure;

constexpr const char* kApiVersion = "2021-08-06";
constexpr std::size_t kMaxBlobNameLength = 1024;

bool retryable_status(unsigned status) {
  return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

std::string content_type_for(const std::string& name) {
  auto ends_with = [&](std::string_view suffix) {
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return ends_with(".json") ? "application/json" : "application/octet-stream";
}

// A service error code is a word; anything else (or nothing) is left out of messages.
std::string error_code_of(const HttpResponse& response) {
  std::string code = response.header("x-ms-error-code");
  bool word = !code.empty() && code.size() <= 64 &&
              std::all_of(code.begin(), code.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
  if (!word) code = parse_error_code(response.body);
  return code;
}

// Containers this process has created or found existing. The engine makes a provider per cursor; with this,
// only the first one per container pays for a Create Container round trip.
class KnownContainers {
 public:
  static bool has(const std::string& url) {
    std::lock_guard lock(mutex());
    return set().count(url) > 0;
  }
  static void add(const std::string& url) {
    std::lock_guard lock(mutex());
    set().insert(url);
  }
  static void forget(const std::string& url) {
    std::lock_guard lock(mutex());
    set().erase(url);
  }

 private:
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  static std::set<std::string>& set() {
    static std::set<std::string> s;
    return s;
  }
};

class AzureBlobProvider final : public StorageProvider {
 public:
  explicit AzureBlobProvider(AzureBlobSettings settings)
      : s_(std::move(settings)),
        connection_(s_.account.endpoint, TlsOptions{s_.verify_tls, s_.ca_file},
                    std::chrono::duration_cast<std::chrono::milliseconds>(s_.timeout)),
        secrets_(s_.account.credentials.secrets()) {}

  // Runs when the provider is made: TLS setup, and the container when create_container is set.
  Status prepare() {
    if (s_.account.endpoint.https) {
      CORTEX_RETURN_IF_ERROR(connection_.check_tls_setup());
      if (!s_.verify_tls) warn_once("verify_tls is false: the service's certificate and host name are not checked");
    }
    if (!s_.create_container || KnownContainers::has(container_url())) {
      container_ready_ = true;
      return Status::OK();
    }
    std::lock_guard lock(mutex_);
    Status created = ensure_container();
    if (created.ok()) return created;
    if (created.error().code != ErrorCode::Unavailable) return created;
    // The service may be down at start-up; the first write tries again (and is retried by the engine).
    spdlog::warn("azure-blob {}: the container cannot be created yet ({}); trying again at the first write",
                 s_.url(), created.error().message);
    return Status::OK();
  }

  Status store(const std::string& name, std::string_view content) override {
    std::lock_guard lock(mutex_);
    CORTEX_RETURN_IF_ERROR(check_name(name));
    if (!container_ready_) CORTEX_RETURN_IF_ERROR(ensure_container());
    if (content.size() <= s_.single_put_max_bytes) return put_blob(name, content);
    return put_blocks(name, content);
  }

  Result<std::vector<std::string>> list() override {
    std::lock_guard lock(mutex_);
    if (!container_ready_) CORTEX_RETURN_IF_ERROR(ensure_container());
    std::vector<std::string> names;
    std::string marker;
    std::set<std::string> seen_markers;
    do {
      QueryList query{{"restype", "container"}, {"comp", "list"}};
      if (!s_.prefix.empty()) query.emplace_back("prefix", s_.prefix);
      if (!marker.empty()) query.emplace_back("marker", marker);
      if (s_.list_page_size > 0) query.emplace_back("maxresults", std::to_string(s_.list_page_size));
      auto response = call("GET", container_path(), query, {}, {});
      if (!response.ok()) return response.error();
      if (response->status != 200) return service_error(*response, "List Blobs");
      auto page = parse_blob_list(response->body);
      if (!page) return make_error(ErrorCode::IOError, "the storage service sent a List Blobs answer that is not an "
                                                       "EnumerationResults document (container " + s_.container + ")");
      for (auto& full : page->names) {
        if (full.compare(0, s_.prefix.size(), s_.prefix) == 0) names.push_back(full.substr(s_.prefix.size()));
      }
      marker = page->next_marker;
      if (!marker.empty() && !seen_markers.insert(marker).second) {
        return make_error(ErrorCode::IOError, "the storage service repeated a List Blobs marker (container " +
                                                  s_.container + ")");
      }
    } while (!marker.empty());
    std::sort(names.begin(), names.end());
    return names;
  }

  Result<std::string> read(const std::string& name) override {
    std::lock_guard lock(mutex_);
    CORTEX_RETURN_IF_ERROR(check_name(name));
    auto response = call("GET", blob_path(name), {}, {}, {});
    if (!response.ok()) return response.error();
    if (response->status == 404) {
      return make_error(ErrorCode::NotFound, "no blob " + s_.prefix + name + " in container " + s_.container);
    }
    if (response->status != 200) return service_error(*response, "Get Blob " + s_.prefix + name);
    // The blob's stored MD5 (sent on every write) catches a corrupted read.
    std::string expected = response->header("content-md5");
    if (!expected.empty() && expected != md5_base64(response->body)) {
      return make_error(ErrorCode::Corruption, "blob " + s_.prefix + name + " in container " + s_.container +
                                                   " does not match its Content-MD5");
    }
    return std::move(response->body);
  }

  Status remove(const std::string& name) override {
    std::lock_guard lock(mutex_);
    CORTEX_RETURN_IF_ERROR(check_name(name));
    auto response = call("DELETE", blob_path(name), {}, {}, {});
    if (!response.ok()) return response.error();
    if (response->status == 202 || response->status == 200 || response->status == 404) return Status::OK();
    return service_error(*response, "Delete Blob " + s_.prefix + name);
  }

  std::string location() const override { return "azure-blob " + s_.url(); }

  // An interrupted store leaves at most uncommitted blocks: never listed or readable, dropped by the service
  // when the blob is next committed (the retry does that) or after a week. Nothing to clean.
  Result<std::int64_t> remove_incomplete() override { return std::int64_t{0}; }

 private:
  Status check_name(const std::string& name) const {
    bool control = std::any_of(name.begin(), name.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
    if (name.empty() || name.front() == '/' || name.find("..") != std::string::npos || name.find('\\') != std::string::npos ||
        control || s_.prefix.size() + name.size() > kMaxBlobNameLength) {
      return make_error(ErrorCode::InvalidArgument, "refusing the object name '" + name + "'");
    }
    return Status::OK();
  }

  std::string container_path() const { return s_.account.endpoint.base_path + "/" + s_.container; }
  std::string container_url() const { return s_.account.endpoint.str() + "/" + s_.container; }
  std::string blob_path(const std::string& name) const {
    return container_path() + "/" + url_encode_path(s_.prefix + name);
  }

  Status ensure_container() {
    auto response = call("PUT", container_path(), {{"restype", "container"}}, {}, {});
    if (!response.ok()) return response.error();
    if (response->status == 201 || (response->status == 409 && error_code_of(*response) == "ContainerAlreadyExists")) {
      container_ready_ = true;
      KnownContainers::add(container_url());
      return Status::OK();
    }
    if (response->status == 409 && error_code_of(*response) == "ContainerBeingDeleted") {
      return make_error(ErrorCode::Unavailable, "container " + s_.container + " is being deleted; cannot create it yet");
    }
    return service_error(*response, "Create Container");
  }

  Status put_blob(const std::string& name, std::string_view content) {
    HeaderList headers{{"x-ms-blob-type", "BlockBlob"},
                       {"Content-Type", content_type_for(name)},
                       {"Content-MD5", md5_base64(content)}};
    auto response = call("PUT", blob_path(name), {}, headers, content);
    if (!response.ok()) return response.error();
    if (response->status != 201) return service_error(*response, "Put Blob " + s_.prefix + name);
    return Status::OK();
  }

  // Uncommitted blocks are invisible; only Put Block List makes the new content the blob's, at once.
  Status put_blocks(const std::string& name, std::string_view content) {
    auto plan = plan_blocks(content.size(), s_.single_put_max_bytes);
    if (!plan.ok()) return plan.error();
    std::string upload = Guid::random().str();
    upload.erase(std::remove(upload.begin(), upload.end(), '-'), upload.end());
    std::vector<std::string> ids;
    ids.reserve(plan->size());
    const std::string path = blob_path(name);
    for (std::size_t i = 0; i < plan->size(); ++i) {
      const BlockRange& block = (*plan)[i];
      std::string_view bytes = content.substr(block.offset, block.size);
      ids.push_back(block_id(upload, i));
      auto response = call("PUT", path, {{"comp", "block"}, {"blockid", ids.back()}},
                           {{"Content-MD5", md5_base64(bytes)}}, bytes);
      if (!response.ok()) return response.error();
      if (response->status != 201) {
        return service_error(*response, "Put Block " + std::to_string(i + 1) + " of " + std::to_string(plan->size()) +
                                            " for " + s_.prefix + name);
      }
    }
    std::string list = block_list_xml(ids);
    HeaderList headers{{"Content-Type", "application/xml"},
                       {"Content-MD5", md5_base64(list)},
                       {"x-ms-blob-content-type", content_type_for(name)},
                       {"x-ms-blob-content-md5", md5_base64(content)}};
    auto response = call("PUT", path, {{"comp", "blocklist"}}, headers, list);
    if (!response.ok()) return response.error();
    if (response->status != 201) return service_error(*response, "Put Block List " + s_.prefix + name);
    return Status::OK();
  }

  // Signs (Shared Key) or appends the SAS, sends, and logs the request line without its query.
  Result<HttpResponse> call(const std::string& method, const std::string& path, const QueryList& query,
                            HeaderList headers, std::string_view body) {
    headers.emplace_back("x-ms-date", rfc1123_date(std::chrono::system_clock::now()));
    headers.emplace_back("x-ms-version", kApiVersion);
    std::string query_text;
    for (const auto& [k, v] : query) {
      if (!query_text.empty()) query_text += '&';
      query_text += url_encode_component(k);
      query_text += '=';
      query_text += url_encode_component(v);
    }
    const BlobCredentials& credentials = s_.account.credentials;
    if (credentials.shared_key()) {
      SignedRequest signed_request{method, path, query, headers, body.size()};
      headers.emplace_back("Authorization",
                           shared_key_authorization(signed_request, credentials.account_name, credentials.account_key));
    } else {
      if (!query_text.empty()) query_text += '&';
      query_text += credentials.sas;
    }
    std::string target = query_text.empty() ? path : path + "?" + query_text;
    auto started = std::chrono::steady_clock::now();
    auto response = connection_.send(method, target, headers, body);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    if (!response.ok()) {
      spdlog::debug("azure-blob {} {} -> no answer ({} ms)", method, path, ms);
      return redact(response.error());
    }
    spdlog::debug("azure-blob {} {} -> {} ({} ms)", method, path, response->status, ms);
    return response;
  }

  Error service_error(const HttpResponse& response, const std::string& operation) {
    std::string code = error_code_of(response);
    std::string status = std::to_string(response.status) + (code.empty() ? "" : " " + code);
    if (response.status == 401 || response.status == 403) {
      return redact(make_error(ErrorCode::IOError, "the storage service refused the credentials (" + status +
                                                       ") for container " + s_.container + " (" + operation + ")"));
    }
    if (retryable_status(response.status)) {
      return redact(make_error(ErrorCode::Unavailable, "the storage service is unavailable (" + status +
                                                           ") for container " + s_.container + " (" + operation + ")"));
    }
    if (response.status == 404 && code == "ContainerNotFound") {
      if (s_.create_container) {
        // Deleted under us: create it again on the retry the engine makes.
        container_ready_ = false;
        KnownContainers::forget(container_url());
        return make_error(ErrorCode::Unavailable, "container " + s_.container + " has gone (" + operation +
                                                      "); it is created again on the next attempt");
      }
      return make_error(ErrorCode::IOError, "container " + s_.container + " does not exist (" + status +
                                                "); create it or set create_container: true (" + operation + ")");
    }
    return redact(make_error(ErrorCode::IOError, "the storage service answered " + status + " for container " +
                                                     s_.container + " (" + operation + ")"));
  }

  // The last line of defence: no message leaves with a key or a signature in it.
  Error redact(Error e) const {
    for (const auto& secret : secrets_) {
      if (secret.size() < 4) continue;
      for (std::size_t pos; (pos = e.message.find(secret)) != std::string::npos;) e.message.replace(pos, secret.size(), "[redacted]");
    }
    return e;
  }

  void warn_once(const std::string& message) {
    static std::mutex warned_mutex;
    static std::set<std::string> warned;
    std::lock_guard lock(warned_mutex);
    if (warned.insert(s_.url() + message).second) spdlog::warn("azure-blob {}: {}", s_.url(), message);
  }

  AzureBlobSettings s_;
  BlobConnection connection_;
  std::vector<std::string> secrets_;
  std::mutex mutex_;
  bool container_ready_ = false;
};

}  // namespace

Result<std::unique_ptr<StorageProvider>> azure::make_azure_blob_provider(AzureBlobSettings settings) {
  auto provider = std::make_unique<AzureBlobProvider>(std::move(settings));
  CORTEX_RETURN_IF_ERROR(provider->prepare());
  return std::unique_ptr<StorageProvider>(std::move(provider));
}

Result<std::unique_ptr<StorageProvider>> create_azure_blob_provider(const ProviderSettings& settings) {
  auto parsed = parse_azure_blob_settings(settings);
  if (!parsed.ok()) return parsed.error();
  return azure::make_azure_blob_provider(std::move(*parsed));
}

void register_azure_blob_provider(ProviderRegistry& registry) {
  registry.add("azure-blob", create_azure_blob_provider);
}

}  // namespace cortex::providers
