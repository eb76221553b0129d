// Opening the collection database.
#include "collection/collection_db.h"

#include <algorithm>
#include <filesystem>
#include <vector>

#include "schema/embedded_schema.h"

namespace cortex {
namespace {

constexpr std::string_view kIndexMarker = "-- @indexes";

std::string_view trim(std::string_view text) {
  auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  auto end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

Error sqlite_error(sqlite3* db, const std::string& what) {
  return make_error(ErrorCode::IOError, what + ": " + sqlite3_errmsg(db));
}

// "CREATE [UNIQUE] INDEX IF NOT EXISTS Name ON Table (A, B)": whether it is unique, the table and the column list;
// false when the statement is not an index in that form.
bool parse_index(std::string_view statement, bool& unique, std::string& table, std::vector<std::string>& columns) {
  constexpr std::string_view kIndex = "CREATE INDEX", kUniqueIndex = "CREATE UNIQUE INDEX";
  unique = statement.substr(0, kUniqueIndex.size()) == kUniqueIndex;
  if (!unique && statement.substr(0, kIndex.size()) != kIndex) return false;
  auto on = statement.find(" ON ");
  auto open = statement.find('(', on == std::string_view::npos ? 0 : on);
  auto close = statement.find(')', open == std::string_view::npos ? 0 : open);
  if (on == std::string_view::npos || open == std::string_view::npos || close == std::string_view::npos) return false;
  table = std::string(trim(statement.substr(on + 4, open - on - 4)));
  columns.clear();
  std::string_view list = statement.substr(open + 1, close - open - 1);
  while (!list.empty()) {
    auto comma = list.find(',');
    columns.emplace_back(trim(list.substr(0, comma)));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  return true;
}

// Whether `table` has a unique index on the same set of columns.
Result<bool> has_unique_index(sqlite3* db, const std::string& table, const std::vector<std::string>& columns) {
  sqlite3_stmt* statement = nullptr;
  const char* sql =
      "SELECT l.name, i.name FROM pragma_index_list(?1) AS l, pragma_index_info(l.name) AS i "
      "WHERE l.\"unique\" = 1 ORDER BY l.name, i.seqno";
  if (sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) != SQLITE_OK)
    return sqlite_error(db, "reading the indexes of " + table);
  sqlite3_bind_text(statement, 1, table.data(), static_cast<int>(table.size()), SQLITE_STATIC);
  std::string current;
  std::vector<std::string> found;
  bool match = false;
  // Uniqueness over a set of columns does not depend on their order.
  std::vector<std::string> wanted = columns;
  std::sort(wanted.begin(), wanted.end());
  auto finish_index = [&] {
    std::sort(found.begin(), found.end());
    if (!current.empty() && found == wanted) match = true;
    found.clear();
  };
  int rc;
  while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
    std::string index = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    if (index != current) {
      finish_index();
      current = index;
    }
    found.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(statement, 1)));
  }
  finish_index();
  sqlite3_finalize(statement);
  if (rc != SQLITE_DONE) return sqlite_error(db, "reading the indexes of " + table);
  return match;
}

}  // namespace

std::string_view collection_tables_sql() {
  std::string_view sql = schema::collection_sql();
  return sql.substr(0, sql.find(kIndexMarker));
}

std::string_view collection_indexes_sql() {
  std::string_view sql = schema::collection_sql();
  auto marker = sql.find(kIndexMarker);
  return marker == std::string_view::npos ? std::string_view() : sql.substr(marker);
}

Status create_collection_indexes(sqlite3* db, IndexSelection which) {
  const std::string sql(collection_indexes_sql());
  const char* next = sql.c_str();
  bool unique = false;
  std::string table;
  std::vector<std::string> columns;
  while (*next) {
    sqlite3_stmt* statement = nullptr;
    const char* start = next;
    if (sqlite3_prepare_v2(db, start, -1, &statement, &next) != SQLITE_OK)
      return sqlite_error(db, "preparing the collection indexes");
    if (!statement) break;  // only comments and white space were left
    // The statement's text, without the comment lines in front of it.
    std::string_view text = trim(std::string_view(start, static_cast<std::size_t>(next - start)));
    while (text.substr(0, 2) == "--") {
      auto newline = text.find('\n');
      text = newline == std::string_view::npos ? std::string_view() : trim(text.substr(newline + 1));
    }
    bool skip = false;
    if (parse_index(text, unique, table, columns)) {
      if (which != IndexSelection::All) skip = (!columns.empty() && columns.front() == "Seq") != (which == IndexSelection::LedBySeq);
      if (!skip && unique) {
        auto exists = has_unique_index(db, table, columns);
        if (!exists.ok()) {
          sqlite3_finalize(statement);
          return exists.error();
        }
        skip = *exists;
      }
    }
    int rc = skip ? SQLITE_DONE : sqlite3_step(statement);
    sqlite3_finalize(statement);
    if (rc != SQLITE_DONE) return sqlite_error(db, "creating the collection index (" + std::string(text) + ")");
  }
  return Status::OK();
}

Result<std::unique_ptr<Database>> create_collection(const std::string& path) {
  auto db = Database::open(path, Database::Mode::ReadWriteCreate);
  if (!db.ok()) return db.error();
  auto status = (*db)->exec(collection_tables_sql());
  if (status.ok()) status = create_collection_indexes((*db)->handle());
  if (!status.ok()) return status.error().with_context("creating the collection schema in " + path);
  return db;
}

Result<std::unique_ptr<Database>> open_collection_for_reading(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return make_error(ErrorCode::NotFound, "the collection database " + path + " does not exist");
  }
  // Read-write so that WAL readers can share it with a running importer; we never write here.
  auto db = Database::open(path, Database::Mode::ReadWrite);
  if (!db.ok()) return db.error();
  auto check = (*db)->prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('Contacts', 'Interactions')");
  if (!check.ok()) return check.error();
  auto row = check->step();
  if (!row.ok()) return row.error().with_context("reading the collection " + path);
  if (check->int64(0) != 2) {
    return make_error(ErrorCode::Corruption, "the file " + path + " is not a cortexd collection (no Contacts/Interactions tables)");
  }
  return db;
}

}  // namespace cortex
