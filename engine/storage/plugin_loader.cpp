// Provider plugins: the dlopen loader and the StorageProvider adapter over the C ABI.
#include "storage/plugin_loader.h"

#include <dlfcn.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>

#include "storage/provider_plugin.h"

namespace cortex {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxProviderName = 64;
constexpr std::size_t kErrorBuffer = 1024;
constexpr std::size_t kLocationBuffer = 4096;
static_assert(kErrorBuffer >= CORTEXD_PROVIDER_MIN_BUFFER && kLocationBuffer >= CORTEXD_PROVIDER_MIN_BUFFER);

// A dlopen handle, closed when the last factory or provider made from the library lets go of it.
class PluginLibrary {
 public:
  PluginLibrary(void* handle, std::string file) : handle_(handle), file_(std::move(file)) {}
  ~PluginLibrary() { ::dlclose(handle_); }
  PluginLibrary(const PluginLibrary&) = delete;
  PluginLibrary& operator=(const PluginLibrary&) = delete;

  void* handle() const { return handle_; }
  const std::string& file() const { return file_; }

 private:
  void* handle_;
  std::string file_;
};

// What is known about a loaded plugin; `api` points into the library, so `library` must outlive its use.
struct Plugin {
  std::shared_ptr<const PluginLibrary> library;
  const cortexd_provider_api_v1* api = nullptr;
  std::string name;
};

ErrorCode error_code_for(int status) {
  switch (status) {
    case CORTEXD_PROVIDER_INVALID_ARGUMENT: return ErrorCode::InvalidArgument;
    case CORTEXD_PROVIDER_UNAVAILABLE: return ErrorCode::Unavailable;
    case CORTEXD_PROVIDER_NOT_FOUND: return ErrorCode::NotFound;
    default: return ErrorCode::IOError;
  }
}

// A zeroed buffer the plugin writes NUL-terminated text into; text() never trusts that it did.
template <std::size_t N>
class TextBuffer {
 public:
  char* data() { return buffer_.data(); }
  std::size_t size() const { return N; }
  std::string text() {
    buffer_.back() = '\0';
    return std::string(buffer_.data());
  }

 private:
  std::array<char, N> buffer_{};
};

// Turns a plugin's failure status into an Error, with its text or a stand-in when it gave none.
Error plugin_error(const Plugin& plugin, const char* operation, int status, TextBuffer<kErrorBuffer>& buffer) {
  std::string text = buffer.text();
  if (text.empty()) {
    text = "provider '" + plugin.name + "' (" + plugin.library->file() + "): " + operation + " failed with status " +
           std::to_string(status) + " and no message";
  }
  return make_error(error_code_for(status), std::move(text));
}

Error exception_error(const char* what) {
  return make_error(ErrorCode::Internal, std::string("cortexd failed while receiving plugin data: ") + what);
}

// Collects what the plugin hands to a callback. A failure on our side (allocation) is recorded
// here and the plugin is told to stop; it is reported in place of the plugin's status.
struct NamesSink {
  std::vector<std::string> names;
  std::optional<Error> failure;
};
struct DataSink {
  std::string data;
  std::optional<Error> failure;
};

// The callbacks run inside plugin frames: no exception may leave them.
extern "C" {
static int collect_name(void* context, const char* name) noexcept {
  auto* sink = static_cast<NamesSink*>(context);
  if (name == nullptr) {
    sink->failure = make_error(ErrorCode::IOError, "the plugin listed a NULL name");
    return 1;
  }
  try {
    sink->names.emplace_back(name);
    return 0;
  } catch (const std::exception& e) {
    sink->failure = exception_error(e.what());
  } catch (...) {
    sink->failure = exception_error("an unknown exception");
  }
  return 1;
}

static int collect_data(void* context, const void* data, std::size_t size) noexcept {
  auto* sink = static_cast<DataSink*>(context);
  if (size == 0) return 0;
  if (data == nullptr) {
    sink->failure = make_error(ErrorCode::IOError, "the plugin passed NULL data with a nonzero size");
    return 1;
  }
  try {
    sink->data.append(static_cast<const char*>(data), size);
    return 0;
  } catch (const std::exception& e) {
    sink->failure = exception_error(e.what());
  } catch (...) {
    sink->failure = exception_error("an unknown exception");
  }
  return 1;
}
}  // extern "C"

// C strings cannot carry a NUL; such a name is refused here rather than silently cut short.
std::optional<Error> refuse_embedded_nul(const std::string& name) {
  if (name.find('\0') == std::string::npos) return std::nullopt;
  return make_error(ErrorCode::InvalidArgument, "refusing an object name with a NUL character");
}

// Gives an instance back to the plugin that made it.
struct InstanceDestroyer {
  void (*destroy)(cortexd_provider_instance*);
  void operator()(cortexd_provider_instance* instance) const { destroy(instance); }
};
using InstancePtr = std::unique_ptr<cortexd_provider_instance, InstanceDestroyer>;

// One provider instance inside a plugin. The mutex enforces the ABI's rule that an instance is
// used by one thread at a time, whatever the engine does with the adapter.
class PluginProvider final : public StorageProvider {
 public:
  PluginProvider(Plugin plugin, InstancePtr instance) : plugin_(std::move(plugin)), instance_(std::move(instance)) {}

