// ProfileCatalog: the registered storage profiles, loaded from a folder of YAML files (one per file).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "storage/provider_registry.h"

namespace cortex {

struct StorageProfile {
  std::string name;
  std::string provider;
  ProviderSettings settings;  // ${ENV} references expanded; may hold secrets: never log them
  std::string source_file;
};

// A profile file that could not be registered, with the reason.
struct ProfileLoadError {
  std::string file;
  std::string message;
};

class ProfileCatalog {
 public:
  explicit ProfileCatalog(const ProviderRegistry& providers) : providers_(providers) {}

  // Reads every *.yaml / *.yml file in `folder`. A bad file is reported and left out; the others load.
  // Replaces the registered set atomically (used at start-up and on SIGHUP).
  std::vector<ProfileLoadError> load_folder(const std::string& folder);

  // Case-insensitive lookup.
  std::optional<StorageProfile> find(const std::string& name) const;
  std::vector<std::string> names() const;
  // Creates a provider for the named profile.
  Result<std::unique_ptr<StorageProvider>> open_provider(const std::string& profile_name) const;

  // Parses one profile document (exposed for tests).
  static Result<StorageProfile> parse(const std::string& yaml_text, const std::string& source_file);

 private:
  const ProviderRegistry& providers_;
  mutable std::mutex mutex_;
  std::map<std::string, StorageProfile> by_lower_name_;
};

}  // namespace cortex
