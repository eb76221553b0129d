// fuzz_import: bytes as an import file into a collection, then as one NDJSON line, and its short strings as dates and
// durations; checks that no exception escapes, that the report adds up, and that what is stored is in the form the
// extractors read.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "collection/collection_db.h"
#include "collection/collection_importer.h"
#include "common/guid.h"
#include "fuzz_check.h"

namespace {

using cortex::ImportReport;
using cortex::Statement;
using cortex::Timestamp;
using nlohmann::json;

constexpr const char* kSource = "fuzz-input";

class FixedClock final : public cortex::Clock {
 public:
  Timestamp now() const override { return now_; }

 private:
  Timestamp now_ = *cortex::parse_timestamp("2024-03-01T12:00:00.1234567Z");
};

struct Harness {
  FixedClock clock;
  std::unique_ptr<cortex::Database> db;
  std::unique_ptr<cortex::CollectionImporter> importer;
  std::map<std::string, Statement> statements;
};

Harness* harness = nullptr;

std::string clip(std::string_view text, std::size_t limit = 300) {
  return text.size() <= limit ? std::string(text) : std::string(text.substr(0, limit)) + "...";
}

// Each input starts from an empty collection, so that a finding reproduces from its input alone.
void empty_collection() {
  auto status = harness->db->exec(
      "DELETE FROM ContactFacets; DELETE FROM ContactIdentifiers; DELETE FROM Contacts; "
      "DELETE FROM InteractionFacets; DELETE FROM Interactions;");
  FUZZ_CHECK(status.ok(), status.ok() ? "" : status.error().describe());
}

// Prepared once and reused, as the importer does: preparing per input would dominate the run time.
Statement& query(const std::string& sql) {
  auto it = harness->statements.find(sql);
  if (it == harness->statements.end()) {
    auto statement = harness->db->prepare(sql);
    FUZZ_CHECK(statement.ok(), statement.ok() ? "" : statement.error().describe());
    it = harness->statements.emplace(sql, std::move(*statement)).first;
  }
  it->second.reset();
  return it->second;
}

std::int64_t count_rows(const char* table) {
  Statement& st = query(std::string("SELECT count(*) FROM ") + table);
  auto row = st.step();
  FUZZ_CHECK(row.ok() && *row, table);
  std::int64_t n = st.int64(0);
  st.reset();
  return n;
}

// Every stored timestamp is UTC text in one fixed form (schema/collection.sql), so text order is time order.
bool fixed_form_timestamp(const Statement& st, int column, bool nullable) {
  if (st.is_null(column)) return nullable;
  std::string text = st.text(column);
  auto t = cortex::parse_timestamp(text);
  return text.size() == 28 && t && cortex::format_timestamp(*t) == text;
}

bool normalized_guid(const Statement& st, int column, bool nullable) {
  if (st.is_null(column)) return nullable;
  std::string text = st.text(column);
  return cortex::normalize_guid(text) == text;
}

bool valid_percentile(double p) { return (p >= 0.0 && p < 1.0) || p == -1.0; }

// Stored JSON (Events, facet data) is in stored_json's canonical form, which is stable: storing it again changes
// nothing.
bool canonical_json(const std::string& text, json::value_t type) {
  json value = json::parse(text, nullptr, false);
  if (value.is_discarded() || value.type() != type) return false;
  return cortex::stored_json(value) == text;
}

std::string row_context(const char* table, const Statement& st) {
  return std::string(table) + " row " + clip(st.text(0));
}

void check_stored(const std::string& where) {
  Statement& contacts = query("SELECT Id, Created, LastModified, ConcurrencyToken, Percentile, Added FROM Contacts");
  for (;;) {
    auto row = contacts.step();
    FUZZ_CHECK(row.ok(), where);
    if (!*row) break;
    std::string context = row_context("Contacts", contacts) + ": " + where;
    FUZZ_CHECK(normalized_guid(contacts, 0, false) && normalized_guid(contacts, 3, true), context);
    FUZZ_CHECK(fixed_form_timestamp(contacts, 1, true),
               "Created " + contacts.optional_text(1).value_or("") + " in " + context);
    FUZZ_CHECK(fixed_form_timestamp(contacts, 2, true),
               "LastModified " + contacts.optional_text(2).value_or("") + " in " + context);
    FUZZ_CHECK(valid_percentile(contacts.real(4)), context);
    FUZZ_CHECK(contacts.text(5) == cortex::format_timestamp(harness->clock.now()), context);
  }

  Statement& identifiers = query("SELECT Source, Identifier, IdentifierType FROM ContactIdentifiers");
  for (;;) {
    auto row = identifiers.step();
    FUZZ_CHECK(row.ok(), where);
    if (!*row) break;
    FUZZ_CHECK(!identifiers.text(0).empty() && !identifiers.text(1).empty(), where);
    FUZZ_CHECK(identifiers.int64(2) == 0 || identifiers.int64(2) == 1, where);
  }

  Statement& interactions = query(
      "SELECT Id, ContactId, StartDateTime, EndDateTime, DurationTicks, LastModified, ChannelId, CampaignId, VenueId, "
      "DeviceProfileId, ConcurrencyToken, Events, Percentile, Added FROM Interactions");
  for (;;) {
    auto row = interactions.step();
    FUZZ_CHECK(row.ok(), where);
    if (!*row) break;
    std::string context = row_context("Interactions", interactions) + ": " + where;
    FUZZ_CHECK(normalized_guid(interactions, 0, false) && normalized_guid(interactions, 1, false), context);
    for (int column : {6, 7, 8, 9, 10}) FUZZ_CHECK(normalized_guid(interactions, column, true), context);
    FUZZ_CHECK(fixed_form_timestamp(interactions, 2, false),
               "StartDateTime " + interactions.text(2) + " in " + context);
    FUZZ_CHECK(fixed_form_timestamp(interactions, 3, true),
               "EndDateTime " + interactions.optional_text(3).value_or("") + " in " + context);
    FUZZ_CHECK(interactions.is_null(3) || interactions.text(3) >= interactions.text(2),
               "ends before it starts: " + context);
    FUZZ_CHECK(fixed_form_timestamp(interactions, 5, true),
               "LastModified " + interactions.optional_text(5).value_or("") + " in " + context);
    FUZZ_CHECK(interactions.int64(4) >= 0, "DurationTicks " + std::to_string(interactions.int64(4)) + " in " + context);
    std::string events = interactions.text(11);
    FUZZ_CHECK(canonical_json(events, json::value_t::array), "Events " + clip(events) + " in " + context);
    for (const auto& event : json::parse(events)) {
      FUZZ_CHECK(event.is_object() && event.contains("@odata.type") && event["@odata.type"].is_string(), context);
    }
    FUZZ_CHECK(valid_percentile(interactions.real(12)), context);
    FUZZ_CHECK(interactions.text(13) == cortex::format_timestamp(harness->clock.now()), context);
  }

  for (const char* sql : {"SELECT FacetKey, Data FROM ContactFacets", "SELECT FacetKey, Data FROM InteractionFacets"}) {
    Statement& facets = query(sql);
    for (;;) {
      auto row = facets.step();
      FUZZ_CHECK(row.ok(), where);
      if (!*row) break;
      FUZZ_CHECK(canonical_json(facets.text(1), json::value_t::object),
                 std::string(sql) + ": " + clip(facets.text(0)) + " = " + clip(facets.text(1)) + ": " + where);
    }
  }
}

// "record 3" or "line 7", 1-based, within the input.
bool valid_position(const std::string& position, std::size_t records_bound, std::size_t lines) {
  for (auto [prefix, bound] : {std::pair<std::string_view, std::size_t>{"record ", records_bound}, {"line ", lines}}) {
    if (position.rfind(prefix, 0) != 0) continue;
    std::string digits = position.substr(prefix.size());
    if (digits.empty() || digits.size() > 9 || !std::all_of(digits.begin(), digits.end(), ::isdigit)) return false;
    std::size_t n = std::stoul(digits);
    return n >= 1 && n <= bound;
  }
  return false;
}

std::string report_text(const ImportReport& report) {
  std::string out = std::to_string(report.contacts) + " contacts, " + std::to_string(report.interactions) +
                    " interactions, " + std::to_string(report.skipped) + " skipped";
  for (std::size_t i = 0; i < report.problems.size() && i < 5; ++i)
    out += "\n  " + report.problems[i].position + ": " + clip(report.problems[i].message, 200);
  return out;
}

ImportReport import_checked(std::string_view text, const char* form) {
  empty_collection();
  ImportReport report;
  cortex::Status status;
  std::string thrown;
  try {
    status = harness->importer->import_text(text, kSource, report);
  } catch (const std::exception& e) {
    thrown = e.what();
  } catch (...) {
    thrown = "a non-exception";
  }
  std::string where = std::string(form) + " import of " + clip(text) + "\n-> " + report_text(report);
  FUZZ_CHECK(thrown.empty(), "import_text threw: " + thrown + "\n" + where);
  // The collection is in memory: nothing outside the program can fail, so an error is the input breaking a write.
  FUZZ_CHECK(status.ok(), (status.ok() ? std::string() : status.error().describe()) + "\n" + where);

  FUZZ_CHECK(report.contacts >= 0 && report.interactions >= 0 && report.skipped >= 0, where);
  auto records = static_cast<std::size_t>(report.contacts + report.interactions + report.skipped);
  FUZZ_CHECK(records <= text.size(), "more records than bytes: " + where);
  auto problems = static_cast<std::int64_t>(report.problems.size());
  // Every skipped record is one problem; one more is a whole-file problem, and then nothing of the file counts.
  FUZZ_CHECK(problems == report.skipped || (problems == 1 && records == 0), where);
  std::size_t lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  for (const auto& p : report.problems) {
    FUZZ_CHECK(p.source == kSource && !p.message.empty(), where);
    FUZZ_CHECK(valid_position(p.position, std::max<std::size_t>(text.size(), 1), lines),
               "position '" + p.position + "': " + where);
  }

  // Upserts: a record loaded twice is one row, so rows never exceed loaded records, and some loaded means some rows.
  std::int64_t contact_rows = count_rows("Contacts"), interaction_rows = count_rows("Interactions");
  FUZZ_CHECK(contact_rows <= report.contacts && (report.contacts == 0) == (contact_rows == 0), where);
  FUZZ_CHECK(interaction_rows <= report.interactions && (report.interactions == 0) == (interaction_rows == 0), where);
  check_stored(where);
  return report;
}

// The importer's field parsers on their own, so that the fuzzer need not build a whole valid record around a date
// or a duration to reach their edges: what they accept must format to the stored form and read back the same.
void check_field_parsers(std::string_view text) {
  if (auto t = cortex::parse_timestamp(text)) {
    std::string stored = cortex::format_timestamp(*t);
    auto again = cortex::parse_timestamp(stored);
    FUZZ_CHECK(stored.size() == 28 && again && *again == *t,
               "timestamp '" + clip(text) + "' is stored as '" + stored + "', which does not read back");
  }
  if (auto ticks = cortex::parse_duration_ticks(text)) {
    std::string stored = cortex::format_duration(*ticks);
    FUZZ_CHECK(cortex::parse_duration_ticks(stored) == ticks,
               "duration '" + clip(text) + "' = " + std::to_string(*ticks) + " ticks formats as '" + stored +
                   "', which does not read back");
  }
}

bool same_outcome(const ImportReport& a, const ImportReport& b) {
  if (a.contacts != b.contacts || a.interactions != b.interactions || a.skipped != b.skipped) return false;
  if (a.problems.size() != b.problems.size()) return false;
  for (std::size_t i = 0; i < a.problems.size(); ++i) {
    if (a.problems[i].position != b.problems[i].position || a.problems[i].message != b.problems[i].message)
      return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  harness = new Harness();
  auto db = cortex::create_collection(":memory:");
  if (!db.ok()) {
    std::fprintf(stderr, "fuzz_import: cannot create the collection: %s\n", db.error().describe().c_str());
    std::exit(1);
  }
  harness->db = std::move(*db);
  harness->importer = std::make_unique<cortex::CollectionImporter>(*harness->db, harness->clock);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // Every short quoted run of the input (the values of Created, StartDateTime, Duration...), and a short input whole.
  if (size <= 64) check_field_parsers(text);
  for (std::size_t open = text.find('"'); open != std::string_view::npos;) {
    std::size_t close = text.find('"', open + 1);
    if (close == std::string_view::npos) break;
    if (close - open - 1 <= 64) check_field_parsers(text.substr(open + 1, close - open - 1));
    open = text.find('"', close + 1);
  }
  ImportReport as_given = import_checked(text, "file");

  // The same bytes on one line. JSON cannot hold a raw line break inside a string, so when the input is one JSON
  // document this is the same document, and it must load the same way.
  std::string one_line(text);
  std::replace(one_line.begin(), one_line.end(), '\n', ' ');
  std::replace(one_line.begin(), one_line.end(), '\r', ' ');
  ImportReport as_line = import_checked(one_line, "one-line");
  std::string_view body = text.substr(0, 3) == "\xEF\xBB\xBF" ? text.substr(3) : text;
  if (one_line != text && json::accept(body)) {
    FUZZ_CHECK(same_outcome(as_given, as_line), "a JSON document loads differently on one line: " + clip(text) +
                                                    "\nas given: " + report_text(as_given) +
                                                    "\non one line: " + report_text(as_line));
  }
  return 0;
}
