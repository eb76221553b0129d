// WakeSignal: an interruptible sleep. Services wait on it between polls; notify() wakes them early,
// stop() wakes them for good.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace cortex {

class WakeSignal {
 public:
  void notify() {
    {
      std::lock_guard lock(mutex_);
      pending_ = true;
    }
    cv_.notify_all();
  }
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopped_ = true;
    }
    cv_.notify_all();
  }
  bool stopped() const {
    std::lock_guard lock(mutex_);
    return stopped_;
  }
  // Sleeps until notified, stopped or the timeout passes. Returns false once stopped.
  template <typename Duration>
  bool wait_for(Duration timeout) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, timeout, [&] { return pending_ || stopped_; });
    pending_ = false;
    return !stopped_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool pending_ = false;
  bool stopped_ = false;
};

}  // namespace cortex
