// Rendering the manifest.
#include "workers/manifest.h"

#include <nlohmann/json.hpp>

namespace cortex {

std::string render_manifest(const TaskRecord& task, const std::vector<StoredBatch>& batches,
                            const std::vector<SkippedRecord>& skipped, Timestamp completed) {
  nlohmann::ordered_json files = nlohmann::ordered_json::array();
  std::int64_t items = 0;
  std::int64_t bytes = 0;
  for (const auto& b : batches) {
    files.push_back({{"Name", b.file_name},
                     {"Cursor", b.cursor_index},
                     {"Batch", b.batch_number},
                     {"Items", b.item_count},
                     {"Bytes", b.bytes},
                     {"Sha256", b.sha256}});
    items += b.item_count;
    bytes += b.bytes;
  }
  nlohmann::ordered_json skipped_list = nlohmann::ordered_json::array();
  for (const auto& s : skipped) skipped_list.push_back({{"Id", s.id}, {"Reason", s.reason}});
  nlohmann::ordered_json parameters = nlohmann::ordered_json::parse(task.options.to_json().dump());
  nlohmann::ordered_json manifest{
      {"TaskId", task.id.str()},
      {"Kind", to_string(task.options.kind)},
      {"Registered", format_timestamp(task.added)},
      {"Completed", format_timestamp(completed)},
      {"Parameters", parameters},
      {"FileCount", static_cast<std::int64_t>(batches.size())},
      {"TotalItems", items},
      {"TotalBytes", bytes},
      {"Files", files},
      {"SkippedCount", static_cast<std::int64_t>(skipped.size())},
      {"Skipped", skipped_list},
  };
  return manifest.dump(2) + "\n";
}

}  // namespace cortex
