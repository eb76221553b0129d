// The task store: durable registration, cancel rules, leases and batch commits.
#include "queue/task_store.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "temp_dir.h"

namespace cortex {
namespace {

class TaskStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = TaskStore::open(dir_.file("tasks.db"));
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
    options_.storage_profile = "LocalExports";
  }
  Timestamp at(const char* text) { return *parse_timestamp(text); }

  testing::TempDir dir_;
  std::unique_ptr<TaskStore> store_;
  ExportOptions options_;
  Ticks lease_ = std::chrono::seconds(30);
};

TEST_F(TaskStoreTest, RegistrationIsDurableAndKeepsTheRegistrationInstant) {
  options_.cutoff_days = 3;
  auto t = store_->register_task(options_, at("2024-01-02T03:04:05.6789012Z"));
  ASSERT_TRUE(t.ok());
  store_.reset();
  auto reopened = TaskStore::open(dir_.file("tasks.db"));
  ASSERT_TRUE(reopened.ok());
  auto found = (*reopened)->find(t->id);
  ASSERT_TRUE(found.ok() && *found);
  EXPECT_EQ(format_timestamp((*found)->added), "2024-01-02T03:04:05.6789012Z");
  EXPECT_EQ((*found)->status, TaskStatus::Pending);
  EXPECT_EQ((*found)->options, options_);
  EXPECT_FALSE((*found)->total);
}

TEST_F(TaskStoreTest, UnknownTaskIsNotFound) {
  auto found = store_->find(Guid::random());
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(*found);
}

TEST_F(TaskStoreTest, CancelOfAPendingTaskIsImmediateAndIdempotent) {
  auto t = store_->register_task(options_, at("2024-01-01T00:00:00Z"));
  auto c = store_->request_cancel(t->id, at("2024-01-01T00:00:01Z"));
  ASSERT_TRUE(c.ok() && *c);
  EXPECT_EQ((*c)->status, TaskStatus::Canceled);
  ASSERT_TRUE((*c)->expiration);
  EXPECT_EQ(format_timestamp(*(*c)->expiration), "2024-01-02T00:00:01.0000000Z");
  EXPECT_EQ((*c)->description, "Canceled: " + initial_description(options_) + ": 0 item(s) stored before the cancel");
  auto again = store_->request_cancel(t->id, at("2024-01-01T00:00:09Z"));
  EXPECT_EQ((*again)->status, TaskStatus::Canceled);
  EXPECT_EQ((*again)->updated, (*c)->updated);
}

TEST_F(TaskStoreTest, SplitLeaseCommitAndFinishFlow) {
  auto t = store_->register_task(options_, at("2024-01-01T00:00:00Z"));
  auto now = at("2024-01-01T00:00:01Z");
  auto split = store_->lease_task_for_split("d1/", now, lease_);
  ASSERT_TRUE(split.ok() && *split);
  EXPECT_EQ((*split)->status, TaskStatus::Processing);
  // Nothing else to split while this one is leased.
  EXPECT_FALSE(*store_->lease_task_for_split("d2/", now, lease_));
  ASSERT_TRUE(store_->store_split(t->id, "d1/", {{1, 10, 10}, {11, 15, 5}}, 15, now).ok());

  auto a = store_->lease_cursor("d1/worker-0", now, lease_);
  auto b = store_->lease_cursor("d1/worker-1", now, lease_);
  ASSERT_TRUE(*a && *b);
  EXPECT_NE((*a)->cursor_index, (*b)->cursor_index);
  EXPECT_FALSE(*store_->lease_cursor("d1/worker-2", now, lease_));
  EXPECT_EQ((*a)->position, 0);

  StoredBatch batch{0, 0, "x_0.json", 10, 100, "abc"};
  auto commit = store_->commit_batch(**a, batch, {}, 10, true, now, lease_);
  ASSERT_TRUE(commit.ok());
  EXPECT_TRUE(commit->cursor_done);
  EXPECT_FALSE(*store_->lease_task_to_finish("d1/", now, lease_));  // cursor 1 still open
  StoredBatch batch2{1, 0, "x_1.json", 5, 50, "def"};
  ASSERT_TRUE(store_->commit_batch(**b, batch2, {}, 15, true, now, lease_).ok());
  auto found = store_->find(t->id);
  EXPECT_EQ((*found)->progress, 15);
  EXPECT_EQ((*found)->total, 15);
  auto finish = store_->lease_task_to_finish("d1/", now, lease_);
  ASSERT_TRUE(finish.ok() && *finish);
  EXPECT_EQ(store_->stored_batches(t->id)->size(), 2u);
  ASSERT_TRUE(store_->complete_task(t->id, "d1/", "done", now).ok());
  EXPECT_EQ((*store_->find(t->id))->status, TaskStatus::Completed);
}