  Status store(const std::string& name, std::string_view content) override {
    if (auto refused = refuse_embedded_nul(name)) return *refused;
    TextBuffer<kErrorBuffer> error;
    std::lock_guard lock(mutex_);
    int status = plugin_.api->store(instance_.get(), name.c_str(), content.data(), content.size(), error.data(), error.size());
    if (status != CORTEXD_PROVIDER_OK) return plugin_error(plugin_, "store", status, error);
    return Status::OK();
  }

  Result<std::vector<std::string>> list() override {
    NamesSink sink;
    TextBuffer<kErrorBuffer> error;
    std::lock_guard lock(mutex_);
    int status = plugin_.api->list(instance_.get(), collect_name, &sink, error.data(), error.size());
    if (sink.failure) return *sink.failure;
    if (status != CORTEXD_PROVIDER_OK) return plugin_error(plugin_, "list", status, error);
    std::sort(sink.names.begin(), sink.names.end());
    return std::move(sink.names);
  }

  Result<std::string> read(const std::string& name) override {
    if (auto refused = refuse_embedded_nul(name)) return *refused;
    DataSink sink;
    TextBuffer<kErrorBuffer> error;
    std::lock_guard lock(mutex_);
    int status = plugin_.api->read(instance_.get(), name.c_str(), collect_data, &sink, error.data(), error.size());
    if (sink.failure) return *sink.failure;
    if (status != CORTEXD_PROVIDER_OK) return plugin_error(plugin_, "read", status, error);
    return std::move(sink.data);
  }

  Status remove(const std::string& name) override {
    if (auto refused = refuse_embedded_nul(name)) return *refused;
    TextBuffer<kErrorBuffer> error;
    std::lock_guard lock(mutex_);
    int status = plugin_.api->remove(instance_.get(), name.c_str(), error.data(), error.size());
    if (status != CORTEXD_PROVIDER_OK) return plugin_error(plugin_, "remove", status, error);
    return Status::OK();
  }

  std::string location() const override {
    TextBuffer<kLocationBuffer> out;
    std::lock_guard lock(mutex_);
    plugin_.api->location(instance_.get(), out.data(), out.size());
    std::string text = out.text();
    return text.empty() ? plugin_.name : text;
  }

  Result<std::int64_t> remove_incomplete() override {
    std::int64_t removed = 0;
    TextBuffer<kErrorBuffer> error;
    std::lock_guard lock(mutex_);
    int status = plugin_.api->remove_incomplete(instance_.get(), &removed, error.data(), error.size());
    if (status != CORTEXD_PROVIDER_OK) return plugin_error(plugin_, "remove_incomplete", status, error);
    return removed;
  }

 private:
  Plugin plugin_;  // declared first: the library stays loaded until after the instance is destroyed
  InstancePtr instance_;
  mutable std::mutex mutex_;
};

Result<std::unique_ptr<StorageProvider>> create_plugin_provider(const Plugin& plugin, const ProviderSettings& settings) {
  std::vector<cortexd_provider_setting> pairs;
  pairs.reserve(settings.size());
  for (const auto& [key, value] : settings) {
    // The value may be a secret: name the key only.
    if (key.find('\0') != std::string::npos || value.find('\0') != std::string::npos) {
      return make_error(ErrorCode::InvalidArgument, "setting '" + key.substr(0, key.find('\0')) + "' holds a NUL character");
    }
    pairs.push_back({key.c_str(), value.c_str()});
  }
  TextBuffer<kErrorBuffer> error;
  InstancePtr instance(plugin.api->create(pairs.data(), pairs.size(), error.data(), error.size()),
                       InstanceDestroyer{plugin.api->destroy});
  if (!instance) {
    std::string text = error.text();
    if (text.empty()) text = "provider '" + plugin.name + "' refused its settings without a message";
    return make_error(ErrorCode::InvalidArgument, std::move(text));
  }
  return std::unique_ptr<StorageProvider>(std::make_unique<PluginProvider>(plugin, std::move(instance)));
}

bool valid_provider_name(const char* name, std::size_t length) {
  if (length == 0 || length > kMaxProviderName) return false;
  return std::all_of(name, name + length, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
  });
}

