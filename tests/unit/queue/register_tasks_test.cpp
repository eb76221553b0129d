// TaskStore::register_tasks: a group in one transaction, a failing row left out alone, a rolled-back
// transaction failing the whole group.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "common/sqlite_db.h"
#include "queue/task_store.h"
#include "temp_dir.h"

namespace cortex {
namespace {

class RegisterTasksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = TaskStore::open(dir_.file("tasks.db"));
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
  }

  std::vector<TaskStore::NewTask> group(const std::vector<std::string>& profiles) {
    std::vector<TaskStore::NewTask> out;
    int second = 0;
    for (const auto& p : profiles) {
      TaskStore::NewTask t;
      t.options.storage_profile = p;
      t.options.batch_size = 7;
      t.registered = *parse_timestamp("2024-03-04T05:06:0" + std::to_string(second++) + ".1234567Z");
      out.push_back(t);
    }
    return out;
  }

  // A second connection, as another process would have: sets up triggers that refuse rows.
  void exec_elsewhere(const std::string& sql) {
    auto db = Database::open(dir_.file("tasks.db"));
    ASSERT_TRUE(db.ok());
    auto s = (*db)->exec(sql);
    ASSERT_TRUE(s.ok()) << s.error().message;
  }

  std::size_t stored() {
    auto all = store_->list();
    return all.ok() ? all->size() : 0;
  }

  testing::TempDir dir_;
  std::unique_ptr<TaskStore> store_;
};

TEST_F(RegisterTasksTest, CommitsTheWholeGroupInOrderWithDistinctIds) {
  auto tasks = group({"A", "B", "C", "D"});
  auto result = store_->register_tasks(tasks);
  ASSERT_TRUE(result.ok()) << result.error().message;
  ASSERT_EQ(result->size(), 4u);
  std::set<std::string> ids;
  for (std::size_t i = 0; i < 4; ++i) {
    const auto& r = (*result)[i];
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->options, tasks[i].options);
    EXPECT_EQ(r->added, tasks[i].registered);
    ids.insert(r->id.str());
    // Durable and readable as a normal Pending task, from a fresh connection.
    auto other = TaskStore::open(dir_.file("tasks.db"));
    ASSERT_TRUE(other.ok());
    auto found = (*other)->find(r->id);
    ASSERT_TRUE(found.ok() && *found);
    EXPECT_EQ((*found)->status, TaskStatus::Pending);
    EXPECT_EQ((*found)->options, tasks[i].options);
    EXPECT_EQ(format_timestamp((*found)->added), format_timestamp(tasks[i].registered));
    EXPECT_EQ((*found)->description, initial_description(tasks[i].options));
  }
  EXPECT_EQ(ids.size(), 4u);
}

TEST_F(RegisterTasksTest, TheGroupIsTakenOnceTheWriteLockIsHeld) {
  auto tasks = group({"A", "B"});
  int taken = 0;
  auto result = store_->register_tasks_from([&]() -> const std::vector<TaskStore::NewTask>& {
    ++taken;
    // Called with the write lock held: another connection cannot write now.
    auto other = Database::open(dir_.file("tasks.db"), Database::Mode::ReadWrite, 0);
    EXPECT_TRUE(other.ok());
    if (other.ok()) {
      EXPECT_FALSE((*other)->exec("BEGIN IMMEDIATE").ok());
    }
    return tasks;
  });
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(taken, 1);
  EXPECT_EQ(result->size(), 2u);
  EXPECT_EQ(stored(), 2u);
}

TEST_F(RegisterTasksTest, AnEmptyGroupCommitsNothing) {
  auto result = store_->register_tasks({});
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->empty());
  EXPECT_EQ(stored(), 0u);
}

TEST_F(RegisterTasksTest, ARowThatFailsIsLeftOutAloneAndTheOthersAreCommitted) {
  exec_elsewhere(
      "CREATE TRIGGER refuse_bad BEFORE INSERT ON Tasks WHEN json_extract(NEW.Options, '$.StorageProfile') = 'Bad' "
      "BEGIN SELECT RAISE(ABORT, 'profile Bad refused'); END;");
  auto result = store_->register_tasks(group({"A", "Bad", "C"}));
  ASSERT_TRUE(result.ok()) << result.error().message;
  ASSERT_EQ(result->size(), 3u);
  EXPECT_TRUE((*result)[0].ok());
  ASSERT_FALSE((*result)[1].ok());
  EXPECT_NE((*result)[1].error().message.find("profile Bad refused"), std::string::npos) << (*result)[1].error().message;
  EXPECT_TRUE((*result)[2].ok());
  EXPECT_EQ(stored(), 2u);
  auto found = store_->find((*result)[2]->id);
  ASSERT_TRUE(found.ok() && *found);
}

TEST_F(RegisterTasksTest, ATransactionRolledBackByTheDatabaseFailsTheWholeGroup) {
  exec_elsewhere(
      "CREATE TRIGGER roll_back BEFORE INSERT ON Tasks WHEN json_extract(NEW.Options, '$.StorageProfile') = 'Fatal' "
      "BEGIN SELECT RAISE(ROLLBACK, 'the whole transaction goes'); END;");
  auto result = store_->register_tasks(group({"A", "B", "Fatal", "D"}));
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("rolled back"), std::string::npos) << result.error().message;
  EXPECT_NE(result.error().message.find("4 task(s)"), std::string::npos) << result.error().message;
  EXPECT_EQ(stored(), 0u);  // A and B, inserted before, were not committed either
  // The connection is usable afterwards.
  auto again = store_->register_tasks(group({"A"}));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(stored(), 1u);
}

}  // namespace
}  // namespace cortex
