// plain_json_run: how far a JSON string's text runs without a byte that needs attention, 8 bytes at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace cortex {

// The length of the longest prefix of [p, end) without '"', '\\' or a control byte (below 0x20): the bytes a
// JSON string holds as they are. With `stop_at_non_ascii`, bytes from 0x80 end it too (for UTF-8 checking).
inline std::size_t plain_json_run(const char* p, const char* end, bool stop_at_non_ascii) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
  // Nonzero exactly when some byte of x is below n (n <= 128), or is zero: the usual bit tricks.
  auto any_below = [](std::uint64_t x, std::uint64_t n) { return (x - kOnes * n) & ~x & kHighs; };
  auto any_zero = [](std::uint64_t x) { return (x - kOnes) & ~x & kHighs; };
  const char* start = p;
  while (end - p >= 8) {
    std::uint64_t x;
    std::memcpy(&x, p, 8);
    std::uint64_t hits = any_below(x, 0x20) | any_zero(x ^ (kOnes * '"')) | any_zero(x ^ (kOnes * '\\'));
    if (stop_at_non_ascii) hits |= x & kHighs;
    if (hits) break;
    p += 8;
  }
  for (; p < end; ++p) {
    auto c = static_cast<unsigned char>(*p);
    if (c < 0x20 || c == '"' || c == '\\' || (stop_at_non_ascii && c >= 0x80)) break;
  }
  return static_cast<std::size_t>(p - start);
}

}  // namespace cortex
