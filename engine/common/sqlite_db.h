// Database and Statement: RAII over SQLite connections and prepared statements, errors as Status.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace cortex {

class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Statement(Statement&&) = default;
  Statement& operator=(Statement&&) = default;

  // Parameters are 1-based, as in SQLite.
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
  Statement& bind_null(int index);
  template <typename T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }

  // true: a row is ready; false: done. Errors name the statement's SQL.
  Result<bool> step();
  // Runs a statement that returns no rows (or ignores them), then resets it.
  Status run();
  void reset();

  bool is_null(int column) const;
  std::int64_t int64(int column) const;
  double real(int column) const;
  std::string text(int column) const;
  // Valid until the next step or reset.
  std::string_view text_view(int column) const;
  std::optional<std::string> optional_text(int column) const;
  std::optional<std::int64_t> optional_int64(int column) const;

  int changes() const;

 private:
  struct Finalizer {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  sqlite3* db_ = nullptr;
  std::unique_ptr<sqlite3_stmt, Finalizer> stmt_;
  Error error(int rc) const;
};

class Database {
 public:
  enum class Mode { ReadWriteCreate, ReadWrite, ReadOnly };

  // Opens with WAL, foreign keys and a busy timeout, so concurrent writers wait instead of failing.
  static Result<std::unique_ptr<Database>> open(const std::string& path, Mode mode = Mode::ReadWriteCreate,
                                                int busy_timeout_ms = 10000);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Status exec(std::string_view sql);
  Result<Statement> prepare(std::string_view sql);
  // The connection's own prepared copy of `sql`, reset and unbound, kept for the next call: for
  // statements run once per batch or request, where preparing would cost more than running.
  // Valid while the Database lives; not for two uses at once.
  Result<Statement*> cached(std::string_view sql);
  std::int64_t last_insert_rowid() const;
  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_; }

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  static int wait_while_busy(void* self, int attempts);
  sqlite3* db_;
  std::chrono::milliseconds busy_timeout_{0};
  std::chrono::steady_clock::time_point busy_since_{};
  std::string path_;
  std::map<std::string, Statement, std::less<>> cache_;
};

// BEGIN IMMEDIATE on construction; rolls back unless commit() succeeded.
class Transaction {
 public:
  static Result<std::unique_ptr<Transaction>> begin(Database& db);
  ~Transaction();
  Status commit();

 private:
  explicit Transaction(Database& db) : db_(db) {}
  Database& db_;
  bool done_ = false;
};

}  // namespace cortex
