// The azure-blob profile settings, validated.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "azure-blob/connection_string.h"
#include "storage/storage_provider.h"

namespace cortex::providers::azure {

inline constexpr std::uint64_t kDefaultSinglePutMaxBytes = 4ull * 1024 * 1024;
inline constexpr std::uint64_t kMinSinglePutMaxBytes = 1024;

struct AzureBlobSettings {
  BlobAccount account;  // endpoint and credentials, from connection_string or sas_url
  std::string container;
  std::string prefix;   // "" or a virtual folder ending in '/'
  bool create_container = false;
  std::uint64_t single_put_max_bytes = kDefaultSinglePutMaxBytes;
  std::chrono::seconds timeout{60};
  std::string ca_file;
  bool verify_tls = true;
  // Not a profile setting: List Blobs page size (0 = the service's default of 5,000), for tests of paging.
  std::uint32_t list_page_size = 0;

  // "http://127.0.0.1:10000/devstoreaccount1/container/prefix" (no query, no key).
  std::string url() const;
};

// Every problem is reported, each naming its setting; no message quotes a key or a signature.
Result<AzureBlobSettings> parse_azure_blob_settings(const ProviderSettings& settings);

// Azure's container naming rules: 3-63 of a-z, 0-9 and '-', starting and ending with a letter or digit,
// no "--".
bool valid_container_name(const std::string& name);

}  // namespace cortex::providers::azure
