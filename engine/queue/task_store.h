// TaskStore: the persistent task queue (schema/tasks.sql) on one SQLite connection. One per thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/sqlite_db.h"
#include "queue/task.h"

namespace cortex {

// A key range of the collection: keys FirstKey..LastKey (inclusive) hold ItemCount matching items.
struct CursorRange {
  std::int64_t first_key = 0;
  std::int64_t last_key = 0;
  std::int64_t item_count = 0;
};

// A cursor leased by one worker: where to read next and what the task asks for.
struct CursorLease {
  Guid task_id;
  std::int64_t cursor_index = 0;
  CursorRange range;
  std::int64_t position = 0;  // last key already stored
  std::int64_t batches_done = 0;
  std::int64_t items_done = 0;
  std::string owner;
  Timestamp task_added{};
  ExportOptions options;
};

// One batch file durably stored by a provider, as the manifest lists it.
struct StoredBatch {
  std::int64_t cursor_index = 0;
  std::int64_t batch_number = 0;
  std::string file_name;
  std::int64_t item_count = 0;
  std::int64_t bytes = 0;
  std::string sha256;
};

// A corrupt source record left out of a batch.
struct SkippedRecord {
  std::int64_t key = 0;
  std::string id;
  std::string reason;
};

// What a worker learns when it commits a batch: whether to go on with this cursor.
struct BatchCommitOutcome {
  bool cursor_done = false;
  bool keep_going = true;   // false when the task is canceled, failed, or the lease was lost
  bool lease_lost = false;  // the cursor is no longer the caller's: nothing of this batch was recorded
  bool recorded = false;    // the batch and the cursor's new position are recorded (it counts in Progress)
  bool cancel = false;      // recorded, and a cancel waited for it: the cursor's lease is given up
};

// One batch of a leased cursor to record (see TaskStore::commit_batch).
struct BatchCommit {
  const CursorLease* lease = nullptr;
  StoredBatch batch;
  std::vector<SkippedRecord> skipped;
  std::int64_t new_position = 0;
  bool cursor_done = false;
};

class TaskStore {
 public:
  // Opens (creating if missing) the task database and applies schema/tasks.sql.
  static Result<std::unique_ptr<TaskStore>> open(const std::string& path);
  // Opens a task database whose schema this process has applied already. Unlike open() it takes no write lock, so it
  // never waits behind a writer: for the extra connections a pool opens while a request waits.
  static Result<std::unique_ptr<TaskStore>> open_existing(const std::string& path);

  // --- API ---
  // Inserts a Pending task and commits before returning: the TaskId is durable once this returns.
  Result<TaskRecord> register_task(const ExportOptions& options, Timestamp now);
  Result<std::optional<TaskRecord>> find(const Guid& id);
  // All tasks, oldest first (for `cortexd status`).
  Result<std::vector<TaskRecord>> list();
  // A Pending task, or a Processing one with no live lease, is Canceled at once; a Processing one
  // with a batch in flight is marked and becomes Canceled when that batch completes. Final: unchanged.
  Result<std::optional<TaskRecord>> request_cancel(const Guid& id, Timestamp now);

  // --- Group registration (RegistrationBatcher) ---
  struct NewTask {
    ExportOptions options;
    Timestamp registered{};  // the registration instant, stored as Added
  };
  // Inserts Pending tasks, in order, in one transaction: the group costs one commit (one sync).
  // An outer error means nothing of the group was committed. An inner error means that registration
  // alone was left out (SQLite undid just its INSERT); the others are durable when this returns.
  Result<std::vector<Result<TaskRecord>>> register_tasks(const std::vector<NewTask>& tasks);
  // The same, with the group taken from `take` only once the transaction holds the write lock, so
  // that registrations arriving while another connection's transaction holds it join this group.
  // `take` is called exactly once, also when the transaction cannot start (the error is the group's).
  Result<std::vector<Result<TaskRecord>>> register_tasks_from(const std::function<const std::vector<NewTask>&()>& take);
  // For the connection whose callers wait on it (the registration batcher's): a lock held by another
  // connection is retried every 100 us, up to the usual 10 s, instead of with SQLite's backoff,
  // which sleeps up to 100 ms at a time and so keeps losing the lock to connections that retake it.
  void wait_for_locks_eagerly();
  // Also for that connection: its commits never run a WAL checkpoint (which copies the log into the
  // database and syncs both, while the group's callers wait); the other connections' commits and
  // checkpoint() do.
  void leave_checkpoints_to_others();
  // A checkpoint that waits for no one (PASSIVE): copies what it can of the WAL into the database.
  Status checkpoint();

