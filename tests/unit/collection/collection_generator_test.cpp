// generate_collection: determinism, exact totals, realistic shapes and the promised edge cases, read back with SQL.
#include "collection/collection_generator.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "collection/collection_db.h"
#include "collection/collection_importer.h"
#include "common/guid.h"
#include "common/sha256.h"

namespace cortex {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const Timestamp kNow = *parse_timestamp("2024-05-01T12:00:00Z");

class GeneratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cortex-generator-" + Guid::random().str());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    databases_.clear();
    fs::remove_all(dir_);
  }

  // A fresh collection filled by the generator.
  Database& generate(std::int64_t contacts, std::int64_t per_contact, std::uint64_t seed) {
    std::string name = std::to_string(databases_.size());  // not "c" + ...: a false -Wrestrict in g++ 12
    auto db = create_collection((dir_ / (name + ".db")).string());
    EXPECT_TRUE(db.ok()) << db.error().message;
    databases_.push_back(std::move(*db));
    Database& collection = *databases_.back();
    auto report = generate_collection(collection, options(contacts, per_contact, seed));
    EXPECT_TRUE(report.ok()) << report.error().message;
    if (report.ok()) {
      EXPECT_EQ(report->contacts, contacts);
      EXPECT_EQ(report->interactions, contacts * per_contact);
    }
    return collection;
  }

  static GeneratorOptions options(std::int64_t contacts, std::int64_t per_contact, std::uint64_t seed) {
    GeneratorOptions o;
    o.contacts = contacts;
    o.interactions_per_contact = per_contact;
    o.seed = seed;
    o.now = kNow;
    return o;
  }

  // Every row of every table, column by column, in key order.
  static std::string content_hash(Database& db) {
    Sha256 hash;
    for (const char* sql :
         {"SELECT * FROM Contacts ORDER BY Seq",
          "SELECT * FROM ContactIdentifiers ORDER BY ContactSeq, Source, Identifier",
          "SELECT * FROM ContactFacets ORDER BY ContactSeq, FacetKey", "SELECT * FROM Interactions ORDER BY Seq",
          "SELECT * FROM InteractionFacets ORDER BY InteractionSeq, FacetKey"}) {
      sqlite3_stmt* statement = nullptr;
      EXPECT_EQ(sqlite3_prepare_v2(db.handle(), sql, -1, &statement, nullptr), SQLITE_OK);
      while (sqlite3_step(statement) == SQLITE_ROW) {
        for (int c = 0; c < sqlite3_column_count(statement); ++c) {
          const unsigned char* text = sqlite3_column_text(statement, c);
          hash.update(text ? reinterpret_cast<const char*>(text) : "<null>");
          hash.update("\x1f");
        }
        hash.update("\n");
      }
      sqlite3_finalize(statement);
    }
    return Sha256::hex(hash.finish());
  }

  static std::int64_t number(Database& db, const std::string& sql) {
    auto statement = db.prepare(sql);
    EXPECT_TRUE(statement.ok()) << statement.error().message;
    if (!statement.ok()) return -1;
    auto row = statement->step();
    EXPECT_TRUE(row.ok() && *row) << sql;
    return statement->int64(0);
  }

  static std::vector<std::string> column(Database& db, const std::string& sql) {
    std::vector<std::string> out;
    auto statement = db.prepare(sql);
    EXPECT_TRUE(statement.ok()) << statement.error().message;
    if (!statement.ok()) return out;
    while (true) {
      auto row = statement->step();
      EXPECT_TRUE(row.ok());
      if (!row.ok() || !*row) break;
      out.push_back(statement->optional_text(0).value_or("<null>"));
    }
    return out;
  }

  fs::path dir_;
  std::vector<std::unique_ptr<Database>> databases_;
};

TEST_F(GeneratorTest, SameSeedGivesIdenticalContent) {
  std::string first = content_hash(generate(300, 4, 7));
  std::string second = content_hash(generate(300, 4, 7));
  EXPECT_EQ(first, second);
}

TEST_F(GeneratorTest, DifferentSeedGivesDifferentContent) {
  Database& a = generate(300, 4, 7);
  Database& b = generate(300, 4, 8);
  EXPECT_NE(content_hash(a), content_hash(b));
  EXPECT_EQ(number(a, "SELECT count(*) FROM Interactions"), number(b, "SELECT count(*) FROM Interactions"));
}

TEST_F(GeneratorTest, TotalsAreExactAndCountsVaryAroundTheMean) {
  Database& db = generate(137, 3, 1);
  EXPECT_EQ(number(db, "SELECT count(*) FROM Contacts"), 137);
  EXPECT_EQ(number(db, "SELECT count(*) FROM Interactions"), 411);
  EXPECT_GT(number(db, "SELECT count(DISTINCT n) FROM (SELECT count(*) AS n FROM Interactions GROUP BY ContactId)"), 3);
  // Every interaction belongs to a generated contact.
  EXPECT_EQ(number(db, "SELECT count(*) FROM Interactions WHERE ContactId NOT IN (SELECT Id FROM Contacts)"), 0);
}

