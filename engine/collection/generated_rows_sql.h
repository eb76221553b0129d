// Writing the generator's batches into the collection tables: multi-row INSERT statements bound straight to the
// batch's text, table by table.
#pragma once

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "collection/generated_rows.h"
#include "common/result.h"

namespace cortex::generated {

// SQLite's error, with the statement or step it came from.
Error sqlite_error(sqlite3* db, int rc, const std::string& what);
Status exec(sqlite3* db, const std::string& sql);

// Rows per INSERT statement: one statement for many rows spares SQLite its per-statement work (opening and closing
// the table's cursor, finding the table's end, starting and ending the statement), which costs about as much as the
// row itself.
constexpr int kRowsPerStatement = 16;

// INSERT statements of one table for 1 to kRowsPerStatement rows, each prepared on first use. Text parameters point
// at the caller's memory (SQLITE_STATIC): the batch and the writers' buffers outlive the step.
class MultiInsert {
 public:
  MultiInsert() = default;
  MultiInsert(const MultiInsert&) = delete;
  MultiInsert& operator=(const MultiInsert&) = delete;
  ~MultiInsert();

  // head: "INSERT INTO T (A, B, C) VALUES "; row: "(?, ?, 'constant')" with `params` parameters. `rowid`: whether
  // the table has rowids (inserts into a WITHOUT ROWID table leave sqlite3_last_insert_rowid alone).
  void define(sqlite3* db, std::string head, std::string row, int params, bool rowid = true);
  bool rowid() const { return rowid_; }

  // Starts the statement for `rows` rows; bind row r (0-based) parameter p (1-based) below, then run().
  Status start(int rows);
  // Never empty where it is called: a null pointer would bind NULL.
  void text(int row, int param, std::string_view value) {
    sqlite3_bind_text(current_, row * params_ + param, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
  }
  void optional_text(int row, int param, std::string_view value) {
    if (value.empty()) {
      sqlite3_bind_null(current_, row * params_ + param);
    } else {
      text(row, param, value);
    }
  }
  void integer(int row, int param, std::int64_t value) { sqlite3_bind_int64(current_, row * params_ + param, value); }
  void real(int row, int param, double value) { sqlite3_bind_double(current_, row * params_ + param, value); }
  // Runs the started statement; returns the rowid of its last row.
  Result<std::int64_t> run();

 private:
  sqlite3* db_ = nullptr;
  std::string head_, row_;
  int params_ = 0;
  bool rowid_ = true;
  std::array<sqlite3_stmt*, kRowsPerStatement> statements_{};
  sqlite3_stmt* current_ = nullptr;
};

// Feeds `count` items to an insert in statements of up to kRowsPerStatement rows; bind(row, item) binds one item.
// Returns the Seq (rowid) of the first item's row: 0 when there were none or the table has no rowids. The rows of
// one statement get consecutive rowids, and so do the statements of one transaction, since no one else writes
// meanwhile: checked, as the callers key other rows by them.
template <typename Bind>
Result<std::int64_t> insert_all(MultiInsert& insert, std::size_t count, Bind&& bind) {
  std::int64_t first = 0, expected = 0;
  for (std::size_t done = 0; done < count;) {
    const int rows = static_cast<int>(std::min<std::size_t>(kRowsPerStatement, count - done));
    CORTEX_RETURN_IF_ERROR(insert.start(rows));
    for (int r = 0; r < rows; ++r) bind(r, done + static_cast<std::size_t>(r));
    auto last = insert.run();
    if (!last.ok()) return last.error();
    done += static_cast<std::size_t>(rows);
    if (!insert.rowid()) continue;
    const std::int64_t start = *last - rows + 1;
    if (expected == 0) first = start;
    if (expected != 0 && start != expected)
      return make_error(ErrorCode::Internal, "the inserted rows did not get consecutive Seqs");
    expected = *last + 1;
  }
  return first;
}

// Transactions of about `rows_per_transaction` rows on one connection, closed only between batches, so that a
// contact and its interactions are committed together.
class Transactions {
 public:
  Transactions(sqlite3* db, std::int64_t rows_per_transaction, const char* begin, std::function<void()> after_commit);
  Transactions(const Transactions&) = delete;
  Transactions& operator=(const Transactions&) = delete;
  ~Transactions() { abandon(); }

  void count(std::int64_t rows) { rows_ += rows; }
  // Before a batch: commits when the open transaction is full, and opens one when none is.
  Status boundary();
  Status commit();
  // Rolls back the open transaction, if any (a failed run).
  void abandon();

 private:
  sqlite3* db_;
  std::int64_t rows_per_transaction_;
  const char* begin_;
  std::function<void()> after_commit_;
  bool open_ = false;
  std::int64_t rows_ = 0;
};

// A batch's rows of the contact tables: the contacts, then their identifiers, then their facets.
class ContactWriter {
 public:
  // `added`: every row's Added, written into the statements as a constant.
  void define(sqlite3* db, const std::string& added);
  // Returns how many rows it wrote.
  Result<std::int64_t> write(const RowBatch& batch);

 private:
  // Text in texts_ (which grows while the batch's texts are built, so by position).
  struct Piece {
    std::size_t offset = 0, size = 0;
  };
  struct Identifier {
    std::int64_t seq;
    std::string_view source;
    std::string_view value;  // the batch's text, or else `built`
    Piece built;
    int type;
  };
  struct Facet {
    std::int64_t seq;
    std::string_view key;
    std::string_view data;  // the batch's text, or else `built`
    Piece built;
  };
  std::string_view view(const Piece& p) const { return std::string_view(texts_).substr(p.offset, p.size); }

  MultiInsert contacts_, identifiers_, facets_;
  std::vector<Identifier> identifier_rows_;
  std::vector<Facet> facet_rows_;
  std::string texts_;  // the Seq-dependent texts of the batch: emails and Emails facets
};

// A batch's interactions.
class InteractionWriter {
 public:
  void define(sqlite3* db, const std::string& added);
  // Returns the first one's Seq (0 when the batch has none).
  Result<std::int64_t> write(const RowBatch& batch);

 private:
  MultiInsert interactions_;
};

// A batch's interaction facets, keyed by the interactions' Seqs: the batch's first interaction has Seq `first`.
class InteractionFacetWriter {
 public:
  void define(sqlite3* db);
  // Returns how many rows it wrote.
  Result<std::int64_t> write(const RowBatch& batch, std::int64_t first);

 private:
  MultiInsert facets_;
  std::vector<std::size_t> with_facet_;
};

}  // namespace cortex::generated
