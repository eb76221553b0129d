// Generating a collection. A producer thread renders the rows (generated_rows.cpp) ahead of the inserts
// (generated_rows_sql.cpp). Into an open collection one connection inserts everything, in WAL transactions. A new
// file is built beside its final path by two connections at once: the producer thread loads the contact tables and
// the interaction facets into a side file while this thread loads the interactions; each side builds its indexes
// after its load, both at once; then the side's tables are copied over whole (SQLite's transfer of a table into an
// empty one of the same schema copies the records and the index entries as they are, without re-sorting).
#include "collection/collection_generator.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <limits>
#include <mutex>
#include <thread>
#include <vector>

#include "collection/collection_db.h"
#include "collection/generated_rows.h"
#include "collection/generated_rows_sql.h"

namespace cortex {
namespace {

using generated::exec;
using generated::RowBatch;
using generated::RowGenerator;
using generated::sqlite_error;
using generated::Transactions;

// Appending: rows per transaction, large so commits are rare, yet small enough that the dirty pages stay in the
// page cache below (a transaction that outgrows the cache spills pages to the WAL and reads them back).
constexpr std::int64_t kAppendRowsPerTransaction = 50'000;
constexpr std::int64_t kAppendCacheKibibytes = 256 * 1024;
// A new file. Without a journal a commit only hands the dirty pages to the OS, and the flusher thread then has the
// OS start writing them, so the disk works during the load rather than all at the end.
constexpr std::int64_t kNewFileRowsPerTransaction = 50'000;
constexpr std::int64_t kNewFileCacheKibibytes = 64 * 1024;
// An index build sorts its keys in runs of about the page cache's size on SQLite's worker threads: small runs keep
// the sorting in the CPU caches and on both cores.
constexpr std::int64_t kIndexCacheKibibytes = 8 * 1024;
// The largest pages. Interaction rows average about 1.3 KB, which left a sixth of every 4 KiB page empty (a 64 KiB
// page leaves about 1%), and the load writes and the exports read the tables in long runs anyway.
constexpr int kNewFilePageSize = 65536;
// Rendering runs ahead of the inserts by at most this many batches of about this many interactions.
constexpr std::size_t kBatchInteractions = 2'048;
constexpr std::size_t kBatchesInFlight = 4;
// The tables the side file carries over (their indexes come along).
constexpr const char* kSideTables[] = {"Contacts", "ContactIdentifiers", "ContactFacets", "InteractionFacets"};

Result<std::int64_t> query_int(sqlite3* db, const char* sql) {
  sqlite3_stmt* statement = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &statement, nullptr);
  if (rc != SQLITE_OK) return sqlite_error(db, rc, sql);
  rc = sqlite3_step(statement);
  std::int64_t value = rc == SQLITE_ROW ? sqlite3_column_int64(statement, 0) : 0;
  sqlite3_finalize(statement);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sqlite_error(db, rc, sql);
  return value;
}

// The rendering thread and the batches it hands over. Batches are recycled, so after the first few nothing is
// allocated: each keeps the capacity of its buffers. A side task may take each batch on this thread before it is
// handed over (the side file's tables), and finish after the last.
class Producer {
 public:
  struct SideTask {
    std::function<Status(const RowBatch&)> each;
    std::function<Status()> finish;
  };

