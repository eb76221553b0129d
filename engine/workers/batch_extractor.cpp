// Choosing the extractor for a task kind.
#include "workers/batch_extractor.h"

#include "workers/contact_extractor.h"
#include "workers/interaction_extractor.h"

namespace cortex {

void write_text_member(JsonWriter& w, std::string_view name, std::string_view value, bool all) {
  if (!value.empty()) {
    w.plain_key(name);
    w.string(value);
  } else if (all) {
    w.plain_key(name);
    w.null();
  }
}

bool is_stored_timestamp(std::string_view t) {
  if (t.size() != 28) return false;
  static constexpr char shape[] = "dddd-dd-ddTdd:dd:dd.dddddddZ";
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (shape[i] == 'd' ? (t[i] < '0' || t[i] > '9') : t[i] != shape[i]) return false;
  }
  return true;
}

bool is_bad_optional_timestamp(const Statement& row, int column, std::string_view text) {
  // Only an empty value needs the column's type: NULL is fine, an empty text is not a timestamp.
  return text.empty() ? !row.is_null(column) : !is_stored_timestamp(text);
}

Result<std::unique_ptr<BatchExtractor>> make_batch_extractor(Database& collection, const ExtractionFilter& filter,
                                                             bool ignore_default_values) {
  if (filter.kind == ExportKind::Interactions) {
    auto e = InteractionExtractor::create(collection, filter, ignore_default_values);
    if (!e.ok()) return e.error();
    return std::unique_ptr<BatchExtractor>(std::move(*e));
  }
  auto e = ContactExtractor::create(collection, filter, ignore_default_values);
  if (!e.ok()) return e.error();
  return std::unique_ptr<BatchExtractor>(std::move(*e));
}

}  // namespace cortex
