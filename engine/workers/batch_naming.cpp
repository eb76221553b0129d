// Deterministic output names.
#include "workers/batch_naming.h"

namespace cortex {

Guid batch_id(const Guid& task_id, std::int64_t cursor_index, std::int64_t batch_number) {
  return Guid::derive(task_id, "cursor/" + std::to_string(cursor_index) + "/batch/" + std::to_string(batch_number));
}

std::string batch_file_name(const Guid& task_id, std::int64_t cursor_index, std::int64_t batch_number) {
  return task_id.str() + "_" + batch_id(task_id, cursor_index, batch_number).str() + ".json";
}

std::string manifest_file_name(const Guid& task_id) { return task_id.str() + "_manifest.json"; }

}  // namespace cortex
