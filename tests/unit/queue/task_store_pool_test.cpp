// The API's pool of task-store connections: reuse, and new connections that never wait for a writer.
#include "queue/task_store.h"

#include <gtest/gtest.h>

#include "common/sqlite_db.h"
#include "temp_dir.h"

namespace cortex {
namespace {

ExportOptions options() {
  ExportOptions o;
  o.storage_profile = "LocalExports";
  return o;
}

TEST(TaskStorePool, TheFirstConnectionOfAFreshDatabaseCreatesItsSchema) {
  testing::TempDir dir;
  TaskStorePool pool(dir.file("tasks.db"));
  auto store = pool.acquire();
  ASSERT_TRUE(store.ok()) << store.error().message;
  auto t = (*store)->register_task(options(), *parse_timestamp("2024-01-01T00:00:00Z"));
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_TRUE(*(*store)->find(t->id));
}

TEST(TaskStorePool, AGivenStoreIsHandedOutAndComesBack) {
  testing::TempDir dir;
  auto opened = TaskStore::open(dir.file("tasks.db"));
  ASSERT_TRUE(opened.ok());
  TaskStore* given = opened->get();
  TaskStorePool pool(dir.file("tasks.db"));
  pool.add_idle(std::move(*opened));
  {
    auto first = pool.acquire();
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(&**first, given);
    auto second = pool.acquire();  // the given one is in use: a new connection
    ASSERT_TRUE(second.ok());
    EXPECT_NE(&**second, given);
  }
  auto again = pool.acquire();
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(&**again != nullptr);
}

TEST(TaskStorePool, NewConnectionsDoNotWaitForAWriterOnceTheSchemaIsApplied) {
  testing::TempDir dir;
  const std::string path = dir.file("tasks.db");
  auto opened = TaskStore::open(path);
  ASSERT_TRUE(opened.ok());
  auto t = (*opened)->register_task(options(), *parse_timestamp("2024-01-01T00:00:00Z"));
  ASSERT_TRUE(t.ok());
  TaskStorePool pool(path);
  pool.add_idle(std::move(*opened));
  auto busy = pool.acquire();  // the pool's only idle connection is taken

  // Another process holds the write lock, as a split or a group commit does. Opening with the schema script would
  // wait for it and fail once the busy timeout ran out ("database is locked"); a connection for progress requests
  // needs no write lock at all.
  auto writer = Database::open(path, Database::Mode::ReadWrite);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->exec("BEGIN IMMEDIATE").ok());
  auto reader = pool.acquire();
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  auto found = (*reader)->find(t->id);
  ASSERT_TRUE(found.ok()) << found.error().message;
  ASSERT_TRUE(*found);
  EXPECT_EQ((*found)->id, t->id);
  ASSERT_TRUE((*writer)->exec("COMMIT").ok());
}

TEST(TaskStorePool, OpeningAnExistingStoreThatIsMissingFailsWithItsPath) {
  testing::TempDir dir;
  auto store = TaskStore::open_existing(dir.file("missing.db"));
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find("missing.db"), std::string::npos) << store.error().message;
}

}  // namespace
}  // namespace cortex
