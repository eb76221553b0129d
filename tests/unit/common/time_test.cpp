// Timestamps and durations in the forms the API and the collection use.
#include <gtest/gtest.h>

#include <limits>
#include <random>

#include "common/time.h"

namespace cortex {
namespace {

TEST(Timestamp, FormatsSevenFractionalDigitsAndZ) {
  auto t = parse_timestamp("2020-08-18T10:59:39.7216673Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_timestamp(*t), "2020-08-18T10:59:39.7216673Z");
  EXPECT_EQ(format_timestamp(*parse_timestamp("2020-08-18T10:59:39Z")), "2020-08-18T10:59:39.0000000Z");
}

TEST(Timestamp, PadsShortAndTruncatesLongFractions) {
  EXPECT_EQ(format_timestamp(*parse_timestamp("2022-07-28T07:27:03.5Z")), "2022-07-28T07:27:03.5000000Z");
  EXPECT_EQ(format_timestamp(*parse_timestamp("2022-07-28T07:27:03.123456789Z")), "2022-07-28T07:27:03.1234567Z");
}

TEST(Timestamp, NormalisesOffsetsToUtc) {
  EXPECT_EQ(format_timestamp(*parse_timestamp("2022-07-28T09:27:03+02:00")), "2022-07-28T07:27:03.0000000Z");
  EXPECT_EQ(format_timestamp(*parse_timestamp("2022-07-28T00:30:00-01:00")), "2022-07-28T01:30:00.0000000Z");
  EXPECT_EQ(format_timestamp(*parse_timestamp("2022-01-01T00:30:00+01:00")), "2021-12-31T23:30:00.0000000Z");
}

TEST(Timestamp, RejectsMalformedText) {
  for (const char* bad : {"", "2022-13-01T00:00:00Z", "2022-02-30T00:00:00Z", "2022-07-28", "2022-07-28T25:00:00Z",
                          "2022-07-28T07:27:03.Z", "2022-07-28T07:27:03Zjunk", "yesterday"}) {
    EXPECT_FALSE(parse_timestamp(bad)) << bad;
  }
}

TEST(Timestamp, TextOrderIsTimeOrder) {
  auto a = format_timestamp(*parse_timestamp("2019-12-31T23:59:59.9999999Z"));
  auto b = format_timestamp(*parse_timestamp("2020-01-01T00:00:00Z"));
  EXPECT_LT(a, b);
}

TEST(Duration, ParsesIsoAndDotNetForms) {
  EXPECT_EQ(parse_duration_ticks("PT28.6763679S"), 286763679);
  EXPECT_EQ(parse_duration_ticks("PT0.275S"), 2750000);
  EXPECT_EQ(parse_duration_ticks("P1DT2H3M4S"), ((26LL * 60 + 3) * 60 + 4) * 10'000'000);
  EXPECT_EQ(parse_duration_ticks("01:00:00"), 3600LL * 10'000'000);
  EXPECT_EQ(parse_duration_ticks("1.02:03:04.5"), (((24LL + 2) * 60 + 3) * 60 + 4) * 10'000'000 + 5'000'000);
  EXPECT_FALSE(parse_duration_ticks("P1Y"));
  EXPECT_FALSE(parse_duration_ticks("PT"));
  EXPECT_FALSE(parse_duration_ticks("soon"));
}

TEST(Duration, FormatsLikeDotNetXmlConvert) {
  EXPECT_EQ(format_duration(286763679), "PT28.6763679S");
  EXPECT_EQ(format_duration(0), "PT0S");
  EXPECT_EQ(format_duration(3600LL * 10'000'000), "PT1H");
  EXPECT_EQ(format_duration(86400LL * 10'000'000), "P1D");
  EXPECT_EQ(format_duration(2750000), "PT0.275S");
  EXPECT_EQ(format_duration(-2750000), "-PT0.275S");
  EXPECT_EQ(format_duration(1), "PT0.0000001S");
  EXPECT_EQ(format_duration(((26LL * 60 + 3) * 60 + 4) * 10'000'000 + 5'000'000), "P1DT2H3M4.5S");
  EXPECT_EQ(format_duration(90LL * 10'000'000), "PT1M30S");
  // The most negative value has no positive twin in 64 bits; its magnitude is still written.
  EXPECT_EQ(format_duration(std::numeric_limits<std::int64_t>::min()), "-P10675199DT2H48M5.4775808S");
}

TEST(Duration, FormattedDurationsParseBackToTheSameTicks) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) {
    // Magnitudes from 100 ns to about 30 years, either sign.
    auto ticks = static_cast<std::int64_t>(rng() >> (rng() % 60 + 2));
    if (rng() & 1) ticks = -ticks;
    SCOPED_TRACE(ticks);
    auto back = parse_duration_ticks(format_duration(ticks));
    ASSERT_TRUE(back) << format_duration(ticks);
    EXPECT_EQ(*back, ticks);
  }
}

}  // namespace
}  // namespace cortex
