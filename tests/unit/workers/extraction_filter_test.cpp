// The task filters at their boundaries, run as the SQL the export runs.
#include "workers/extraction_filter.h"

#include <gtest/gtest.h>

#include "collection_fixture.h"
#include "workers/cursor_splitter.h"

namespace cortex {
namespace {

class ExtractionFilterTest : public testing::CollectionFixture {
 protected:
  Timestamp registered = *parse_timestamp("2024-06-10T12:00:00Z");

  std::int64_t count(const ExportOptions& o) {
    auto n = count_matching(*db_, ExtractionFilter::for_task(o, registered));
    EXPECT_TRUE(n.ok());
    return n.ok() ? *n : -1;
  }
};

TEST_F(ExtractionFilterTest, StartedDaysCutoffIsInclusiveAtTheCutoffInstant) {
  add_interaction("00000000-0000-0000-0000-000000000001", "2024-06-03T12:00:00.0000000Z", 0.5);  // exactly 7 days
  add_interaction("00000000-0000-0000-0000-000000000002", "2024-06-03T12:00:00.0000001Z", 0.5);  // 1 tick later
  add_interaction("00000000-0000-0000-0000-000000000003", "2024-06-03T11:59:59.9999999Z", 0.5);  // 1 tick earlier
  ExportOptions o;
  o.cutoff_days = 7;
  EXPECT_EQ(count(o), 2);
  o.cutoff_days = 0;
  EXPECT_EQ(count(o), 3);
  o.cutoff_days = std::nullopt;
  EXPECT_EQ(count(o), 3);
  o.cutoff_days = 2147483647;
  EXPECT_EQ(count(o), 0);
}

TEST_F(ExtractionFilterTest, FutureInteractionsAreLeftOutByAnyCutoffButExportedWithout) {
  add_interaction("00000000-0000-0000-0000-000000000001", "2030-01-01T00:00:00.0000000Z", 0.5);
  ExportOptions o;
  EXPECT_EQ(count(o), 1);
  o.cutoff_days = 0;
  EXPECT_EQ(count(o), 0);
}

TEST_F(ExtractionFilterTest, PercentileRangeIsHalfOpen) {
  add_interaction("00000000-0000-0000-0000-000000000001", "2020-01-01T00:00:00.0000000Z", 0.25);
  add_interaction("00000000-0000-0000-0000-000000000002", "2020-01-01T00:00:00.0000000Z", 0.5);
  add_interaction("00000000-0000-0000-0000-000000000003", "2020-01-01T00:00:00.0000000Z", 0.0);
  add_interaction("00000000-0000-0000-0000-000000000004", "2020-01-01T00:00:00.0000000Z", 0.9999999);
  ExportOptions o;
  o.start_percentile = 0.25;
  o.end_percentile = 0.5;
  EXPECT_EQ(count(o), 1);  // 0.25 in, 0.5 out
  o.start_percentile = 0.0;
  o.end_percentile = 1.0;
  EXPECT_EQ(count(o), 4);
}

TEST_F(ExtractionFilterTest, LegacyPercentileMinusOneMatchesNoRangeButIsExportedWithout) {
  add_interaction("00000000-0000-0000-0000-000000000001", "2020-01-01T00:00:00.0000000Z", -1);
  ExportOptions o;
  EXPECT_EQ(count(o), 1);
  o.start_percentile = 0.0;
  o.end_percentile = 1.0;
  EXPECT_EQ(count(o), 0);
}

TEST_F(ExtractionFilterTest, RecordsAddedAfterRegistrationAreNotPartOfTheTask) {
  add_interaction("00000000-0000-0000-0000-000000000001", "2020-01-01T00:00:00.0000000Z", 0.5,
                  "2024-06-10T12:00:00.0000000Z");
  add_interaction("00000000-0000-0000-0000-000000000002", "2020-01-01T00:00:00.0000000Z", 0.5,
                  "2024-06-10T12:00:00.0000001Z");
  EXPECT_EQ(count(ExportOptions{}), 1);
}

TEST_F(ExtractionFilterTest, SplitTotalsEqualTheCount) {
  for (int i = 0; i < 57; ++i) {
    char id[40];
    std::snprintf(id, sizeof id, "00000000-0000-0000-0000-%012d", i);
    add_interaction(id, "2020-01-01T00:00:00.0000000Z", (i % 10) / 10.0);
  }
  ExportOptions o;
  o.start_percentile = 0.2;
  o.end_percentile = 0.7;
  auto split = split_collection(*db_, ExtractionFilter::for_task(o, registered), 4);
  ASSERT_TRUE(split.ok());
  EXPECT_EQ(split->total, count(o));
  EXPECT_EQ(split->cursors.size(), static_cast<std::size_t>((split->total + 3) / 4));
}

}  // namespace
}  // namespace cortex
