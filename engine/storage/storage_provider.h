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

// One object of a StorageProvider::store_all call; the content must outlive the call.
struct StoreRequest {
  std::string name;
  std::string_view content;
};

// A profile's provider settings: flat key/value strings, ${ENV} references already expanded.
using ProviderSettings = std::map<std::string, std::string>;

class StorageProvider {
 public:
  virtual ~StorageProvider() = default;

  // Stores `content` under `name` atomically: a reader sees the old object, or the whole new one.
  // A successful return means the object is durable. Storing the same name again replaces it.
  virtual Status store(const std::string& name, std::string_view content) = 0;
  // Stores several objects, each as store() does; all are durable when it returns OK. After an error
  // any of them may or may not be stored, so the caller stores them all again. This default stores
  // them one at a time; a provider that can make many durable at once (the folder: one sync for all
  // files) overrides it.
  virtual Status store_all(const std::vector<StoreRequest>& objects) {
    for (const auto& o : objects) {
      auto s = store(o.name, o.content);
      if (!s.ok()) return s;
    }
    return Status::OK();
  }
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
