// Timestamps in .NET ticks (100 ns, UTC) with the ISO-8601 text forms the API and the collection use.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cortex {

using Ticks = std::chrono::duration<std::int64_t, std::ratio<1, 10'000'000>>;
using Timestamp = std::chrono::time_point<std::chrono::system_clock, Ticks>;

// An injectable clock, so tests can fix "now".
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Timestamp now() const override;
};

// "2020-08-18T10:59:39.7216673Z": always seven fractional digits and Z.
std::string format_timestamp(Timestamp t);

// ISO-8601 date-time: "YYYY-MM-DDTHH:MM:SS", optional fraction of any length (digits past seven are
// dropped), then "Z", "+HH:MM", "-HH:MM" or nothing (taken as UTC). A space may stand for the "T".
std::optional<Timestamp> parse_timestamp(std::string_view text);

// ISO-8601 durations ("PT28.6763679S", "P1DT2H3M4S") and .NET TimeSpan text ("01:00:00", "1.02:03:04.5").
std::optional<std::int64_t> parse_duration_ticks(std::string_view text);

// The xsd:duration form .NET writes for a TimeSpan: "PT28.6763679S", "P1DT2H", "PT0S".
std::string format_duration(std::int64_t ticks);

constexpr Ticks ticks_of_days(std::int64_t n) { return std::chrono::duration_cast<Ticks>(std::chrono::days(n)); }

}  // namespace cortex
