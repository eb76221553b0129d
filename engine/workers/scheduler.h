// Scheduler: one thread that splits new tasks into cursors, writes the manifest of finished ones,
// applies pending cancels, keeps this daemon's leases alive and removes expired tasks.
#pragma once

#include <memory>
#include <random>
#include <string>
#include <thread>

#include "common/sqlite_db.h"
#include "common/wake_signal.h"
#include "queue/task_store.h"
#include "storage/profile_catalog.h"
#include "workers/engine_settings.h"

namespace cortex {

class Scheduler {
 public:
  // `owner`: this daemon's lease prefix. `work_available` is notified when cursors are ready.
  Scheduler(EngineSettings settings, std::string owner, const ProfileCatalog& profiles, const Clock& clock,
            WakeSignal& work_available);
  ~Scheduler();

  Status start();
  void wake() { wake_.notify(); }
  void stop();

  // One pass of everything the loop does (exposed for tests). Returns true if it did any work.
  bool run_once();

 private:
  void loop();
  bool split_next();
  bool finish_next();
  Database* collection();

  EngineSettings settings_;
  std::string owner_;
  const ProfileCatalog& profiles_;
  const Clock& clock_;
  WakeSignal& work_available_;
  WakeSignal wake_;
  WakeSignal stop_;
  std::unique_ptr<TaskStore> store_;
  std::unique_ptr<Database> collection_;
  std::mt19937_64 rng_;
  Timestamp next_heartbeat_{};
  Timestamp next_cleanup_{};
  std::thread thread_;
};

}  // namespace cortex
