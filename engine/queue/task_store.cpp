// TaskStore: every queue operation is one short SQLite transaction (BEGIN IMMEDIATE), so two
// daemons or a CLI writing the same database never see each other's half-done changes.
#include "queue/task_store.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "schema/embedded_schema.h"

namespace cortex {
namespace {

constexpr const char* kTaskColumns =
    "Id, Added, Updated, Expiration, Status, Type, Progress, Total, Error, Description, Options, CancelRequested";

Result<TaskRecord> read_task(Statement& st) {
  TaskRecord t;
  auto id = Guid::parse(st.text_view(0));
  if (!id) return make_error(ErrorCode::Corruption, "task row with an invalid Id '" + st.text(0) + "'");
  t.id = *id;
  auto added = parse_timestamp(st.text_view(1));
  auto updated = parse_timestamp(st.text_view(2));
  if (!added || !updated) return make_error(ErrorCode::Corruption, "task " + t.id.str() + " has an invalid timestamp");
  t.added = *added;
  t.updated = *updated;
  if (!st.is_null(3)) t.expiration = parse_timestamp(st.text_view(3));
  t.status = static_cast<TaskStatus>(st.int64(4));
  t.type = static_cast<TaskType>(st.int64(5));
  t.progress = st.int64(6);
  t.total = st.optional_int64(7);
  t.error = st.optional_text(8);
  t.description = st.optional_text(9).value_or("");
  nlohmann::json options = nlohmann::json::parse(st.text_view(10), nullptr, false);
  if (options.is_discarded()) return make_error(ErrorCode::Corruption, "task " + t.id.str() + " has unreadable Options");
  auto parsed = ExportOptions::from_json(options);
  if (!parsed.ok()) return parsed.error().with_context("task " + t.id.str());
  t.options = *parsed;
  t.cancel_requested = st.int64(11) != 0;
  return t;
}

Result<std::unique_ptr<Database>> open_task_db(const std::string& path, Database::Mode mode) {
  auto db = Database::open(path, mode);
  if (!db.ok()) return db.error();
  // synchronous=FULL: a commit is on disk before it returns, so an acknowledged TaskId survives power loss.
  auto durable = (*db)->exec("PRAGMA synchronous=FULL;");
  if (!durable.ok()) return durable.error().with_context("opening the task store " + path);
  return db;
}

}  // namespace

Result<std::unique_ptr<TaskStore>> TaskStore::open(const std::string& path) {
  auto db = open_task_db(path, Database::Mode::ReadWriteCreate);
  if (!db.ok()) return db.error();
  // The schema script is idempotent; BEGIN IMMEDIATE keeps two starting processes from racing on it.
  auto status = (*db)->exec(std::string("BEGIN IMMEDIATE;\n") + std::string(schema::tasks_sql()) + "\nCOMMIT;");
  if (!status.ok()) {
    (void)(*db)->exec("ROLLBACK");
    return status.error().with_context("creating the task store schema in " + path);
  }
  return std::unique_ptr<TaskStore>(new TaskStore(std::move(*db)));
}

Result<std::unique_ptr<TaskStore>> TaskStore::open_existing(const std::string& path) {
  auto db = open_task_db(path, Database::Mode::ReadWrite);
  if (!db.ok()) return db.error();
  return std::unique_ptr<TaskStore>(new TaskStore(std::move(*db)));
}

Result<TaskRecord> TaskStore::register_task(const ExportOptions& options, Timestamp now) {
  TaskRecord t;
  t.id = Guid::random();
  t.added = now;
  t.updated = now;
  t.options = options;
  t.description = initial_description(options);
  auto st = db_->prepare(
      "INSERT INTO Tasks (Id, Added, Updated, ConcurrencyToken, Status, Type, Progress, Description, Options) "
      "VALUES (?, ?, ?, ?, 0, 1, 0, ?, ?)");
  if (!st.ok()) return st.error();
  std::string stamp = format_timestamp(now);
  st->bind(1, t.id.str()).bind(2, stamp).bind(3, stamp).bind(4, Guid::random().str()).bind(5, t.description);
  st->bind(6, options.to_json().dump());
  // Autocommit: the row is durable (WAL, committed) when run() returns.
  CORTEX_RETURN_IF_ERROR(st->run());
  return t;
}

// --- Group registration (RegistrationBatcher) ---

Result<std::vector<Result<TaskRecord>>> TaskStore::register_tasks(const std::vector<NewTask>& tasks) {
  if (tasks.empty()) return std::vector<Result<TaskRecord>>{};
  return register_tasks_from([&tasks]() -> const std::vector<NewTask>& { return tasks; });
}

Result<std::vector<Result<TaskRecord>>> TaskStore::register_tasks_from(
    const std::function<const std::vector<NewTask>&()>& take) {
  auto tx = Transaction::begin(*db_);
  const std::vector<NewTask>& tasks = take();
  const std::string group = "registering a group of " + std::to_string(tasks.size()) + " task(s)";
  if (!tx.ok()) return tx.error().with_context(group);
  std::vector<Result<TaskRecord>> out;
  out.reserve(tasks.size());
  // The row register_task inserts; prepared once for the group.
  auto st = db_->prepare(
      "INSERT INTO Tasks (Id, Added, Updated, ConcurrencyToken, Status, Type, Progress, Description, Options) "
      "VALUES (?, ?, ?, ?, 0, 1, 0, ?, ?)");
  if (!st.ok()) return st.error().with_context(group);
  for (const auto& task : tasks) {
    TaskRecord t;
    t.id = Guid::random();
    t.added = task.registered;
    t.updated = task.registered;
    t.options = task.options;
    t.description = initial_description(task.options);
    std::string stamp = format_timestamp(task.registered);
    st->bind(1, t.id.str()).bind(2, stamp).bind(3, stamp).bind(4, Guid::random().str()).bind(5, t.description);
    st->bind(6, task.options.to_json().dump());
    auto inserted = st->run();
    if (!inserted.ok()) {
      // A failed statement is undone alone and the transaction goes on, except after errors such as
      // SQLITE_FULL or SQLITE_IOERR, where SQLite may roll back the whole transaction: then none
      // of the group is (or will be) committed.
      if (sqlite3_get_autocommit(db_->handle()) != 0) {
        return inserted.error().with_context(group + " (the transaction was rolled back)");
      }
      out.push_back(inserted.error().with_context("task " + t.id.str()));
      continue;
    }
    out.push_back(std::move(t));
  }
  // One commit, one sync (synchronous=FULL): every row above is durable once this succeeds.
  auto committed = (*tx)->commit();
  if (!committed.ok()) return committed.error().with_context(group + " (commit)");
  return out;
}

namespace {

int retry_lock_eagerly(void*, int attempt) {
  // Called on the thread that waits, with attempt 0 at the start of each wait.
  thread_local std::chrono::steady_clock::time_point started;
  auto now = std::chrono::steady_clock::now();
  if (attempt == 0) started = now;
  if (now - started >= std::chrono::seconds(10)) return 0;  // gives up: SQLITE_BUSY
  std::this_thread::sleep_for(std::chrono::microseconds(100));
  return 1;
}

}  // namespace

void TaskStore::wait_for_locks_eagerly() { sqlite3_busy_handler(db_->handle(), retry_lock_eagerly, nullptr); }

void TaskStore::leave_checkpoints_to_others() { sqlite3_wal_autocheckpoint(db_->handle(), 0); }

Status TaskStore::checkpoint() {
  int rc = sqlite3_wal_checkpoint_v2(db_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
    return make_error(ErrorCode::IOError, std::string("checkpointing the task store: ") + sqlite3_errmsg(db_->handle()));
  }
  return Status::OK();
}

Result<std::optional<TaskRecord>> TaskStore::find_locked(const Guid& id) {
  // Cached: every progress request comes here. Each statement is reset before returning, so no read is left open.
  static const std::string kFind = std::string("SELECT ") + kTaskColumns + " FROM Tasks WHERE Id = ?";
  auto st = db_->cached(kFind);
  if (!st.ok()) return st.error();
  (*st)->bind(1, id.str());
  auto row = (*st)->step();
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<TaskRecord>{};
  auto task = read_task(**st);
  (*st)->reset();
  if (!task.ok()) return task.error();
  auto deps = db_->cached("SELECT PrerequisiteTaskId FROM TaskDependencies WHERE TaskId = ? ORDER BY PrerequisiteTaskId");
  if (!deps.ok()) return deps.error();
  (*deps)->bind(1, id.str());
  while (true) {
    auto r = (*deps)->step();
    if (!r.ok()) return r.error();
    if (!*r) break;
    if (auto g = Guid::parse((*deps)->text_view(0))) task->prerequisites.push_back(*g);
  }
  (*deps)->reset();
  return std::optional<TaskRecord>(std::move(*task));
}

Result<std::optional<TaskRecord>> TaskStore::find(const Guid& id) { return find_locked(id); }

Result<std::vector<TaskRecord>> TaskStore::list() {
  auto st = db_->prepare(std::string("SELECT ") + kTaskColumns + " FROM Tasks ORDER BY Added, Id");
  if (!st.ok()) return st.error();
  std::vector<TaskRecord> out;
  while (true) {
    auto row = st->step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    auto t = read_task(*st);
    if (!t.ok()) return t.error();
    out.push_back(std::move(*t));
  }
  return out;
}

Status TaskStore::finish(const Guid& id, TaskStatus status, const std::optional<std::string>& error,
                         const std::optional<std::string>& description, Timestamp now) {
  auto st = db_->prepare(
      "UPDATE Tasks SET Status = ?1, Error = coalesce(?2, Error), "
      // A canceled task says so, and how far it got; the others are given their line.
      "Description = CASE WHEN ?1 = 5 THEN 'Canceled: ' || Description || ': ' || Progress || "
      "' item(s) stored before the cancel' ELSE coalesce(?3, Description) END, "
      "Updated = max(Updated, ?4), Finished = ?4, LeaseOwner = NULL, LeaseExpires = NULL, "
      // SQLite's date arithmetic keeps milliseconds; the padding restores the seven-digit form.
      "Expiration = strftime('%Y-%m-%dT%H:%M:%f0000Z', ?4, '+' || json_extract(Options, '$.ExpiresAfterHours') || ' hours'), "
      "ConcurrencyToken = ?5 "
      "WHERE Id = ?6 AND Status IN (0, 1)");
  if (!st.ok()) return st.error();
  st->bind(1, static_cast<std::int64_t>(status)).bind(2, error).bind(3, description);
  st->bind(4, format_timestamp(now)).bind(5, Guid::random().str()).bind(6, id.str());
  return st->run();
}

Result<std::optional<TaskRecord>> TaskStore::request_cancel(const Guid& id, Timestamp now) {
  auto tx = Transaction::begin(*db_);
  if (!tx.ok()) return tx.error();
  auto current = find_locked(id);
  if (!current.ok()) return current.error();
  if (!*current) return current;
  const TaskRecord& t = **current;
  if (!is_final(t.status)) {
    auto live = live_leases(id, now);
    if (!live.ok()) return live.error();
    bool batch_in_flight = *live > 0;
    // A split in progress also counts: the scheduler checks the flag before it stores cursors.
    if (t.status == TaskStatus::Pending || !batch_in_flight) {
      CORTEX_RETURN_IF_ERROR(finish(id, TaskStatus::Canceled, std::nullopt, std::nullopt, now));
      spdlog::info("task {} canceled", id.str());
    } else {
      auto mark = db_->prepare("UPDATE Tasks SET CancelRequested = 1, Updated = ? WHERE Id = ?");
      if (!mark.ok()) return mark.error();
      mark->bind(1, format_timestamp(now)).bind(2, id.str());
      CORTEX_RETURN_IF_ERROR(mark->run());
      spdlog::info("task {} cancel requested; it stops after the batch in flight", id.str());
    }
  }
  auto after = find_locked(id);
  if (!after.ok()) return after.error();
  CORTEX_RETURN_IF_ERROR((*tx)->commit());
  return after;
}

Result<std::optional<std::string>> TaskStore::pick_task_id(const char* sql, const std::string& stamp) {
  auto pick = db_->cached(sql);
  if (!pick.ok()) return pick.error();
  Statement& st = **pick;
  st.bind(1, stamp);
  auto row = st.step();
  if (!row.ok()) return row.error();
  std::optional<std::string> id;
  if (*row) id = st.text(0);
  st.reset();
  return id;
}

// The scheduler's picks scan a part of the queue that grows with it (10,000 waiting tasks: milliseconds), so the
// candidate is found by a plain read, which holds no lock that a registration waits for. The claim then takes the
// write lock and repeats the pick's conditions on that one row: a task that another scheduler claimed, or that was
// canceled, in between is not claimed again (the pick is retried). `claim_sql` binds ?1 now, ?2 the owner, ?3 the
// lease's end and ?4 the task id; `claimed` runs in the claim's transaction.
Result<std::optional<TaskRecord>> TaskStore::claim_oldest(const char* pick_sql, const char* claim_sql,
                                                          const std::string& owner, Timestamp now, Ticks lease,
                                                          const std::function<Status(const std::string&)>& claimed) {
  const std::string stamp = format_timestamp(now), until = format_timestamp(now + lease);
  constexpr int kAttempts = 4;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto picked = pick_task_id(pick_sql, stamp);
    if (!picked.ok()) return picked.error();
    if (!*picked) return std::optional<TaskRecord>{};
    const std::string& id_text = **picked;
    auto tx = Transaction::begin(*db_);
    if (!tx.ok()) return tx.error();
    auto claim = db_->cached(claim_sql);
    if (!claim.ok()) return claim.error();
    (*claim)->bind(1, stamp).bind(2, owner).bind(3, until).bind(4, id_text);
    CORTEX_RETURN_IF_ERROR((*claim)->run());
    if ((*claim)->changes() == 0) continue;  // taken or changed since the pick: the transaction rolls back
    if (claimed) CORTEX_RETURN_IF_ERROR(claimed(id_text));
    auto task = find_locked(*Guid::parse(id_text));
    if (!task.ok()) return task.error();
    CORTEX_RETURN_IF_ERROR((*tx)->commit());
    return task;
  }
  return std::optional<TaskRecord>{};  // lost every race: the next pass tries again
}

