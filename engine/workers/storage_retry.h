// Storing one object with retries: exponential backoff with jitter, capped, interruptible by shutdown.
#pragma once

#include <random>
#include <string>
#include <string_view>

#include "common/wake_signal.h"
#include "storage/storage_provider.h"
#include "workers/engine_settings.h"

namespace cortex {

struct StoreOutcome {
  Status status;
  int attempts = 0;
  bool interrupted = false;  // shutdown came while waiting to retry
};

StoreOutcome store_with_retries(StorageProvider& provider, const std::string& name, std::string_view content,
                                const RetryPolicy& policy, WakeSignal& stop, std::mt19937_64& rng);

}  // namespace cortex