  // --- Scheduler ---
  // Leases the oldest task that needs splitting (Pending, or Processing without Total whose split
  // lease lapsed) and marks it Processing.
  Result<std::optional<TaskRecord>> lease_task_for_split(const std::string& owner, Timestamp now, Ticks lease);
  // Stores the cursors and Total of a split task and releases its split lease.
  Status store_split(const Guid& id, const std::string& owner, const std::vector<CursorRange>& cursors,
                     std::int64_t total, Timestamp now);
  // Processing tasks whose cursors are all done (and not yet finished): ready for their manifest.
  Result<std::optional<TaskRecord>> lease_task_to_finish(const std::string& owner, Timestamp now, Ticks lease);
  Result<std::vector<StoredBatch>> stored_batches(const Guid& id);
  Result<std::vector<SkippedRecord>> skipped_records(const Guid& id);
  Status complete_task(const Guid& id, const std::string& owner, const std::string& description, Timestamp now);
  // Marks a task Failed with the reason in Error and Description. No-op on a task already final.
  Status fail_task(const Guid& id, const std::string& error, Timestamp now);
  // Processing tasks with a pending cancel and no live cursor lease become Canceled. Returns their ids.
  Result<std::vector<Guid>> cancel_idle_tasks(Timestamp now);
  // Extends every live lease this owner holds (cursor and task leases).
  Status renew_leases(const std::string& owner_prefix, Timestamp now, Ticks lease);
  // At start-up of the only daemon on this data directory: every lease in the store belongs to a
  // daemon that is gone, so cursors go back to the queue at their stored positions now rather than
  // when their leases lapse. Returns how many cursor leases were released.
  Result<std::int64_t> release_all_leases();
  // For /metrics: tasks by status, and cursors under a live lease.
  struct QueueCounts {
    std::map<int, std::int64_t> tasks_by_status;
    std::int64_t cursors_leased = 0;
  };
  Result<QueueCounts> queue_counts(Timestamp now);
  // Removes final tasks whose Expiration has passed, with their cursors. Returns how many.
  Result<std::int64_t> remove_expired(Timestamp now);

  // --- Workers ---
  // Leases the next ready cursor of a Processing task (or one whose lease lapsed).
  Result<std::optional<CursorLease>> lease_cursor(const std::string& owner, Timestamp now, Ticks lease);
  // Leases ready cursors of the oldest Processing task that has any, in index order, until they hold
  // max_items items still to export (at least one cursor when there is one). Lapsed leases come first.
  Result<std::vector<CursorLease>> lease_cursors(const std::string& owner, Timestamp now, Ticks lease,
                                                 std::int64_t max_items);
  // In one transaction: records the stored batch and the records it skipped, advances the cursor to
  // new_position, adds to the task's Progress (and takes skipped records off its Total). Fails with
  // Conflict if the lease is no longer the caller's.
  Result<BatchCommitOutcome> commit_batch(const CursorLease& lease, const StoredBatch& batch,
                                          const std::vector<SkippedRecord>& skipped, std::int64_t new_position,
                                          bool cursor_done, Timestamp now, Ticks lease_time);
  // commit_batch for several batches (of one or more cursors, in order) in one transaction: one sync
  // for the group. A lost lease is reported in that batch's outcome; the others are still recorded.
  // A pending cancel lets every batch of the group be recorded (they are all stored), then gives up
  // the group's leases of that task and cancels it unless another worker still holds a live lease.
  Result<std::vector<BatchCommitOutcome>> commit_batches(const std::vector<BatchCommit>& commits, Timestamp now,
                                                         Ticks lease_time);
  // Returns a cursor to the queue at its stored position (shutdown, cancel). Cancels the task if it
  // was the last live lease of a task with a pending cancel.
  Status release_cursor(const CursorLease& lease, Timestamp now);
  // Whether a worker should stop reading task `id`: a cancel is pending, or the task is no longer Processing (or
  // gone). A plain read: the reading thread asks it now and then while the storing thread commits.
  Result<bool> should_stop_reading(const Guid& id);

 private:
  explicit TaskStore(std::unique_ptr<Database> db) : db_(std::move(db)) {}
  Result<std::optional<TaskRecord>> find_locked(const Guid& id);
  Result<BatchCommitOutcome> commit_one(const BatchCommit& commit, Timestamp now, Ticks lease_time);
  // Gives a cursor lease back to the queue at its stored position (nothing if it is no longer the caller's).
  Status release_lease(const CursorLease& lease);
  // Cursor leases of the task that have not lapsed at `now`: batches in flight.
  Result<std::int64_t> live_leases(const Guid& task, Timestamp now);
  // The Id of the first row of a one-parameter (a timestamp) query, if any.
  Result<std::optional<std::string>> pick_task_id(const char* sql, const std::string& stamp);
  Result<std::optional<TaskRecord>> claim_oldest(const char* pick_sql, const char* claim_sql, const std::string& owner,
                                                 Timestamp now, Ticks lease,
                                                 const std::function<Status(const std::string&)>& claimed);
  Status finish(const Guid& id, TaskStatus status, const std::optional<std::string>& error,
                const std::optional<std::string>& description, Timestamp now);

  std::unique_ptr<Database> db_;
};

// A small pool of TaskStore connections for threads that come and go (HTTP handlers).
class TaskStorePool {
 public:
  explicit TaskStorePool(std::string path) : path_(std::move(path)) {}

  class Handle {
   public:
    Handle(TaskStorePool& pool, std::unique_ptr<TaskStore> store) : pool_(&pool), store_(std::move(store)) {}
    Handle(Handle&&) = default;
    ~Handle();
    TaskStore* operator->() { return store_.get(); }
    TaskStore& operator*() { return *store_; }

   private:
    TaskStorePool* pool_;
    std::unique_ptr<TaskStore> store_;
  };

  Result<Handle> acquire();
  // A store opened elsewhere (so its schema is applied) joins the idle ones: the first request opens none.
  void add_idle(std::unique_ptr<TaskStore> store);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<TaskStore>> idle_;
  bool schema_applied_ = false;  // once true, new connections skip the schema script (and its write lock)
};

}  // namespace cortex
