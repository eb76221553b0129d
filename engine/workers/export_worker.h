// ExportWorker: one worker thread's state (its own SQLite connections) and the work on one cursor.
#pragma once

#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/metrics.h"
#include "common/sqlite_db.h"
#include "common/wake_signal.h"
#include "queue/task_store.h"
#include "storage/profile_catalog.h"
#include "workers/engine_settings.h"

namespace cortex {

class ExportWorker {
 public:
  ExportWorker(const EngineSettings& settings, std::string owner, const ProfileCatalog& profiles, const Clock& clock,
               WakeSignal& stop, std::unique_ptr<TaskStore> store, std::unique_ptr<TaskStore> watch,
               ExportMetrics& metrics, std::function<void()> on_cursor_done = {});

  // Leases a group of cursors of one task (about EngineSettings::group_items items) and works them to
  // their end (or until stop/cancel). Returns false when there was none.
  bool work_next_group();

 private:
  struct CursorWork;
  struct PendingBatch;
  struct GroupResult;
  void process(std::vector<CursorLease> leases);
  // Stores a group of batches and commits them in one transaction. Runs on its own thread while the
  // next group is read; it reads `works` (the leases) but changes nothing the reading thread uses.
  GroupResult store_and_commit(const std::vector<CursorWork>& works, std::vector<PendingBatch> pending,
                               StorageProvider& provider);
  // Takes in a group's outcome (positions, metrics, failures). false: the group must stop.
  bool apply(std::vector<CursorWork>& works, GroupResult result);
  void fail(std::vector<CursorWork>& works, const std::string& reason);
  void release(std::vector<CursorWork>& works);
  Database* collection(std::string& error);

  const EngineSettings& settings_;
  std::string owner_;
  const ProfileCatalog& profiles_;
  const Clock& clock_;
  WakeSignal& stop_;
  std::unique_ptr<TaskStore> store_;  // leases and commits: the storing thread's while a group is in flight
  std::unique_ptr<TaskStore> watch_;  // the reading thread's own, to notice a cancel between batches
  std::unique_ptr<Database> collection_;
  ExportMetrics& metrics_;
  std::function<void()> on_cursor_done_;
  std::mt19937_64 rng_;
};

}  // namespace cortex
