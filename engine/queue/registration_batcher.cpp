// RegistrationBatcher: the queue of registrations waiting for a commit, and the committer thread.
//
// No timer: a group is whatever queued up until the transaction could start, that is while the
// previous commit was syncing and while the write lock was held by another connection (up to the
// maximum). A lone registration is committed at once; a busy server gets large groups by itself.
#include "queue/registration_batcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <optional>
#include <utility>

namespace cortex {
namespace {

void deliver(const RegistrationBatcher::Completion& done, Result<TaskRecord> outcome) {
  try {
    done(std::move(outcome));
  } catch (const std::exception& e) {
    spdlog::error("registration completion failed: {}", e.what());
  } catch (...) {
    spdlog::error("registration completion failed: unknown exception");
  }
}

}  // namespace

RegistrationBatcher::RegistrationBatcher(CommitGroup commit, std::size_t max_group_size)
    : commit_(std::move(commit)), max_group_size_(std::max<std::size_t>(1, max_group_size)) {}

Result<std::unique_ptr<RegistrationBatcher>> RegistrationBatcher::open(const std::string& path,
                                                                       std::size_t max_group_size) {
  auto store = TaskStore::open(path);
  if (!store.ok()) return store.error().with_context("opening the registration connection");
  TaskStore* connection = store->get();
  // Registrations have callers waiting; the scheduler's and workers' writes do not.
  connection->wait_for_locks_eagerly();
  connection->leave_checkpoints_to_others();
  auto batcher = std::make_unique<RegistrationBatcher>(
      [connection](const TakeGroup& take) { return connection->register_tasks_from(take); },
      max_group_size);
  batcher->store_ = std::move(*store);
  return batcher;
}

RegistrationBatcher::~RegistrationBatcher() { stop(); }

Status RegistrationBatcher::start() {
  std::lock_guard lock(mutex_);
  if (running_ || stopping_) return make_error(ErrorCode::Internal, "the registration batcher was already started");
  running_ = true;
  thread_ = std::thread([this] { run(); });
  return Status::OK();
}

void RegistrationBatcher::submit(TaskStore::NewTask task, Completion done) {
  {
    std::lock_guard lock(mutex_);
    if (running_ && !stopping_) {
      queue_.push_back({std::move(task), std::move(done)});
      work_.notify_one();
      return;
    }
  }
  deliver(done, make_error(ErrorCode::Unavailable, "the task queue takes no registrations: the daemon is stopping"));
}

void RegistrationBatcher::stop() {
  std::lock_guard stop_lock(stop_mutex_);
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    if (!running_) return;
  }
  work_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  running_ = false;
}

RegistrationBatcher::Counters RegistrationBatcher::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

void RegistrationBatcher::run() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      work_.wait(lock, [this] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) return;  // stopping, and everything queued is answered
    }
    commit_next_group();
  }
}

void RegistrationBatcher::commit_next_group() {
  std::vector<Pending> group;
  std::vector<TaskStore::NewTask> tasks;
  bool taken = false;
  auto take = [&]() -> const std::vector<TaskStore::NewTask>& {
    if (taken) return tasks;
    taken = true;
    std::lock_guard lock(mutex_);
    std::size_t n = std::min(queue_.size(), max_group_size_);
    group.reserve(n);
    tasks.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      group.push_back(std::move(queue_.front()));
      queue_.pop_front();
      tasks.push_back(std::move(group.back().task));
    }
    return tasks;
  };

  std::optional<Error> group_error;
  std::vector<Result<TaskRecord>> results;
  // No exception leaves the committer thread: one (say, the OS random source failing) fails the group.
  try {
    auto committed = commit_(take);
    if (!committed.ok()) {
      group_error = committed.error();
    } else {
      results = std::move(*committed);
    }
  } catch (const std::exception& e) {
    group_error = make_error(ErrorCode::Internal, std::string("the commit threw: ") + e.what());
  } catch (...) {
    group_error = make_error(ErrorCode::Internal, "the commit threw an unknown exception");
  }
  // A commit that failed before it asked: its error concerns the group it would have taken.
  take();
  if (!group_error && results.size() != group.size()) {
    group_error = make_error(ErrorCode::Internal, "the commit answered " + std::to_string(results.size()) +
                                                      " results for " + std::to_string(group.size()) + " registrations");
  }

  std::uint64_t ok = 0;
  if (!group_error) {
    for (const auto& r : results) ok += r.ok() ? 1 : 0;
  }
  {
    std::lock_guard lock(mutex_);
    ++counters_.groups;
    counters_.committed += ok;
    counters_.failed += group.size() - ok;
    counters_.largest_group = std::max<std::uint64_t>(counters_.largest_group, group.size());
  }
  if (group_error) {
    spdlog::error("a group of {} registration(s) was not committed: {}", group.size(), group_error->message);
  }
  for (std::size_t i = 0; i < group.size(); ++i) {
    deliver(group[i].done, group_error ? Result<TaskRecord>(*group_error) : std::move(results[i]));
  }
}

}  // namespace cortex
