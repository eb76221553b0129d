// ContactExtractor: contacts in the xConnect JSON shape, each once with its identifiers and facets.
#pragma once

#include "workers/batch_extractor.h"

namespace cortex {

class ContactExtractor final : public BatchExtractor {
 public:
  static Result<std::unique_ptr<ContactExtractor>> create(Database& collection, const ExtractionFilter& filter,
                                                          bool ignore_default_values);
  Result<ExtractedBatch> read(std::int64_t after_key, std::int64_t last_key, std::int64_t limit) override;

 private:
  ContactExtractor(ExtractionFilter filter, Statement rows, Statement identifiers, Statement facets, bool ignore_defaults)
      : filter_(std::move(filter)),
        rows_(std::move(rows)),
        identifiers_(std::move(identifiers)),
        facets_(std::move(facets)),
        ignore_defaults_(ignore_defaults) {}

  ExtractionFilter filter_;
  Statement rows_;
  Statement identifiers_;
  Statement facets_;
  bool ignore_defaults_;
};

}  // namespace cortex