TEST_F(TaskStoreTest, CursorsAreLeasedInGroupsUpToTheItemsAsked) {
  auto t = store_->register_task(options_, at("2024-01-01T00:00:00Z"));
  auto now = at("2024-01-01T00:00:01Z");
  ASSERT_TRUE(*store_->lease_task_for_split("d1/", now, lease_));
  ASSERT_TRUE(store_->store_split(t->id, "d1/", {{1, 10, 10}, {11, 20, 10}, {21, 30, 10}, {31, 35, 5}}, 35, now).ok());
  // 25 items asked: cursors are added until they hold at least that many.
  auto first = store_->lease_cursors("d1/worker-0", now, lease_, 25);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 3u);
  EXPECT_EQ((*first)[0].cursor_index, 0);
  EXPECT_EQ((*first)[2].cursor_index, 2);
  EXPECT_EQ((*first)[2].task_id, t->id);
  auto rest = store_->lease_cursors("d1/worker-1", now, lease_, 25);
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ((*rest)[0].cursor_index, 3);
  EXPECT_TRUE(store_->lease_cursors("d1/worker-2", now, lease_, 25)->empty());
  // Lapsed leases come back first, at their stored positions.
  ASSERT_TRUE(store_->commit_batch((*first)[1], {1, 0, "b.json", 4, 1, "x"}, {}, 14, false, now, lease_).ok());
  auto later = now + lease_ + std::chrono::seconds(1);
  auto again = store_->lease_cursors("d2/worker-0", later, lease_, 1);
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ((*again)[0].cursor_index, 0);
  auto resumed = store_->lease_cursors("d2/worker-0", later, lease_, 1);
  EXPECT_EQ((*resumed)[0].cursor_index, 1);
  EXPECT_EQ((*resumed)[0].position, 14);
  EXPECT_EQ((*resumed)[0].items_done, 4);
}

TEST_F(TaskStoreTest, AGroupCommitRecordsEveryBatchAndReportsALostLeaseOnItsOwn) {
  auto t = store_->register_task(options_, at("2024-01-01T00:00:00Z"));
  auto now = at("2024-01-01T00:00:01Z");
  ASSERT_TRUE(*store_->lease_task_for_split("d1/", now, lease_));
  ASSERT_TRUE(store_->store_split(t->id, "d1/", {{1, 10, 10}, {11, 20, 10}}, 20, now).ok());
  auto leases = store_->lease_cursors("d1/worker-0", now, lease_, 20);
  ASSERT_EQ(leases->size(), 2u);
  // Cursor 1's lease lapses and another worker takes it before the group is committed.
  auto later = now + lease_ + std::chrono::seconds(1);
  ASSERT_TRUE(store_->renew_leases("nobody/", later, lease_).ok());
  auto thief = store_->lease_cursors("d2/worker-0", later, lease_, 10);
  ASSERT_EQ(thief->size(), 1u);
  ASSERT_EQ((*thief)[0].cursor_index, 0);
  std::vector<BatchCommit> commits{
      {&(*leases)[0], {0, 0, "a0.json", 5, 10, "x"}, {}, 5, false},
      {&(*leases)[1], {1, 0, "b0.json", 5, 10, "y"}, {}, 15, false},
      {&(*leases)[1], {1, 1, "b1.json", 5, 10, "z"}, {}, 20, true}};
  auto outcomes = store_->commit_batches(commits, later, lease_);
  ASSERT_TRUE(outcomes.ok()) << outcomes.error().message;
  ASSERT_EQ(outcomes->size(), 3u);
  EXPECT_TRUE((*outcomes)[0].lease_lost);
  EXPECT_FALSE((*outcomes)[0].keep_going);
  EXPECT_FALSE((*outcomes)[1].lease_lost);
  EXPECT_TRUE((*outcomes)[2].cursor_done);
  auto batches = store_->stored_batches(t->id);
  ASSERT_EQ(batches->size(), 2u);
  EXPECT_EQ((*batches)[0].file_name, "b0.json");
  EXPECT_EQ((*store_->find(t->id))->progress, 10);
}

