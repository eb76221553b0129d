// The collection database: opening it and applying schema/collection.sql.
#pragma once

#include <memory>
#include <string>

#include "common/sqlite_db.h"

namespace cortex {

// Opens the collection, creating the file and its tables when missing (import, generate).
Result<std::unique_ptr<Database>> create_collection(const std::string& path);
// Opens an existing collection for extraction; a missing file or a file without the tables is an error.
Result<std::unique_ptr<Database>> open_collection_for_reading(const std::string& path);

}  // namespace cortex
