// Choosing the extractor for a task kind.
#include "workers/batch_extractor.h"

#include "workers/contact_extractor.h"
#include "workers/interaction_extractor.h"

namespace cortex {

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
