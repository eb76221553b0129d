// Opening the collection database.
#include "collection/collection_db.h"

#include <filesystem>

#include "schema/embedded_schema.h"

namespace cortex {

Result<std::unique_ptr<Database>> create_collection(const std::string& path) {
  auto db = Database::open(path, Database::Mode::ReadWriteCreate);
  if (!db.ok()) return db.error();
  auto status = (*db)->exec(schema::collection_sql());
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
