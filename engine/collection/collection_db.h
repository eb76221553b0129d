// The collection database: opening it and applying schema/collection.sql.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/sqlite_db.h"

namespace cortex {

// Opens the collection, creating the file and its tables when missing (import, generate).
Result<std::unique_ptr<Database>> create_collection(const std::string& path);
// Opens an existing collection for extraction; a missing file or a file without the tables is an error.
Result<std::unique_ptr<Database>> open_collection_for_reading(const std::string& path);

// The two halves of schema/collection.sql, split at its "-- @indexes" marker: the tables, then the indexes over
// them. A bulk load (the generator's new-file path) creates the tables, loads them and only then the indexes.
std::string_view collection_tables_sql();
std::string_view collection_indexes_sql();
// Which indexes create_collection_indexes creates: all, or only those whose first column is the table's Seq (a load
// in Seq order appends to them, so they cost little to keep during it), or all but those.
enum class IndexSelection { All, LedBySeq, NotLedBySeq };
// Runs the index half on a connection (each index only if missing). A unique index is also skipped when the table
// already has a unique index on the same columns: collections made before uniqueness moved into named indexes
// declare it inline (sqlite_autoindex_*).
Status create_collection_indexes(sqlite3* db, IndexSelection which = IndexSelection::All);

}  // namespace cortex
