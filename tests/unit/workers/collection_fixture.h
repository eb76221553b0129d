// A small collection built row by row with SQL, for filter and extraction tests.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "collection/collection_db.h"
#include "temp_dir.h"

namespace cortex::testing {

class CollectionFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = create_collection(dir_.file("collection.db"));
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(*db);
  }

  // Returns the Seq of the new interaction.
  std::int64_t add_interaction(const std::string& id, const std::string& start, double percentile,
                               const std::string& added = "2020-01-01T00:00:00.0000000Z",
                               const std::string& events = "[]", const std::string& user_agent = "UA") {
    auto st = db_->prepare(
        "INSERT INTO Interactions (Id, ContactId, StartDateTime, EndDateTime, DurationTicks, LastModified, ChannelId, "
        "Initiator, UserAgent, EngagementValue, Events, Percentile, Added) "
        "VALUES (?, 'c0000000-0000-0000-0000-000000000001', ?, ?, 0, ?, 'b418e4f2-1013-4b42-a053-b6d4dca988bf', "
        "'Contact', ?, 0, ?, ?, ?)");
    EXPECT_TRUE(st.ok());
    st->bind(1, id).bind(2, start).bind(3, start).bind(4, start).bind(5, user_agent).bind(6, events);
    st->bind(7, percentile).bind(8, added);
    EXPECT_TRUE(st->run().ok());
    return db_->last_insert_rowid();
  }

  TempDir dir_;
  std::unique_ptr<Database> db_;
};

}  // namespace cortex::testing
