// Sha256: incremental SHA-256 over OpenSSL's EVP interface.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace cortex {

class Sha256 {
 public:
  using Digest = std::array<std::uint8_t, 32>;

  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::string_view data);
  Digest finish();

  static Digest of(std::string_view data);
  static std::string hex_of(std::string_view data);
  static std::string hex(const Digest& digest);

 private:
  struct ContextDeleter {
    void operator()(EVP_MD_CTX* ctx) const;
  };
  std::unique_ptr<EVP_MD_CTX, ContextDeleter> ctx_;
};

}  // namespace cortex
