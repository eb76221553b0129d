// The few primitives Blob requests need: base64, MD5 (Content-MD5) and HMAC-SHA256 (Shared Key).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cortex::providers::azure {

std::string base64_encode(std::string_view bytes);
// Strict: only the standard alphabet, with padding to a multiple of 4; nullopt otherwise.
std::optional<std::string> base64_decode(std::string_view text);

// Raw 16-byte digest.
std::string md5(std::string_view bytes);
std::string md5_base64(std::string_view bytes);

// Raw 32-byte MAC.
std::string hmac_sha256(std::string_view key, std::string_view message);

}  // namespace cortex::providers::azure
