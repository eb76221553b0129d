// Output names: `{TaskId}_{BatchId}.json` per batch and `{TaskId}_manifest.json` per task.
#pragma once

#include <cstdint>
#include <string>

#include "common/guid.h"

namespace cortex {

// Derived from task, cursor and batch number, so a retried batch rewrites the same name.
Guid batch_id(const Guid& task_id, std::int64_t cursor_index, std::int64_t batch_number);
std::string batch_file_name(const Guid& task_id, std::int64_t cursor_index, std::int64_t batch_number);
std::string manifest_file_name(const Guid& task_id);

}  // namespace cortex