  Producer(const GeneratorOptions& options, SideTask side) : generator_(options), side_(std::move(side)) {
    for (std::size_t i = 0; i < kBatchesInFlight; ++i) {
      storage_.push_back(std::make_unique<RowBatch>());
      storage_.back()->text.reserve(4 << 20);
      free_.push_back(storage_.back().get());
    }
    thread_ = std::thread([this] { run(); });
  }
  ~Producer() {
    {
      std::lock_guard lock(mutex_);
      stopped_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // The next batch in stream order; nullptr once the stream ended (see stream_status()).
  RowBatch* next() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return !ready_.empty() || ended_; });
    if (ready_.empty()) return nullptr;
    RowBatch* batch = ready_.front();
    ready_.pop_front();
    return batch;
  }
  void recycle(RowBatch* batch) {
    {
      std::lock_guard lock(mutex_);
      free_.push_back(batch);
    }
    changed_.notify_all();
  }
  // Once next() returned nullptr: how rendering (with the side task's share of each batch) ended.
  Status stream_status() {
    std::lock_guard lock(mutex_);
    return stream_status_;
  }
  // Once next() returned nullptr: waits for the side task's finish, and tells how the thread ended.
  Status finish() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return finished_; });
    return status_;
  }

 private:
  void run() {
    Status status;
    try {
      status = produce();
      if (status.ok() && side_.finish && !stopping()) status = side_.finish();
    } catch (const std::exception& e) {
      status = make_error(ErrorCode::Internal, std::string("rendering the rows: ") + e.what());
    }
    {
      std::lock_guard lock(mutex_);
      if (!ended_) stream_status_ = status;  // an exception while rendering
      ended_ = true;
      finished_ = true;
      status_ = status;
    }
    changed_.notify_all();
  }

  Status produce() {
    while (true) {
      RowBatch* batch = nullptr;
      {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [this] { return !free_.empty() || stopped_; });
        if (stopped_) return Status::OK();
        batch = free_.front();
        free_.pop_front();
      }
      const bool filled = generator_.fill(*batch, kBatchInteractions);
      const Status taken = filled && side_.each ? side_.each(*batch) : Status::OK();
      {
        std::lock_guard lock(mutex_);
        if (filled && taken.ok()) {
          ready_.push_back(batch);
        } else {
          free_.push_back(batch);
          ended_ = true;
          stream_status_ = taken;
        }
      }
      changed_.notify_all();
      if (!filled || !taken.ok()) return taken;
    }
  }

  bool stopping() {
    std::lock_guard lock(mutex_);
    return stopped_;
  }

  RowGenerator generator_;
  SideTask side_;
  std::vector<std::unique_ptr<RowBatch>> storage_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<RowBatch*> free_, ready_;
  bool stopped_ = false;
  bool ended_ = false;
  bool finished_ = false;
  Status stream_status_, status_;
  std::thread thread_;  // last: started once everything above exists
};

Status stopped_by_caller(const GenerateReport& report) {
  return make_error(ErrorCode::Unavailable,
                    "stopped by the caller after " + std::to_string(report.contacts) + " contact(s)");
}

// Hands every batch of the stream to `write` on this thread, in order, and counts what it wrote; stops at the
// first error, or when the caller's progress callback says so.
Status consume(Producer& producer, const GeneratorOptions& options, GenerateReport& report,
               const std::function<Status(const RowBatch&)>& write) {
  while (RowBatch* batch = producer.next()) {
    Status written = write(*batch);
    if (written.ok()) {
      report.contacts += static_cast<std::int64_t>(batch->contacts.size());
      report.interactions += static_cast<std::int64_t>(batch->interactions.size());
    }
    producer.recycle(batch);
    CORTEX_RETURN_IF_ERROR(written);
    if (options.progress && !options.progress(report.contacts)) return stopped_by_caller(report);
  }
  return producer.stream_status();
}

Status validate(const GeneratorOptions& options) {
  if (options.contacts < 0 || options.interactions_per_contact < 0) {
    return make_error(ErrorCode::InvalidArgument, "contacts and interactions per contact must not be negative");
  }
  // A bound far above any useful collection, which keeps the plan's per-contact vector and the total in range.
  constexpr std::int64_t kLimit = std::numeric_limits<std::int32_t>::max();
  if (options.contacts > kLimit ||
      (options.interactions_per_contact > 0 && options.contacts > kLimit / options.interactions_per_contact)) {
    return make_error(ErrorCode::InvalidArgument, "more than 2^31 contacts or interactions requested");
  }
  if (options.now == Timestamp{}) {
    return make_error(ErrorCode::InvalidArgument, "the generator's reference time (now) is not set");
  }
  return Status::OK();
}

