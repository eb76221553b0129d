// Working a cursor: read a batch, store it, commit the position; repeat.
#include "workers/export_worker.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <future>

#include "collection/collection_db.h"
#include "common/sha256.h"
#include "workers/batch_extractor.h"
#include "workers/batch_naming.h"
#include "workers/storage_retry.h"

namespace cortex {
namespace {

// How many items a worker reads between two looks for a cancel (one indexed read of the task's row each).
constexpr std::int64_t kCancelCheckItems = 1000;

// Whether the worker should stop for a cancel (or a task no longer Processing). A failed look is logged and counts
// as no: the group's commit still sees the cancel.
bool stop_for_cancel(TaskStore& store, const Guid& task) {
  auto stop = store.should_stop_reading(task);
  if (!stop.ok()) {
    spdlog::warn("task {}: looking for a cancel: {}", task.str(), stop.error().message);
    return false;
  }
  return *stop;
}

}  // namespace

ExportWorker::ExportWorker(const EngineSettings& settings, std::string owner, const ProfileCatalog& profiles,
                           const Clock& clock, WakeSignal& stop, std::unique_ptr<TaskStore> store,
                           std::unique_ptr<TaskStore> watch, ExportMetrics& metrics,
                           std::function<void()> on_cursor_done)
    : settings_(settings),
      owner_(std::move(owner)),
      profiles_(profiles),
      clock_(clock),
      stop_(stop),
      store_(std::move(store)),
      watch_(std::move(watch)),
      metrics_(metrics),
      on_cursor_done_(std::move(on_cursor_done)),
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

// One leased cursor of the group and how far this worker has read it.
struct ExportWorker::CursorWork {
  CursorLease lease;
  std::int64_t position = 0;
  std::int64_t batch_number = 0;
  std::int64_t items_done = 0;
  bool read_to_end = false;  // every batch of it has been read (and is stored or pending)
  bool stopped = false;      // its lease is gone (committed done, lost, released)
};

// A batch read and rendered, waiting to be stored and committed with its group.
struct ExportWorker::PendingBatch {
  std::size_t work = 0;  // index into the group's CursorWork
  StoredBatch stored;
  std::string json;
  std::vector<SkippedRecord> skipped;
  std::int64_t new_position = 0;
  bool cursor_done = false;
  double read_seconds = 0;  // reading and rendering it
};

// What storing and committing a group came to.
struct ExportWorker::GroupResult {
  enum class Kind { Committed, Interrupted, Canceled, StoreFailed, CommitFailed };
  Kind kind = Kind::Committed;
  std::string message;
  std::vector<PendingBatch> batches;          // their JSON already released
  std::vector<BatchCommitOutcome> outcomes;  // one per batch when Committed
  double store_seconds = 0;                  // storing and recording the whole group
};

bool ExportWorker::work_next_group() {
  auto leases = store_->lease_cursors(owner_, clock_.now(), settings_.lease, settings_.group_items);
  if (!leases.ok()) {
    spdlog::error("{}: leasing cursors: {}", owner_, leases.error().message);
    return false;
  }
  if (leases->empty()) return false;
  process(std::move(*leases));
  return true;
}

void ExportWorker::release(std::vector<CursorWork>& works) {
  for (auto& w : works) {
    if (w.stopped) continue;
    w.stopped = true;
    auto r = store_->release_cursor(w.lease, clock_.now());
    if (!r.ok()) {
      spdlog::error("releasing cursor {} of task {}: {}", w.lease.cursor_index, w.lease.task_id.str(), r.error().message);
    }
  }
}

void ExportWorker::fail(std::vector<CursorWork>& works, const std::string& reason) {
  const Guid& task = works.front().lease.task_id;
  spdlog::error("task {} failed: {}", task.str(), reason);
  auto s = store_->fail_task(task, reason, clock_.now());
  if (!s.ok()) spdlog::error("recording the failure of task {}: {}", task.str(), s.error().message);
  release(works);
}

void ExportWorker::process(std::vector<CursorLease> leases) {
  std::vector<CursorWork> works;
  works.reserve(leases.size());
  for (auto& l : leases) {
    CursorWork w;
    w.position = l.position;
    w.batch_number = l.batches_done;
    w.items_done = l.items_done;
    w.lease = std::move(l);
    works.push_back(std::move(w));
  }
  // lease_cursors hands out cursors of one task: one provider, one filter for the group.
  const ExportOptions options = works.front().lease.options;
  auto opened = open_with_retries(profiles_, options.storage_profile, settings_.retry, stop_, rng_);
  if (opened.interrupted) return release(works);
  if (!opened.provider.ok()) {
    return fail(works, opened.provider.error().message + " (after " + std::to_string(opened.attempts) + " attempt(s))");
  }
  StorageProvider& provider = **opened.provider;
  std::string error;
  Database* db = collection(error);
  if (!db) return fail(works, "the collection cannot be read: " + error);
  auto filter = ExtractionFilter::for_task(options, works.front().lease.task_added);
  auto extractor = make_batch_extractor(*db, filter, settings_.ignore_default_values);
  if (!extractor.ok()) return fail(works, extractor.error().message);

  // The group before this one is stored and committed on its own thread while this one is read.
  std::future<GroupResult> in_flight;
  bool go_on = true;
  auto settle = [&] {
    if (in_flight.valid()) go_on = apply(works, in_flight.get()) && go_on;
    return go_on;
  };
  auto send = [&](std::vector<PendingBatch> group) {
    if (!settle()) return false;
    in_flight = std::async(std::launch::async, [this, &works, &provider, group = std::move(group)]() mutable {
      return store_and_commit(works, std::move(group), provider);
    });
    return true;
  };

  std::vector<PendingBatch> pending;
  std::int64_t pending_items = 0;
  std::int64_t unchecked_items = 0;  // read since the last look for a cancel
  for (std::size_t i = 0; i < works.size(); ++i) {
    CursorWork& w = works[i];
    while (!w.read_to_end && !w.stopped) {
      // Pending batches are not stored when stopping: the positions stay behind them.
      if (stop_.stopped()) {
        settle();
        return release(works);
      }
      // A cancel starts no further batch: the batches read but not yet stored are dropped, the group being stored
      // completes and is recorded, and the last lease given back cancels the task.
      if (unchecked_items >= kCancelCheckItems) {
        unchecked_items = 0;
        if (stop_for_cancel(*watch_, works.front().lease.task_id)) {
          spdlog::debug("task {}: stopping for a cancel; {} batch(es) read are not stored",
                        works.front().lease.task_id.str(), pending.size());
          settle();
          return release(works);
        }
      }
      PendingBatch p;
      p.work = i;
      const auto started = std::chrono::steady_clock::now();
      auto batch = (*extractor)->read(w.position, w.lease.range.last_key, options.batch_size);
      if (!batch.ok()) {
        collection_.reset();
        settle();
        return fail(works, "reading the collection: " + batch.error().message);
      }
      p.stored.cursor_index = w.lease.cursor_index;
      p.stored.batch_number = w.batch_number;
      if (batch->item_count > 0) {
        p.stored.file_name = batch_file_name(w.lease.task_id, w.lease.cursor_index, w.batch_number);
        p.stored.item_count = batch->item_count;
        p.stored.bytes = static_cast<std::int64_t>(batch->json.size());
        p.stored.sha256 = Sha256::hex_of(batch->json);
        p.json = std::move(batch->json);
        ++w.batch_number;
      }
      std::int64_t new_position = batch->rows_read > 0 ? batch->last_key : w.lease.range.last_key;
      w.items_done += batch->rows_read;
      p.cursor_done = batch->rows_read < options.batch_size || w.items_done >= w.lease.range.item_count ||
                      new_position >= w.lease.range.last_key;
      if (p.cursor_done) new_position = w.lease.range.last_key;
      p.new_position = new_position;
      p.skipped = std::move(batch->skipped);
      p.read_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      w.position = new_position;
      w.read_to_end = p.cursor_done;
      pending_items += std::max<std::int64_t>(1, batch->rows_read);
      unchecked_items += std::max<std::int64_t>(1, batch->rows_read);
      pending.push_back(std::move(p));
      if (pending_items >= settings_.group_items) {
        if (!send(std::move(pending))) return release(works);
        pending.clear();
        pending_items = 0;
      }
    }
  }
  if (!pending.empty() && !send(std::move(pending))) return release(works);
  if (!settle()) release(works);
}

ExportWorker::GroupResult ExportWorker::store_and_commit(const std::vector<CursorWork>& works,
                                                         std::vector<PendingBatch> pending,
                                                         StorageProvider& provider) {
  GroupResult result;
  const auto started = std::chrono::steady_clock::now();
  // A cancel that came while the group was read: none of its files are written. (A group whose files are being
  // written when the cancel comes completes, and is recorded.)
  if (stop_for_cancel(*store_, works.front().lease.task_id)) {
    for (auto& p : pending) std::string().swap(p.json);
    result.batches = std::move(pending);
    result.kind = GroupResult::Kind::Canceled;
    return result;
  }
  std::vector<StoreRequest> files;
  for (const auto& p : pending) {
    if (p.stored.item_count > 0) files.push_back({p.stored.file_name, p.json});
  }
  auto outcome = store_all_with_retries(provider, files, settings_.retry, stop_, rng_, &metrics_);
  for (auto& p : pending) std::string().swap(p.json);
  result.batches = std::move(pending);
  if (outcome.interrupted) {
    result.kind = GroupResult::Kind::Interrupted;
    return result;
  }
  if (!outcome.status.ok()) {
    std::string what = files.size() == 1 ? files.front().name : std::to_string(files.size()) + " batch files";
    result.kind = GroupResult::Kind::StoreFailed;
    result.message = "storing " + what + " to profile " + works.front().lease.options.storage_profile +
                     " failed after " + std::to_string(outcome.attempts) + " attempt(s): " + outcome.status.error().message;
    return result;
  }
  std::vector<BatchCommit> commits;
  commits.reserve(result.batches.size());
  for (const auto& p : result.batches) {
    commits.push_back({&works[p.work].lease, p.stored, p.skipped, p.new_position, p.cursor_done});
  }
  auto committed = store_->commit_batches(commits, clock_.now(), settings_.lease);
  if (!committed.ok()) {
    result.kind = GroupResult::Kind::CommitFailed;
    result.message = committed.error().message;
    return result;
  }
  result.outcomes = std::move(*committed);
  result.store_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

bool ExportWorker::apply(std::vector<CursorWork>& works, GroupResult result) {
  switch (result.kind) {
    case GroupResult::Kind::Interrupted:
    case GroupResult::Kind::Canceled:  // the caller gives the leases back; the last one cancels the task
      return false;
    case GroupResult::Kind::StoreFailed:
      fail(works, result.message);
      return false;
    case GroupResult::Kind::CommitFailed:
      // The batch files stand; whoever holds the cursors next rewrites the same names.
      spdlog::warn("task {}: recording {} batch(es): {}", works.front().lease.task_id.str(), result.batches.size(),
                   result.message);
      return false;
    case GroupResult::Kind::Committed:
      break;
  }
  bool go_on = true;
  bool cursor_done = false;
  // A batch's time: its reading and rendering, and its share of storing and recording its group.
  const double store_share = result.store_seconds / static_cast<double>(std::max<std::size_t>(1, result.batches.size()));
  for (std::size_t i = 0; i < result.batches.size(); ++i) {
    const auto& p = result.batches[i];
    const auto& outcome = result.outcomes[i];
    CursorWork& w = works[p.work];
    if (outcome.lease_lost) {
      if (!w.stopped) {
        spdlog::warn("task {} cursor {}: the lease was lost; its new holder resumes it", w.lease.task_id.str(),
                     w.lease.cursor_index);
      }
      w.stopped = true;
      continue;
    }
    if (outcome.cancel) w.stopped = true;  // the commit gave the lease up
    if (!outcome.recorded) {
      go_on = false;  // the task is no longer processing (canceled or failed meanwhile): nothing was recorded
      continue;
    }
    for (const auto& s : p.skipped) {
      spdlog::warn("task {}: record {} skipped: {}", w.lease.task_id.str(), s.id, s.reason);
    }
    metrics_.records_skipped.add(static_cast<std::int64_t>(p.skipped.size()));
    if (p.stored.item_count > 0) {
      metrics_.items_exported.add(p.stored.item_count);
      metrics_.bytes_exported.add(p.stored.bytes);
      metrics_.batches_stored.add();
      metrics_.batch_seconds.observe(p.read_seconds + store_share);
      spdlog::debug("task {} cursor {} batch {}: {} item(s) stored as {}", w.lease.task_id.str(), w.lease.cursor_index,
                    p.stored.batch_number, p.stored.item_count, p.stored.file_name);
    }
    if (outcome.cursor_done && outcome.keep_going) {
      w.stopped = true;  // the commit released the lease
      cursor_done = true;
    }
    if (!outcome.keep_going) go_on = false;  // canceled or no longer processing: the caller lets go of the rest
  }
  if (cursor_done && on_cursor_done_) on_cursor_done_();
  return go_on;
}

}  // namespace cortex