Result<std::optional<TaskRecord>> TaskStore::lease_task_for_split(const std::string& owner, Timestamp now, Ticks lease) {
  // Pending, or Processing without a Total whose split lease lapsed; through the partial index of exactly these.
  static constexpr const char* kNeedsSplit =
      "Status IN (0, 1) AND Total IS NULL AND CancelRequested = 0 "
      "AND (Status = 0 OR LeaseExpires IS NULL OR LeaseExpires <= ?1)";
  static const std::string pick =
      std::string("SELECT Id FROM Tasks INDEXED BY Tasks_ToSplit WHERE ") + kNeedsSplit + " ORDER BY Added, Id LIMIT 1";
  static const std::string claim =
      std::string("UPDATE Tasks SET Status = 1, Started = coalesce(Started, ?1), Updated = ?1, LeaseOwner = ?2, "
                  "LeaseExpires = ?3 WHERE Id = ?4 AND ") + kNeedsSplit;
  return claim_oldest(pick.c_str(), claim.c_str(), owner, now, lease, [this](const std::string& id_text) {
    // Cursors left by a split that died half-way are discarded: the split starts over.
    auto clear = db_->cached("DELETE FROM Cursors WHERE TaskId = ?");
    if (!clear.ok()) return Status(clear.error());
    (*clear)->bind(1, id_text);
    return (*clear)->run();
  });
}