// Appending: everything through the caller's connection, batch by batch.
Status append_rows(sqlite3* db, const GeneratorOptions& options, GenerateReport& report) {
  const std::string added = format_timestamp(options.now);
  generated::ContactWriter contacts;
  generated::InteractionWriter interactions;
  generated::InteractionFacetWriter facets;
  contacts.define(db, added);
  interactions.define(db, added);
  facets.define(db);
  Transactions transactions(db, kAppendRowsPerTransaction, "BEGIN IMMEDIATE", {});
  Producer producer(options, {});
  CORTEX_RETURN_IF_ERROR(consume(producer, options, report, [&](const RowBatch& batch) -> Status {
    CORTEX_RETURN_IF_ERROR(transactions.boundary());
    auto contact_rows = contacts.write(batch);
    if (!contact_rows.ok()) return contact_rows.error();
    auto first = interactions.write(batch);
    if (!first.ok()) return first.error();
    auto facet_rows = facets.write(batch, *first);
    if (!facet_rows.ok()) return facet_rows.error();
    transactions.count(*contact_rows + static_cast<std::int64_t>(batch.interactions.size()) + *facet_rows);
    return Status::OK();
  }));
  CORTEX_RETURN_IF_ERROR(producer.finish());
  return transactions.commit();
}

// ---- A new collection file. ----

Error os_error(const std::string& what) { return make_error(ErrorCode::IOError, what + ": " + std::strerror(errno)); }

void remove_quietly(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove(path, ec);
}

// SQLite's companions of a database file, and the file itself when `with_main`.
void remove_database(const std::string& path, bool with_main) {
  if (with_main) remove_quietly(path);
  for (const char* suffix : {"-wal", "-shm", "-journal"}) remove_quietly(path + suffix);
}

// The build files beside the collection, "<path>.generating" and the side file "<path>.generating-side": guarded by
// an exclusive lock on the first for the whole build (the leftovers of a killed run are taken over), and removed
// unless the first was renamed into place.
class BuildFiles {
 public:
  explicit BuildFiles(const std::string& target) : path_(target + ".generating"), side_path_(target + ".generating-side") {}
  BuildFiles(const BuildFiles&) = delete;
  BuildFiles& operator=(const BuildFiles&) = delete;
  ~BuildFiles() {
    if (fd_ < 0) return;
    remove_database(side_path_, true);
    if (!kept_) remove_database(path_, true);
    ::close(fd_);  // releases the lock, last
  }

  const std::string& path() const { return path_; }
  const std::string& side_path() const { return side_path_; }
  int fd() const { return fd_; }

  Status acquire() {
    // The lock guards the name: once it is taken, check that the name still leads to the locked file, since a
    // finishing run renames its file away (to the collection's path) while it holds the lock.
    for (int attempt = 0; attempt < 5; ++attempt) {
      int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0) return os_error("cannot create " + path_);
      if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int error = errno;
        ::close(fd);
        if (error == EWOULDBLOCK) return make_error(ErrorCode::Unavailable, "another generate is building " + path_);
        errno = error;
        return os_error("cannot lock " + path_);
      }
      struct stat held {}, named {};
      if (::fstat(fd, &held) == 0 && ::stat(path_.c_str(), &named) == 0 && held.st_dev == named.st_dev &&
          held.st_ino == named.st_ino) {
        fd_ = fd;
        // Whatever is there was left by a run that was killed: start over.
        if (::ftruncate(fd_, 0) != 0) return os_error("cannot truncate " + path_);
        remove_database(path_, false);
        remove_database(side_path_, true);
        return Status::OK();
      }
      ::close(fd);
    }
    return make_error(ErrorCode::Unavailable, "cannot take the build file " + path_ + " (it keeps being replaced)");
  }

  Status sync() const {
    if (::fsync(fd_) != 0) return os_error("cannot sync " + path_);
    return Status::OK();
  }

  // Renames the build file to `target`, which must not exist (a collection that appeared meanwhile is never
  // replaced), and makes the rename durable.
  Status publish(const std::string& target) {
    int rc = -1;
#ifdef __linux__
    rc = ::renameat2(AT_FDCWD, path_.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE);
    if (rc != 0 && errno == EEXIST)
      return make_error(ErrorCode::Conflict, target + " appeared while it was being generated; it was left as is");
    if (rc != 0 && errno != EINVAL && errno != ENOSYS) return os_error("cannot rename " + path_ + " to " + target);
#endif
    if (rc != 0) {  // no RENAME_NOREPLACE here (platform or file system): check, then rename
      std::error_code ec;
      if (std::filesystem::exists(target, ec))
        return make_error(ErrorCode::Conflict, target + " appeared while it was being generated; it was left as is");
      if (::rename(path_.c_str(), target.c_str()) != 0) return os_error("cannot rename " + path_ + " to " + target);
    }
    kept_ = true;
    auto parent = std::filesystem::path(target).parent_path();
    std::string dir = parent.empty() ? "." : parent.string();
    int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) return os_error("cannot open the folder " + dir);
    int synced = ::fsync(dir_fd);
    ::close(dir_fd);
    if (synced != 0) return os_error("cannot sync the folder " + dir);
    return Status::OK();
  }

 private:
  std::string path_, side_path_;
  int fd_ = -1;
  bool kept_ = false;
};

