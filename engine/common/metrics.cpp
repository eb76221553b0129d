// Prometheus text rendering of the counters.
#include "common/metrics.h"

#include <cmath>
#include <cstdio>

namespace cortex {

void Histogram::observe(double seconds) {
  std::size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_micros_.fetch_add(static_cast<std::int64_t>(std::llround(seconds * 1e6)), std::memory_order_relaxed);
}

void Histogram::render(std::string& out, const std::string& name) const {
  std::int64_t cumulative = 0;
  for (std::size_t i = 0; i < kBounds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    char le[32];
    std::snprintf(le, sizeof le, "%g", kBounds[i]);
    render_sample(out, name + "_bucket", std::string("le=\"") + le + "\"", static_cast<double>(cumulative));
  }
  cumulative += buckets_[kBounds.size()].load(std::memory_order_relaxed);
  render_sample(out, name + "_bucket", "le=\"+Inf\"", static_cast<double>(cumulative));
  render_sample(out, name + "_sum", "", static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6);
  render_sample(out, name + "_count", "", static_cast<double>(count_.load(std::memory_order_relaxed)));
}

void LabeledCounter::add(const std::string& labels, std::int64_t n) {
  std::lock_guard lock(mutex_);
  values_[labels] += n;
}

void LabeledCounter::render(std::string& out, const std::string& name) const {
  std::lock_guard lock(mutex_);
  for (const auto& [labels, value] : values_) render_sample(out, name, labels, static_cast<double>(value));
}

void render_help(std::string& out, const std::string& name, const std::string& type, const std::string& help) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void render_sample(std::string& out, const std::string& name, const std::string& labels, double value) {
  char number[40];
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    std::snprintf(number, sizeof number, "%.0f", value);
  } else {
    std::snprintf(number, sizeof number, "%.6g", value);
  }
  out += name;
  if (!labels.empty()) out += "{" + labels + "}";
  out += " ";
  out += number;
  out += "\n";
}

std::string escape_label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace cortex
