// WorkerPool: N export worker threads. Each leases one cursor at a time from the task store, reads it
// in batches, stores each batch through the task's storage provider, then advances the cursor.
#pragma once

#include <atomic>
#include <memory>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "common/metrics.h"
#include "common/wake_signal.h"
#include "storage/profile_catalog.h"
#include "workers/engine_settings.h"

namespace cortex {

class WorkerPool {
 public:
  WorkerPool(EngineSettings settings, std::string owner, const ProfileCatalog& profiles, const Clock& clock,
             ExportMetrics& metrics);
  ~WorkerPool();

  Status start();
  // Stops leasing; a batch being written completes and its cursor goes back to the queue.
  void stop();
  WakeSignal& work_available() { return work_available_; }
  // Called (from a worker thread) after a group commit that completed one or more cursors. Set before start().
  void on_cursor_done(std::function<void()> callback) { on_cursor_done_ = std::move(callback); }

 private:

  EngineSettings settings_;
  std::string owner_;
  const ProfileCatalog& profiles_;
  const Clock& clock_;
  ExportMetrics& metrics_;
  std::function<void()> on_cursor_done_;
  WakeSignal work_available_;
  WakeSignal stop_;
  std::vector<std::thread> threads_;
};

}  // namespace cortex
