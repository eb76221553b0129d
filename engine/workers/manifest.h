// The task manifest, written after the last batch: a consumer that sees it knows the export is complete.
#pragma once

#include <string>
#include <vector>

#include "queue/task.h"
#include "queue/task_store.h"

namespace cortex {

// JSON: TaskId, Kind, Registered, Completed, Parameters, Files [{Name, BatchId?, Items, Bytes, Sha256}],
// FileCount, TotalItems, TotalBytes.
std::string render_manifest(const TaskRecord& task, const std::vector<StoredBatch>& batches, Timestamp completed);

}  // namespace cortex
