// The worker threads.
#include "workers/worker_pool.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "workers/export_worker.h"

namespace cortex {
namespace {

// Export threads yield the CPU to the API threads (progress and status answers stay fast while an export
// fills both cores). Threads they start inherit it. Linux: nice is per thread.
void lower_cpu_priority() {
#ifdef __linux__
  constexpr int kNiceIncrement = 5;
  errno = 0;
  int current = ::getpriority(PRIO_PROCESS, 0);
  if (current == -1 && errno != 0) return;
  if (::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), std::min(19, current + kNiceIncrement)) != 0) {
    spdlog::debug("export worker: cannot lower its CPU priority: {}", std::strerror(errno));
  }
#endif
}

}  // namespace

WorkerPool::WorkerPool(EngineSettings settings, std::string owner, const ProfileCatalog& profiles, const Clock& clock,
                       ExportMetrics& metrics)
    : settings_(std::move(settings)), owner_(std::move(owner)), profiles_(profiles), clock_(clock), metrics_(metrics) {}

WorkerPool::~WorkerPool() { stop(); }

Status WorkerPool::start() {
  // Open every connection up front so that a bad task database fails the start, not a thread.
  // Each worker has two: one for leases and commits, one its reading thread checks for cancels with.
  std::vector<std::unique_ptr<TaskStore>> stores, watches;
  for (int i = 0; i < settings_.workers; ++i) {
    auto store = TaskStore::open(settings_.task_db_path);
    if (!store.ok()) return store.error();
    stores.push_back(std::move(*store));
    auto watch = TaskStore::open_existing(settings_.task_db_path);
    if (!watch.ok()) return watch.error();
    watches.push_back(std::move(*watch));
  }
  for (int i = 0; i < settings_.workers; ++i) {
    auto worker = std::make_shared<ExportWorker>(settings_, owner_ + "worker-" + std::to_string(i), profiles_, clock_,
                                                 stop_, std::move(stores[static_cast<std::size_t>(i)]),
                                                 std::move(watches[static_cast<std::size_t>(i)]), metrics_,
                                                 on_cursor_done_);
    threads_.emplace_back([this, worker] {
      lower_cpu_priority();
      while (!stop_.stopped()) {
        bool worked = false;
        try {
          worked = worker->work_next_group();
          // One notify wakes one waiting worker; pass it on while there is work, so all of them join in.
          if (worked) work_available_.notify();
        } catch (const std::exception& e) {
          spdlog::error("export worker: {}", e.what());
        }
        if (!worked && !work_available_.wait_for(settings_.poll_interval)) break;
      }
    });
  }
  return Status::OK();
}

void WorkerPool::stop() {
  stop_.stop();
  work_available_.stop();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

}  // namespace cortex