TEST_F(TaskStoreTest, ALapsedLeaseGoesBackToTheQueueAtItsStoredPosition) {
  auto t = store_->register_task(options_, at("2024-01-01T00:00:00Z"));
  auto now = at("2024-01-01T00:00:01Z");
  ASSERT_TRUE(*store_->lease_task_for_split("d1/", now, lease_));
  ASSERT_TRUE(store_->store_split(t->id, "d1/", {{1, 10, 10}}, 10, now).ok());
  auto a = store_->lease_cursor("d1/worker-0", now, lease_);
  ASSERT_TRUE(store_->commit_batch(**a, {0, 0, "f0.json", 4, 1, "x"}, {}, 4, false, now, lease_).ok());
  // The worker dies; 31 s later another daemon takes the cursor over from key 4.
  auto later = now + std::chrono::seconds(31);
  auto b = store_->lease_cursor("d2/worker-0", later, lease_);
  ASSERT_TRUE(b.ok() && *b);
  EXPECT_EQ((*b)->position, 4);
  EXPECT_EQ((*b)->batches_done, 1);
  // The first owner's late commit is refused: no batch is counted twice.
  auto late = store_->commit_batch(**a, {0, 1, "f1.json", 6, 1, "y"}, {}, 10, true, later, lease_);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, ErrorCode::Conflict);
  EXPECT_EQ((*store_->find(t->id))->progress, 4);
}

TEST_F(TaskStoreTest, CancelDuringABatchTakesEffectWhenTheBatchIsCommitted) {
  auto t = store_->register_task(options_, at("2024-01-01T00:00:00Z"));
  auto now = at("2024-01-01T00:00:01Z");
  ASSERT_TRUE(*store_->lease_task_for_split("d1/", now, lease_));
  ASSERT_TRUE(store_->store_split(t->id, "d1/", {{1, 10, 10}}, 10, now).ok());
  auto a = store_->lease_cursor("d1/worker-0", now, lease_);
  auto c = store_->request_cancel(t->id, now);
  EXPECT_EQ((*c)->status, TaskStatus::Processing);
  EXPECT_TRUE((*c)->cancel_requested);
  auto commit = store_->commit_batch(**a, {0, 0, "f0.json", 5, 1, "x"}, {}, 5, false, now, lease_);
  ASSERT_TRUE(commit.ok());
  EXPECT_FALSE(commit->keep_going);
  auto after = store_->find(t->id);
  EXPECT_EQ((*after)->status, TaskStatus::Canceled);
  EXPECT_EQ((*after)->progress, 5);
}