Status TaskStore::store_split(const Guid& id, const std::string& owner, const std::vector<CursorRange>& cursors,
                              std::int64_t total, Timestamp now) {
  auto tx = Transaction::begin(*db_);
  if (!tx.ok()) return tx.error();
  auto check = db_->prepare("SELECT Status, LeaseOwner, CancelRequested FROM Tasks WHERE Id = ?");
  if (!check.ok()) return check.error();
  check->bind(1, id.str());
  auto row = check->step();
  if (!row.ok()) return row.error();
  if (!*row || check->int64(0) != 1 || check->text(1) != owner) {
    return make_error(ErrorCode::Conflict, "task " + id.str() + " is no longer being split by this scheduler");
  }
  bool cancel = check->int64(2) != 0;
  check->reset();
  if (cancel) {
    CORTEX_RETURN_IF_ERROR(finish(id, TaskStatus::Canceled, std::nullopt, std::nullopt, now));
    return (*tx)->commit();
  }
  auto insert = db_->prepare(
      "INSERT INTO Cursors (TaskId, CursorIndex, FirstKey, LastKey, ItemCount, Position) VALUES (?, ?, ?, ?, ?, ?)");
  if (!insert.ok()) return insert.error();
  for (std::size_t i = 0; i < cursors.size(); ++i) {
    const auto& c = cursors[i];
    insert->bind(1, id.str()).bind(2, static_cast<std::int64_t>(i)).bind(3, c.first_key).bind(4, c.last_key);
    insert->bind(5, c.item_count).bind(6, c.first_key - 1);
    CORTEX_RETURN_IF_ERROR(insert->run());
  }
  auto update = db_->prepare(
      "UPDATE Tasks SET Total = ?, Updated = ?, LeaseOwner = NULL, LeaseExpires = NULL WHERE Id = ?");
  if (!update.ok()) return update.error();
  update->bind(1, total).bind(2, format_timestamp(now)).bind(3, id.str());
  CORTEX_RETURN_IF_ERROR(update->run());
  return (*tx)->commit();
}

