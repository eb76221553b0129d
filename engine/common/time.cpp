// Formatting and parsing of ISO-8601 timestamps and durations.
#include "common/time.h"

#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <limits>

namespace cortex {
namespace {

bool read_digits(std::string_view text, std::size_t& pos, std::size_t count, int& out) {
  if (pos + count > text.size()) return false;
  int value = 0;
  for (std::size_t i = 0; i < count; ++i) {
    char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  pos += count;
  out = value;
  return true;
}

bool expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

Timestamp SystemClock::now() const {
  return std::chrono::time_point_cast<Ticks>(std::chrono::system_clock::now());
}

std::string format_timestamp(Timestamp t) {
  using namespace std::chrono;
  auto day = floor<days>(t);
  year_month_day ymd{day};
  auto in_day = t - day;
  auto h = duration_cast<hours>(in_day);
  auto m = duration_cast<minutes>(in_day - h);
  auto s = duration_cast<seconds>(in_day - h - m);
  auto frac = (in_day - h - m - s).count();
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%07lldZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), static_cast<int>(h.count()),
                static_cast<int>(m.count()), static_cast<int>(s.count()), static_cast<long long>(frac));
  return buf;
}

std::optional<Timestamp> parse_timestamp(std::string_view text) {
  using namespace std::chrono;
  std::size_t pos = 0;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (!read_digits(text, pos, 4, y) || !expect(text, pos, '-') || !read_digits(text, pos, 2, mo) ||
      !expect(text, pos, '-') || !read_digits(text, pos, 2, d))
    return std::nullopt;
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ')) return std::nullopt;
  ++pos;
  if (!read_digits(text, pos, 2, h) || !expect(text, pos, ':') || !read_digits(text, pos, 2, mi) ||
      !expect(text, pos, ':') || !read_digits(text, pos, 2, s))
    return std::nullopt;
  std::int64_t frac_ticks = 0;
  if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
    ++pos;
    std::size_t digits = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      if (digits < 7) frac_ticks = frac_ticks * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (std::size_t i = digits; i < 7; ++i) frac_ticks *= 10;
  }
  std::int64_t offset_minutes = 0;
  if (pos < text.size()) {
    char c = text[pos];
    if (c == 'Z' || c == 'z') {
      ++pos;
    } else if (c == '+' || c == '-') {
      ++pos;
      int oh = 0, om = 0;
      if (!read_digits(text, pos, 2, oh)) return std::nullopt;
      if (pos < text.size() && text[pos] == ':') ++pos;
      if (!read_digits(text, pos, 2, om) || oh > 23 || om > 59) return std::nullopt;
      offset_minutes = (oh * 60 + om) * (c == '+' ? 1 : -1);
    } else {
      return std::nullopt;
    }
  }
  if (pos != text.size()) return std::nullopt;
  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || s > 59) return std::nullopt;
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  Timestamp t = time_point_cast<Ticks>(sys_days{ymd}) + hours{h} + minutes{mi} + seconds{s} + Ticks{frac_ticks} -
                minutes{offset_minutes};
  // The stored form has four-digit years: an offset must not carry a time out of years 1..9999.
  static const Timestamp earliest = time_point_cast<Ticks>(sys_days{year{1} / January / 1});
  static const Timestamp after_latest = time_point_cast<Ticks>(sys_days{year{10000} / January / 1});
  if (t < earliest || t >= after_latest) return std::nullopt;
  return t;
}

