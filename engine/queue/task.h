// The task model: statuses and types as the Data Tools API numbers them, export options, a task record.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/guid.h"
#include "common/result.h"
#include "common/time.h"

namespace cortex {

enum class TaskStatus : int { Pending = 0, Processing = 1, Completed = 2, Failed = 3, Expired = 4, Canceled = 5 };
enum class TaskType : int { DeferredAction = 0, DistributedProcessing = 1 };
enum class ExportKind { Interactions, Contacts };

const char* to_string(TaskStatus status);
const char* to_string(ExportKind kind);
bool is_final(TaskStatus status);

// The validated parameters of an export task, as stored in Tasks.Options. Never holds a secret.
struct ExportOptions {
  ExportKind kind = ExportKind::Interactions;
  std::int64_t batch_size = 100;
  std::int64_t default_split_item_count = 100;
  std::int64_t expires_after_hours = 24;
  std::string storage_profile;
  // StartedDaysCutoff for interactions, CutoffDays for contacts.
  std::optional<std::int64_t> cutoff_days;
  std::optional<double> start_percentile;
  std::optional<double> end_percentile;

  nlohmann::json to_json() const;
  static Result<ExportOptions> from_json(const nlohmann::json& json);
  friend bool operator==(const ExportOptions&, const ExportOptions&) = default;
};

struct TaskRecord {
  Guid id;
  Timestamp added{};  // the registration instant; day cutoffs are measured from it
  Timestamp updated{};
  std::optional<Timestamp> expiration;
  TaskStatus status = TaskStatus::Pending;
  TaskType type = TaskType::DistributedProcessing;
  std::int64_t progress = 0;
  std::optional<std::int64_t> total;
  std::optional<std::string> error;
  std::string description;
  ExportOptions options;
  bool cancel_requested = false;
  std::vector<Guid> prerequisites;
};

// The progress object of the Data Tools API (SPEC 2.3).
nlohmann::ordered_json progress_json(const TaskRecord& task);

// "Interaction export to LocalExports" and similar: the Description before anything has happened.
std::string initial_description(const ExportOptions& options);

}  // namespace cortex
