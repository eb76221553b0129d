// The `folder` storage provider: files in a local or network folder, written atomically.
#pragma once

#include "storage/provider_registry.h"

namespace cortex::providers {

// Settings: `path` (required; created when missing), `fsync` ("true" by default: each file and the
// folder are synced before a store returns, so a stored batch survives power loss).
void register_folder_provider(ProviderRegistry& registry);

}  // namespace cortex::providers
