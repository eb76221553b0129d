// Counters and histograms for the Prometheus text format. Owned by the daemon and handed by reference
// to what updates them (no global registry); safe to update from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace cortex {

class Counter {
 public:
  void add(std::int64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

// A histogram with fixed upper bounds (seconds), cumulative as Prometheus expects.
class Histogram {
 public:
  static constexpr std::array<double, 12> kBounds{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                  0.1,   0.25,   0.5,   1.0,  2.5,   10.0};
  void observe(double seconds);
  // Appends `name_bucket{le=...}`, `name_sum` and `name_count` lines.
  void render(std::string& out, const std::string& name) const;

 private:
  std::array<std::atomic<std::int64_t>, kBounds.size() + 1> buckets_{};
  std::atomic<std::int64_t> count_{0};
  std::atomic<std::int64_t> sum_micros_{0};
};

// A counter per label set, e.g. HTTP requests by route and status.
class LabeledCounter {
 public:
  void add(const std::string& labels, std::int64_t n = 1);
  // `labels` are rendered inside the braces as given: route="...",status="200".
  void render(std::string& out, const std::string& name) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::int64_t> values_;
};

// Prometheus text helpers.
void render_help(std::string& out, const std::string& name, const std::string& type, const std::string& help);
void render_sample(std::string& out, const std::string& name, const std::string& labels, double value);
std::string escape_label(const std::string& value);

// What the export engine counts.
struct ExportMetrics {
  Counter items_exported;
  Counter bytes_exported;
  Counter batches_stored;
  Counter records_skipped;
  Counter storage_retries;   // failed attempts that were retried
  Counter storage_errors;    // failed attempts, retried or not
  Histogram batch_seconds;   // read + render + store of one batch
};

}  // namespace cortex
