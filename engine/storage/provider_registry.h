// ProviderRegistry: storage provider factories by provider name; the engine never names a provider.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "storage/storage_provider.h"

namespace cortex {

// Builds a provider from a profile's settings; errors name the setting that is wrong.
using ProviderFactory = std::function<Result<std::unique_ptr<StorageProvider>>(const ProviderSettings& settings)>;

class ProviderRegistry {
 public:
  void add(const std::string& provider_name, ProviderFactory factory);
  bool has(const std::string& provider_name) const;
  std::vector<std::string> names() const;
  Result<std::unique_ptr<StorageProvider>> create(const std::string& provider_name,
                                                  const ProviderSettings& settings) const;

 private:
  std::map<std::string, ProviderFactory> factories_;
};

}  // namespace cortex
