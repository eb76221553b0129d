// Provider plugin loading: dlopen a folder of *.so files speaking the C ABI of provider_plugin.h and
// register each one's provider in a ProviderRegistry.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "storage/provider_registry.h"

namespace cortex {

// A plugin file that was not registered, with the reason.
struct PluginLoadError {
  std::string file;
  std::string message;
};

// Loads one plugin file and registers its provider. Returns the provider name it registered.
// Fails (and registers nothing) when the file cannot be dlopen'ed, lacks the entry point, speaks
// another ABI version, has an incomplete table or a bad name, or names a provider `registry`
// already has.
//
// Lifetime: the library stays loaded while the registered factory or any provider it created is
// alive (each holds a shared reference to the dlopen handle), so the registry and its providers may
// be destroyed in any order. The provider adapters serialise calls per instance, which is the
// threading rule the ABI promises plugins.
Result<std::string> load_provider_plugin(const std::string& file, ProviderRegistry& registry);

// Loads every `*.so` in `folder` (not recursing), in name order. Each file that fails is reported
// with its path and the reason and skipped; the others register. A folder that cannot be read is
// one error naming it; an empty `folder` string loads nothing.
std::vector<PluginLoadError> load_provider_plugins(const std::string& folder, ProviderRegistry& registry);

}  // namespace cortex