TEST_F(TaskStoreTest, SchedulerPicksTakeTheOldestAndRetakeOnlyLapsedSplits) {
  auto later = store_->register_task(options_, at("2024-01-01T00:00:05Z"));
  auto older = store_->register_task(options_, at("2024-01-01T00:00:01Z"));
  auto canceled = store_->register_task(options_, at("2024-01-01T00:00:00Z"));
  ASSERT_TRUE(store_->request_cancel(canceled->id, at("2024-01-01T00:00:00Z")).ok());
  auto now = at("2024-01-01T00:00:10Z");
  // The canceled one is final; of the others the oldest goes first.
  auto first = store_->lease_task_for_split("d1/", now, lease_);
  ASSERT_TRUE(first.ok() && *first);
  EXPECT_EQ((*first)->id, older->id);
  auto second = store_->lease_task_for_split("d1/", now, lease_);
  ASSERT_TRUE(second.ok() && *second);
  EXPECT_EQ((*second)->id, later->id);
  EXPECT_FALSE(*store_->lease_task_for_split("d2/", now, lease_));
  // The first split's scheduler died: once its lease lapses another takes the split over; the second was split.
  ASSERT_TRUE(store_->store_split(later->id, "d1/", {{1, 10, 10}}, 10, now).ok());
  auto lapsed = now + lease_ + std::chrono::seconds(1);
  auto retaken = store_->lease_task_for_split("d2/", lapsed, lease_);
  ASSERT_TRUE(retaken.ok() && *retaken);
  EXPECT_EQ((*retaken)->id, older->id);
  EXPECT_FALSE(*store_->lease_task_for_split("d3/", lapsed, lease_));
  // Finishing: only a split task whose cursors are all done, and only once at a time.
  EXPECT_FALSE(*store_->lease_task_to_finish("d2/", lapsed, lease_));
  auto cursor = store_->lease_cursor("d2/worker-0", lapsed, lease_);
  ASSERT_TRUE(cursor.ok() && *cursor);
  ASSERT_TRUE(store_->commit_batch(**cursor, {0, 0, "f0.json", 10, 1, "x"}, {}, 10, true, lapsed, lease_).ok());
  auto finish = store_->lease_task_to_finish("d2/", lapsed, lease_);
  ASSERT_TRUE(finish.ok() && *finish);
  EXPECT_EQ((*finish)->id, later->id);
  EXPECT_FALSE(*store_->lease_task_to_finish("d3/", lapsed, lease_));
}

TEST_F(TaskStoreTest, IdleCancelsApplyOnlyToRequestedTasksWithoutALiveBatch) {
  auto t = store_->register_task(options_, at("2024-01-01T00:00:00Z"));
  auto other = store_->register_task(options_, at("2024-01-01T00:00:00.5Z"));  // split second
  auto now = at("2024-01-01T00:00:01Z");
  EXPECT_TRUE(store_->cancel_idle_tasks(now)->empty());  // nothing requested
  ASSERT_TRUE(*store_->lease_task_for_split("d1/", now, lease_));
  ASSERT_TRUE(store_->store_split(t->id, "d1/", {{1, 10, 10}}, 10, now).ok());
  auto cursor = store_->lease_cursor("d1/worker-0", now, lease_);
  ASSERT_TRUE(cursor.ok() && *cursor);
  ASSERT_TRUE((*store_->request_cancel(t->id, now))->cancel_requested);
  EXPECT_TRUE(store_->cancel_idle_tasks(now)->empty());  // its batch is in flight
  auto lapsed = now + lease_ + std::chrono::seconds(1);
  auto canceled = store_->cancel_idle_tasks(lapsed);
  ASSERT_TRUE(canceled.ok());
  EXPECT_EQ(*canceled, std::vector<Guid>{t->id});
  EXPECT_EQ((*store_->find(t->id))->status, TaskStatus::Canceled);
  EXPECT_EQ((*store_->find(other->id))->status, TaskStatus::Pending);
  EXPECT_TRUE(store_->cancel_idle_tasks(lapsed)->empty());
}

