// The registration batcher: group commit with every caller told its own outcome, failures, stop and drain.
#include "queue/registration_batcher.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "temp_dir.h"

namespace cortex {
namespace {

using Group = std::vector<TaskStore::NewTask>;
using Take = RegistrationBatcher::TakeGroup;
using GroupResult = Result<std::vector<Result<TaskRecord>>>;

// "P<n>". (Built by append: g++ 12 warns falsely on "P" + std::to_string(n) at -O2.)
std::string name(std::size_t n) {
  std::string out = "P";
  out.append(std::to_string(n));
  return out;
}

TaskStore::NewTask new_task(const std::string& profile) {
  TaskStore::NewTask t;
  t.options.storage_profile = profile;
  t.registered = *parse_timestamp("2024-05-06T07:08:09Z");
  return t;
}

// Collects the outcomes told to the completions, and waits for a number of them.
class Outcomes {
 public:
  RegistrationBatcher::Completion slot(std::size_t index) {
    return [this, index](Result<TaskRecord> outcome) {
      std::lock_guard lock(mutex_);
      if (results_.size() <= index) results_.resize(index + 1);
      ++calls_[index];
      results_[index].emplace(std::move(outcome));
      ++done_;
      changed_.notify_all();
    };
  }
  void wait_for(std::size_t n) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return done_ >= n; });
  }
  std::size_t done() {
    std::lock_guard lock(mutex_);
    return done_;
  }
  const Result<TaskRecord>& at(std::size_t index) {
    std::lock_guard lock(mutex_);
    return *results_.at(index);
  }
  int calls(std::size_t index) {
    std::lock_guard lock(mutex_);
    return calls_[index];
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::optional<Result<TaskRecord>>> results_;
  std::map<std::size_t, int> calls_;
  std::size_t done_ = 0;
};

// A commit that takes its group at once, records it and, while closed, holds the committer inside
// the commit (as a slow sync would), so that later registrations queue up behind it.
class GatedCommit {
 public:
  explicit GatedCommit(bool open = false) : open_(open) {}
  RegistrationBatcher::CommitGroup function() {
    return [this](const Take& take) -> GroupResult {
      const Group& group = take();
      {
        std::unique_lock lock(mutex_);
        sizes_.push_back(group.size());
        entered_.notify_all();
        gate_.wait(lock, [&] { return open_; });
      }
      std::vector<Result<TaskRecord>> out;
      for (const auto& t : group) {
        if (fail_profile && t.options.storage_profile == *fail_profile) {
          out.push_back(make_error(ErrorCode::Conflict, "refused " + t.options.storage_profile));
          continue;
        }
        TaskRecord r;
        r.id = Guid::random();
        r.options = t.options;
        r.added = t.registered;
        out.push_back(std::move(r));
      }
      return out;
    };
  }
  void wait_entered(std::size_t commits) {
    std::unique_lock lock(mutex_);
    entered_.wait(lock, [&] { return sizes_.size() >= commits; });
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    gate_.notify_all();
  }
  std::vector<std::size_t> sizes() {
    std::lock_guard lock(mutex_);
    return sizes_;
  }
  std::optional<std::string> fail_profile;

 private:
  std::mutex mutex_;
  std::condition_variable gate_, entered_;
  bool open_;
  std::vector<std::size_t> sizes_;
};

