// BatchExtractor: reads the next batch of a cursor from the collection and renders it as JSON.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/json_writer.h"
#include "common/sqlite_db.h"
#include "queue/task_store.h"
#include "workers/extraction_filter.h"

namespace cortex {

struct ExtractedBatch {
  std::string json;               // the batch file's content: a JSON array of entities
  std::int64_t item_count = 0;    // entities in `json`
  std::int64_t rows_read = 0;     // matching records read: item_count + skipped.size()
  std::int64_t last_key = 0;      // the key of the last record read
  std::vector<SkippedRecord> skipped;  // corrupt records left out, with the reason
};

class BatchExtractor {
 public:
  virtual ~BatchExtractor() = default;
  // The matching items with keys in (after_key, last_key], in key order, at most `limit` of them.
  virtual Result<ExtractedBatch> read(std::int64_t after_key, std::int64_t last_key, std::int64_t limit) = 0;
};

// `ignore_default_values`: members holding their type's default (null, 0, false, empty) are left out.
// Writes a text member: left out when null or empty, unless `all` asks for defaults too (then null). `name` is one
// of the export's constant member names (written as is, see JsonWriter::plain_key).
void write_text_member(JsonWriter& w, std::string_view name, std::string_view value, bool all);

// A stored timestamp in the one form the collection uses: "YYYY-MM-DDTHH:MM:SS.fffffffZ".
bool is_stored_timestamp(std::string_view text);
// A nullable timestamp column whose value `text` (already fetched) is neither SQL NULL nor a stored timestamp.
bool is_bad_optional_timestamp(const Statement& row, int column, std::string_view text);

Result<std::unique_ptr<BatchExtractor>> make_batch_extractor(Database& collection, const ExtractionFilter& filter,
                                                             bool ignore_default_values);

}  // namespace cortex
