// The task manifest, written after the last batch: a consumer that sees it knows the export is complete.
#pragma once

#include <string>
#include <vector>

#include "queue/task.h"
#include "queue/task_store.h"

namespace cortex {

// JSON: TaskId, Kind, Registered, Completed, Parameters, FileCount, TotalItems, TotalBytes,
// Files [{Name, Cursor, Batch, Items, Bytes, Sha256}], SkippedCount, Skipped [{Id, Reason}].
std::string render_manifest(const TaskRecord& task, const std::vector<StoredBatch>& batches,
                            const std::vector<SkippedRecord>& skipped, Timestamp completed);

}  // namespace cortex
