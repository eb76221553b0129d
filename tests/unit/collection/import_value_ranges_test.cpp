// CollectionImporter: dates and durations beyond what the stored forms hold are refused, never stored wrapped or
// misformatted. The failing inputs were found by fuzz_import (tests/fuzz/regressions/fuzz_import/).
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>

#include "collection/collection_db.h"
#include "collection/collection_importer.h"

namespace cortex {
namespace {

constexpr const char* kContact = "3f2a6b1e-9c4d-4e8f-a1b2-c3d4e5f60718";
constexpr const char* kInteraction = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";

class FixedClock final : public Clock {
 public:
  Timestamp now() const override { return *parse_timestamp("2024-03-01T12:00:00Z"); }
};

std::string interaction_with(const std::string& members) {
  return std::string(R"({"Id":")") + kInteraction + R"(","ContactId":")" + kContact + R"(")" + members + "}";
}

std::string contact_with(const std::string& members) { return std::string(R"({"Id":")") + kContact + R"(")" + members + "}"; }

class ImportValueRangesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = create_collection(":memory:");
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(*db);
    importer_ = std::make_unique<CollectionImporter>(*db_, clock_);
  }

  ImportReport import(const std::string& text) {
    ImportReport report;
    Status status = importer_->import_text(text, "values.ndjson", report);
    EXPECT_TRUE(status.ok()) << status.error().message;
    return report;
  }

  // The one record is left out, with a problem naming the field.
  void expect_refused(const std::string& record, const std::string& field) {
    ImportReport report = import(record);
    EXPECT_EQ(report.contacts + report.interactions, 0) << record;
    ASSERT_EQ(report.skipped, 1) << record << " was loaded: " << stored("SELECT StartDateTime || ' ' || DurationTicks FROM Interactions") << " / " << stored("SELECT Created FROM Contacts");
    ASSERT_EQ(report.problems.size(), 1u);
    EXPECT_NE(report.problems[0].message.find(field), std::string::npos) << report.problems[0].message;
  }

  std::string stored(const std::string& sql) {
    auto statement = db_->prepare(sql);
    EXPECT_TRUE(statement.ok());
    if (!statement.ok()) return "<error>";
    auto row = statement->step();
    if (!row.ok() || !*row) return "<none>";
    return statement->optional_text(0).value_or("<null>");
  }

  FixedClock clock_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<CollectionImporter> importer_;
};

// A TimeSpan holds at most 10675199.02:48:05.4775807 (2^63 - 1 ticks). Longer ones overflowed the tick count
// (undefined behaviour; in practice it wrapped, "P21350399D" loading as about 18 hours).
TEST_F(ImportValueRangesTest, RefusesIsoDurationBeyondTimeSpanRange) {
  for (const char* duration : {"P21350399D", "P10675200D", "P99999999999W"}) {
    expect_refused(interaction_with(R"(,"StartDateTime":"2023-06-10T17:40:00Z","Duration":")" + std::string(duration) + "\""),
                   "Duration");
  }
}

TEST_F(ImportValueRangesTest, RefusesTimeSpanTextBeyondTimeSpanRange) {
  for (const char* duration : {"21350399.00:00", "10675200.02:07"}) {
    expect_refused(interaction_with(R"(,"StartDateTime":"2023-06-10T17:40:00Z","Duration":")" + std::string(duration) + "\""),
                   "Duration");
  }
}

TEST_F(ImportValueRangesTest, AcceptsLongestTimeSpanInBothForms) {
  for (const char* duration : {"10675199.02:48:05.4775807", "P10675199DT2H48M5.4775807S"}) {
    ImportReport report =
        import(interaction_with(R"(,"StartDateTime":"2023-06-10T17:40:00Z","Duration":")" + std::string(duration) + "\""));
    EXPECT_EQ(report.interactions, 1) << duration;
    EXPECT_EQ(stored("SELECT DurationTicks FROM Interactions"), "9223372036854775807") << duration;
  }
}

// Stored timestamps are 'YYYY-MM-DDTHH:MM:SS.fffffffZ' (schema/collection.sql). An offset that moves a time out of
// years 1..9999 used to store "-001-12-31T23:00:00.0000000Z" or "10000-01-01T23:58:59.0000000Z", which neither
// compare as times nor read back.
TEST_F(ImportValueRangesTest, RefusesTimestampThatAnOffsetMovesBeforeYearOne) {
  expect_refused(contact_with(R"(,"Created":"0000-01-01T00:00:00+01:00")"), "Created");
}

TEST_F(ImportValueRangesTest, RefusesTimestampThatAnOffsetMovesPastYear9999) {
  expect_refused(interaction_with(R"(,"StartDateTime":"9999-12-31T23:59:59-23:59")"), "StartDateTime");
}

TEST_F(ImportValueRangesTest, StoresEarliestAndLatestTimestampsInFixedForm) {
  ImportReport report = import(
      interaction_with(R"(,"StartDateTime":"0001-01-01T00:00:00Z","EndDateTime":"9999-12-31T23:59:59.9999999Z")"));
  ASSERT_EQ(report.interactions, 1);
  EXPECT_EQ(stored("SELECT StartDateTime FROM Interactions"), "0001-01-01T00:00:00.0000000Z");
  EXPECT_EQ(stored("SELECT EndDateTime FROM Interactions"), "9999-12-31T23:59:59.9999999Z");
}

}  // namespace
}  // namespace cortex
