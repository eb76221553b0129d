// generate_collection: determinism, exact totals, realistic shapes and the promised edge cases, read back with SQL;
// generate_collection_file: a new file built out of sight (same rows, nothing left behind, killed runs leave no
// collection), an existing one appended to.
#include "collection/collection_generator.h"

#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
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

  // The file at `path` made (or appended to) by generate_collection_file.
  GenerateReport generate_file(const fs::path& path, std::int64_t contacts, std::int64_t per_contact,
                               std::uint64_t seed) {
    auto report = generate_collection_file(path.string(), options(contacts, per_contact, seed));
    EXPECT_TRUE(report.ok()) << report.error().message;
    return report.ok() ? *report : GenerateReport{};
  }

  Database& open(const fs::path& path) {
    auto db = create_collection(path.string());
    EXPECT_TRUE(db.ok()) << db.error().message;
    databases_.push_back(std::move(*db));
    return *databases_.back();
  }

  // The names in dir_, sorted.
  std::vector<std::string> files() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_)) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
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

// ---- generate_collection_file ----

TEST_F(GeneratorTest, NewFileHasTheSameRowsAsAppendingToAnEmptyCollection) {
  for (auto [contacts, per_contact, seed] : {std::tuple{4'000, 5, 11}, {300, 4, 7}, {10, 2, 3}, {50, 0, 1}, {0, 5, 1}}) {
    const fs::path path = dir_ / ("new-" + std::to_string(contacts) + ".db");
    GenerateReport report = generate_file(path, contacts, per_contact, seed);
    EXPECT_TRUE(report.new_file);
    EXPECT_EQ(report.contacts, contacts);
    EXPECT_EQ(report.interactions, contacts * per_contact);
    EXPECT_EQ(content_hash(open(path)), content_hash(generate(contacts, per_contact, seed))) << contacts;
  }
}

TEST_F(GeneratorTest, NewFileLeavesNothingBesideItAndIsAWalCollection) {
  const fs::path path = dir_ / "collection.db";
  generate_file(path, 500, 3, 2);
  EXPECT_EQ(files(), std::vector<std::string>{"collection.db"});
  auto db = open_collection_for_reading(path.string());
  ASSERT_TRUE(db.ok()) << db.error().message;
  EXPECT_EQ(number(**db, "SELECT count(*) FROM Interactions"), 1'500);
  // The file itself says WAL, so any reader finds it so.
  std::ifstream file(path, std::ios::binary);
  char header[20] = {};
  file.read(header, sizeof header);
  EXPECT_EQ(header[18], 2);
  EXPECT_EQ(header[19], 2);
  EXPECT_EQ(column(**db, "PRAGMA integrity_check"), std::vector<std::string>{"ok"});
  EXPECT_EQ(number(**db, "PRAGMA page_size"), 65'536);
  EXPECT_EQ(column(**db, "SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY name"),
            (std::vector<std::string>{"ContactIdentifiers_Contact", "ContactIdentifiers_Key", "Contacts_Id",
                                      "Contacts_Split", "Interactions_Contact", "Interactions_Id",
                                      "Interactions_Split"}));
  // Exports read by Seq ranges with the ids in them: the indexes answer those lookups.
  EXPECT_EQ(number(**db, "SELECT count(*) FROM Interactions i JOIN Contacts c ON c.Id = i.ContactId"), 1'500);
}

TEST_F(GeneratorTest, NewFileStillRefusesDuplicateIds) {
  const fs::path path = dir_ / "collection.db";
  generate_file(path, 300, 2, 5);
  Database& db = open(path);
  for (const char* sql :
       {"INSERT INTO Contacts (Id, Percentile, Added) SELECT Id, 0.5, 'x' FROM Contacts LIMIT 1",
        "INSERT INTO Interactions (Id, ContactId, StartDateTime, Percentile, Added) "
        "SELECT Id, ContactId, StartDateTime, 0.5, 'x' FROM Interactions LIMIT 1",
        "INSERT INTO ContactIdentifiers (ContactSeq, Source, Identifier) "
        "SELECT ContactSeq + 1, Source, Identifier FROM ContactIdentifiers LIMIT 1",
        "INSERT INTO ContactFacets (ContactSeq, FacetKey, Data) SELECT ContactSeq, FacetKey, '{}' FROM ContactFacets "
        "LIMIT 1",
        "INSERT INTO InteractionFacets (InteractionSeq, FacetKey, Data) "
        "SELECT InteractionSeq, FacetKey, '{}' FROM InteractionFacets LIMIT 1"}) {
    Status status = db.exec(sql);
    ASSERT_FALSE(status.ok()) << sql;
    EXPECT_NE(status.error().message.find("UNIQUE constraint failed"), std::string::npos) << status.error().message;
  }
}

TEST_F(GeneratorTest, ExistingFileIsAppendedToWithSeqContinuing) {
  const fs::path path = dir_ / "collection.db";
  EXPECT_TRUE(generate_file(path, 100, 2, 1).new_file);
  GenerateReport second = generate_file(path, 100, 2, 2);
  EXPECT_FALSE(second.new_file);
  EXPECT_EQ(second.contacts, 100);
  Database& db = open(path);
  EXPECT_EQ(number(db, "SELECT count(*) FROM Contacts"), 200);
  EXPECT_EQ(number(db, "SELECT count(*) FROM Interactions"), 400);
  EXPECT_EQ(number(db, "SELECT max(Seq) FROM Contacts"), 200);
  EXPECT_EQ(number(db, "SELECT max(Seq) FROM Interactions"), 400);
  EXPECT_EQ(number(db, "SELECT count(DISTINCT Added) FROM Interactions"), 1);  // the same `now` both times
  // The second seed's emails carry their own Seqs (101..200), so nothing collided.
  EXPECT_EQ(number(db, "SELECT count(*) FROM ContactIdentifiers WHERE Source = 'email' AND ContactSeq > 100 AND "
                       "Identifier NOT LIKE '%' || ContactSeq || '@example.com'"),
            0);
  for (const auto& name : files()) EXPECT_EQ(name.find(".generating"), std::string::npos) << name;
}

TEST_F(GeneratorTest, NewFileStoppedMidwayLeavesNothing) {
  const fs::path path = dir_ / "collection.db";
  GeneratorOptions o = options(20'000, 5, 3);
  int calls = 0;
  o.progress = [&calls](std::int64_t written) {
    EXPECT_GT(written, 0);
    return ++calls < 3;
  };
  auto report = generate_collection_file(path.string(), o);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().code, ErrorCode::Unavailable);
  EXPECT_EQ(calls, 3);
  EXPECT_TRUE(files().empty());
  // The same for an append: the open transaction is rolled back, earlier ones stay.
  Database& db = generate(10, 1, 1);
  auto appended = generate_collection(db, o);
  ASSERT_FALSE(appended.ok());
  EXPECT_EQ(number(db, "SELECT count(*) FROM Contacts"), 10);
}

TEST_F(GeneratorTest, KilledNewFileRunLeavesNoCollectionAndTheNextRunRecovers) {
  const fs::path path = dir_ / "collection.db";
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    GeneratorOptions o = options(20'000, 5, 3);
    int batches = 0;
    o.progress = [&batches](std::int64_t) {
      if (++batches == 3) std::raise(SIGKILL);  // midway through the load, with both build files being written
      return true;
    };
    (void)generate_collection_file(path.string(), o);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;

  EXPECT_FALSE(fs::exists(path));
  EXPECT_EQ(open_collection_for_reading(path.string()).error().code, ErrorCode::NotFound);
  EXPECT_TRUE(fs::exists(dir_ / "collection.db.generating"));  // the killed run's, under a name nobody reads

  GenerateReport report = generate_file(path, 2'000, 5, 3);
  EXPECT_TRUE(report.new_file);
  EXPECT_EQ(files(), std::vector<std::string>{"collection.db"});
  EXPECT_EQ(content_hash(open(path)), content_hash(generate(2'000, 5, 3)));
}

TEST_F(GeneratorTest, NewFileIsRefusedWhileAnotherRunBuildsIt) {
  const fs::path path = dir_ / "collection.db";
  int fd = ::open((dir_ / "collection.db.generating").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  auto report = generate_collection_file(path.string(), options(50, 2, 1));
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().code, ErrorCode::Unavailable);
  EXPECT_NE(report.error().message.find("another generate"), std::string::npos) << report.error().message;
  EXPECT_FALSE(fs::exists(path));
  ::close(fd);
  EXPECT_TRUE(generate_file(path, 50, 2, 1).new_file);
}

TEST_F(GeneratorTest, StaleCompanionsOfADeletedCollectionAreNotTakenIntoTheNewFile) {
  // A WAL left by a collection that was deleted would otherwise be replayed into the new file of the same name.
  const fs::path old_path = dir_ / "old.db";
  {
    Database& old = open(old_path);
    ASSERT_TRUE(old.exec("PRAGMA wal_autocheckpoint = 0").ok());
    ASSERT_TRUE(generate_collection(old, options(30, 2, 9)).ok());
  }
  ASSERT_TRUE(fs::exists(dir_ / "old.db-wal"));
  fs::copy_file(dir_ / "old.db-wal", dir_ / "collection.db-wal");
  const fs::path path = dir_ / "collection.db";
  generate_file(path, 40, 2, 1);
  Database& db = open(path);
  EXPECT_EQ(column(db, "PRAGMA integrity_check"), std::vector<std::string>{"ok"});
  EXPECT_EQ(number(db, "SELECT count(*) FROM Contacts"), 40);
}

TEST_F(GeneratorTest, NewFileTakesImportsLikeAnyCollection) {
  const fs::path path = dir_ / "collection.db";
  generate_file(path, 200, 2, 4);
  Database& db = open(path);
  struct FixedClock final : Clock {
    Timestamp now() const override { return kNow; }
  } clock;
  CollectionImporter importer(db, clock);
  const std::string contact_id = column(db, "SELECT Id FROM Contacts WHERE Seq = 7").at(0);
  const std::string text = R"({"Id":"11111111-1111-1111-1111-111111111111","Identifiers":[{"Source":"email",)"
                           R"("Identifier":"new@example.com","IdentifierType":"Known"}]})"
                           "\n"
                           R"({"Id":")" + contact_id + R"(","Identifiers":[]})";
  ImportReport report;
  ASSERT_TRUE(importer.import_text(text, "test.ndjson", report).ok());
  EXPECT_TRUE(report.problems.empty()) << report.problems.at(0).message;
  EXPECT_EQ(report.contacts, 2);
  EXPECT_EQ(number(db, "SELECT count(*) FROM Contacts"), 201);  // one new, one updated in place
  EXPECT_EQ(number(db, "SELECT Seq FROM Contacts WHERE Id = '" + contact_id + "'"), 7);
}

TEST_F(GeneratorTest, IndexesLedBySeqCanBeCreatedApartFromTheOthers) {
  auto db = Database::open((dir_ / "tables.db").string());
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->exec(collection_tables_sql()).ok());
  const std::string names = "SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY name";
  ASSERT_TRUE(create_collection_indexes((*db)->handle(), IndexSelection::LedBySeq).ok());
  EXPECT_EQ(column(**db, names), (std::vector<std::string>{"Contacts_Split", "Interactions_Split"}));
  ASSERT_TRUE(create_collection_indexes((*db)->handle(), IndexSelection::NotLedBySeq).ok());
  EXPECT_EQ(column(**db, names).size(), 7u);
  ASSERT_TRUE(create_collection_indexes((*db)->handle()).ok());  // all there: nothing to do
  EXPECT_EQ(column(**db, names).size(), 7u);
}

// Collections made before the ids' uniqueness moved into named indexes declared it inline.
TEST_F(GeneratorTest, OlderCollectionsKeepTheirInlineUniquenessWithoutASecondIndex) {
  const fs::path path = dir_ / "legacy.db";
  {
    auto legacy = Database::open(path.string());
    ASSERT_TRUE(legacy.ok());
    ASSERT_TRUE((*legacy)
                    ->exec("CREATE TABLE Contacts (Seq INTEGER PRIMARY KEY, Id TEXT NOT NULL UNIQUE, Created TEXT, "
                           "LastModified TEXT, ConcurrencyToken TEXT, Percentile REAL NOT NULL, Added TEXT NOT NULL);"
                           "CREATE TABLE ContactIdentifiers (ContactSeq INTEGER NOT NULL REFERENCES Contacts(Seq) ON "
                           "DELETE CASCADE, Source TEXT NOT NULL, Identifier TEXT NOT NULL, IdentifierType INTEGER "
                           "NOT NULL DEFAULT 0, PRIMARY KEY (Source, Identifier));"
                           "CREATE INDEX ContactIdentifiers_Contact ON ContactIdentifiers (ContactSeq);"
                           "CREATE TABLE Interactions (Seq INTEGER PRIMARY KEY, Id TEXT NOT NULL UNIQUE, ContactId "
                           "TEXT NOT NULL, StartDateTime TEXT NOT NULL, EndDateTime TEXT, DurationTicks INTEGER NOT "
                           "NULL DEFAULT 0, LastModified TEXT, ChannelId TEXT, Initiator TEXT, UserAgent TEXT, "
                           "CampaignId TEXT, VenueId TEXT, DeviceProfileId TEXT, ConcurrencyToken TEXT, "
                           "EngagementValue INTEGER NOT NULL DEFAULT 0, Events TEXT NOT NULL DEFAULT '[]', Percentile "
                           "REAL NOT NULL, Added TEXT NOT NULL);"
                           "CREATE INDEX Interactions_Contact ON Interactions (ContactId);")
                    .ok());
  }
  Database& db = open(path);
  auto report = generate_file(path, 100, 2, 6);
  EXPECT_FALSE(report.new_file);
  EXPECT_EQ(number(db, "SELECT count(*) FROM Interactions"), 200);
  // Only the legacy autoindexes carry uniqueness; the named ones were not added beside them.
  EXPECT_EQ(column(db, "SELECT name FROM sqlite_schema WHERE type = 'index' ORDER BY name"),
            (std::vector<std::string>{"ContactIdentifiers_Contact", "Contacts_Split", "Interactions_Contact",
                                      "Interactions_Split", "sqlite_autoindex_ContactIdentifiers_1",
                                      "sqlite_autoindex_Contacts_1", "sqlite_autoindex_Interactions_1"}));
  EXPECT_FALSE(db.exec("INSERT INTO Contacts (Id, Percentile, Added) SELECT Id, 0.5, 'x' FROM Contacts LIMIT 1").ok());
}

}  // namespace
}  // namespace cortex
