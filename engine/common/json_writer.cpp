// Compact JSON output with RFC 8259 string escaping (UTF-8 passes through).
#include "common/json_writer.h"

#include <charconv>
#include <cmath>

#include "common/json_scan.h"

namespace cortex {

void JsonWriter::append_escaped(std::string& out, std::string_view value) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  const char* p = value.data();
  const char* end = p + value.size();
  while (true) {
    std::size_t run = plain_json_run(p, end, false);
    out.append(p, run);
    p += run;
    if (p == end) break;
    unsigned char c = static_cast<unsigned char>(*p++);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 0x0f]);
    }
  }
  out.push_back('"');
}

void JsonWriter::key(std::string_view name) {
  separator();
  append_escaped(out_, name);
  out_.push_back(':');
  after_key_ = true;
}

void JsonWriter::string(std::string_view value) {
  separator();
  append_escaped(out_, value);
}

void JsonWriter::integer(std::int64_t value) {
  separator();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  (void)ec;
  out_.append(buf, end);
}

void JsonWriter::number(double value) {
  separator();
  if (!std::isfinite(value)) {
    out_ += "null";
    return;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  (void)ec;
  out_.append(buf, end);
}

void JsonWriter::boolean(bool value) {
  separator();
  out_ += value ? "true" : "false";
}

void JsonWriter::null() {
  separator();
  out_ += "null";
}

void JsonWriter::raw(std::string_view json) {
  separator();
  out_.append(json);
}

}  // namespace cortex