std::optional<std::int64_t> parse_duration_ticks(std::string_view text) {
  constexpr std::int64_t second = 10'000'000;
  if (text.empty()) return std::nullopt;
  bool negative = false;
  std::size_t pos = 0;
  if (text[0] == '-') {
    negative = true;
    pos = 1;
  }
  if (pos < text.size() && (text[pos] == 'P' || text[pos] == 'p')) {
    ++pos;
    bool in_time = false;
    bool any = false;
    std::int64_t total = 0;
    while (pos < text.size()) {
      if (text[pos] == 'T' || text[pos] == 't') {
        if (in_time) return std::nullopt;
        in_time = true;
        ++pos;
        continue;
      }
      std::int64_t whole = 0;
      std::int64_t frac = 0;
      std::size_t frac_digits = 0;
      std::size_t start = pos;
      while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
        if (whole > 100'000'000'000LL) return std::nullopt;
        whole = whole * 10 + (text[pos++] - '0');
      }
      if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
        ++pos;
        while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
          if (frac_digits < 7) {
            frac = frac * 10 + (text[pos] - '0');
            ++frac_digits;
          }
          ++pos;
        }
      }
      if (pos == start || pos >= text.size()) return std::nullopt;
      for (std::size_t i = frac_digits; i < 7; ++i) frac *= 10;
      char unit = static_cast<char>(std::toupper(static_cast<unsigned char>(text[pos++])));
      std::int64_t unit_ticks = 0;
      if (!in_time && unit == 'D') unit_ticks = 86400 * second;
      else if (!in_time && unit == 'W') unit_ticks = 7 * 86400 * second;
      else if (in_time && unit == 'H') unit_ticks = 3600 * second;
      else if (in_time && unit == 'M') unit_ticks = 60 * second;
      else if (in_time && unit == 'S') unit_ticks = second;
      else return std::nullopt;  // years and months have no fixed length
      if (frac != 0 && unit != 'S') return std::nullopt;
      // A TimeSpan holds at most 2^63 - 1 ticks; anything longer is refused, never wrapped.
      __int128 sum = static_cast<__int128>(total) + static_cast<__int128>(whole) * unit_ticks + frac;
      if (sum > std::numeric_limits<std::int64_t>::max()) return std::nullopt;
      total = static_cast<std::int64_t>(sum);
      any = true;
    }
    if (!any) return std::nullopt;
    return negative ? -total : total;
  }
  // .NET TimeSpan text: [d.]hh:mm[:ss[.fffffff]]
  std::int64_t d = 0;
  int h = 0, m = 0, s = 0;
  std::size_t dot = text.find('.', pos);
  std::size_t colon = text.find(':', pos);
  if (colon == std::string_view::npos) return std::nullopt;
  if (dot != std::string_view::npos && dot < colon) {
    for (std::size_t i = pos; i < dot; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
      d = d * 10 + (text[i] - '0');
      if (d > 100'000'000) return std::nullopt;
    }
    pos = dot + 1;
  }
  if (!read_digits(text, pos, 2, h) || !expect(text, pos, ':') || !read_digits(text, pos, 2, m)) return std::nullopt;
  std::int64_t frac = 0;
  if (pos < text.size()) {
    if (!expect(text, pos, ':') || !read_digits(text, pos, 2, s)) return std::nullopt;
    if (pos < text.size()) {
      if (!expect(text, pos, '.')) return std::nullopt;
      std::size_t digits = 0;
      while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
        if (digits < 7) frac = frac * 10 + (text[pos] - '0');
        ++digits;
        ++pos;
      }
      if (digits == 0 || pos != text.size()) return std::nullopt;
      for (std::size_t i = digits; i < 7; ++i) frac *= 10;
    }
  }
  if (h > 23 || m > 59 || s > 59 || d > 100'000'000) return std::nullopt;
  __int128 sum = ((static_cast<__int128>(d) * 24 + h) * 60 + m) * 60 * second + static_cast<__int128>(s) * second + frac;
  if (sum > std::numeric_limits<std::int64_t>::max()) return std::nullopt;
  auto total = static_cast<std::int64_t>(sum);
  return negative ? -total : total;
}

std::string format_duration(std::int64_t ticks) {
  // Once per exported interaction: digits are appended in place, without printf or temporaries.
  constexpr std::uint64_t second = 10'000'000;
  std::string out;
  out.reserve(32);
  auto number = [&out](std::uint64_t v) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    (void)ec;
    out.append(buf, end);
  };
  // The magnitude as unsigned, so that the most negative value has one too.
  std::uint64_t left = ticks < 0 ? 0 - static_cast<std::uint64_t>(ticks) : static_cast<std::uint64_t>(ticks);
  if (ticks < 0) out.push_back('-');
  out.push_back('P');
  const std::uint64_t d = left / (86400 * second);
  left %= 86400 * second;
  const std::uint64_t h = left / (3600 * second);
  left %= 3600 * second;
  const std::uint64_t m = left / (60 * second);
  left %= 60 * second;
  const std::uint64_t s = left / second;
  std::uint64_t frac = left % second;
  if (d) {
    number(d);
    out.push_back('D');
  }
  if (h || m || s || frac || !d) {
    out.push_back('T');
    if (h) {
      number(h);
      out.push_back('H');
    }
    if (m) {
      number(m);
      out.push_back('M');
    }
    if (s || frac || (!h && !m)) {
      number(s);
      if (frac) {
        char digits[7];  // seven digits of 100 ns, trailing zeros dropped
        for (int i = 6; i >= 0; --i, frac /= 10) digits[i] = static_cast<char>('0' + frac % 10);
        std::size_t len = 7;
        while (digits[len - 1] == '0') --len;
        out.push_back('.');
        out.append(digits, len);
      }
      out.push_back('S');
    }
  }
  return out;
}

}  // namespace cortex
