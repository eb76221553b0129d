// Retry loop for storage writes.
#include "workers/storage_retry.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace cortex {

StoreOutcome store_with_retries(StorageProvider& provider, const std::string& name, std::string_view content,
                                const RetryPolicy& policy, WakeSignal& stop, std::mt19937_64& rng) {
  StoreOutcome outcome;
  auto backoff = policy.initial_backoff;
  while (true) {
    ++outcome.attempts;
    outcome.status = provider.store(name, content);
    if (outcome.status.ok()) return outcome;
    const Error& e = outcome.status.error();
    // A refused name is a bug, not weather: retrying cannot help.
    if (e.code == ErrorCode::InvalidArgument || outcome.attempts >= policy.max_attempts) return outcome;
    // Full jitter: a random wait up to the current backoff, so retrying workers spread out.
    auto cap = std::max<std::int64_t>(1, backoff.count());
    std::chrono::milliseconds wait(static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(cap)) + 1);
    spdlog::warn("storing {} to {} failed (attempt {} of {}): {}; retrying in {} ms", name, provider.location(),
                 outcome.attempts, policy.max_attempts, e.message, wait.count());
    if (!stop.wait_for(wait) && stop.stopped()) {
      outcome.interrupted = true;
      return outcome;
    }
    backoff = std::min(policy.max_backoff, backoff * 2);
  }
}

}  // namespace cortex
