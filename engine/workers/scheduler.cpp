// The scheduler loop.
#include "workers/scheduler.h"

#include <spdlog/spdlog.h>

#include "collection/collection_db.h"
#include "common/sha256.h"
#include "workers/batch_naming.h"
#include "workers/cursor_splitter.h"
#include "workers/manifest.h"
#include "workers/storage_retry.h"

namespace cortex {

Scheduler::Scheduler(EngineSettings settings, std::string owner, const ProfileCatalog& profiles, const Clock& clock,
                     WakeSignal& work_available)
    : settings_(std::move(settings)),
      owner_(std::move(owner)),
      profiles_(profiles),
      clock_(clock),
      work_available_(work_available),
      rng_(std::random_device{}()) {}

Scheduler::~Scheduler() { stop(); }

Status Scheduler::start() {
  auto store = TaskStore::open(settings_.task_db_path);
  if (!store.ok()) return store.error();
  store_ = std::move(*store);
  thread_ = std::thread([this] { loop(); });
  return Status::OK();
}

void Scheduler::stop() {
  stop_.stop();
  wake_.stop();
  if (thread_.joinable()) thread_.join();
}

Database* Scheduler::collection() {
  if (!collection_) {
    auto db = open_collection_for_reading(settings_.collection_path);
    if (!db.ok()) return nullptr;
    collection_ = std::move(*db);
  }
  return collection_.get();
}

void Scheduler::loop() {
  while (!stop_.stopped()) {
    bool busy = run_once();
    if (!busy && !wake_.wait_for(settings_.poll_interval)) break;
  }
}

bool Scheduler::run_once() {
  bool busy = false;
  try {
    while (!stop_.stopped() && split_next()) busy = true;
    while (!stop_.stopped() && finish_next()) busy = true;
    Timestamp now = clock_.now();
    auto canceled = store_->cancel_idle_tasks(now);
    if (!canceled.ok()) spdlog::error("applying pending cancels: {}", canceled.error().message);
    else
      for (const auto& id : *canceled) spdlog::info("task {} canceled", id.str());
    if (now >= next_heartbeat_) {
      auto renewed = store_->renew_leases(owner_, now, settings_.lease);
      if (!renewed.ok()) spdlog::error("renewing leases: {}", renewed.error().message);
      // The registration connection leaves checkpoints to the others: this one bounds the WAL also when
      // registrations are all that is written.
      auto checkpointed = store_->checkpoint();
      if (!checkpointed.ok()) spdlog::error("{}", checkpointed.error().message);
      next_heartbeat_ = now + settings_.heartbeat;
    }
    if (now >= next_cleanup_) {
      auto removed = store_->remove_expired(now);
      if (!removed.ok()) spdlog::error("removing expired tasks: {}", removed.error().message);
      else if (*removed > 0) spdlog::info("removed {} expired task(s)", *removed);
      next_cleanup_ = now + std::chrono::duration_cast<Ticks>(settings_.cleanup_interval);
    }
  } catch (const std::exception& e) {
    // Nothing here should throw; if it does, say so and keep the daemon alive.
    spdlog::error("scheduler pass failed: {}", e.what());
  }
  return busy;
}

bool Scheduler::split_next() {
  auto leased = store_->lease_task_for_split(owner_, clock_.now(), settings_.lease);
  if (!leased.ok()) {
    spdlog::error("leasing a task to split: {}", leased.error().message);
    return false;
  }
  if (!*leased) return false;
  const TaskRecord& task = **leased;
  spdlog::info("task {} processing: splitting {} by {} per cursor", task.id.str(), to_string(task.options.kind),
               task.options.default_split_item_count);
  auto fail = [&](const std::string& reason) {
    spdlog::error("task {} failed: {}", task.id.str(), reason);
    auto s = store_->fail_task(task.id, reason, clock_.now());
    if (!s.ok()) spdlog::error("recording the failure of task {}: {}", task.id.str(), s.error().message);
    return true;
  };
  if (!profiles_.find(task.options.storage_profile)) {
    return fail("storage profile '" + task.options.storage_profile + "' is not registered");
  }
  Database* db = collection();
  if (!db) {
    auto probe = open_collection_for_reading(settings_.collection_path);
    return fail("the collection cannot be read: " + (probe.ok() ? std::string("unknown error") : probe.error().message));
  }
  auto filter = ExtractionFilter::for_task(task.options, task.added);
  auto split = split_collection(*db, filter, task.options.default_split_item_count);
  if (!split.ok()) {
    collection_.reset();
    return fail("the collection cannot be read: " + split.error().message);
  }
  auto stored = store_->store_split(task.id, owner_, split->cursors, split->total, clock_.now());
  if (!stored.ok()) {
    spdlog::warn("task {}: split not stored: {}", task.id.str(), stored.error().message);
    return true;
  }
  spdlog::info("task {} split: {} item(s) in {} cursor(s)", task.id.str(), split->total, split->cursors.size());
  work_available_.notify();
  return true;
}

bool Scheduler::finish_next() {
  auto leased = store_->lease_task_to_finish(owner_, clock_.now(), settings_.lease);
  if (!leased.ok()) {
    spdlog::error("leasing a task to finish: {}", leased.error().message);
    return false;
  }
  if (!*leased) return false;
  const TaskRecord& task = **leased;
  auto fail = [&](const std::string& reason) {
    spdlog::error("task {} failed: {}", task.id.str(), reason);
    auto s = store_->fail_task(task.id, reason, clock_.now());
    if (!s.ok()) spdlog::error("recording the failure of task {}: {}", task.id.str(), s.error().message);
    return true;
  };
  auto batches = store_->stored_batches(task.id);
  if (!batches.ok()) return fail("reading the stored batches: " + batches.error().message);
  auto opened = open_with_retries(profiles_, task.options.storage_profile, settings_.retry, stop_, rng_);
  if (opened.interrupted) return false;
  if (!opened.provider.ok()) {
    return fail(opened.provider.error().message + " (after " + std::to_string(opened.attempts) + " attempt(s))");
  }
  auto& provider = opened.provider;
  auto skipped = store_->skipped_records(task.id);
  if (!skipped.ok()) return fail("reading the skipped records: " + skipped.error().message);
  Timestamp now = clock_.now();
  std::string manifest = render_manifest(task, *batches, *skipped, now);
  auto name = manifest_file_name(task.id);
  auto outcome = store_with_retries(**provider, name, manifest, settings_.retry, stop_, rng_);
  if (outcome.interrupted) return false;  // the lease lapses; a later start writes it
  if (!outcome.status.ok()) {
    return fail("storing " + name + " to profile " + task.options.storage_profile + " failed after " +
                std::to_string(outcome.attempts) + " attempt(s): " + outcome.status.error().message);
  }
  std::int64_t items = 0;
  for (const auto& b : *batches) items += b.item_count;
  std::string description = initial_description(task.options) + ": " + std::to_string(items) + " item(s) in " +
                            std::to_string(batches->size()) + " file(s)";
  if (!skipped->empty()) {
    description += "; " + std::to_string(skipped->size()) + " corrupt record(s) skipped (listed in " + name + ")";
  }
  auto completed = store_->complete_task(task.id, owner_, description, clock_.now());
  if (!completed.ok()) {
    spdlog::warn("task {}: completion not stored: {}", task.id.str(), completed.error().message);
    return true;
  }
  spdlog::info("task {} completed: {} item(s) in {} file(s), manifest {}", task.id.str(), items, batches->size(), name);
  return true;
}

}  // namespace cortex
