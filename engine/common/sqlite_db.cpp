// SQLite RAII wrappers.
#include "common/sqlite_db.h"

#include <chrono>
#include <thread>

namespace cortex {

Error Statement::error(int rc) const {
  std::string sql = stmt_ ? sqlite3_sql(stmt_.get()) : "";
  if (sql.size() > 120) sql = sql.substr(0, 117) + "...";
  ErrorCode code = (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) ? ErrorCode::Unavailable : ErrorCode::IOError;
  if (rc == SQLITE_CONSTRAINT) code = ErrorCode::Conflict;
  if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB) code = ErrorCode::Corruption;
  return make_error(code, std::string("SQLite: ") + sqlite3_errmsg(db_) + " (in \"" + sql + "\")");
}

Statement& Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_.get(), index, value);
  return *this;
}
Statement& Statement::bind(int index, double value) {
  sqlite3_bind_double(stmt_.get(), index, value);
  return *this;
}
Statement& Statement::bind(int index, std::string_view value) {
  sqlite3_bind_text(stmt_.get(), index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(stmt_.get(), index);
  return *this;
}

Result<bool> Statement::step() {
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Error e = error(rc);
  sqlite3_reset(stmt_.get());
  return e;
}

Status Statement::run() {
  int rc;
  do {
    rc = sqlite3_step(stmt_.get());
  } while (rc == SQLITE_ROW);
  if (rc != SQLITE_DONE) {
    Error e = error(rc);
    reset();
    return e;
  }
  reset();
  return Status::OK();
}

void Statement::reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

bool Statement::is_null(int column) const { return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL; }
std::int64_t Statement::int64(int column) const { return sqlite3_column_int64(stmt_.get(), column); }
double Statement::real(int column) const { return sqlite3_column_double(stmt_.get(), column); }
std::string_view Statement::text_view(int column) const {
  auto p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_.get(), column));
  if (!p) return {};
  return {p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), column))};
}
std::string Statement::text(int column) const { return std::string(text_view(column)); }
std::optional<std::string> Statement::optional_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return text(column);
}
std::optional<std::int64_t> Statement::optional_int64(int column) const {
  if (is_null(column)) return std::nullopt;
  return int64(column);
}
int Statement::changes() const { return sqlite3_changes(db_); }

Result<std::unique_ptr<Database>> Database::open(const std::string& path, Mode mode, int busy_timeout_ms) {
  int flags = SQLITE_OPEN_NOMUTEX;
  switch (mode) {
    case Mode::ReadWriteCreate: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE; break;
    case Mode::ReadWrite: flags |= SQLITE_OPEN_READWRITE; break;
    case Mode::ReadOnly: flags |= SQLITE_OPEN_READONLY; break;
  }
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close(raw);
    return make_error(rc == SQLITE_CANTOPEN ? ErrorCode::NotFound : ErrorCode::IOError,
                      "cannot open SQLite database " + path + ": " + message);
  }
  std::unique_ptr<Database> db(new Database(raw, path));
  db->busy_timeout_ = std::chrono::milliseconds(busy_timeout_ms);
  sqlite3_busy_handler(raw, &Database::wait_while_busy, db.get());
  sqlite3_extended_result_codes(raw, 0);
  if (mode != Mode::ReadOnly) {
    auto status = db->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
    if (!status.ok()) return status.error().with_context("opening " + path);
  } else {
    auto status = db->exec("PRAGMA foreign_keys=ON;");
    if (!status.ok()) return status.error().with_context("opening " + path);
  }
  return db;
}

// SQLite's own busy timeout sleeps 1, 2, 5, 10 ... 100 ms between tries, so a writer that waits for a
// 3 ms commit of another connection loses 8 ms or more. Short sleeps first keep the queue moving.
int Database::wait_while_busy(void* self, int attempts) {
  auto* db = static_cast<Database*>(self);
  auto now = std::chrono::steady_clock::now();
  if (attempts == 0) db->busy_since_ = now;
  if (now - db->busy_since_ >= db->busy_timeout_) return 0;
  std::this_thread::sleep_for(attempts < 50 ? std::chrono::microseconds(200) : std::chrono::microseconds(2000));
  return 1;
}

Database::~Database() {
  cache_.clear();
  sqlite3_close_v2(db_);
}

Status Database::exec(std::string_view sql) {
  std::string text(sql);
  char* message = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string m = message ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    ErrorCode code = (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) ? ErrorCode::Unavailable : ErrorCode::IOError;
    if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB) code = ErrorCode::Corruption;
    return make_error(code, "SQLite (" + path_ + "): " + m);
  }
  return Status::OK();
}

Result<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    return make_error(ErrorCode::Internal,
                      "SQLite cannot prepare \"" + std::string(sql.substr(0, 120)) + "\": " + sqlite3_errmsg(db_));
  }
  return Statement(db_, stmt);
}

Result<Statement*> Database::cached(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    auto st = prepare(sql);
    if (!st.ok()) return st.error();
    it = cache_.emplace(std::string(sql), std::move(*st)).first;
  } else {
    it->second.reset();
  }
  return &it->second;
}

std::int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

Result<std::unique_ptr<Transaction>> Transaction::begin(Database& db) {
  CORTEX_RETURN_IF_ERROR(db.exec("BEGIN IMMEDIATE"));
  return std::unique_ptr<Transaction>(new Transaction(db));
}

Transaction::~Transaction() {
  if (!done_) (void)db_.exec("ROLLBACK");
}

Status Transaction::commit() {
  auto status = db_.exec("COMMIT");
  if (status.ok()) done_ = true;
  return status;
}

}  // namespace cortex
