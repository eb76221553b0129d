// EngineSettings: what the scheduler and the workers need to know, with single-machine defaults.
#pragma once

#include <chrono>
#include <string>

#include "common/time.h"

namespace cortex {

struct RetryPolicy {
  int max_attempts = 5;  // per batch, including the first
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{10'000};
};

struct EngineSettings {
  std::string task_db_path;
  std::string collection_path;
  int workers = 2;
  Ticks lease = std::chrono::seconds(30);
  Ticks heartbeat = std::chrono::seconds(10);
  std::chrono::milliseconds poll_interval{500};
  std::chrono::seconds cleanup_interval{60};
  RetryPolicy retry;
  bool ignore_default_values = true;
  // A worker leases cursors holding about this many items at once and stores their batches in groups of
  // about this many items: one sync of the files and one task-store commit per group, not per batch.
  std::int64_t group_items = 5000;
};

}  // namespace cortex
