// The `azure-blob` storage provider: block blobs in an Azure Storage container (or Azurite), over REST.
#pragma once

#include <memory>

#include "storage/provider_registry.h"

namespace cortex::providers {

// Settings (see storage-profiles/azure-blob.yaml):
//   connection_string  an Azure Storage connection string, or UseDevelopmentStorage=true (Azurite's defaults)
//   sas_url            instead: a container URL with a SAS query
//   container          required with connection_string; Azure's naming rules
//   prefix             optional virtual folder; objects are stored as prefix/name
//   create_container   "false" (default) or "true": create the container when the provider is made
//   single_put_max_bytes  default 4 MiB; larger objects go by Put Block + Put Block List
//   timeout_seconds    default 60, per request step (connect, send, receive)
//   ca_file, verify_tls  TLS trust (default: the system's store, certificate and host name verified)
// Errors and location() never show the account key or a SAS signature.
void register_azure_blob_provider(ProviderRegistry& registry);

Result<std::unique_ptr<StorageProvider>> create_azure_blob_provider(const ProviderSettings& settings);

namespace azure {
struct AzureBlobSettings;
// Makes the provider from parsed settings (tests use it to reach what profiles cannot set).
Result<std::unique_ptr<StorageProvider>> make_azure_blob_provider(AzureBlobSettings settings);
}  // namespace azure

}  // namespace cortex::providers
