// Bearer-token checks and the token files.
#include "service/api_tokens.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/sha256.h"

namespace cortex {
namespace {

Status append_line(const std::string& path, const std::string& line, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode);
  if (fd < 0) return make_error(ErrorCode::IOError, "cannot open " + path + ": " + std::strerror(errno));
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  int saved = errno;
  ::close(fd);
  if (!ok) return make_error(ErrorCode::IOError, "cannot write " + path + ": " + std::strerror(saved));
  return Status::OK();
}

}  // namespace

const char* to_string(Role role) { return role == Role::DataAdmin ? "data-admin" : "reader"; }

std::optional<Role> parse_role(std::string_view text) {
  if (text == "data-admin") return Role::DataAdmin;
  if (text == "reader") return Role::Reader;
  return std::nullopt;
}

ApiTokens::ApiTokens(std::vector<TokenHash> configured, std::string data_dir)
    : configured_(std::move(configured)), data_dir_(std::move(data_dir)) {}

std::string ApiTokens::hash_of(std::string_view token) { return Sha256::hex_of(token); }

Result<std::vector<TokenHash>> ApiTokens::read_hashes(const std::string& path) {
  std::vector<TokenHash> out;
  std::ifstream in(path);
  if (!in) return out;  // no file yet: no stored tokens
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string role_text, hash;
    fields >> role_text >> hash;
    auto role = parse_role(role_text);
    bool hex = hash.size() == 64 && hash.find_first_not_of("0123456789abcdef") == std::string::npos;
    if (!role || !hex) {
      return make_error(ErrorCode::Corruption, path + " line " + std::to_string(number) +
                                                   ": expected '<data-admin|reader> <sha256 hex>'");
    }
    out.push_back({hash, *role});
  }
  return out;
}

Status ApiTokens::reload() {
  std::error_code ec;
  auto path = hashes_file(data_dir_);
  auto mtime = std::filesystem::last_write_time(path, ec);
  std::lock_guard lock(mutex_);
  if (!ec && mtime == stored_mtime_ && !stored_.empty()) return Status::OK();
  auto hashes = read_hashes(path);
  if (!hashes.ok()) return hashes.error();
  stored_ = std::move(*hashes);
  if (!ec) stored_mtime_ = mtime;
  return Status::OK();
}

std::size_t ApiTokens::count() const {
  std::lock_guard lock(mutex_);
  return configured_.size() + stored_.size();
}

Result<bool> ApiTokens::ensure_one_exists() {
  CORTEX_RETURN_IF_ERROR(reload());
  if (count() > 0) return false;
  auto token = create(data_dir_, Role::DataAdmin);
  if (!token.ok()) return token.error();
  // The token itself, for the CLI and the demo: readable by the service user only.
  auto path = token_file(data_dir_);
  ::unlink(path.c_str());
  CORTEX_RETURN_IF_ERROR(append_line(path, *token + "\n", 0600));
  ::chmod(path.c_str(), 0600);
  CORTEX_RETURN_IF_ERROR(reload());
  spdlog::info("created a data-admin API token; it is in {} (readable by this user only)", path);
  return true;
}

Result<std::string> ApiTokens::create(const std::string& data_dir, Role role) {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return make_error(ErrorCode::Internal, "the OS random source failed");
  static constexpr char digits[] = "0123456789abcdef";
  std::string token = "cxd_";
  for (auto b : bytes) {
    token.push_back(digits[b >> 4]);
    token.push_back(digits[b & 0x0f]);
  }
  OPENSSL_cleanse(bytes, sizeof bytes);
  CORTEX_RETURN_IF_ERROR(append_line(hashes_file(data_dir), std::string(to_string(role)) + " " + hash_of(token) + "\n", 0600));
  return token;
}

std::optional<std::string> ApiTokens::read_client_token(const std::string& data_dir) {
  std::ifstream in(token_file(data_dir));
  std::string token;
  if (!in || !std::getline(in, token) || token.empty()) return std::nullopt;
  return token;
}

AuthDecision ApiTokens::authorize(std::string_view header, Access needed) {
  constexpr std::string_view scheme = "Bearer ";
  if (header.size() <= scheme.size() || header.substr(0, scheme.size()) != scheme) {
    spdlog::warn("refused a request without a bearer token");
    return AuthDecision::Unauthenticated;
  }
  auto presented = hash_of(header.substr(scheme.size()));
  auto reloaded = reload();
  if (!reloaded.ok()) spdlog::error("reading API tokens: {}", reloaded.error().message);
  // Every hash is compared, match or not, so the time taken says nothing about which one matched.
  std::optional<Role> role;
  auto check = [&](const TokenHash& h) {
    if (h.sha256_hex.size() == presented.size() &&
        CRYPTO_memcmp(h.sha256_hex.data(), presented.data(), presented.size()) == 0) {
      if (!role || h.role == Role::DataAdmin) role = h.role;
    }
  };
  {
    std::lock_guard lock(mutex_);
    for (const auto& h : configured_) check(h);
    for (const auto& h : stored_) check(h);
  }
  if (!role) {
    spdlog::warn("refused a request with an unknown bearer token");
    return AuthDecision::Unauthenticated;
  }
  if (needed == Access::Write && *role != Role::DataAdmin) {
    spdlog::warn("refused a {} token for a call that needs data-admin", to_string(*role));
    return AuthDecision::Forbidden;
  }
  return AuthDecision::Allowed;
}

}  // namespace cortex
