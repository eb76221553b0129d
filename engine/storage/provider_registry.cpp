// Provider factories by name.
#include "storage/provider_registry.h"

namespace cortex {

void ProviderRegistry::add(const std::string& provider_name, ProviderFactory factory) {
  factories_[provider_name] = std::move(factory);
}

bool ProviderRegistry::has(const std::string& provider_name) const { return factories_.count(provider_name) > 0; }

std::vector<std::string> ProviderRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [name, _] : factories_) out.push_back(name);
  return out;
}

Result<std::unique_ptr<StorageProvider>> ProviderRegistry::create(const std::string& provider_name,
                                                                  const ProviderSettings& settings) const {
  auto it = factories_.find(provider_name);
  if (it == factories_.end()) {
    std::string known;
    for (const auto& name : names()) known += (known.empty() ? "" : ", ") + name;
    return make_error(ErrorCode::InvalidArgument, "unknown provider '" + provider_name + "' (known: " + known + ")");
  }
  return it->second(settings);
}

}  // namespace cortex
