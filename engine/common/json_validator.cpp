// A recursive-descent JSON checker with a depth limit; it builds nothing.
#include "common/json_validator.h"

#include "common/json_scan.h"

namespace cortex {
namespace {

class Checker {
 public:
  explicit Checker(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  bool document() {
    skip_space();
    if (!value(0)) return false;
    skip_space();
    return p_ == end_;
  }

 private:
  static constexpr int kMaxDepth = 256;

  void skip_space() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) return false;
    p_ += word.size();
    return true;
  }

  bool digits() {
    const char* start = p_;
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    return p_ > start;
  }

  bool number() {
    if (p_ < end_ && *p_ == '-') ++p_;
    if (p_ < end_ && *p_ == '0') {
      ++p_;
    } else if (!digits()) {
      return false;
    }
    if (p_ < end_ && *p_ == '.') {
      ++p_;
      if (!digits()) return false;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (!digits()) return false;
    }
    return true;
  }

  static bool hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

  // UTF-8 is checked for well-formedness (no overlongs, no surrogates), since the files must be valid JSON text.
  bool utf8_sequence() {
    auto b = static_cast<unsigned char>(*p_);
    int extra;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) extra = 1;
    else if (b == 0xE0) extra = 2, lo = 0xA0;
    else if (b >= 0xE1 && b <= 0xEC) extra = 2;
    else if (b == 0xED) extra = 2, hi = 0x9F;
    else if (b >= 0xEE && b <= 0xEF) extra = 2;
    else if (b == 0xF0) extra = 3, lo = 0x90;
    else if (b >= 0xF1 && b <= 0xF3) extra = 3;
    else if (b == 0xF4) extra = 3, hi = 0x8F;
    else return false;
    ++p_;
    for (int i = 0; i < extra; ++i, ++p_) {
      if (p_ >= end_) return false;
      auto c = static_cast<unsigned char>(*p_);
      if (c < lo || c > hi) return false;
      lo = 0x80;
      hi = 0xBF;
    }
    return true;
  }

  bool string() {
    ++p_;  // the opening quote
    while (p_ < end_) {
      p_ += plain_json_run(p_, end_, true);
      if (p_ >= end_) break;
      auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        ++p_;
        if (p_ >= end_) return false;
        char e = *p_++;
        if (e == 'u') {
          for (int i = 0; i < 4; ++i, ++p_)
            if (p_ >= end_ || !hex(*p_)) return false;
        } else if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' && e != 't') {
          return false;
        }
      } else if (c < 0x80) {
        ++p_;
      } else if (!utf8_sequence()) {
        return false;
      }
    }
    return false;
  }

  bool value(int depth) {
    if (p_ >= end_ || depth > kMaxDepth) return false;
    switch (*p_) {
      case '{': return object(depth);
      case '[': return array(depth);
      case '"': return string();
      case 't': return literal("true");
      case 'f': return literal("false");
      case 'n': return literal("null");
      default: return number();
    }
  }

  bool array(int depth) {
    ++p_;
    skip_space();
    if (p_ < end_ && *p_ == ']') {
      ++p_;
      return true;
    }
    while (true) {
      skip_space();
      if (!value(depth + 1)) return false;
      skip_space();
      if (p_ >= end_) return false;
      if (*p_ == ']') {
        ++p_;
        return true;
      }
      if (*p_++ != ',') return false;
    }
  }

  bool object(int depth) {
    ++p_;
    skip_space();
    if (p_ < end_ && *p_ == '}') {
      ++p_;
      return true;
    }
    while (true) {
      skip_space();
      if (p_ >= end_ || *p_ != '"' || !string()) return false;
      skip_space();
      if (p_ >= end_ || *p_++ != ':') return false;
      skip_space();
      if (!value(depth + 1)) return false;
      skip_space();
      if (p_ >= end_) return false;
      if (*p_ == '}') {
        ++p_;
        return true;
      }
      if (*p_++ != ',') return false;
    }
  }

  const char* p_;
  const char* end_;
};

}  // namespace

bool is_valid_json(std::string_view text) { return Checker(text).document(); }

}  // namespace cortex
