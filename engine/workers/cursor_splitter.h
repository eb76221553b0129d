// CursorSplitter: cuts the ordered keys of the matching items into cursors of at most N items.
#pragma once

#include <cstdint>
#include <vector>

#include "common/sqlite_db.h"
#include "queue/task_store.h"
#include "workers/extraction_filter.h"

namespace cortex {

// Fed the matching keys in increasing order, one at a time (flat memory however large the task).
class CursorSplitter {
 public:
  explicit CursorSplitter(std::int64_t items_per_cursor) : items_per_cursor_(items_per_cursor) {}
  void add(std::int64_t key);
  // The cursors so far; ceil(total / items_per_cursor) of them.
  std::vector<CursorRange> finish();
  std::int64_t total() const { return total_; }

 private:
  std::int64_t items_per_cursor_;
  std::int64_t total_ = 0;
  std::vector<CursorRange> cursors_;
};

struct SplitResult {
  std::vector<CursorRange> cursors;
  std::int64_t total = 0;
};

// Scans the collection in key order for the filter's matching items and splits them.
Result<SplitResult> split_collection(Database& collection, const ExtractionFilter& filter, std::int64_t items_per_cursor);
// How many items match (the estimate endpoints): the same set the export writes.
Result<std::int64_t> count_matching(Database& collection, const ExtractionFilter& filter);

}  // namespace cortex