TEST_F(TaskStoreTest, ACancelDuringAGroupRecordsTheWholeGroupThenCancelsWhenTheLastLeaseIsGiven) {
  auto t = store_->register_task(options_, at("2024-01-01T00:00:00Z"));
  auto now = at("2024-01-01T00:00:01Z");
  ASSERT_TRUE(*store_->lease_task_for_split("d1/", now, lease_));
  ASSERT_TRUE(store_->store_split(t->id, "d1/", {{1, 10, 10}, {11, 20, 10}, {21, 30, 10}}, 30, now).ok());
  auto mine = store_->lease_cursors("d1/worker-0", now, lease_, 20);
  ASSERT_EQ(mine->size(), 2u);
  auto other = store_->lease_cursors("d1/worker-1", now, lease_, 10);
  ASSERT_EQ(other->size(), 1u);
  ASSERT_TRUE((*store_->request_cancel(t->id, now))->cancel_requested);
  // Every file of the group is stored: each of its batches is recorded, then its leases are given up.
  std::vector<BatchCommit> group{
      {&(*mine)[0], {0, 0, "a0.json", 5, 10, "x"}, {}, 5, false},
      {&(*mine)[0], {0, 1, "a1.json", 5, 10, "y"}, {}, 10, true},
      {&(*mine)[1], {1, 0, "b0.json", 4, 10, "z"}, {}, 14, false}};
  auto outcomes = store_->commit_batches(group, now, lease_);
  ASSERT_TRUE(outcomes.ok()) << outcomes.error().message;
  for (const auto& o : *outcomes) {
    EXPECT_TRUE(o.recorded);
    EXPECT_FALSE(o.keep_going);
    EXPECT_FALSE(o.lease_lost);
  }
  EXPECT_EQ(store_->stored_batches(t->id)->size(), 3u);
  auto during = store_->find(t->id);
  EXPECT_EQ((*during)->progress, 14);
  EXPECT_EQ((*during)->status, TaskStatus::Processing);  // the other worker's batch is still in flight
  EXPECT_FALSE(*store_->lease_cursor("d2/worker-0", now, lease_));  // nothing is handed out again
  auto last = store_->commit_batches({{&(*other)[0], {2, 0, "c0.json", 3, 10, "w"}, {}, 23, false}}, now, lease_);
  ASSERT_TRUE(last.ok());
  EXPECT_TRUE(last->front().recorded);
  auto after = store_->find(t->id);
  EXPECT_EQ((*after)->status, TaskStatus::Canceled);
  EXPECT_EQ((*after)->progress, 17);
  EXPECT_EQ((*after)->description, "Canceled: " + initial_description(options_) + ": 17 item(s) stored before the cancel");
  EXPECT_EQ(store_->stored_batches(t->id)->size(), 4u);
}

TEST_F(TaskStoreTest, AWorkerStopsReadingForAPendingCancelAndForATaskNoLongerProcessing) {
  auto t = store_->register_task(options_, at("2024-01-01T00:00:00Z"));
  auto now = at("2024-01-01T00:00:01Z");
  EXPECT_TRUE(*store_->should_stop_reading(t->id));  // Pending: not being exported yet
  ASSERT_TRUE(*store_->lease_task_for_split("d1/", now, lease_));
  ASSERT_TRUE(store_->store_split(t->id, "d1/", {{1, 10, 10}}, 10, now).ok());
  EXPECT_FALSE(*store_->should_stop_reading(t->id));
  auto cursor = store_->lease_cursor("d1/worker-0", now, lease_);
  ASSERT_TRUE(cursor.ok() && *cursor);
  auto answer = store_->request_cancel(t->id, now);
  ASSERT_TRUE((*answer)->cancel_requested);
  EXPECT_EQ((*answer)->status, TaskStatus::Processing);
  EXPECT_TRUE(*store_->should_stop_reading(t->id));
  // The answer shows the pending cancel; once final, the Description says what it came to.
  EXPECT_EQ(progress_json(**answer)["Description"], "Cancel requested: " + initial_description(options_));
  ASSERT_TRUE(store_->release_cursor(**cursor, now).ok());  // the last lease given back cancels the task
  auto after = store_->find(t->id);
  EXPECT_EQ((*after)->status, TaskStatus::Canceled);
  EXPECT_EQ(progress_json(**after)["Description"],
            "Canceled: " + initial_description(options_) + ": 0 item(s) stored before the cancel");
  EXPECT_TRUE(*store_->should_stop_reading(t->id));
  EXPECT_TRUE(*store_->should_stop_reading(Guid::random()));  // gone
}

