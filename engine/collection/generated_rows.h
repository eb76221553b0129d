// The generator's rows, rendered ahead of the database writes: a deterministic stream of contacts, each followed by
// its interactions, cut into batches that a writer thread inserts while the next batch is being rendered.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "collection/collection_generator.h"

namespace cortex::generated {

// Text in RowBatch::text, by position, so that the buffer may grow while the batch fills.
struct Span {
  std::uint32_t offset = 0;
  std::uint32_t size = 0;
};

// A contact's rows but for what depends on its Seq, which only the insert tells: the email identifier is
// email_local + Seq + "@example.com", and the Emails facet is built around it (email_facet_prefix/suffix).
struct ContactRow {
  Span id, created, modified, token;
  double percentile = 0;
  Span tracker, second_tracker;  // second_tracker.size == 0: none
  bool known = false;            // an email identifier and an Emails facet
  bool work_email = false;       // the Emails facet's key: Work or Home
  Span email_local;              // "ann.smith"
  Span personal;                 // the Personal facet; size 0: none
  std::uint32_t interactions = 0;  // how many of the batch's interactions, in order, are this contact's
};

struct InteractionRow {
  Span id, contact_id, start, end, modified, device, token, events;
  Span web_visit;  // the WebVisit facet; size 0: none
  // Constant text (the generator's tables, or its long user agent), never copied.
  std::string_view channel, initiator, user_agent;
  std::string_view campaign, venue;  // empty: NULL
  std::int64_t duration = 0;
  std::int64_t engagement = 0;
  double percentile = 0;
};

struct RowBatch {
  std::string text;
  std::vector<ContactRow> contacts;
  std::vector<InteractionRow> interactions;

  std::string_view view(Span s) const { return {text.data() + s.offset, s.size}; }
  void clear() {
    text.clear();
    contacts.clear();
    interactions.clear();
  }
};

// The Emails facet of a known contact: prefix + email + suffix.
std::string_view email_facet_prefix(bool work);
std::string_view email_facet_suffix(bool work);
constexpr std::string_view kEmailDomain = "@example.com";

// The stream for one set of options: the plan (counts per contact, edge cases) is drawn first, then the rows,
// contact by contact, all from one seeded std::mt19937_64, so the stream depends on the options alone.
class RowGenerator {
 public:
  explicit RowGenerator(const GeneratorOptions& options);
  ~RowGenerator();
  RowGenerator(const RowGenerator&) = delete;
  RowGenerator& operator=(const RowGenerator&) = delete;

  // Clears the batch and fills it with whole contacts (each with all its interactions) until it holds about
  // `interactions` interactions or the stream ends. Returns false once there was nothing left to add.
  bool fill(RowBatch& batch, std::size_t interactions);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace cortex::generated