Result<std::optional<TaskRecord>> TaskStore::lease_task_to_finish(const std::string& owner, Timestamp now, Ticks lease) {
  // Split (Total set), not under a live lease, every cursor done; through the partial index of the split tasks.
  static constexpr const char* kFinishable =
      "Status = 1 AND Total IS NOT NULL AND CancelRequested = 0 AND (LeaseExpires IS NULL OR LeaseExpires <= ?1) "
      "AND NOT EXISTS (SELECT 1 FROM Cursors c WHERE c.TaskId = t.Id AND c.State != 2)";
  static const std::string pick =
      std::string("SELECT Id FROM Tasks t INDEXED BY Tasks_Split WHERE ") + kFinishable + " ORDER BY Added, Id LIMIT 1";
  static const std::string claim =
      std::string("UPDATE Tasks AS t SET LeaseOwner = ?2, LeaseExpires = ?3 WHERE Id = ?4 AND ") + kFinishable;
  return claim_oldest(pick.c_str(), claim.c_str(), owner, now, lease, {});
}

Result<std::vector<StoredBatch>> TaskStore::stored_batches(const Guid& id) {
  auto st = db_->prepare(
      "SELECT CursorIndex, BatchNumber, FileName, ItemCount, Bytes, Sha256 FROM StoredBatches WHERE TaskId = ? "
      "ORDER BY CursorIndex, BatchNumber");
  if (!st.ok()) return st.error();
  st->bind(1, id.str());
  std::vector<StoredBatch> out;
  while (true) {
    auto row = st->step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    out.push_back({st->int64(0), st->int64(1), st->text(2), st->int64(3), st->int64(4), st->text(5)});
  }
  return out;
}

Result<std::vector<SkippedRecord>> TaskStore::skipped_records(const Guid& id) {
  auto st = db_->prepare("SELECT RecordKey, RecordId, Reason FROM SkippedRecords WHERE TaskId = ? ORDER BY RecordKey");
  if (!st.ok()) return st.error();
  st->bind(1, id.str());
  std::vector<SkippedRecord> out;
  while (true) {
    auto row = st->step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    out.push_back({st->int64(0), st->text(1), st->text(2)});
  }
  return out;
}

Status TaskStore::complete_task(const Guid& id, const std::string& owner, const std::string& description,
                                Timestamp now) {
  auto tx = Transaction::begin(*db_);
  if (!tx.ok()) return tx.error();
  auto check = db_->prepare("SELECT 1 FROM Tasks WHERE Id = ? AND Status = 1 AND LeaseOwner = ?");
  if (!check.ok()) return check.error();
  check->bind(1, id.str()).bind(2, owner);
  auto row = check->step();
  if (!row.ok()) return row.error();
  if (!*row) return make_error(ErrorCode::Conflict, "task " + id.str() + " is no longer finished by this scheduler");
  check->reset();
  CORTEX_RETURN_IF_ERROR(finish(id, TaskStatus::Completed, std::nullopt, description, now));
  return (*tx)->commit();
}

