// Estimates: how many items an export with these filters would write, answered without a task.
#pragma once

#include <cstdint>
#include <string>

#include "queue/task.h"

namespace cortex {

// Counts with the export's own filter, as if the task were registered at `now`, so the answer equals
// the Total of an export registered at the same instant.
Result<std::int64_t> estimate_export(const std::string& collection_path, const ExportOptions& options, Timestamp now);

}  // namespace cortex
