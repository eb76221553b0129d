// The task filters as parameterised SQL.
#include "workers/extraction_filter.h"

namespace cortex {

ExtractionFilter ExtractionFilter::for_task(const ExportOptions& options, Timestamp registered) {
  ExtractionFilter f;
  f.kind = options.kind;
  f.added_at_or_before = format_timestamp(registered);
  if (options.cutoff_days) {
    // Cutoffs past year 0 cannot be formatted; anything before the calendar starts matches nothing.
    constexpr std::int64_t max_days = 700'000;
    if (*options.cutoff_days > max_days) f.date_at_or_before = "0000";
    else f.date_at_or_before = format_timestamp(registered - ticks_of_days(*options.cutoff_days));
  }
  if (options.start_percentile && options.end_percentile) {
    f.start_percentile = options.start_percentile;
    f.end_percentile = options.end_percentile;
  }
  return f;
}

const char* ExtractionFilter::table() const { return kind == ExportKind::Interactions ? "Interactions" : "Contacts"; }

std::string ExtractionFilter::where_sql(int p) const {
  std::string sql = "Added <= ?" + std::to_string(p++);
  if (date_at_or_before) {
    const char* column = kind == ExportKind::Interactions ? "StartDateTime" : "LastModified";
    sql += std::string(" AND ") + column + " <= ?" + std::to_string(p++);
  }
  if (start_percentile) {
    sql += " AND Percentile >= ?" + std::to_string(p) + " AND Percentile < ?" + std::to_string(p + 1);
  }
  return sql;
}

int ExtractionFilter::bind(Statement& st, int p) const {
  st.bind(p++, added_at_or_before);
  if (date_at_or_before) st.bind(p++, *date_at_or_before);
  if (start_percentile) {
    st.bind(p++, *start_percentile);
    st.bind(p++, *end_percentile);
  }
  return p;
}

}  // namespace cortex
