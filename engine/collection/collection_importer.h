// CollectionImporter: loads xConnect JSON (OData envelopes, arrays, single objects) and NDJSON into the collection.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/sqlite_db.h"
#include "common/time.h"

namespace cortex {

// One bad record (or a whole unreadable file): where it was and what was wrong, naming the field.
struct ImportProblem {
  std::string source;    // the file name or the name given to import_text
  std::string position;  // "record 3" (1-based, in a JSON array), "line 7" (NDJSON, or a whole-file parse error)
  std::string message;
};

// Counts accumulate over calls, so one report can cover several files.
struct ImportReport {
  std::int64_t contacts = 0;      // contact records loaded (inserted or updated)
  std::int64_t interactions = 0;  // interaction records loaded (inserted or updated)
  std::int64_t skipped = 0;       // bad records left out
  std::vector<ImportProblem> problems;
};

// The stored form of Events and facets: compact JSON, members holding their type's default (null, 0, false, "",
// [], {}) removed at every depth, "@odata.type" always kept. Keys come out sorted, so equal content is equal text.
// nullopt when the value nests deeper than 64 levels.
std::optional<std::string> stored_json(const nlohmann::json& value);

class CollectionImporter {
 public:
  CollectionImporter(Database& collection, const Clock& clock);
  ~CollectionImporter();
  CollectionImporter(const CollectionImporter&) = delete;
  CollectionImporter& operator=(const CollectionImporter&) = delete;

  // The whole file is read into memory; a JSON array is parsed as one document, NDJSON line by line, so NDJSON is
  // the form for very large imports. An error only when the file cannot be read or the database fails.
  Status import_file(const std::string& path, ImportReport& report);
  Status import_text(std::string_view text, const std::string& source_name, ImportReport& report);

 private:
  class Impl;  // the record checks and the prepared statements, reused across calls
  std::unique_ptr<Impl> impl_;
};

}  // namespace cortex
