// JsonWriter: appends compact JSON text to a string. The export's hot path, so no DOM is built.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cortex {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  void begin_object() { separator(); out_.push_back('{'); first_ = true; }
  void end_object() { out_.push_back('}'); first_ = false; }
  void begin_array() { separator(); out_.push_back('['); first_ = true; }
  void end_array() { out_.push_back(']'); first_ = false; }
  void key(std::string_view name);
  // A member name that needs no escaping (the export's own constant names): written without the scan.
  void plain_key(std::string_view name) {
    separator();
    out_.push_back('"');
    out_.append(name);
    out_.append("\":", 2);
    after_key_ = true;
  }
  void string(std::string_view value);
  void integer(std::int64_t value);
  void number(double value);
  void boolean(bool value);
  void null();
  // Already-serialised JSON (stored Events and facets), copied as is.
  void raw(std::string_view json);

  static void append_escaped(std::string& out, std::string_view value);

  // A point to return to: rollback() removes everything written since mark().
  struct Mark {
    std::size_t size;
    bool first;
    bool after_key;
  };
  Mark mark() const { return {out_.size(), first_, after_key_}; }
  void rollback(const Mark& m) {
    out_.resize(m.size);
    first_ = m.first;
    after_key_ = m.after_key;
  }

 private:
  void separator() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!first_) out_.push_back(',');
    first_ = false;
  }
  std::string& out_;
  bool first_ = true;
  bool after_key_ = false;
};

}  // namespace cortex
