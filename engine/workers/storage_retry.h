// Storing one object with retries: exponential backoff with jitter, capped, interruptible by shutdown.
#pragma once

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/metrics.h"
#include "common/wake_signal.h"
#include "storage/profile_catalog.h"
#include "storage/storage_provider.h"
#include "workers/engine_settings.h"

namespace cortex {

struct StoreOutcome {
  Status status;
  int attempts = 0;
  bool interrupted = false;  // shutdown came while waiting to retry
};

// `metrics` (optional) counts failed attempts and retries.
StoreOutcome store_with_retries(StorageProvider& provider, const std::string& name, std::string_view content,
                                const RetryPolicy& policy, WakeSignal& stop, std::mt19937_64& rng,
                                ExportMetrics* metrics = nullptr);
// The same for several objects at once (StorageProvider::store_all); a retry stores them all again.
StoreOutcome store_all_with_retries(StorageProvider& provider, const std::vector<StoreRequest>& objects,
                                    const RetryPolicy& policy, WakeSignal& stop, std::mt19937_64& rng,
                                    ExportMetrics* metrics = nullptr);

// Opens the profile's provider, retrying what may clear up (a folder that is briefly unreachable, a
// service that is down). An unregistered profile or bad settings fail at once.
struct OpenOutcome {
  Result<std::unique_ptr<StorageProvider>> provider = make_error(ErrorCode::Internal, "not opened");
  int attempts = 0;
  bool interrupted = false;
};
OpenOutcome open_with_retries(const ProfileCatalog& profiles, const std::string& profile_name,
                              const RetryPolicy& policy, WakeSignal& stop, std::mt19937_64& rng);

}  // namespace cortex
