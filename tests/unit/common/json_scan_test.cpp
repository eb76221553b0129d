#include "common/json_scan.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace cortex {
namespace {

// The byte-at-a-time definition the 8-byte scan must agree with.
std::size_t expected_run(const std::string& s, bool stop_at_non_ascii) {
  std::size_t i = 0;
  for (; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == '"' || c == '\\' || (stop_at_non_ascii && c >= 0x80)) break;
  }
  return i;
}

TEST(PlainJsonRun, AgreesWithTheByteDefinitionForEveryByteAtEveryPosition) {
  for (int length : {1, 7, 8, 9, 16, 23}) {
    for (int position = 0; position < length; ++position) {
      for (int byte = 0; byte < 256; ++byte) {
        std::string s(static_cast<std::size_t>(length), 'a');
        s[static_cast<std::size_t>(position)] = static_cast<char>(byte);
        for (bool stop : {false, true}) {
          ASSERT_EQ(plain_json_run(s.data(), s.data() + s.size(), stop), expected_run(s, stop))
              << "length " << length << " position " << position << " byte " << byte << " stop " << stop;
        }
      }
    }
  }
}

// Several bytes that need attention in one word (the 8-byte tricks flag false positives above a true hit), at
// every length around the 16- and 8-byte steps.
TEST(PlainJsonRun, AgreesWithTheByteDefinitionOnMixedStrings) {
  const unsigned char interesting[] = {0x00, 0x01, 0x1F, 0x20, 0x21, '"', '\\', 0x7F, 0x80, 0xC3, 0xFF, 'a', 'a', 'a'};
  std::uint32_t state = 12345;
  auto next = [&] { return state = state * 1664525u + 1013904223u; };
  for (int round = 0; round < 20000; ++round) {
    std::string s(next() % 40, 'a');
    for (auto& c : s) c = static_cast<char>(interesting[(next() >> 16) % sizeof(interesting)]);
    for (bool stop : {false, true}) {
      ASSERT_EQ(plain_json_run(s.data(), s.data() + s.size(), stop), expected_run(s, stop)) << round;
    }
  }
}

TEST(PlainJsonRun, EmptyAndAllPlain) {
  std::string empty;
  EXPECT_EQ(plain_json_run(empty.data(), empty.data(), true), 0u);
  std::string plain(100, 'x');
  EXPECT_EQ(plain_json_run(plain.data(), plain.data() + plain.size(), true), 100u);
  std::string utf8 = "caf\xc3\xa9 ok";
  EXPECT_EQ(plain_json_run(utf8.data(), utf8.data() + utf8.size(), false), utf8.size());
  EXPECT_EQ(plain_json_run(utf8.data(), utf8.data() + utf8.size(), true), 3u);
}

}  // namespace
}  // namespace cortex
