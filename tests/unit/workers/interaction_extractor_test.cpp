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
