// Splitting the key range into cursors.
#include "workers/cursor_splitter.h"

namespace cortex {

void CursorSplitter::add(std::int64_t key) {
  if (total_ % items_per_cursor_ == 0) {
    cursors_.push_back({key, key, 0});
  }
  auto& c = cursors_.back();
  c.last_key = key;
  ++c.item_count;
  ++total_;
}

std::vector<CursorRange> CursorSplitter::finish() { return std::move(cursors_); }

Result<SplitResult> split_collection(Database& collection, const ExtractionFilter& filter, std::int64_t items_per_cursor) {
  auto st = collection.prepare(std::string("SELECT Seq FROM ") + filter.table() + " WHERE " + filter.where_sql(1) +
                               " ORDER BY Seq");
  if (!st.ok()) return st.error();
  filter.bind(*st, 1);
  CursorSplitter splitter(items_per_cursor);
  while (true) {
    auto row = st->step();
    if (!row.ok()) return row.error().with_context("splitting " + std::string(filter.table()));
    if (!*row) break;
    splitter.add(st->int64(0));
  }
  SplitResult result;
  result.total = splitter.total();
  result.cursors = splitter.finish();
  return result;
}

Result<std::int64_t> count_matching(Database& collection, const ExtractionFilter& filter) {
  auto st = collection.prepare(std::string("SELECT count(*) FROM ") + filter.table() + " WHERE " + filter.where_sql(1));
  if (!st.ok()) return st.error();
  filter.bind(*st, 1);
  auto row = st->step();
  if (!row.ok()) return row.error().with_context("counting " + std::string(filter.table()));
  return st->int64(0);
}

}  // namespace cortex
