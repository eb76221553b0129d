// Retry loop for storage writes.
#include "workers/storage_retry.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace cortex {
namespace {

bool retryable(const Error& e) { return e.code != ErrorCode::InvalidArgument && e.code != ErrorCode::NotFound; }

// Full jitter: a random wait up to the current backoff, so retrying workers spread out.
std::chrono::milliseconds jittered(std::chrono::milliseconds backoff, std::mt19937_64& rng) {
  auto cap = std::max<std::int64_t>(1, backoff.count());
  return std::chrono::milliseconds(static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(cap)) + 1);
}

}  // namespace

OpenOutcome open_with_retries(const ProfileCatalog& profiles, const std::string& profile_name,
                              const RetryPolicy& policy, WakeSignal& stop, std::mt19937_64& rng) {
  OpenOutcome outcome;
  auto backoff = policy.initial_backoff;
  while (true) {
    ++outcome.attempts;
    outcome.provider = profiles.open_provider(profile_name);
    if (outcome.provider.ok()) return outcome;
    const Error& e = outcome.provider.error();
    if (!retryable(e) || outcome.attempts >= policy.max_attempts) return outcome;
    auto wait = jittered(backoff, rng);
    spdlog::warn("{} (attempt {} of {}); retrying in {} ms", e.message, outcome.attempts, policy.max_attempts,
                 wait.count());
    if (!stop.wait_for(wait) && stop.stopped()) {
      outcome.interrupted = true;
      return outcome;
    }
    backoff = std::min(policy.max_backoff, backoff * 2);
  }
}

StoreOutcome store_with_retries(StorageProvider& provider, const std::string& name, std::string_view content,
                                const RetryPolicy& policy, WakeSignal& stop, std::mt19937_64& rng,
                                ExportMetrics* metrics) {
  return store_all_with_retries(provider, {{name, content}}, policy, stop, rng, metrics);
}

StoreOutcome store_all_with_retries(StorageProvider& provider, const std::vector<StoreRequest>& objects,
                                    const RetryPolicy& policy, WakeSignal& stop, std::mt19937_64& rng,
                                    ExportMetrics* metrics) {
  StoreOutcome outcome;
  if (objects.empty()) return outcome;
  const std::string what = objects.size() == 1
                               ? objects.front().name
                               : std::to_string(objects.size()) + " files (" + objects.front().name + " ...)";
  auto backoff = policy.initial_backoff;
  while (true) {
    ++outcome.attempts;
    outcome.status = provider.store_all(objects);
    if (outcome.status.ok()) return outcome;
    const Error& e = outcome.status.error();
    if (metrics) metrics->storage_errors.add();
    // A refused name is a bug, not weather: retrying cannot help.
    if (!retryable(e) || outcome.attempts >= policy.max_attempts) return outcome;
    if (metrics) metrics->storage_retries.add();
    auto wait = jittered(backoff, rng);
    spdlog::warn("storing {} to {} failed (attempt {} of {}): {}; retrying in {} ms", what, provider.location(),
                 outcome.attempts, policy.max_attempts, e.message, wait.count());
    if (!stop.wait_for(wait) && stop.stopped()) {
      outcome.interrupted = true;
      return outcome;
    }
    backoff = std::min(policy.max_backoff, backoff * 2);
  }
}

}  // namespace cortex
