// generate_collection: a realistic collection of contacts and interactions, the same for the same seed.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

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
  // Optional: called on the writing thread after each batch of rows with the contacts written so far (each with all
  // its interactions). Returning false stops the generation with ErrorCode::Unavailable: an append rolls back its
  // open transaction (earlier ones stay committed), a new file is removed.
  std::function<bool(std::int64_t contacts_written)> progress;
};

struct GenerateReport {
  std::int64_t contacts = 0;
  std::int64_t interactions = 0;
  bool new_file = false;  // built beside the path and renamed into place (generate_collection_file only)
};

// Appends to the collection (Seq continues), in transactions of about 50,000 rows. Identical content for identical
// options when the collection starts empty: emails are numbered by the contact's Seq, which keeps them unique when
// several seeds share a collection. With 20 contacts or more it adds edge cases: interactions starting after `now`,
// interactions and contacts with the legacy Percentile -1, contacts without interactions, a 5,000-character user
// agent and one with unicode and quotes, and, from 20,000 interactions, one contact with 5,000 interactions.
Result<GenerateReport> generate_collection(Database& collection, const GeneratorOptions& options);

// The same rows into the collection file at `path`. An existing file is opened with create_collection and appended
// to as above. A missing one is built fast and out of sight, beside it: in "<path>.generating" (locked for the
// run, so two runs cannot share it; what a killed run left there is taken over and removed) and a side file
// "<path>.generating-side" loaded at the same time by a second thread, both without journal or syncs, indexes built
// after the load; then synced, switched to WAL and renamed into place (never over a file that appeared meanwhile).
// A run that fails or dies leaves no file at `path`; the same options give the same rows as generate_collection
// into an empty collection.
Result<GenerateReport> generate_collection_file(const std::string& path, const GeneratorOptions& options);

}  // namespace cortex