Status TaskStore::fail_task(const Guid& id, const std::string& error, Timestamp now) {
  return finish(id, TaskStatus::Failed, error, "Failed: " + error, now);
}

Result<std::vector<Guid>> TaskStore::cancel_idle_tasks(Timestamp now) {
  // Every scheduler pass asks; almost always there is nothing to cancel, which the partial index of the pending
  // cancels tells without the write lock.
  {
    auto any = db_->cached("SELECT 1 FROM Tasks INDEXED BY Tasks_ToCancel WHERE Status IN (0, 1) AND CancelRequested = 1 LIMIT 1");
    if (!any.ok()) return any.error();
    auto row = (*any)->step();
    if (!row.ok()) return row.error();
    const bool found = *row;
    (*any)->reset();
    if (!found) return std::vector<Guid>{};
  }
  auto tx = Transaction::begin(*db_);
  if (!tx.ok()) return tx.error();
  auto pick = db_->prepare(
      "SELECT Id FROM Tasks t INDEXED BY Tasks_ToCancel WHERE Status IN (0, 1) AND CancelRequested = 1 "
      "AND (t.LeaseExpires IS NULL OR t.LeaseExpires <= ?1) AND NOT EXISTS (SELECT 1 FROM Cursors c INDEXED BY "
      "Cursors_Work WHERE c.TaskId = t.Id AND c.State = 1 AND c.LeaseExpires > ?1)");
  if (!pick.ok()) return pick.error();
  pick->bind(1, format_timestamp(now));
  std::vector<Guid> ids;
  while (true) {
    auto row = pick->step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    if (auto g = Guid::parse(pick->text_view(0))) ids.push_back(*g);
  }
  pick->reset();
  for (const auto& id : ids) CORTEX_RETURN_IF_ERROR(finish(id, TaskStatus::Canceled, std::nullopt, std::nullopt, now));
  CORTEX_RETURN_IF_ERROR((*tx)->commit());
  return ids;
}

Status TaskStore::renew_leases(const std::string& owner_prefix, Timestamp now, Ticks lease) {
  auto tx = Transaction::begin(*db_);
  if (!tx.ok()) return tx.error();
  std::string until = format_timestamp(now + lease);
  std::string stamp = format_timestamp(now);
  std::string pattern = owner_prefix + "%";
  for (const char* sql : {"UPDATE Cursors SET LeaseExpires = ?1 WHERE State = 1 AND LeaseOwner LIKE ?2 AND LeaseExpires > ?3",
                          "UPDATE Tasks SET LeaseExpires = ?1 WHERE LeaseOwner LIKE ?2 AND LeaseExpires > ?3"}) {
    auto st = db_->prepare(sql);
    if (!st.ok()) return st.error();
    st->bind(1, until).bind(2, pattern).bind(3, stamp);
    CORTEX_RETURN_IF_ERROR(st->run());
  }
  return (*tx)->commit();
}

Result<TaskStore::QueueCounts> TaskStore::queue_counts(Timestamp now) {
  QueueCounts counts;
  auto st = db_->prepare("SELECT Status, count(*) FROM Tasks GROUP BY Status");
  if (!st.ok()) return st.error();
  while (true) {
    auto row = st->step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    counts.tasks_by_status[static_cast<int>(st->int64(0))] = st->int64(1);
  }
  auto leased = db_->prepare("SELECT count(*) FROM Cursors WHERE State = 1 AND LeaseExpires > ?");
  if (!leased.ok()) return leased.error();
  leased->bind(1, format_timestamp(now));
  auto row = leased->step();
  if (!row.ok()) return row.error();
  counts.cursors_leased = leased->int64(0);
  return counts;
}

Result<std::int64_t> TaskStore::release_all_leases() {
  auto tx = Transaction::begin(*db_);
  if (!tx.ok()) return tx.error();
  CORTEX_RETURN_IF_ERROR(db_->exec("UPDATE Cursors SET State = 0, LeaseOwner = NULL, LeaseExpires = NULL WHERE State = 1"));
  auto released = static_cast<std::int64_t>(sqlite3_changes(db_->handle()));
  CORTEX_RETURN_IF_ERROR(db_->exec("UPDATE Tasks SET LeaseOwner = NULL, LeaseExpires = NULL WHERE LeaseOwner IS NOT NULL"));
  CORTEX_RETURN_IF_ERROR((*tx)->commit());
  return released;
}

Result<std::int64_t> TaskStore::remove_expired(Timestamp now) {
  auto st = db_->prepare("DELETE FROM Tasks WHERE Status IN (2, 3, 4, 5) AND Expiration IS NOT NULL AND Expiration <= ?");
  if (!st.ok()) return st.error();
  st->bind(1, format_timestamp(now));
  CORTEX_RETURN_IF_ERROR(st->run());
  return static_cast<std::int64_t>(sqlite3_changes(db_->handle()));
}