TEST(RegistrationBatcher, ManyConcurrentSubmittersAreAllCommittedEachToldItsOwnTask) {
  testing::TempDir dir;
  auto opened = RegistrationBatcher::open(dir.file("tasks.db"), 32);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  auto& batcher = **opened;
  ASSERT_TRUE(batcher.start().ok());

  constexpr std::size_t kThreads = 16, kEach = 60, kTotal = kThreads * kEach;
  Outcomes outcomes;
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (std::size_t i = 0; i < kEach; ++i) {
        std::size_t index = t * kEach + i;
        // The profile name tells which caller a task belongs to.
        batcher.submit(new_task(name(index)), outcomes.slot(index));
      }
    });
  }
  for (auto& th : threads) th.join();
  outcomes.wait_for(kTotal);
  batcher.stop();

  std::set<std::string> ids;
  for (std::size_t index = 0; index < kTotal; ++index) {
    const auto& r = outcomes.at(index);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->options.storage_profile, name(index));
    EXPECT_EQ(outcomes.calls(index), 1);
    ids.insert(r->id.str());
  }
  EXPECT_EQ(ids.size(), kTotal);

  // Every task told to a caller is in the store, as that caller's, and nothing else is.
  auto store = TaskStore::open(dir.file("tasks.db"));
  ASSERT_TRUE(store.ok());
  auto all = (*store)->list();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), kTotal);
  for (std::size_t index = 0; index < kTotal; index += 97) {
    auto found = (*store)->find(outcomes.at(index)->id);
    ASSERT_TRUE(found.ok() && *found);
    EXPECT_EQ((*found)->options.storage_profile, name(index));
    EXPECT_EQ((*found)->status, TaskStatus::Pending);
  }
  auto counters = batcher.counters();
  EXPECT_EQ(counters.committed, kTotal);
  EXPECT_EQ(counters.failed, 0u);
  EXPECT_LE(counters.largest_group, 32u);
  EXPECT_GE(counters.groups, kTotal / 32);
}

TEST(RegistrationBatcher, RegistrationsQueuedDuringACommitShareTheNextUpToTheMaximum) {
  GatedCommit commit;
  RegistrationBatcher batcher(commit.function(), 4);
  ASSERT_TRUE(batcher.start().ok());
  Outcomes outcomes;
  batcher.submit(new_task("first"), outcomes.slot(0));
  commit.wait_entered(1);  // the committer is inside the first commit: the rest queue up
  for (std::size_t i = 1; i <= 10; ++i) batcher.submit(new_task(name(i)), outcomes.slot(i));
  EXPECT_EQ(outcomes.done(), 0u);  // nobody is answered before the commit holding them returns
  commit.open();
  outcomes.wait_for(11);
  EXPECT_EQ(commit.sizes(), (std::vector<std::size_t>{1, 4, 4, 2}));
  for (std::size_t i = 1; i <= 10; ++i) EXPECT_EQ(outcomes.at(i)->options.storage_profile, name(i));
}

TEST(RegistrationBatcher, RegistrationsArrivingWhileTheTransactionWaitsForTheLockJoinItsGroup) {
  // The commit waits (for another connection's write lock, say) before it takes its group: what
  // arrives meanwhile is committed with the first registration, not after it.
  std::mutex mutex;
  std::condition_variable changed;
  bool waiting = false, locked = false;
  std::vector<std::size_t> sizes;
  RegistrationBatcher batcher(
      [&](const Take& take) -> GroupResult {
        {
          std::unique_lock lock(mutex);
          waiting = true;
          changed.notify_all();
          changed.wait(lock, [&] { return locked; });
        }
        const Group& group = take();
        sizes.push_back(group.size());
        std::vector<Result<TaskRecord>> out;
        for (const auto& t : group) {
          TaskRecord r;
          r.options = t.options;
          out.push_back(std::move(r));
        }
        return out;
      },
      8);
  ASSERT_TRUE(batcher.start().ok());
  Outcomes outcomes;
  batcher.submit(new_task("first"), outcomes.slot(0));
  {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return waiting; });
  }
  for (std::size_t i = 1; i <= 9; ++i) batcher.submit(new_task(name(i)), outcomes.slot(i));
  {
    std::lock_guard lock(mutex);
    locked = true;  // from now on every commit gets its lock at once
    changed.notify_all();
  }
  outcomes.wait_for(10);
  batcher.stop();
  EXPECT_EQ(sizes, (std::vector<std::size_t>{8, 2}));
  EXPECT_EQ(outcomes.at(0)->options.storage_profile, "first");
  for (std::size_t i = 1; i <= 9; ++i) EXPECT_EQ(outcomes.at(i)->options.storage_profile, name(i));
}

