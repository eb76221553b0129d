// Guid parsing, formatting, random and name-based generation.
#include "common/guid.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>

#include "common/sha256.h"

namespace cortex {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<Guid> Guid::parse(std::string_view text) {
  if (text.size() >= 2 && text.front() == '{' && text.back() == '}') text = text.substr(1, text.size() - 2);
  std::array<std::uint8_t, 16> bytes{};
  if (text.size() == 36) {
    if (text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-') return std::nullopt;
  } else if (text.size() != 32) {
    return std::nullopt;
  }
  int nibble = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text.size() == 36 && (i == 8 || i == 13 || i == 18 || i == 23)) continue;
    int v = hex_value(text[i]);
    if (v < 0) return std::nullopt;
    bytes[nibble / 2] = static_cast<std::uint8_t>(bytes[nibble / 2] | (nibble % 2 == 0 ? v << 4 : v));
    ++nibble;
  }
  return Guid(bytes);
}

Guid Guid::random() {
  std::array<std::uint8_t, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("the OS random source failed (RAND_bytes)");
  }
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0f) | 0x40);
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3f) | 0x80);
  return Guid(bytes);
}

Guid Guid::derive(const Guid& name_space, std::string_view name) {
  Sha256 hash;
  hash.update(std::string_view(reinterpret_cast<const char*>(name_space.bytes_.data()), name_space.bytes_.size()));
  hash.update(name);
  auto digest = hash.finish();
  std::array<std::uint8_t, 16> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = digest[i];
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0f) | 0x50);
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3f) | 0x80);
  return Guid(bytes);
}

std::string Guid::str() const {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < bytes_.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(digits[bytes_[i] >> 4]);
    out.push_back(digits[bytes_[i] & 0x0f]);
  }
  return out;
}

bool Guid::is_nil() const {
  for (auto b : bytes_)
    if (b != 0) return false;
  return true;
}

std::optional<std::string> normalize_guid(std::string_view text) {
  auto guid = Guid::parse(text);
  if (!guid) return std::nullopt;
  return guid->str();
}

double percentile_from_id(std::string_view normalized_id) {
  // xConnect ids are often sequential in some digits, so hash them for a uniform spread.
  auto digest = Sha256::of(normalized_id);
  std::uint64_t top = 0;
  for (int i = 0; i < 8; ++i) top = (top << 8) | digest[i];
  // 53 bits keep the value exactly representable and strictly below 1.
  return static_cast<double>(top >> 11) / static_cast<double>(std::uint64_t{1} << 53);
}

}  // namespace cortex
