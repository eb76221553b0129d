// generate_collection: a realistic collection of contacts and interactions, the same for the same seed.
#pragma once

#include <cstdint>

#include "common/result.h"
#include "common/sqlite_db.h"
#include "common/time.h"

namespace cortex {

struct GeneratorOptions {
  std::int64_t contacts = 1000;
  // The mean: counts vary per contact, the total is exactly contacts * interactions_per_contact.
  std::int64_t interactions_per_contact = 5;
  std::uint64_t seed = 1;
  // Dates fall in the five years before it, and it is every row's Added. Required (the CLI passes the current
  // time): the default, 1970, would silently give 1960s data.
  Timestamp now{};
};

struct GenerateReport {
  std::int64_t contacts = 0;
  std::int64_t interactions = 0;
};

// Appends to the collection (Seq continues). Identical content for identical options when the collection starts
// empty: emails are numbered by the contact's Seq, which keeps them unique when several seeds share a collection.
// With 20 contacts or more it adds edge cases: interactions starting after `now`, interactions and contacts with the
// legacy Percentile -1, contacts without interactions, a 5,000-character user agent and one with unicode and quotes,
// and, from 20,000 interactions, one contact with 5,000 interactions.
Result<GenerateReport> generate_collection(Database& collection, const GeneratorOptions& options);

}  // namespace cortex