TEST(RegistrationBatcher, GroupSizeOneCommitsEveryRegistrationAlone) {
  GatedCommit commit;
  RegistrationBatcher batcher(commit.function(), 1);
  ASSERT_TRUE(batcher.start().ok());
  Outcomes outcomes;
  batcher.submit(new_task("first"), outcomes.slot(0));
  commit.wait_entered(1);
  for (std::size_t i = 1; i <= 5; ++i) batcher.submit(new_task("P"), outcomes.slot(i));
  commit.open();
  outcomes.wait_for(6);
  EXPECT_EQ(commit.sizes(), std::vector<std::size_t>(6, 1));
}

TEST(RegistrationBatcher, AFailingCommitFailsEveryWaitingCallerOfItsGroupWithTheError) {
  GatedCommit gate;
  int calls = 0;
  auto gated = gate.function();
  RegistrationBatcher batcher(
      [&](const Take& take) -> GroupResult {
        auto result = gated(take);
        if (++calls == 2) return make_error(ErrorCode::IOError, "SQLite: database or disk is full (in \"COMMIT\")");
        return result;
      },
      16);
  ASSERT_TRUE(batcher.start().ok());
  Outcomes outcomes;
  batcher.submit(new_task("first"), outcomes.slot(0));
  gate.wait_entered(1);
  for (std::size_t i = 1; i <= 6; ++i) batcher.submit(new_task("P"), outcomes.slot(i));
  gate.open();
  outcomes.wait_for(7);
  EXPECT_EQ(gate.sizes(), (std::vector<std::size_t>{1, 6}));
  EXPECT_TRUE(outcomes.at(0).ok());
  for (std::size_t i = 1; i <= 6; ++i) {
    ASSERT_FALSE(outcomes.at(i).ok()) << i;
    EXPECT_EQ(outcomes.at(i).error().code, ErrorCode::IOError);
    EXPECT_EQ(outcomes.at(i).error().message, "SQLite: database or disk is full (in \"COMMIT\")");
  }
  auto counters = batcher.counters();
  EXPECT_EQ(counters.failed, 6u);
  EXPECT_EQ(counters.committed, 1u);
  // The batcher goes on after a failed group.
  batcher.submit(new_task("again"), outcomes.slot(7));
  outcomes.wait_for(8);
  EXPECT_TRUE(outcomes.at(7).ok());
}

TEST(RegistrationBatcher, AnErrorForOneRegistrationFailsOnlyItsCaller) {
  GatedCommit commit;
  commit.fail_profile = "bad";
  RegistrationBatcher batcher(commit.function(), 16);
  ASSERT_TRUE(batcher.start().ok());
  Outcomes outcomes;
  batcher.submit(new_task("first"), outcomes.slot(0));
  commit.wait_entered(1);
  batcher.submit(new_task("good1"), outcomes.slot(1));
  batcher.submit(new_task("bad"), outcomes.slot(2));
  batcher.submit(new_task("good2"), outcomes.slot(3));
  commit.open();
  outcomes.wait_for(4);
  EXPECT_EQ(commit.sizes(), (std::vector<std::size_t>{1, 3}));
  EXPECT_EQ(outcomes.at(1)->options.storage_profile, "good1");
  ASSERT_FALSE(outcomes.at(2).ok());
  EXPECT_EQ(outcomes.at(2).error().message, "refused bad");
  EXPECT_EQ(outcomes.at(3)->options.storage_profile, "good2");
  EXPECT_EQ(batcher.counters().failed, 1u);
}

