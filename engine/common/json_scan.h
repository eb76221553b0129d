// plain_json_run: how far a JSON string's text runs without a byte that needs attention, 16 bytes at a time
// (SSE2), then 8.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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
#if defined(__SSE2__)
  // 16 bytes a step: a mask bit per byte that needs attention, the lowest is the first.
  const __m128i low = _mm_set1_epi8(0x1F), quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
  while (end - p >= 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i control = _mm_cmpeq_epi8(_mm_max_epu8(x, low), low);  // x <= 0x1F
    auto mask = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_or_si128(control, _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)))));
    if (stop_at_non_ascii) mask |= static_cast<unsigned>(_mm_movemask_epi8(x));  // the top bit: 0x80 and up
    if (mask) return static_cast<std::size_t>(p - start) + static_cast<std::size_t>(std::countr_zero(mask));
    p += 16;
  }
#endif
  if constexpr (std::endian::native == std::endian::little) {
    // The lowest flagged byte of a word is always a true hit (the tricks' false positives only sit above one), and
    // on a little-endian machine it is the first in memory: its index ends the run. The last, short word is read
    // zero-padded, and a zero byte counts as a hit, so the run never passes `end`.
    while (p < end) {
      const auto left = static_cast<std::size_t>(end - p);
      std::uint64_t x = 0;
      std::memcpy(&x, p, left < 8 ? left : 8);
      std::uint64_t hits = any_below(x, 0x20) | any_zero(x ^ (kOnes * '"')) | any_zero(x ^ (kOnes * '\\'));
      if (stop_at_non_ascii) hits |= x & kHighs;
      if (hits) {
        const auto first = static_cast<std::size_t>(std::countr_zero(hits)) / 8;
        return static_cast<std::size_t>(p - start) + (first < left ? first : left);
      }
      p += 8;
    }
    return static_cast<std::size_t>(end - start);
  }
  for (; p < end; ++p) {
    auto c = static_cast<unsigned char>(*p);
    if (c < 0x20 || c == '"' || c == '\\' || (stop_at_non_ascii && c >= 0x80)) break;
  }
  return static_cast<std::size_t>(p - start);
}

}  // namespace cortex