// Has the OS start writing out the build file's dirty pages after each commit, on a thread of its own so that the
// writeback's bookkeeping stays off the inserting thread. Waits for nothing: the sync at the end does.
class Flusher {
 public:
  explicit Flusher(int fd) : fd_(fd), thread_([this] { run(); }) {}
  Flusher(const Flusher&) = delete;
  Flusher& operator=(const Flusher&) = delete;
  ~Flusher() {
    {
      std::lock_guard lock(mutex_);
      stopped_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }
  void poke() {
    {
      std::lock_guard lock(mutex_);
      pending_ = true;
    }
    wake_.notify_one();
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    while (true) {
      wake_.wait(lock, [this] { return pending_ || stopped_; });
      if (stopped_) return;
      pending_ = false;
      lock.unlock();
#ifdef __linux__
      (void)::sync_file_range(fd_, 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
      lock.lock();
    }
  }

  int fd_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool pending_ = false;
  bool stopped_ = false;
  std::thread thread_;  // last: started once everything above exists
};

// A connection of our own to a build file, with the bulk-load settings: the page size first, while the file is
// empty; no journal (a failed build is thrown away whole); no syncs (the one that matters comes after); one lock for
// the whole build; and no zeroing of the space rows leave when pages are rebalanced (nothing is deleted here).
class BuildConnection {
 public:
  BuildConnection() = default;
  BuildConnection(const BuildConnection&) = delete;
  BuildConnection& operator=(const BuildConnection&) = delete;
  ~BuildConnection() { sqlite3_close_v2(db_); }

  Status open(const std::string& path) {
    int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    if (rc != SQLITE_OK) return make_error(ErrorCode::IOError, "cannot open " + path + ": " + sqlite3_errstr(rc));
    CORTEX_RETURN_IF_ERROR(exec(db_, "PRAGMA page_size = " + std::to_string(kNewFilePageSize) +
                                         "; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; "
                                         "PRAGMA locking_mode = EXCLUSIVE; PRAGMA secure_delete = OFF; "
                                         "PRAGMA cache_size = -" +
                                         std::to_string(kNewFileCacheKibibytes)));
    return exec(db_, std::string(collection_tables_sql()));
  }
  // The indexes still missing, once the tables are loaded, sorting on up to `sort_threads` worker threads besides
  // this one. (A memory map of the tables was no faster and counted the whole file, 1.5 GB for 1M interactions,
  // as resident memory.)
  Status create_indexes(int sort_threads) {
    CORTEX_RETURN_IF_ERROR(exec(db_, "PRAGMA threads = " + std::to_string(sort_threads) + "; PRAGMA cache_size = -" +
                                         std::to_string(kIndexCacheKibibytes)));
    return create_collection_indexes(db_);
  }
  // Closes now, so that SQLite's own writes are done before the file is synced.
  Status close() {
    int rc = sqlite3_close(db_);
    if (rc != SQLITE_OK) return sqlite_error(db_, rc, "closing");
    db_ = nullptr;
    return Status::OK();
  }
  sqlite3* get() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

using SteadyClock = std::chrono::steady_clock;
double seconds_since(SteadyClock::time_point& mark) {
  auto now = SteadyClock::now();
  double seconds = std::chrono::duration<double>(now - mark).count();
  mark = now;
  return seconds;
}

// Fills the build file: the interactions here, the rest on the producer thread into the side file; then the
// indexes on both sides at once, and the side's tables copied over.
Status build_rows(BuildFiles& files, const GeneratorOptions& options, GenerateReport& report) {
  const std::string added = format_timestamp(options.now);
  auto mark = SteadyClock::now();
  double load = 0, indexes = 0, copy = 0;
  BuildConnection db;
  CORTEX_RETURN_IF_ERROR(db.open(files.path()));
  // The indexes led by Seq receive their keys in order during the load, at the table's end: kept as it goes, they
  // cost less than a sort and a scan of the whole table afterwards.
  CORTEX_RETURN_IF_ERROR(create_collection_indexes(db.get(), IndexSelection::LedBySeq));
  Flusher flusher(files.fd());
  {
    BuildConnection side;
    CORTEX_RETURN_IF_ERROR(side.open(files.side_path()));
    generated::ContactWriter contacts;
    generated::InteractionFacetWriter facets;
    contacts.define(side.get(), added);
    facets.define(side.get());
    generated::InteractionWriter interactions;
    interactions.define(db.get(), added);
    // The file is new, so the interactions take Seq 1, 2, ... in order: the side keys their facets without waiting
    // for the inserts (which check it).
    std::int64_t side_interactions = 0;

    Transactions transactions(db.get(), kNewFileRowsPerTransaction, "BEGIN", [&flusher] { flusher.poke(); });
    Transactions side_transactions(side.get(), kNewFileRowsPerTransaction, "BEGIN", {});
    Producer::SideTask side_task{
        [&](const RowBatch& batch) -> Status {
          CORTEX_RETURN_IF_ERROR(side_transactions.boundary());
          auto contact_rows = contacts.write(batch);
          if (!contact_rows.ok()) return contact_rows.error();
          auto facet_rows = facets.write(batch, side_interactions + 1);
          if (!facet_rows.ok()) return facet_rows.error();
          side_interactions += static_cast<std::int64_t>(batch.interactions.size());
          side_transactions.count(*contact_rows + *facet_rows);
          return Status::OK();
        },
        [&]() -> Status {
          CORTEX_RETURN_IF_ERROR(side_transactions.commit());
          // The side's sorts stay on its own thread: the other core goes to the interactions' larger ones, which
          // the build waits for.
          return side.create_indexes(0);
        }};
    Producer producer(options, side_task);
    CORTEX_RETURN_IF_ERROR(consume(producer, options, report, [&](const RowBatch& batch) -> Status {
      CORTEX_RETURN_IF_ERROR(transactions.boundary());
      auto first = interactions.write(batch);
      if (!first.ok()) return first.error();
      if (!batch.interactions.empty() && *first != report.interactions + 1) {
        return make_error(ErrorCode::Internal, "interaction Seq " + std::to_string(*first) + " where " +
                                                   std::to_string(report.interactions + 1) +
                                                   " was expected in a new file");
      }
      transactions.count(static_cast<std::int64_t>(batch.interactions.size()));
      return Status::OK();
    }));
    CORTEX_RETURN_IF_ERROR(transactions.commit());
    load = seconds_since(mark);
    // Every index, the side tables' ones on empty tables: the copy below needs them to match the side file's.
    CORTEX_RETURN_IF_ERROR(db.create_indexes(2));
    flusher.poke();
    CORTEX_RETURN_IF_ERROR(producer.finish());
    indexes = seconds_since(mark);
  }  // the side connection closes here (after its statements): the copy needs its lock

  std::string attach = "ATTACH DATABASE '";
  for (char c : files.side_path()) attach += c == '\'' ? std::string("''") : std::string(1, c);
  attach += "' AS side";
  CORTEX_RETURN_IF_ERROR(exec(db.get(), attach));
  CORTEX_RETURN_IF_ERROR(exec(db.get(), "BEGIN"));
  for (const char* table : kSideTables) {
    CORTEX_RETURN_IF_ERROR(exec(db.get(), std::string("INSERT INTO main.") + table + " SELECT * FROM side." + table));
  }
  CORTEX_RETURN_IF_ERROR(exec(db.get(), "COMMIT"));
  CORTEX_RETURN_IF_ERROR(exec(db.get(), "DETACH DATABASE side"));
  flusher.poke();
  copy = seconds_since(mark);
  // WAL from here on, as every collection; closing checkpoints the (empty) WAL and removes it.
  CORTEX_RETURN_IF_ERROR(exec(db.get(), "PRAGMA journal_mode = WAL"));
  CORTEX_RETURN_IF_ERROR(db.close());
  spdlog::debug("generate: {} built in {:.2f} s loading, {:.2f} s indexing, {:.2f} s copying the side file's tables",
                files.path(), load, indexes, copy);
  return Status::OK();
}

Result<GenerateReport> build_new_file(const std::string& path, const GeneratorOptions& options) {
  // Nothing is at `path`, so the SQLite companions that carry its name belong to a deleted database, and a stale
  // WAL would be taken for part of the new file when it is opened.
  remove_database(path, false);
  BuildFiles files(path);
  CORTEX_RETURN_IF_ERROR(files.acquire());
  GenerateReport report;
  CORTEX_RETURN_IF_ERROR(build_rows(files, options, report));
  CORTEX_RETURN_IF_ERROR(files.sync());
  CORTEX_RETURN_IF_ERROR(files.publish(path));
  report.new_file = true;
  return report;
}

bool is_plain_file_name(const std::string& path) {
  return !path.empty() && path != ":memory:" && path.rfind("file:", 0) != 0;
}

}  // namespace

Result<GenerateReport> generate_collection(Database& collection, const GeneratorOptions& options) {
  CORTEX_RETURN_IF_ERROR(validate(options));
  sqlite3* db = collection.handle();
  // For the bulk write, and set back afterwards since the connection is the caller's: a larger page cache, no
  // foreign-key lookups (every row refers to one just inserted), no zeroing of the space rows leave when pages are
  // rebalanced (nothing is deleted).
  auto cache_size = query_int(db, "PRAGMA cache_size");
  auto foreign_keys = query_int(db, "PRAGMA foreign_keys");
  auto secure_delete = query_int(db, "PRAGMA secure_delete");
  CORTEX_RETURN_IF_ERROR(exec(db, "PRAGMA cache_size = -" + std::to_string(kAppendCacheKibibytes) +
                                      "; PRAGMA foreign_keys = OFF; PRAGMA secure_delete = OFF"));
  GenerateReport report;
  Status written = append_rows(db, options, report);
  (void)exec(db, "PRAGMA cache_size = " + std::to_string(cache_size.ok() ? *cache_size : -2000) +
                     "; PRAGMA foreign_keys = " + std::to_string(foreign_keys.ok() ? *foreign_keys : 1) +
                     "; PRAGMA secure_delete = " + std::to_string(secure_delete.ok() ? *secure_delete : 1));
  if (!written.ok()) return written.error().with_context("generating into " + collection.path());
  return report;
}

Result<GenerateReport> generate_collection_file(const std::string& path, const GeneratorOptions& options) {
  CORTEX_RETURN_IF_ERROR(validate(options));
  std::error_code ec;
  if (!is_plain_file_name(path) || std::filesystem::exists(path, ec)) {
    auto db = create_collection(path);
    if (!db.ok()) return db.error();
    return generate_collection(**db, options);
  }
  auto report = build_new_file(path, options);
  if (!report.ok()) return report.error().with_context("generating " + path);
  return report;
}

}  // namespace cortex