namespace {

// A cursor lease is a promise to no one outside this process: start-up recovery releases every lease, and a lease
// lost with the power only means a cursor resumes from its stored position. So its commit need not wait for the
// disk (synchronous=NORMAL for that one transaction); the next durable commit on this connection carries it to disk
// anyway, as WAL frames reach the disk in order.
class RelaxedDurability {
 public:
  static Result<std::unique_ptr<RelaxedDurability>> begin(Database& db) {
    CORTEX_RETURN_IF_ERROR(db.exec("PRAGMA synchronous=NORMAL"));
    return std::unique_ptr<RelaxedDurability>(new RelaxedDurability(db));
  }
  ~RelaxedDurability() {
    auto restored = db_.exec("PRAGMA synchronous=FULL");
    if (!restored.ok()) spdlog::error("restoring synchronous=FULL on the task store: {}", restored.error().message);
  }
  RelaxedDurability(const RelaxedDurability&) = delete;
  RelaxedDurability& operator=(const RelaxedDurability&) = delete;

 private:
  explicit RelaxedDurability(Database& db) : db_(db) {}
  Database& db_;
};

}  // namespace

Result<std::optional<CursorLease>> TaskStore::lease_cursor(const std::string& owner, Timestamp now, Ticks lease) {
  auto leases = lease_cursors(owner, now, lease, 1);
  if (!leases.ok()) return leases.error();
  if (leases->empty()) return std::optional<CursorLease>{};
  return std::optional<CursorLease>(std::move(leases->front()));
}

Result<std::vector<CursorLease>> TaskStore::lease_cursors(const std::string& owner, Timestamp now, Ticks lease,
                                                          std::int64_t max_items) {
  auto relaxed = RelaxedDurability::begin(*db_);
  if (!relaxed.ok()) return relaxed.error();
  auto tx = Transaction::begin(*db_);
  if (!tx.ok()) return tx.error();
  std::string stamp = format_timestamp(now);
  std::vector<CursorLease> leases;
  auto tasks = db_->cached(
      "SELECT Id, Added, Options FROM Tasks WHERE Status = 1 AND CancelRequested = 0 AND Total IS NOT NULL "
      "ORDER BY Added, Id");
  if (!tasks.ok()) return tasks.error();
  Statement& task = **tasks;
  // Cursors whose lease lapsed first (their work had begun), then ready ones, each in index order.
  constexpr const char* kPicks[] = {
      "SELECT CursorIndex, FirstKey, LastKey, ItemCount, Position, BatchesDone, ItemsDone FROM Cursors "
      "WHERE TaskId = ?1 AND State = 1 AND LeaseExpires <= ?2 ORDER BY CursorIndex",
      "SELECT CursorIndex, FirstKey, LastKey, ItemCount, Position, BatchesDone, ItemsDone FROM Cursors "
      "WHERE TaskId = ?1 AND State = 0 AND ?2 IS NOT NULL ORDER BY CursorIndex"};
  std::int64_t items = 0;
  while (leases.empty()) {
    auto row = task.step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    CursorLease l;
    l.task_id = *Guid::parse(task.text_view(0));
    l.owner = owner;
    auto added = parse_timestamp(task.text_view(1));
    if (!added) return make_error(ErrorCode::Corruption, "task " + l.task_id.str() + " has an invalid Added time");
    l.task_added = *added;
    nlohmann::json options = nlohmann::json::parse(task.text_view(2), nullptr, false);
    auto parsed = ExportOptions::from_json(options);
    if (!parsed.ok()) return parsed.error().with_context("task " + l.task_id.str());
    l.options = *parsed;
    const std::string task_id = l.task_id.str();
    for (const char* sql : kPicks) {
      auto pick = db_->cached(sql);
      if (!pick.ok()) return pick.error();
      (*pick)->bind(1, task_id).bind(2, stamp);
      while (items < max_items) {
        auto cursor = (*pick)->step();
        if (!cursor.ok()) return cursor.error();
        if (!*cursor) break;
        CursorLease c = l;
        c.cursor_index = (*pick)->int64(0);
        c.range = {(*pick)->int64(1), (*pick)->int64(2), (*pick)->int64(3)};
        c.position = (*pick)->int64(4);
        c.batches_done = (*pick)->int64(5);
        c.items_done = (*pick)->int64(6);
        items += std::max<std::int64_t>(1, c.range.item_count - c.items_done);
        leases.push_back(std::move(c));
      }
      (*pick)->reset();
    }
  }
  task.reset();
  if (leases.empty()) return leases;
  auto update = db_->cached(
      "UPDATE Cursors SET State = 1, LeaseOwner = ?, LeaseExpires = ? WHERE TaskId = ? AND CursorIndex = ?");
  if (!update.ok()) return update.error();
  const std::string expires = format_timestamp(now + lease);
  for (const auto& l : leases) {
    (*update)->bind(1, owner).bind(2, expires).bind(3, l.task_id.str()).bind(4, l.cursor_index);
    CORTEX_RETURN_IF_ERROR((*update)->run());
  }
  CORTEX_RETURN_IF_ERROR((*tx)->commit());
  return leases;
}

