// The estimate endpoints' count.
#include "workers/export_estimate.h"

#include "collection/collection_db.h"
#include "workers/cursor_splitter.h"
#include "workers/extraction_filter.h"

namespace cortex {

Result<std::int64_t> estimate_export(const std::string& collection_path, const ExportOptions& options, Timestamp now) {
  auto db = open_collection_for_reading(collection_path);
  if (!db.ok()) return db.error();
  return count_matching(**db, ExtractionFilter::for_task(options, now));
}

}  // namespace cortex
