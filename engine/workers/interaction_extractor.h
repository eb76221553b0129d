// InteractionExtractor: interactions in the xConnect JSON shape, with their events and facets.
#pragma once

#include "workers/batch_extractor.h"

namespace cortex {

class InteractionExtractor final : public BatchExtractor {
 public:
  static Result<std::unique_ptr<InteractionExtractor>> create(Database& collection, const ExtractionFilter& filter,
                                                              bool ignore_default_values);
  Result<ExtractedBatch> read(std::int64_t after_key, std::int64_t last_key, std::int64_t limit) override;

 private:
  InteractionExtractor(ExtractionFilter filter, Statement rows, Statement facets, bool ignore_defaults)
      : filter_(std::move(filter)), rows_(std::move(rows)), facets_(std::move(facets)), ignore_defaults_(ignore_defaults) {}

  ExtractionFilter filter_;
  Statement rows_;
  Statement facets_;
  bool ignore_defaults_;
  // The output's size per item, learned from the last batch (the first guesses: a typical interaction with its
  // events is 1-2 KB).
  std::size_t expected_item_bytes_ = 2048;
};

}  // namespace cortex