Result<BatchCommitOutcome> TaskStore::commit_batch(const CursorLease& lease, const StoredBatch& batch,
                                                   const std::vector<SkippedRecord>& skipped,
                                                   std::int64_t new_position, bool cursor_done, Timestamp now,
                                                   Ticks lease_time) {
  std::vector<BatchCommit> one{{&lease, batch, skipped, new_position, cursor_done}};
  auto outcomes = commit_batches(one, now, lease_time);
  if (!outcomes.ok()) return outcomes.error();
  const auto& outcome = outcomes->front();
  if (outcome.lease_lost) {
    return make_error(ErrorCode::Conflict, "the lease on cursor " + std::to_string(lease.cursor_index) + " of task " +
                                               lease.task_id.str() + " was lost");
  }
  return outcome;
}

Status TaskStore::release_lease(const CursorLease& lease) {
  auto release = db_->cached(
      "UPDATE Cursors SET State = 0, LeaseOwner = NULL, LeaseExpires = NULL "
      "WHERE TaskId = ? AND CursorIndex = ? AND State = 1 AND LeaseOwner = ?");
  if (!release.ok()) return release.error();
  (*release)->bind(1, lease.task_id.str()).bind(2, lease.cursor_index).bind(3, lease.owner);
  return (*release)->run();
}

Result<std::int64_t> TaskStore::live_leases(const Guid& task, Timestamp now) {
  auto live = db_->cached("SELECT count(*) FROM Cursors WHERE TaskId = ? AND State = 1 AND LeaseExpires > ?");
  if (!live.ok()) return live.error();
  (*live)->bind(1, task.str()).bind(2, format_timestamp(now));
  auto row = (*live)->step();
  if (!row.ok()) return row.error();
  const std::int64_t count = (*live)->int64(0);
  (*live)->reset();
  return count;
}

Result<std::vector<BatchCommitOutcome>> TaskStore::commit_batches(const std::vector<BatchCommit>& commits,
                                                                  Timestamp now, Ticks lease_time) {
  auto tx = Transaction::begin(*db_);
  if (!tx.ok()) return tx.error();
  std::vector<BatchCommitOutcome> outcomes;
  outcomes.reserve(commits.size());
  for (const auto& c : commits) {
    auto outcome = commit_one(c, now, lease_time);
    if (!outcome.ok()) return outcome.error();
    outcomes.push_back(*outcome);
  }
  // A cancel that waited for batches in flight: every batch of the group is stored, so all of them are recorded
  // above (the files on disk and Progress agree); only now are the group's leases of that task given up, and the
  // task canceled once no other worker holds a live lease on it.
  std::vector<Guid> canceling;
  for (std::size_t i = 0; i < commits.size(); ++i) {
    if (!outcomes[i].cancel) continue;
    CORTEX_RETURN_IF_ERROR(release_lease(*commits[i].lease));
    const Guid& task = commits[i].lease->task_id;
    if (std::find(canceling.begin(), canceling.end(), task) == canceling.end()) canceling.push_back(task);
  }
  for (const Guid& task : canceling) {
    auto live = live_leases(task, now);
    if (!live.ok()) return live.error();
    if (*live == 0) {
      CORTEX_RETURN_IF_ERROR(finish(task, TaskStatus::Canceled, std::nullopt, std::nullopt, now));
      spdlog::info("task {} canceled after its batches in flight", task.str());
    }
  }
  CORTEX_RETURN_IF_ERROR((*tx)->commit());
  return outcomes;
}

