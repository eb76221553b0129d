// BatchExtractor: reads the next batch of a cursor from the collection and renders it as JSON.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/sqlite_db.h"
#include "workers/extraction_filter.h"

namespace cortex {

struct ExtractedBatch {
  std::string json;               // the batch file's content: a JSON array of entities
  std::int64_t item_count = 0;
  std::int64_t last_key = 0;      // the key of the last item in the batch
};

class BatchExtractor {
 public:
  virtual ~BatchExtractor() = default;
  // The matching items with keys in (after_key, last_key], in key order, at most `limit` of them.
  virtual Result<ExtractedBatch> read(std::int64_t after_key, std::int64_t last_key, std::int64_t limit) = 0;
};

// `ignore_default_values`: members holding their type's default (null, 0, false, empty) are left out.
Result<std::unique_ptr<BatchExtractor>> make_batch_extractor(Database& collection, const ExtractionFilter& filter,
                                                             bool ignore_default_values);

}  // namespace cortex
