// StorageProvider: the one interface the engine knows for writing export files. Providers are plugins.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace cortex {

// A profile's provider settings: flat key/value strings, ${ENV} references already expanded.
using ProviderSettings = std::map<std::string, std::string>;

class StorageProvider {
 public:
  virtual ~StorageProvider() = default;

  // Stores `content` under `name` atomically: a reader sees the old object, or the whole new one.
  // A successful return means the object is durable. Storing the same name again replaces it.
  virtual Status store(const std::string& name, std::string_view content) = 0;
  // Names of the stored objects, sorted.
  virtual Result<std::vector<std::string>> list() = 0;
  virtual Result<std::string> read(const std::string& name) = 0;
  virtual Status remove(const std::string& name) = 0;
  // Where the objects go, for people ("folder /var/lib/cortexd/exports"). Never holds a secret.
  virtual std::string location() const = 0;
  // Removes what interrupted stores left behind (temp files of a killed daemon). Called at start-up,
  // when no store of this daemon is in flight. Returns how many leftovers were removed.
  virtual Result<std::int64_t> remove_incomplete() { return std::int64_t{0}; }
};

}  // namespace cortex
