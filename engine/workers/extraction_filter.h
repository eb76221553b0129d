// ExtractionFilter: which collection records a task covers, as SQL over the collection tables.
#pragma once

#include <optional>
#include <string>

#include "common/sqlite_db.h"
#include "queue/task.h"

namespace cortex {

// The task's filters, fixed at registration (SPEC 4):
//  - only records added to the collection at or before the registration instant;
//  - interactions: StartDateTime <= registration - StartedDaysCutoff days;
//    contacts: LastModified <= registration - CutoffDays days;
//  - StartPercentile <= Percentile < EndPercentile when both are given (-1 never matches a range).
struct ExtractionFilter {
  ExportKind kind = ExportKind::Interactions;
  std::string added_at_or_before;           // the registration instant
  std::optional<std::string> date_at_or_before;  // the day cutoff, when given
  std::optional<double> start_percentile;
  std::optional<double> end_percentile;

  static ExtractionFilter for_task(const ExportOptions& options, Timestamp registered);

  // The table, and the WHERE conditions with `?N` parameters starting at `first_parameter`.
  const char* table() const;
  std::string where_sql(int first_parameter) const;
  // Binds the parameters of where_sql(first_parameter); returns the next free parameter index.
  int bind(Statement& statement, int first_parameter) const;
};

}  // namespace cortex
