// Guid: the 128-bit ids of tasks, batches, contacts and interactions, in the .NET text form.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cortex {

class Guid {
 public:
  Guid() = default;
  explicit Guid(const std::array<std::uint8_t, 16>& bytes) : bytes_(bytes) {}

  // Accepts 32 hex digits with dashes in the 8-4-4-4-12 places or none, any case, optional braces.
  static std::optional<Guid> parse(std::string_view text);
  // A random (version 4) GUID from the OS's random source.
  static Guid random();
  // A name-based GUID: SHA-256 of namespace bytes and name, with version-5 style bits. Stable forever.
  static Guid derive(const Guid& name_space, std::string_view name);

  // Lowercase, dashes, no braces: "eb98205c-5e21-0000-0000-067a78ed61d5".
  std::string str() const;
  const std::array<std::uint8_t, 16>& bytes() const { return bytes_; }
  bool is_nil() const;

  friend bool operator==(const Guid&, const Guid&) = default;
  friend auto operator<=>(const Guid&, const Guid&) = default;

 private:
  std::array<std::uint8_t, 16> bytes_{};
};

// Normalises GUID text to the lowercase dashed form, or nullopt when it is not a GUID.
std::optional<std::string> normalize_guid(std::string_view text);

// A stable percentile in [0, 1) derived from a record's id, for records imported without one.
double percentile_from_id(std::string_view normalized_id);

}  // namespace cortex
