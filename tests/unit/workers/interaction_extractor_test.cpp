// The JSON shape of exported interactions: xConnect member names, defaults left out.
#include "workers/interaction_extractor.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "collection_fixture.h"

namespace cortex {
namespace {

class InteractionExtractorTest : public testing::CollectionFixture {
 protected:
  nlohmann::json read_all(bool ignore_defaults, std::int64_t limit = 100) {
    ExportOptions o;
    auto filter = ExtractionFilter::for_task(o, *parse_timestamp("2025-01-01T00:00:00Z"));
    auto e = InteractionExtractor::create(*db_, filter, ignore_defaults);
    EXPECT_TRUE(e.ok());
    auto batch = (*e)->read(0, 1'000'000, limit);
    EXPECT_TRUE(batch.ok());
    return nlohmann::json::parse(batch->json);
  }
};

TEST_F(InteractionExtractorTest, LeavesOutDefaultMembers) {
  add_interaction("00000000-0000-0000-0000-000000000001", "2020-01-01T00:00:00.0000000Z", 0.5);
  auto items = read_all(true);
  ASSERT_EQ(items.size(), 1u);
  const auto& i = items[0];
  EXPECT_EQ(i["Id"], "00000000-0000-0000-0000-000000000001");
  EXPECT_EQ(i["ContactId"], "c0000000-0000-0000-0000-000000000001");
  EXPECT_EQ(i["StartDateTime"], "2020-01-01T00:00:00.0000000Z");
  EXPECT_FALSE(i.contains("Duration"));         // 0
  EXPECT_FALSE(i.contains("EngagementValue"));  // 0
  EXPECT_FALSE(i.contains("Events"));           // []
  EXPECT_FALSE(i.contains("Facets"));           // none
  EXPECT_FALSE(i.contains("CampaignId"));       // null
}

TEST_F(InteractionExtractorTest, WritesDefaultsWhenAskedTo) {
  add_interaction("00000000-0000-0000-0000-000000000001", "2020-01-01T00:00:00.0000000Z", 0.5);
  auto i = read_all(false)[0];
  EXPECT_EQ(i["Duration"], "PT0S");
  EXPECT_EQ(i["EngagementValue"], 0);
  EXPECT_EQ(i["Events"], nlohmann::json::array());
  EXPECT_TRUE(i["CampaignId"].is_null());
  EXPECT_EQ(i["Facets"], nlohmann::json::object());
}

TEST_F(InteractionExtractorTest, EmbedsEventsFacetsAndUnicodeUserAgents) {
  std::string events = R"([{"@odata.type":"#Sitecore.XConnect.Collection.Model.PageViewEvent","Url":"/"}])";
  std::string ua = "Mozilla/5.0 \"quoted\" Ünïcødé \\ 😀";
  auto seq = add_interaction("00000000-0000-0000-0000-000000000001", "2020-01-01T00:00:00.0000000Z", 0.5,
                             "2020-01-01T00:00:00.0000000Z", events, ua);
  add_interaction("00000000-0000-0000-0000-000000000002", "2020-01-01T00:00:00.0000000Z", 0.5);
  auto st = db_->prepare("INSERT INTO InteractionFacets (InteractionSeq, FacetKey, Data) VALUES (?, ?, ?)");
  st->bind(1, seq).bind(2, "WebVisit").bind(3, R"({"@odata.type":"#Sitecore.XConnect.Collection.Model.WebVisit","SiteName":"website"})");
  ASSERT_TRUE(st->run().ok());
  auto items = read_all(true);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0]["Events"][0]["@odata.type"], "#Sitecore.XConnect.Collection.Model.PageViewEvent");
  EXPECT_EQ(items[0]["UserAgent"], ua);
  EXPECT_EQ(items[0]["Facets"]["WebVisit"]["SiteName"], "website");
  EXPECT_FALSE(items[1].contains("Facets"));
}

TEST_F(InteractionExtractorTest, CorruptRecordsAreLeftOutWithTheirReasonAndNullDatesAreNotCorrupt) {
  const std::string start = "2020-01-01T00:00:00.0000000Z";
  std::vector<std::int64_t> seqs;
  for (int i = 1; i <= 7; ++i) seqs.push_back(add_interaction("00000000-0000-0000-0000-00000000000" + std::to_string(i), start, 0.5));
  auto set = [&](const std::string& assignment, std::int64_t seq) {
    ASSERT_TRUE(db_->exec("UPDATE Interactions SET " + assignment + " WHERE Seq = " + std::to_string(seq)).ok());
  };
  set("EndDateTime = NULL, LastModified = NULL", seqs[0]);  // fine: left out
  set("EndDateTime = ''", seqs[1]);                         // empty is not NULL: corrupt
  set("LastModified = 'yesterday'", seqs[2]);
  set("StartDateTime = ''", seqs[3]);
  set("Events = '[{\"broken\": '", seqs[4]);
  auto facet = db_->prepare("INSERT INTO InteractionFacets (InteractionSeq, FacetKey, Data) VALUES (?, 'WebVisit', '{')");
  facet->bind(1, seqs[5]);
  ASSERT_TRUE(facet->run().ok());

  ExportOptions o;
  auto filter = ExtractionFilter::for_task(o, *parse_timestamp("2025-01-01T00:00:00Z"));
  auto e = InteractionExtractor::create(*db_, filter, true);
  ASSERT_TRUE(e.ok());
  auto batch = (*e)->read(0, 1'000'000, 100);
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(batch->rows_read, 7);
  EXPECT_EQ(batch->item_count, 2);
  auto items = nlohmann::json::parse(batch->json);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0]["Id"], "00000000-0000-0000-0000-000000000001");
  EXPECT_FALSE(items[0].contains("EndDateTime"));
  EXPECT_FALSE(items[0].contains("LastModified"));
  EXPECT_EQ(items[1]["Id"], "00000000-0000-0000-0000-000000000007");
  std::vector<std::pair<std::int64_t, std::string>> skipped;
  for (const auto& s : batch->skipped) skipped.emplace_back(s.key, s.reason);
  EXPECT_EQ(skipped, (std::vector<std::pair<std::int64_t, std::string>>{
                         {seqs[1], "EndDateTime is not a valid timestamp"},
                         {seqs[2], "LastModified is not a valid timestamp"},
                         {seqs[3], "StartDateTime is not a valid timestamp"},
                         {seqs[4], "Events is not a valid JSON array"},
                         {seqs[5], "facet WebVisit is not a valid JSON object"},
                     }));
}

TEST_F(InteractionExtractorTest, ReadsInKeyOrderAfterThePositionUpToTheLimit) {
  for (int i = 1; i <= 5; ++i) {
    char id[40];
    std::snprintf(id, sizeof id, "00000000-0000-0000-0000-%012d", i);
    add_interaction(id, "2020-01-01T00:00:00.0000000Z", 0.5);
  }
  ExportOptions o;
  auto filter = ExtractionFilter::for_task(o, *parse_timestamp("2025-01-01T00:00:00Z"));
  auto e = InteractionExtractor::create(*db_, filter, true);
  auto first = (*e)->read(0, 4, 2);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->item_count, 2);
  EXPECT_EQ(first->last_key, 2);
  auto second = (*e)->read(first->last_key, 4, 2);
  EXPECT_EQ(second->item_count, 2);
  EXPECT_EQ(second->last_key, 4);
  auto third = (*e)->read(second->last_key, 4, 2);
  EXPECT_EQ(third->item_count, 0);
  EXPECT_EQ(third->json, "[]");
}

}  // namespace
}  // namespace cortex
