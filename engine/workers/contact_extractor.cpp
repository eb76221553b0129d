// Reading contacts batch by batch. Identifiers and facets are read in key order beside the contacts
// and merged, so a contact with many of each is still written once (no join fan-out).
#include "workers/contact_extractor.h"

#include "common/json_validator.h"
#include "common/json_writer.h"

namespace cortex {
namespace {

// Walks a child table ordered by parent key alongside the parents.
class ChildCursor {
 public:
  ChildCursor(Statement& st, std::int64_t after_key, std::int64_t last_key) : st_(st) {
    st_.reset();
    st_.bind(1, after_key).bind(2, last_key);
  }
  ~ChildCursor() { st_.reset(); }
  // Skips rows of earlier parents; true while the current row belongs to `key`.
  Result<bool> at(std::int64_t key) {
    if (!started_) {
      CORTEX_RETURN_IF_ERROR(advance());
      started_ = true;
    }
    while (has_row_ && st_.int64(0) < key) CORTEX_RETURN_IF_ERROR(advance());
    return has_row_ && st_.int64(0) == key;
  }
  Status advance() {
    auto row = st_.step();
    if (!row.ok()) return row.error();
    has_row_ = *row;
    return Status::OK();
  }
  Statement& row() { return st_; }

 private:
  Statement& st_;
  bool started_ = false;
  bool has_row_ = false;
};

}  // namespace

Result<std::unique_ptr<ContactExtractor>> ContactExtractor::create(Database& collection, const ExtractionFilter& filter,
                                                                   bool ignore_default_values) {
  auto rows = collection.prepare("SELECT Seq, Id, Created, LastModified FROM Contacts WHERE Seq > ?1 AND Seq <= ?2 AND " +
                                 filter.where_sql(4) + " ORDER BY Seq LIMIT ?3");
  if (!rows.ok()) return rows.error();
  auto identifiers = collection.prepare(
      "SELECT ContactSeq, Source, Identifier, IdentifierType FROM ContactIdentifiers "
      "WHERE ContactSeq > ?1 AND ContactSeq <= ?2 ORDER BY ContactSeq, Source, Identifier");
  if (!identifiers.ok()) return identifiers.error();
  auto facets = collection.prepare(
      "SELECT ContactSeq, FacetKey, Data FROM ContactFacets WHERE ContactSeq > ?1 AND ContactSeq <= ?2 "
      "ORDER BY ContactSeq, FacetKey");
  if (!facets.ok()) return facets.error();
  return std::unique_ptr<ContactExtractor>(new ContactExtractor(filter, std::move(*rows), std::move(*identifiers),
                                                                std::move(*facets), ignore_default_values));
}

Result<ExtractedBatch> ContactExtractor::read(std::int64_t after_key, std::int64_t last_key, std::int64_t limit) {
  ExtractedBatch batch;
  rows_.reset();
  rows_.bind(1, after_key).bind(2, last_key).bind(3, limit);
  filter_.bind(rows_, 4);
  ChildCursor identifiers(identifiers_, after_key, last_key);
  ChildCursor facets(facets_, after_key, last_key);
  const bool all = !ignore_defaults_;
  JsonWriter w(batch.json);
  w.begin_array();
  auto text_member = [&](std::string_view name, int column) { write_text_member(w, name, rows_.text_view(column), all); };
  while (true) {
    auto row = rows_.step();
    if (!row.ok()) return row.error().with_context("reading contacts");
    if (!*row) break;
    std::int64_t seq = rows_.int64(0);
    batch.last_key = seq;
    ++batch.rows_read;
    std::string reason;
    if (is_bad_optional_timestamp(rows_, 2, rows_.text_view(2))) reason = "Created is not a valid timestamp";
    if (is_bad_optional_timestamp(rows_, 3, rows_.text_view(3))) reason = "LastModified is not a valid timestamp";
    auto mark = w.mark();
    w.begin_object();
    text_member("Id", 1);
    text_member("Created", 2);
    text_member("LastModified", 3);

    auto has_identifier = identifiers.at(seq);
    if (!has_identifier.ok()) return has_identifier.error().with_context("reading contact identifiers");
    if (*has_identifier || all) {
      w.plain_key("Identifiers");
      w.begin_array();
      while (true) {
        auto here = identifiers.at(seq);
        if (!here.ok()) return here.error().with_context("reading contact identifiers");
        if (!*here) break;
        auto& r = identifiers.row();
        w.begin_object();
        w.plain_key("Source");
        w.string(r.text_view(1));
        w.plain_key("Identifier");
        w.string(r.text_view(2));
        w.plain_key("IdentifierType");
        w.string(r.int64(3) == 1 ? "Known" : "Anonymous");
        w.end_object();
        CORTEX_RETURN_IF_ERROR(identifiers.advance());
      }
      w.end_array();
    }

    auto has_facet = facets.at(seq);
    if (!has_facet.ok()) return has_facet.error().with_context("reading contact facets");
    if (*has_facet || all) {
      w.plain_key("Facets");
      w.begin_object();
      while (true) {
        auto here = facets.at(seq);
        if (!here.ok()) return here.error().with_context("reading contact facets");
        if (!*here) break;
        std::string_view data = facets.row().text_view(2);
        if (data.empty() || data.front() != '{' || !is_valid_json(data)) {
          if (reason.empty()) reason = "facet " + facets.row().text(1) + " is not a valid JSON object";
        } else {
          w.key(facets.row().text_view(1));
          w.raw(data);
        }
        CORTEX_RETURN_IF_ERROR(facets.advance());
      }
      w.end_object();
    }
    w.end_object();
    if (!reason.empty()) {
      w.rollback(mark);
      batch.skipped.push_back({seq, rows_.text(1), reason});
      continue;
    }
    ++batch.item_count;
  }
  w.end_array();
  rows_.reset();
  return batch;
}

}  // namespace cortex
