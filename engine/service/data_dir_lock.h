// DataDirLock: one daemon per data directory, enforced with an advisory lock on <data-dir>/cortexd.lock.
// Decided: a second daemon on the same data directory refuses to start (it says which pid holds it),
// so that at start-up every lease in the task store is known to be stale and is released at once.
#pragma once

#include <memory>
#include <string>

#include "common/result.h"

namespace cortex {

class DataDirLock {
 public:
  static Result<std::unique_ptr<DataDirLock>> acquire(const std::string& data_dir);
  ~DataDirLock();
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace cortex