Result<BatchCommitOutcome> TaskStore::commit_one(const BatchCommit& c, Timestamp now, Ticks lease_time) {
  const CursorLease& lease = *c.lease;
  const StoredBatch& batch = c.batch;
  const std::string task_id = lease.task_id.str();
  std::string stamp = format_timestamp(now);
  BatchCommitOutcome outcome;
  outcome.cursor_done = c.cursor_done;
  auto check = db_->cached(
      "SELECT c.State, c.LeaseOwner, c.Position, t.Status, t.CancelRequested FROM Cursors c JOIN Tasks t ON t.Id = c.TaskId "
      "WHERE c.TaskId = ? AND c.CursorIndex = ?");
  if (!check.ok()) return check.error();
  (*check)->bind(1, task_id).bind(2, lease.cursor_index);
  auto row = (*check)->step();
  if (!row.ok()) return row.error();
  if (!*row || (*check)->int64(0) != 1 || (*check)->text_view(1) != lease.owner) {
    (*check)->reset();
    outcome.lease_lost = true;
    outcome.keep_going = false;
    return outcome;
  }
  std::int64_t stored_position = (*check)->int64(2);
  auto task_status = static_cast<TaskStatus>((*check)->int64(3));
  bool cancel = (*check)->int64(4) != 0;
  (*check)->reset();
  if (task_status != TaskStatus::Processing) {
    outcome.keep_going = false;
    return outcome;
  }
  if (batch.item_count > 0) {
    auto insert = db_->cached(
        "INSERT OR REPLACE INTO StoredBatches (TaskId, CursorIndex, BatchNumber, FileName, ItemCount, Bytes, Sha256) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!insert.ok()) return insert.error();
    (*insert)->bind(1, task_id).bind(2, lease.cursor_index).bind(3, batch.batch_number);
    (*insert)->bind(4, batch.file_name).bind(5, batch.item_count).bind(6, batch.bytes).bind(7, batch.sha256);
    CORTEX_RETURN_IF_ERROR((*insert)->run());
  }
  if (!c.skipped.empty() && c.new_position > stored_position) {
    auto insert = db_->cached(
        "INSERT OR IGNORE INTO SkippedRecords (TaskId, CursorIndex, RecordKey, RecordId, Reason) VALUES (?, ?, ?, ?, ?)");
    if (!insert.ok()) return insert.error();
    std::int64_t added = 0;
    for (const auto& r : c.skipped) {
      (*insert)->bind(1, task_id).bind(2, lease.cursor_index).bind(3, r.key).bind(4, r.id).bind(5, r.reason);
      CORTEX_RETURN_IF_ERROR((*insert)->run());
      added += sqlite3_changes(db_->handle());
    }
    auto total = db_->cached("UPDATE Tasks SET Total = Total - ? WHERE Id = ?");
    if (!total.ok()) return total.error();
    (*total)->bind(1, added).bind(2, task_id);
    CORTEX_RETURN_IF_ERROR((*total)->run());
  }
  // Release the lease with the last batch (a cancel's release comes after the whole group: commit_batches).
  bool release = c.cursor_done;
  auto update = db_->cached(
      "UPDATE Cursors SET Position = ?1, BatchesDone = BatchesDone + ?2, ItemsDone = ItemsDone + ?3, "
      "State = ?4, LeaseOwner = CASE WHEN ?5 THEN NULL ELSE LeaseOwner END, "
      "LeaseExpires = CASE WHEN ?5 THEN NULL ELSE ?6 END WHERE TaskId = ?7 AND CursorIndex = ?8");
  if (!update.ok()) return update.error();
  (*update)->bind(1, c.new_position).bind(2, static_cast<std::int64_t>(batch.item_count > 0 ? 1 : 0));
  (*update)->bind(3, batch.item_count + static_cast<std::int64_t>(c.skipped.size()));
  (*update)->bind(4, static_cast<std::int64_t>(c.cursor_done ? 2 : 1));
  (*update)->bind(5, static_cast<std::int64_t>(release)).bind(6, format_timestamp(now + lease_time));
  (*update)->bind(7, task_id).bind(8, lease.cursor_index);
  CORTEX_RETURN_IF_ERROR((*update)->run());
  if (c.new_position > stored_position && batch.item_count > 0) {
    auto progress = db_->cached("UPDATE Tasks SET Progress = Progress + ?, Updated = ? WHERE Id = ?");
    if (!progress.ok()) return progress.error();
    (*progress)->bind(1, batch.item_count).bind(2, stamp).bind(3, task_id);
    CORTEX_RETURN_IF_ERROR((*progress)->run());
  }
  outcome.recorded = true;
  if (cancel) {
    outcome.keep_going = false;
    outcome.cancel = true;
  }
  return outcome;
}

Status TaskStore::release_cursor(const CursorLease& lease, Timestamp now) {
  auto tx = Transaction::begin(*db_);
  if (!tx.ok()) return tx.error();
  CORTEX_RETURN_IF_ERROR(release_lease(lease));
  CORTEX_RETURN_IF_ERROR((*tx)->commit());
  // A cancel that waited for this cursor can now take effect.
  auto canceled = cancel_idle_tasks(now);
  if (!canceled.ok()) return canceled.error();
  for (const auto& id : *canceled) spdlog::info("task {} canceled", id.str());
  return Status::OK();
}

Result<bool> TaskStore::should_stop_reading(const Guid& id) {
  auto st = db_->cached("SELECT Status, CancelRequested FROM Tasks WHERE Id = ?");
  if (!st.ok()) return st.error();
  (*st)->bind(1, id.str());
  auto row = (*st)->step();
  if (!row.ok()) return row.error();
  if (!*row) return true;
  const bool stop = (*st)->int64(0) != static_cast<std::int64_t>(TaskStatus::Processing) || (*st)->int64(1) != 0;
  (*st)->reset();
  return stop;
}

TaskStorePool::Handle::~Handle() {
  if (store_) {
    std::lock_guard lock(pool_->mutex_);
    pool_->idle_.push_back(std::move(store_));
  }
}

Result<TaskStorePool::Handle> TaskStorePool::acquire() {
  bool applied;
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto store = std::move(idle_.back());
      idle_.pop_back();
      return Handle(*this, std::move(store));
    }
    applied = schema_applied_;
  }
  auto store = applied ? TaskStore::open_existing(path_) : TaskStore::open(path_);
  if (!store.ok()) return store.error();
  {
    std::lock_guard lock(mutex_);
    schema_applied_ = true;
  }
  return Handle(*this, std::move(*store));
}

void TaskStorePool::add_idle(std::unique_ptr<TaskStore> store) {
  std::lock_guard lock(mutex_);
  schema_applied_ = true;
  idle_.push_back(std::move(store));
}

}  // namespace cortex