TEST(RegistrationBatcher, AThrowingOrMiscountingCommitFailsTheGroupAndTheBatcherGoesOn) {
  int calls = 0;
  RegistrationBatcher batcher(
      [&](const Take& take) -> GroupResult {
        ++calls;
        if (calls == 1) throw std::runtime_error("the OS random source failed");  // before taking
        const Group& group = take();
        std::vector<Result<TaskRecord>> out;
        if (calls == 2) return out;  // no result for the registration
        for (std::size_t i = 0; i < group.size(); ++i) out.push_back(TaskRecord{});
        return out;
      },
      8);
  ASSERT_TRUE(batcher.start().ok());
  Outcomes outcomes;
  batcher.submit(new_task("P"), outcomes.slot(0));
  outcomes.wait_for(1);
  batcher.submit(new_task("P"), outcomes.slot(1));
  outcomes.wait_for(2);
  batcher.submit(new_task("P"), outcomes.slot(2));
  outcomes.wait_for(3);
  ASSERT_FALSE(outcomes.at(0).ok());
  EXPECT_EQ(outcomes.at(0).error().code, ErrorCode::Internal);
  EXPECT_NE(outcomes.at(0).error().message.find("the OS random source failed"), std::string::npos);
  ASSERT_FALSE(outcomes.at(1).ok());
  EXPECT_EQ(outcomes.at(1).error().code, ErrorCode::Internal);
  EXPECT_TRUE(outcomes.at(2).ok());
}

TEST(RegistrationBatcher, AThrowingCompletionDoesNotStopTheOthers) {
  GatedCommit commit(true);
  RegistrationBatcher batcher(commit.function(), 8);
  ASSERT_TRUE(batcher.start().ok());
  Outcomes outcomes;
  batcher.submit(new_task("P"), [](Result<TaskRecord>) { throw std::runtime_error("caller gone"); });
  batcher.submit(new_task("P"), outcomes.slot(0));
  outcomes.wait_for(1);
  EXPECT_TRUE(outcomes.at(0).ok());
}

TEST(RegistrationBatcher, StopCommitsEverythingQueuedAndThenRefuses) {
  GatedCommit commit;
  RegistrationBatcher batcher(commit.function(), 3);
  Outcomes outcomes;
  // Before start: refused at once, on the caller's thread.
  batcher.submit(new_task("early"), outcomes.slot(0));
  ASSERT_EQ(outcomes.done(), 1u);
  ASSERT_FALSE(outcomes.at(0).ok());
  EXPECT_EQ(outcomes.at(0).error().code, ErrorCode::Unavailable);

  ASSERT_TRUE(batcher.start().ok());
  batcher.submit(new_task("P1"), outcomes.slot(1));
  commit.wait_entered(1);
  for (std::size_t i = 2; i <= 8; ++i) batcher.submit(new_task(name(i)), outcomes.slot(i));
  std::thread stopper([&] { batcher.stop(); });
  // stop() has begun once a registration is refused (at once, on this thread). Probes accepted
  // before that are queued like the others and must be committed too.
  std::vector<std::unique_ptr<Outcomes>> probes;
  while (true) {
    probes.push_back(std::make_unique<Outcomes>());
    batcher.submit(new_task("late"), probes.back()->slot(0));
    if (probes.back()->done() == 1) break;
    std::this_thread::yield();
  }
  ASSERT_FALSE(probes.back()->at(0).ok());
  EXPECT_EQ(probes.back()->at(0).error().code, ErrorCode::Unavailable);
  EXPECT_EQ(outcomes.done(), 1u);  // the queued ones still wait for the commit in progress
  commit.open();
  stopper.join();
  // stop() returned: every registration queued before it was committed and answered.
  for (std::size_t i = 1; i <= 8; ++i) {
    ASSERT_TRUE(outcomes.at(i).ok()) << i;
    EXPECT_EQ(outcomes.at(i)->options.storage_profile, name(i));
  }
  for (std::size_t p = 0; p + 1 < probes.size(); ++p) {
    ASSERT_EQ(probes[p]->done(), 1u);
    EXPECT_TRUE(probes[p]->at(0).ok());
  }
  for (auto size : commit.sizes()) EXPECT_LE(size, 3u);
  Outcomes after;
  batcher.submit(new_task("after"), after.slot(0));
  ASSERT_EQ(after.done(), 1u);
  EXPECT_EQ(after.at(0).error().code, ErrorCode::Unavailable);
  batcher.stop();  // idempotent
  EXPECT_FALSE(batcher.start().ok());
}

}  // namespace
}  // namespace cortex