// dlerror() text, or a stand-in: it is only set after a failed dl* call.
std::string dl_error_text() {
  const char* text = ::dlerror();
  return text != nullptr ? text : "no reason given";
}

Result<Plugin> open_plugin(const std::string& file) {
  // dlopen searches the library path for a bare name; a plugin is always the file given.
  std::string path = file.find('/') == std::string::npos ? "./" + file : file;
  // RTLD_NOW: an unresolved symbol fails here, not in the middle of an export. RTLD_LOCAL: plugins
  // cannot see (or clash through) each other's symbols.
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) return make_error(ErrorCode::InvalidArgument, "cannot load the library: " + dl_error_text());
  // Owned from here on, so that every early return below closes it.
  auto library = std::make_shared<const PluginLibrary>(handle, file);

  ::dlerror();
  void* symbol = ::dlsym(library->handle(), CORTEXD_PROVIDER_PLUGIN_ENTRY_V1);
  if (symbol == nullptr) {
    return make_error(ErrorCode::InvalidArgument,
                      "not a cortexd provider plugin: no symbol " CORTEXD_PROVIDER_PLUGIN_ENTRY_V1 " (" + dl_error_text() + ")");
  }
  auto entry = reinterpret_cast<cortexd_provider_plugin_v1_fn>(symbol);
  const cortexd_provider_api_v1* api = entry();
  if (api == nullptr) return make_error(ErrorCode::InvalidArgument, CORTEXD_PROVIDER_PLUGIN_ENTRY_V1 " returned NULL");
  if (api->abi_version != CORTEXD_PROVIDER_ABI_VERSION) {
    return make_error(ErrorCode::InvalidArgument, "the plugin speaks provider ABI version " + std::to_string(api->abi_version) +
                                                      ", this cortexd speaks version " +
                                                      std::to_string(CORTEXD_PROVIDER_ABI_VERSION));
  }
  std::size_t name_length = api->name == nullptr ? 0 : ::strnlen(api->name, kMaxProviderName + 1);
  if (!valid_provider_name(api->name, name_length)) {
    return make_error(ErrorCode::InvalidArgument,
                      "the plugin's provider name is missing or not 1 to 64 letters, digits, '-', '_' or '.'");
  }
  std::string name(api->name, name_length);
  const std::pair<const char*, bool> functions[] = {
      {"create", api->create != nullptr}, {"destroy", api->destroy != nullptr}, {"store", api->store != nullptr},
      {"list", api->list != nullptr},     {"read", api->read != nullptr},       {"remove", api->remove != nullptr},
      {"location", api->location != nullptr}, {"remove_incomplete", api->remove_incomplete != nullptr},
  };
  for (const auto& [function, present] : functions) {
    if (!present) {
      return make_error(ErrorCode::InvalidArgument,
                        "provider '" + name + "' has no '" + function + "' function (NULL in its table)");
    }
  }
  return Plugin{std::move(library), api, std::move(name)};
}

}  // namespace

Result<std::string> load_provider_plugin(const std::string& file, ProviderRegistry& registry) {
  auto plugin = open_plugin(file);
  if (!plugin.ok()) return plugin.error();
  std::string name = plugin->name;
  if (registry.has(name)) {
    return make_error(ErrorCode::Conflict, "provider '" + name + "' is already registered; the plugin is skipped");
  }
  registry.add(name, [plugin = std::move(*plugin)](const ProviderSettings& settings) {
    return create_plugin_provider(plugin, settings);
  });
  return name;
}

std::vector<PluginLoadError> load_provider_plugins(const std::string& folder, ProviderRegistry& registry) {
  std::vector<PluginLoadError> errors;
  if (folder.empty()) return errors;
  std::vector<std::string> files;
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (it->path().extension() == ".so" && it->is_regular_file(type_ec)) files.push_back(it->path().string());
  }
  if (ec) {
    errors.push_back({folder, "cannot read the plugins folder: " + ec.message()});
    return errors;
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    auto loaded = load_provider_plugin(file, registry);
    if (!loaded.ok()) errors.push_back({file, loaded.error().message});
  }
  return errors;
}

}  // namespace cortex
