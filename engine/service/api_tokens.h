// ApiTokens: bearer tokens with roles (SPEC 2.4). Only SHA-256 hashes are kept: in the configuration
// (`auth.tokens`) and in <data-dir>/api-tokens, which `cortexd token create` and the first start write.
// The first start with no token anywhere also writes the token itself to <data-dir>/api-token (0600)
// for the CLI and the demo.
#pragma once

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/api_handler.h"
#include "common/result.h"

namespace cortex {

enum class Role { DataAdmin, Reader };
const char* to_string(Role role);
std::optional<Role> parse_role(std::string_view text);

struct TokenHash {
  std::string sha256_hex;  // lowercase hex of SHA-256 of the token text
  Role role = Role::Reader;
};

class ApiTokens {
 public:
  ApiTokens(std::vector<TokenHash> configured, std::string data_dir);

  // Creates the first token when none is configured or stored. Returns true if it made one.
  Result<bool> ensure_one_exists();
  // Re-reads <data-dir>/api-tokens when it changed (new tokens need no restart).
  Status reload();
  std::size_t count() const;

  // Checks "Bearer <token>" against every hash in constant time; logs rejections, never the token.
  AuthDecision authorize(std::string_view authorization_header, Access needed);

  // A new random token (256 bits from the OS), its hash appended to <data-dir>/api-tokens.
  static Result<std::string> create(const std::string& data_dir, Role role);
  static std::string hash_of(std::string_view token);
  static std::string token_file(const std::string& data_dir) { return data_dir + "/api-token"; }
  static std::string hashes_file(const std::string& data_dir) { return data_dir + "/api-tokens"; }
  // The token the CLI and the demo use: <data-dir>/api-token, when readable.
  static std::optional<std::string> read_client_token(const std::string& data_dir);

 private:
  static Result<std::vector<TokenHash>> read_hashes(const std::string& path);

  const std::vector<TokenHash> configured_;
  const std::string data_dir_;
  mutable std::mutex mutex_;
  std::vector<TokenHash> stored_;
  std::filesystem::file_time_type stored_mtime_{};
};

}  // namespace cortex