TEST_F(GeneratorTest, SmallCollectionsHaveNoEdgeCases) {
  Database& db = generate(10, 2, 3);
  EXPECT_EQ(number(db, "SELECT count(*) FROM Interactions"), 20);
  EXPECT_EQ(number(db, "SELECT count(*) FROM Interactions WHERE Percentile = -1 OR StartDateTime > '2024-05-01'"), 0);
}

TEST_F(GeneratorTest, EdgeCasesArePresent) {
  Database& db = generate(4'000, 5, 11);  // 20,000 interactions: the threshold for the 5,000-interaction contact
  const std::string now = format_timestamp(kNow);
  EXPECT_EQ(number(db, "SELECT count(*) FROM Interactions WHERE StartDateTime > '" + now + "'"), 3);
  EXPECT_EQ(number(db, "SELECT count(*) FROM Interactions WHERE Percentile = -1"), 3);
  EXPECT_EQ(number(db, "SELECT count(*) FROM Contacts WHERE Percentile = -1"), 2);
  EXPECT_GE(number(db, "SELECT count(*) FROM Contacts WHERE Id NOT IN (SELECT ContactId FROM Interactions)"), 3);
  EXPECT_EQ(number(db, "SELECT max(n) FROM (SELECT count(*) AS n FROM Interactions GROUP BY ContactId)"), 5'000);
  EXPECT_EQ(number(db, "SELECT count(*) FROM Interactions WHERE length(UserAgent) = 5000"), 1);
  auto unicode = column(db, "SELECT UserAgent FROM Interactions WHERE UserAgent LIKE '%日本語%'");
  ASSERT_EQ(unicode.size(), 1u);
  EXPECT_NE(unicode[0].find("\"Pixel 7\""), std::string::npos);
}

TEST_F(GeneratorTest, PercentilesAreInRangeOrMinusOne) {
  Database& db = generate(500, 5, 5);
  for (const char* table : {"Contacts", "Interactions"}) {
    EXPECT_EQ(number(db, std::string("SELECT count(*) FROM ") + table +
                             " WHERE NOT ((Percentile >= 0 AND Percentile < 1) OR Percentile = -1)"),
              0);
    EXPECT_GT(number(db, std::string("SELECT count(DISTINCT Percentile) FROM ") + table), 400);
  }
}

TEST_F(GeneratorTest, DatesSpanFiveYearsBeforeNowAndDurationsMatchEndMinusStart) {
  Database& db = generate(500, 6, 2);
  const std::string now = format_timestamp(kNow);
  const std::string five_years_ago = format_timestamp(kNow - ticks_of_days(5 * 365 + 1));
  EXPECT_EQ(number(db, "SELECT count(*) FROM Interactions WHERE StartDateTime < '" + five_years_ago + "'"), 0);
  EXPECT_EQ(number(db, "SELECT count(*) FROM Contacts WHERE Created < '" + five_years_ago + "' OR Created > '" + now +
                           "' OR LastModified < Created"),
            0);
  // Spread: interactions in each of the five years.
  EXPECT_EQ(number(db, "SELECT count(DISTINCT substr(StartDateTime, 1, 4)) FROM Interactions WHERE StartDateTime <= '" +
                           now + "'"),
            6);  // 2019-05 .. 2024-05 touches six calendar years
  std::int64_t rows = 0;
  for (const auto& row :
       column(db, "SELECT StartDateTime || '|' || EndDateTime || '|' || DurationTicks FROM Interactions")) {
    auto a = row.find('|'), b = row.rfind('|');
    auto start = parse_timestamp(row.substr(0, a));
    auto end = parse_timestamp(row.substr(a + 1, b - a - 1));
    ASSERT_TRUE(start && end) << row;
    EXPECT_EQ(format_timestamp(*start), row.substr(0, a));  // the generator formats without format_timestamp
    EXPECT_EQ(format_timestamp(*end), row.substr(a + 1, b - a - 1));
    EXPECT_EQ((*end - *start).count(), std::stoll(row.substr(b + 1))) << row;
    EXPECT_GE(*end, *start);
    ++rows;
  }
  EXPECT_EQ(rows, 3'000);
  EXPECT_GT(number(db, "SELECT count(*) FROM Interactions WHERE DurationTicks = 0"), 0);
  EXPECT_GT(number(db, "SELECT count(*) FROM Interactions WHERE DurationTicks > 0"), 0);
}

TEST_F(GeneratorTest, StoredJsonIsTheImportersCanonicalForm) {
  Database& db = generate(400, 5, 9);
  std::set<std::string> event_types;
  for (const auto& text : column(db, "SELECT Events FROM Interactions")) {
    json events = json::parse(text);
    ASSERT_TRUE(events.is_array());
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(stored_json(events), text);
    for (const auto& event : events) {
      std::string type = event.at("@odata.type");
      EXPECT_EQ(type.rfind("#Sitecore.XConnect.Collection.Model.", 0), 0u) << type;
      event_types.insert(type.substr(type.rfind('.') + 1));
      EXPECT_TRUE(event.contains("Timestamp") && event.contains("DefinitionId") && event.contains("Id")) << event;
    }
  }
  EXPECT_EQ(event_types, (std::set<std::string>{"DownloadEvent", "Goal", "Outcome", "PageViewEvent", "SearchEvent"}));
  for (const auto& text : column(db, "SELECT Data FROM ContactFacets UNION ALL SELECT Data FROM InteractionFacets")) {
    EXPECT_EQ(stored_json(json::parse(text)), text);
  }
}

TEST_F(GeneratorTest, EngagementValueIsTheSumOfItsEvents) {
  Database& db = generate(300, 5, 4);
  for (const auto& row : column(db, "SELECT EngagementValue || '|' || Events FROM Interactions")) {
    auto bar = row.find('|');
    std::int64_t sum = 0;
    for (const auto& event : json::parse(row.substr(bar + 1))) sum += event.value("EngagementValue", std::int64_t{0});
    EXPECT_EQ(std::stoll(row.substr(0, bar)), sum);
  }
  EXPECT_GT(number(db, "SELECT count(*) FROM Interactions WHERE EngagementValue > 0"), 0);
}

TEST_F(GeneratorTest, ContactsHaveIdentifiersAndMostHaveFacets) {
  Database& db = generate(500, 1, 6);
  EXPECT_EQ(number(db,
                   "SELECT count(*) FROM (SELECT c.Seq, count(i.Identifier) AS n FROM Contacts c "
                   "LEFT JOIN ContactIdentifiers i ON i.ContactSeq = c.Seq GROUP BY c.Seq) WHERE n < 1 OR n > 3"),
            0);
  EXPECT_EQ(number(db,
                   "SELECT count(*) FROM ContactIdentifiers WHERE NOT ((Source = 'email' AND IdentifierType = 1 "
                   "AND Identifier LIKE '%_@example.com') OR (Source = 'xDB.Tracker' AND IdentifierType = 0 "
                   "AND length(Identifier) = 32))"),
            0);
  EXPECT_GT(number(db, "SELECT count(*) FROM ContactIdentifiers WHERE Source = 'email'"), 250);
  EXPECT_GT(number(db, "SELECT count(*) FROM ContactFacets WHERE FacetKey = 'Personal'"), 250);
  // The Emails facet holds the contact's Known email identifier.
  EXPECT_EQ(number(db,
                   "SELECT count(*) FROM ContactFacets f JOIN ContactIdentifiers i ON i.ContactSeq = f.ContactSeq "
                   "AND i.Source = 'email' WHERE f.FacetKey = 'Emails' AND instr(f.Data, i.Identifier) = 0"),
            0);
  auto personal = json::parse(column(db, "SELECT Data FROM ContactFacets WHERE FacetKey = 'Personal' LIMIT 1").at(0));
  EXPECT_EQ(personal["@odata.type"], "#Sitecore.XConnect.Collection.Model.PersonalInformation");
  EXPECT_TRUE(personal.contains("FirstName") && personal.contains("LastName"));
}

TEST_F(GeneratorTest, InteractionsAreGroupedByContactInSeqOrder) {
  Database& db = generate(200, 4, 12);
  // Contact order of the interactions, collapsing runs, must equal the contacts' own Seq order.
  auto by_interaction = column(db, "SELECT ContactId FROM Interactions ORDER BY Seq");
  std::vector<std::string> runs;
  for (const auto& id : by_interaction) {
    if (runs.empty() || runs.back() != id) runs.push_back(id);
  }
  auto contacts_with_interactions =
      column(db, "SELECT Id FROM Contacts WHERE Id IN (SELECT ContactId FROM Interactions) ORDER BY Seq");
  EXPECT_EQ(runs, contacts_with_interactions);
  EXPECT_EQ(number(db, "SELECT count(DISTINCT ChannelId) FROM Interactions"), 5);
  EXPECT_EQ(number(db, "SELECT count(*) FROM Interactions WHERE Initiator NOT IN ('Contact', 'Brand')"), 0);
}

TEST_F(GeneratorTest, AppendsToACollectionWithoutCollisions) {
  Database& db = generate(100, 2, 1);
  auto second = generate_collection(db, options(100, 2, 2));
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(number(db, "SELECT count(*) FROM Contacts"), 200);
  EXPECT_EQ(number(db, "SELECT count(*) FROM Interactions"), 400);
}

TEST_F(GeneratorTest, RejectsUnsetNowAndNegativeCounts) {
  auto db = create_collection((dir_ / "rejected.db").string());
  ASSERT_TRUE(db.ok());
  GeneratorOptions unset;
  auto no_now = generate_collection(**db, unset);
  ASSERT_FALSE(no_now.ok());
  EXPECT_EQ(no_now.error().code, ErrorCode::InvalidArgument);
  auto negative = generate_collection(**db, options(-1, 5, 1));
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(number(**db, "SELECT count(*) FROM Contacts"), 0);
}

TEST_F(GeneratorTest, ZeroInteractionsPerContactWritesContactsOnly) {
  Database& db = generate(50, 0, 1);
  EXPECT_EQ(number(db, "SELECT count(*) FROM Contacts"), 50);
  EXPECT_EQ(number(db, "SELECT count(*) FROM Interactions"), 0);
}

}  // namespace
}  // namespace cortex
