// Task model conversions: options to and from JSON, the progress object.
#include "queue/task.h"

#include <nlohmann/json.hpp>

namespace cortex {

const char* to_string(TaskStatus status) {
  switch (status) {
    case TaskStatus::Pending: return "Pending";
    case TaskStatus::Processing: return "Processing";
    case TaskStatus::Completed: return "Completed";
    case TaskStatus::Failed: return "Failed";
    case TaskStatus::Expired: return "Expired";
    case TaskStatus::Canceled: return "Canceled";
  }
  return "Unknown";
}

const char* to_string(ExportKind kind) { return kind == ExportKind::Interactions ? "interactions" : "contacts"; }

bool is_final(TaskStatus status) {
  return status == TaskStatus::Completed || status == TaskStatus::Failed || status == TaskStatus::Expired ||
         status == TaskStatus::Canceled;
}

nlohmann::json ExportOptions::to_json() const {
  nlohmann::json j;
  j["Kind"] = to_string(kind);
  j["BatchSize"] = batch_size;
  j["DefaultSplitItemCount"] = default_split_item_count;
  j["ExpiresAfterHours"] = expires_after_hours;
  j["StorageProfile"] = storage_profile;
  const char* cutoff_name = kind == ExportKind::Interactions ? "StartedDaysCutoff" : "CutoffDays";
  j[cutoff_name] = cutoff_days ? nlohmann::json(*cutoff_days) : nlohmann::json(nullptr);
  j["StartPercentile"] = start_percentile ? nlohmann::json(*start_percentile) : nlohmann::json(nullptr);
  j["EndPercentile"] = end_percentile ? nlohmann::json(*end_percentile) : nlohmann::json(nullptr);
  return j;
}

Result<ExportOptions> ExportOptions::from_json(const nlohmann::json& j) {
  try {
    ExportOptions o;
    std::string kind = j.at("Kind").get<std::string>();
    if (kind == "interactions") o.kind = ExportKind::Interactions;
    else if (kind == "contacts") o.kind = ExportKind::Contacts;
    else return make_error(ErrorCode::Corruption, "stored task options have an unknown Kind '" + kind + "'");
    o.batch_size = j.at("BatchSize").get<std::int64_t>();
    o.default_split_item_count = j.at("DefaultSplitItemCount").get<std::int64_t>();
    o.expires_after_hours = j.at("ExpiresAfterHours").get<std::int64_t>();
    o.storage_profile = j.at("StorageProfile").get<std::string>();
    const char* cutoff_name = o.kind == ExportKind::Interactions ? "StartedDaysCutoff" : "CutoffDays";
    if (j.contains(cutoff_name) && !j[cutoff_name].is_null()) o.cutoff_days = j[cutoff_name].get<std::int64_t>();
    if (j.contains("StartPercentile") && !j["StartPercentile"].is_null())
      o.start_percentile = j["StartPercentile"].get<double>();
    if (j.contains("EndPercentile") && !j["EndPercentile"].is_null()) o.end_percentile = j["EndPercentile"].get<double>();
    return o;
  } catch (const nlohmann::json::exception& e) {
    return make_error(ErrorCode::Corruption, std::string("stored task options cannot be read: ") + e.what());
  }
}

nlohmann::ordered_json progress_json(const TaskRecord& task) {
  nlohmann::json prerequisites = nlohmann::json::array();
  for (const auto& p : task.prerequisites) prerequisites.push_back(p.str());
  return nlohmann::ordered_json{
      {"Id", task.id.str()},
      {"Created", format_timestamp(task.added)},
      {"Updated", format_timestamp(task.updated)},
      {"TaskType", static_cast<int>(task.type)},
      {"Status", static_cast<int>(task.status)},
      {"Progress", task.progress},
      {"Total", task.total ? nlohmann::json(*task.total) : nlohmann::json(nullptr)},
      // A cancel waiting for the batches in flight shows in the one free-text member the answer has.
      {"Description", task.cancel_requested && !is_final(task.status) ? "Cancel requested: " + task.description
                                                                       : task.description},
      {"PrerequisiteTaskIds", prerequisites},
  };
}

std::string initial_description(const ExportOptions& options) {
  std::string kind = options.kind == ExportKind::Interactions ? "Interaction" : "Contact";
  return kind + " export to storage profile " + options.storage_profile;
}

}  // namespace cortex
