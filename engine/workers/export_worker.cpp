// Working a cursor: read a batch, store it, commit the position; repeat.
#include "workers/export_worker.h"

#include <spdlog/spdlog.h>

#include "collection/collection_db.h"
#include "common/sha256.h"
#include "workers/batch_extractor.h"
#include "workers/batch_naming.h"
#include "workers/storage_retry.h"

namespace cortex {

ExportWorker::ExportWorker(const EngineSettings& settings, std::string owner, const ProfileCatalog& profiles,
                           const Clock& clock, WakeSignal& stop, std::unique_ptr<TaskStore> store,
                           ExportMetrics& metrics)
    : settings_(settings),
      owner_(std::move(owner)),
      profiles_(profiles),
      clock_(clock),
      stop_(stop),
      store_(std::move(store)),
      metrics_(metrics),
      rng_(std::random_device{}()) {}

Database* ExportWorker::collection(std::string& error) {
  if (!collection_) {
    auto db = open_collection_for_reading(settings_.collection_path);
    if (!db.ok()) {
      error = db.error().message;
      return nullptr;
    }
    collection_ = std::move(*db);
  }
  return collection_.get();
}

bool ExportWorker::work_one_cursor() {
  auto lease = store_->lease_cursor(owner_, clock_.now(), settings_.lease);
  if (!lease.ok()) {
    spdlog::error("{}: leasing a cursor: {}", owner_, lease.error().message);
    return false;
  }
  if (!*lease) return false;
  process(**lease);
  return true;
}

void ExportWorker::fail(const CursorLease& lease, const std::string& reason) {
  spdlog::error("task {} failed: {}", lease.task_id.str(), reason);
  auto s = store_->fail_task(lease.task_id, reason, clock_.now());
  if (!s.ok()) spdlog::error("recording the failure of task {}: {}", lease.task_id.str(), s.error().message);
  auto r = store_->release_cursor(lease, clock_.now());
  if (!r.ok()) spdlog::error("releasing cursor {} of task {}: {}", lease.cursor_index, lease.task_id.str(), r.error().message);
}

void ExportWorker::process(const CursorLease& lease) {
  const auto& options = lease.options;
  auto opened = open_with_retries(profiles_, options.storage_profile, settings_.retry, stop_, rng_);
  if (opened.interrupted) {
    auto r = store_->release_cursor(lease, clock_.now());
    if (!r.ok()) spdlog::error("releasing cursor {}: {}", lease.cursor_index, r.error().message);
    return;
  }
  if (!opened.provider.ok()) {
    return fail(lease, opened.provider.error().message + " (after " + std::to_string(opened.attempts) + " attempt(s))");
  }
  auto& provider = opened.provider;
  std::string error;
  Database* db = collection(error);
  if (!db) return fail(lease, "the collection cannot be read: " + error);
  auto filter = ExtractionFilter::for_task(options, lease.task_added);
  auto extractor = make_batch_extractor(*db, filter, settings_.ignore_default_values);
  if (!extractor.ok()) return fail(lease, extractor.error().message);

  std::int64_t position = lease.position;
  std::int64_t batch_number = lease.batches_done;
  std::int64_t items_done = lease.items_done;
  while (true) {
    if (stop_.stopped()) {
      auto r = store_->release_cursor(lease, clock_.now());
      if (!r.ok()) spdlog::error("releasing cursor {} of task {}: {}", lease.cursor_index, lease.task_id.str(), r.error().message);
      return;
    }
    auto batch_started = std::chrono::steady_clock::now();
    auto batch = (*extractor)->read(position, lease.range.last_key, options.batch_size);
    if (!batch.ok()) {
      collection_.reset();
      return fail(lease, "reading the collection: " + batch.error().message);
    }
    StoredBatch stored;
    stored.cursor_index = lease.cursor_index;
    stored.batch_number = batch_number;
    std::int64_t new_position = lease.range.last_key;
    if (batch->item_count > 0) {
      stored.file_name = batch_file_name(lease.task_id, lease.cursor_index, batch_number);
      stored.item_count = batch->item_count;
      stored.bytes = static_cast<std::int64_t>(batch->json.size());
      stored.sha256 = Sha256::hex_of(batch->json);
      auto outcome = store_with_retries(**provider, stored.file_name, batch->json, settings_.retry, stop_, rng_, &metrics_);
      if (outcome.interrupted) {
        auto r = store_->release_cursor(lease, clock_.now());
        if (!r.ok()) spdlog::error("releasing cursor {}: {}", lease.cursor_index, r.error().message);
        return;
      }
      if (!outcome.status.ok()) {
        return fail(lease, "storing " + stored.file_name + " to profile " + options.storage_profile + " failed after " +
                               std::to_string(outcome.attempts) + " attempt(s): " + outcome.status.error().message);
      }
    }
    if (batch->rows_read > 0) new_position = batch->last_key;
    for (const auto& s : batch->skipped) {
      spdlog::warn("task {}: record {} skipped: {}", lease.task_id.str(), s.id, s.reason);
    }
    items_done += batch->rows_read;
    bool done = batch->rows_read < options.batch_size || items_done >= lease.range.item_count ||
                new_position >= lease.range.last_key;
    if (done) new_position = lease.range.last_key;
    auto committed =
        store_->commit_batch(lease, stored, batch->skipped, new_position, done, clock_.now(), settings_.lease);
    if (!committed.ok()) {
      // The batch file stands; whoever holds the cursor now rewrites the same name.
      spdlog::warn("task {} cursor {}: {}", lease.task_id.str(), lease.cursor_index, committed.error().message);
      return;
    }
    metrics_.records_skipped.add(static_cast<std::int64_t>(batch->skipped.size()));
    if (batch->item_count > 0) {
      metrics_.items_exported.add(batch->item_count);
      metrics_.bytes_exported.add(stored.bytes);
      metrics_.batches_stored.add();
      metrics_.batch_seconds.observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - batch_started).count());
      spdlog::debug("task {} cursor {} batch {}: {} item(s) stored as {}", lease.task_id.str(), lease.cursor_index,
                    batch_number, batch->item_count, stored.file_name);
      ++batch_number;
    }
    position = new_position;
    if (committed->cursor_done || !committed->keep_going) return;
  }
}

}  // namespace cortex