TEST_F(TaskStoreTest, FinalTasksAreRemovedAfterTheirExpiryAndOthersNever) {
  options_.expires_after_hours = 1;
  auto done = store_->register_task(options_, at("2024-01-01T00:00:00Z"));
  auto pending = store_->register_task(options_, at("2024-01-01T00:00:00Z"));
  ASSERT_TRUE(store_->fail_task(done->id, "boom", at("2024-01-01T00:00:00Z")).ok());
  EXPECT_EQ(*store_->remove_expired(at("2024-01-01T00:59:59Z")), 0);
  EXPECT_EQ(*store_->remove_expired(at("2024-01-01T01:00:00Z")), 1);
  EXPECT_FALSE(*store_->find(done->id));
  EXPECT_TRUE(*store_->find(pending->id));
  EXPECT_EQ(*store_->remove_expired(at("2030-01-01T00:00:00Z")), 0);
}

TEST_F(TaskStoreTest, FailureKeepsTheReasonInErrorAndDescription) {
  auto t = store_->register_task(options_, at("2024-01-01T00:00:00Z"));
  ASSERT_TRUE(store_->fail_task(t->id, "storage profile 'X' is not registered", at("2024-01-01T00:00:01Z")).ok());
  auto f = store_->find(t->id);
  EXPECT_EQ((*f)->status, TaskStatus::Failed);
  EXPECT_EQ((*f)->error, "storage profile 'X' is not registered");
  EXPECT_NE((*f)->description.find("not registered"), std::string::npos);
}

TEST_F(TaskStoreTest, StatusViewShowsNamesAndPercent) {
  auto t = store_->register_task(options_, at("2024-01-01T00:00:00Z"));
  auto db = Database::open(dir_.file("tasks.db"));
  auto st = (*db)->prepare("SELECT Status, Kind, Profile, PercentDone FROM TaskStatus WHERE Id = ?");
  st->bind(1, t->id.str());
  ASSERT_TRUE(*st->step());
  EXPECT_EQ(st->text(0), "Pending");
  EXPECT_EQ(st->text(1), "interactions");
  EXPECT_EQ(st->text(2), "LocalExports");
  EXPECT_TRUE(st->is_null(3));
}

}  // namespace
}  // namespace cortex

namespace cortex {
namespace {

TEST_F(TaskStoreTest, SkippedRecordsAreKeptOnceAndTakenOffTheTotal) {
  auto t = store_->register_task(options_, at("2024-01-01T00:00:00Z"));
  auto now = at("2024-01-01T00:00:01Z");
  ASSERT_TRUE(*store_->lease_task_for_split("d1/", now, lease_));
  ASSERT_TRUE(store_->store_split(t->id, "d1/", {{1, 10, 10}}, 10, now).ok());
  auto a = store_->lease_cursor("d1/worker-0", now, lease_);
  std::vector<SkippedRecord> skipped{{3, "id-3", "Events is not a valid JSON array"}};
  ASSERT_TRUE(store_->commit_batch(**a, {0, 0, "f0.json", 4, 1, "x"}, skipped, 5, false, now, lease_).ok());
  auto found = store_->find(t->id);
  EXPECT_EQ((*found)->total, 9);
  EXPECT_EQ((*found)->progress, 4);
  auto listed = store_->skipped_records(t->id);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, "id-3");
}

}  // namespace
}  // namespace cortex
