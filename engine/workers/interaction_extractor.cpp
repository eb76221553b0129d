// Reading interactions batch by batch and writing the xConnect JSON shape directly into the output.
#include "workers/interaction_extractor.h"

#include "common/json_validator.h"
#include "common/json_writer.h"
#include "common/time.h"

namespace cortex {
namespace {

enum Column {
  kSeq, kId, kContactId, kStart, kEnd, kDuration, kLastModified, kChannel, kInitiator, kUserAgent, kCampaign,
  kVenue, kEngagement, kEvents
};

}  // namespace

Result<std::unique_ptr<InteractionExtractor>> InteractionExtractor::create(Database& collection,
                                                                           const ExtractionFilter& filter,
                                                                           bool ignore_default_values) {
  auto rows = collection.prepare(
      "SELECT Seq, Id, ContactId, StartDateTime, EndDateTime, DurationTicks, LastModified, ChannelId, Initiator, "
      "UserAgent, CampaignId, VenueId, EngagementValue, Events FROM Interactions "
      "WHERE Seq > ?1 AND Seq <= ?2 AND " + filter.where_sql(4) + " ORDER BY Seq LIMIT ?3");
  if (!rows.ok()) return rows.error();
  auto facets = collection.prepare(
      "SELECT InteractionSeq, FacetKey, Data FROM InteractionFacets WHERE InteractionSeq > ?1 AND InteractionSeq <= ?2 "
      "ORDER BY InteractionSeq, FacetKey");
  if (!facets.ok()) return facets.error();
  return std::unique_ptr<InteractionExtractor>(
      new InteractionExtractor(filter, std::move(*rows), std::move(*facets), ignore_default_values));
}

Result<ExtractedBatch> InteractionExtractor::read(std::int64_t after_key, std::int64_t last_key, std::int64_t limit) {
  ExtractedBatch batch;
  rows_.reset();
  rows_.bind(1, after_key).bind(2, last_key).bind(3, limit);
  filter_.bind(rows_, 4);

  // Facets of the whole key span are read alongside, in the same order, and merged by key.
  bool facets_started = false;
  bool facet_row = false;
  std::string& out = batch.json;
  // Room for the whole batch at once: growing an 8 MB string by doubling copied most of it again (memmove was 5%
  // of an export's CPU). Space reserved but never written is not resident.
  out.reserve(static_cast<std::size_t>(limit) * expected_item_bytes_);
  JsonWriter w(out);
  w.begin_array();
  const bool all = !ignore_defaults_;
  while (true) {
    auto row = rows_.step();
    if (!row.ok()) return row.error().with_context("reading interactions");
    if (!*row) break;
    std::int64_t seq = rows_.int64(kSeq);
    batch.last_key = seq;
    ++batch.rows_read;
    // Each text column is fetched once.
    const std::string_view start = rows_.text_view(kStart), end = rows_.text_view(kEnd),
                           last_modified = rows_.text_view(kLastModified);
    std::string_view events = rows_.text_view(kEvents);
    if (events.empty()) events = "[]";
    // A corrupt record is left out (and reported) rather than written into the file half-valid.
    std::string reason;
    if (!is_stored_timestamp(start)) {
      reason = "StartDateTime is not a valid timestamp";
    } else if (is_bad_optional_timestamp(rows_, kEnd, end)) {
      reason = "EndDateTime is not a valid timestamp";
    } else if (is_bad_optional_timestamp(rows_, kLastModified, last_modified)) {
      reason = "LastModified is not a valid timestamp";
    } else if (events.front() != '[' || !is_valid_json(events)) {
      reason = "Events is not a valid JSON array";
    }
    auto mark = w.mark();
    if (reason.empty()) {
      auto text_member = [&](std::string_view name, std::string_view value) { write_text_member(w, name, value, all); };
      w.begin_object();
      text_member("Id", rows_.text_view(kId));
      text_member("ContactId", rows_.text_view(kContactId));
      text_member("StartDateTime", start);
      text_member("EndDateTime", end);
      std::int64_t duration = rows_.int64(kDuration);
      if (duration != 0 || all) {
        w.plain_key("Duration");
        w.string(format_duration(duration));
      }
      text_member("LastModified", last_modified);
      text_member("ChannelId", rows_.text_view(kChannel));
      text_member("Initiator", rows_.text_view(kInitiator));
      text_member("UserAgent", rows_.text_view(kUserAgent));
      text_member("CampaignId", rows_.text_view(kCampaign));
      text_member("VenueId", rows_.text_view(kVenue));
      std::int64_t engagement = rows_.int64(kEngagement);
      if (engagement != 0 || all) {
        w.plain_key("EngagementValue");
        w.integer(engagement);
      }
      if (events != "[]" || all) {
        w.plain_key("Events");
        w.raw(events);
      }
    }

    if (!facets_started) {
      facets_.reset();
      facets_.bind(1, after_key).bind(2, last_key);
      facets_started = true;
      auto f = facets_.step();
      if (!f.ok()) return f.error().with_context("reading interaction facets");
      facet_row = *f;
    }
    bool wrote_facets = false;
    while (facet_row && facets_.int64(0) <= seq) {
      if (facets_.int64(0) == seq && reason.empty()) {
        std::string_view data = facets_.text_view(2);
        if (data.empty() || data.front() != '{' || !is_valid_json(data)) {
          reason = "facet " + facets_.text(1) + " is not a valid JSON object";
        } else {
          if (!wrote_facets) {
            w.plain_key("Facets");
            w.begin_object();
            wrote_facets = true;
          }
          w.key(facets_.text_view(1));
          w.raw(data);
        }
      }
      auto f = facets_.step();
      if (!f.ok()) return f.error().with_context("reading interaction facets");
      facet_row = *f;
    }
    if (!reason.empty()) {
      w.rollback(mark);
      batch.skipped.push_back({seq, rows_.text(kId), reason});
      continue;
    }
    if (wrote_facets) {
      w.end_object();
    } else if (all) {
      w.plain_key("Facets");
      w.begin_object();
      w.end_object();
    }
    w.end_object();
    ++batch.item_count;
  }
  w.end_array();
  rows_.reset();
  facets_.reset();
  if (batch.item_count > 0) expected_item_bytes_ = out.size() / static_cast<std::size_t>(batch.item_count) * 9 / 8 + 64;
  return batch;
}

}  // namespace cortex
