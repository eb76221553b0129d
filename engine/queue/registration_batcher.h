// RegistrationBatcher: group commit for task registrations. Registrations that arrive while a commit
// is on its way to disk (or while the write lock is held by another connection) are committed
// together by the next transaction, so that a durable registration costs a share of one sync instead
// of a whole one.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "queue/task_store.h"

namespace cortex {

class RegistrationBatcher {
 public:
  // Told the outcome of one registration, once, on the committer thread (or, when the batcher is not
  // running, on the submitting thread). A TaskRecord means the task is committed; an error means it
  // is not. Should be quick: the next group waits for it. Must not throw (a throw is logged).
  using Completion = std::function<void(Result<TaskRecord>)>;
  // Takes the next group off the queue (at most max_group_size registrations, in arrival order).
  using TakeGroup = std::function<const std::vector<TaskStore::NewTask>&()>;
  // Commits a group in one transaction, calling `take` once, as late as it can: when the transaction
  // holds the write lock (TaskStore::register_tasks_from). The outer error fails the whole group (nothing
  // of it was committed); otherwise one result per registration, in order, an error for each one
  // left out.
  using CommitGroup = std::function<Result<std::vector<Result<TaskRecord>>>(const TakeGroup& take)>;

  struct Counters {
    std::uint64_t groups = 0;         // transactions attempted
    std::uint64_t committed = 0;      // registrations committed
    std::uint64_t failed = 0;         // registrations answered with an error
    std::uint64_t largest_group = 0;
  };

  // max_group_size: at most this many registrations per transaction; 1 commits each one alone.
  RegistrationBatcher(CommitGroup commit, std::size_t max_group_size);
  // The production batcher: commits through its own connection to the task database at `path`
  // (TaskStore::register_tasks), used only by the committer thread.
  static Result<std::unique_ptr<RegistrationBatcher>> open(const std::string& path, std::size_t max_group_size);
  ~RegistrationBatcher();  // stops
  RegistrationBatcher(const RegistrationBatcher&) = delete;
  RegistrationBatcher& operator=(const RegistrationBatcher&) = delete;

  // Starts the committer thread.
  Status start();
  // Queues a registration; `done` is told its outcome once the transaction holding it has committed
  // (or failed). After stop() began, or before start(), `done` is told Unavailable at once.
  void submit(TaskStore::NewTask task, Completion done);
  // Stops taking registrations, commits every one already queued and tells each its outcome, then
  // joins the committer thread. Idempotent.
  void stop();

  std::size_t max_group_size() const { return max_group_size_; }
  Counters counters() const;

 private:
  struct Pending {
    TaskStore::NewTask task;
    Completion done;
  };
  void run();
  void commit_next_group();

  CommitGroup commit_;
  std::size_t max_group_size_;
  std::unique_ptr<TaskStore> store_;  // open(): the connection commit_ uses
  mutable std::mutex mutex_;
  std::condition_variable work_;
  std::deque<Pending> queue_;
  bool running_ = false;
  bool stopping_ = false;
  Counters counters_;
  std::mutex stop_mutex_;  // a second stop() (the destructor's) waits for the first
  std::thread thread_;
};

}  // namespace cortex
