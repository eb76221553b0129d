// Loading storage profiles from YAML, with ${ENV} expansion of settings.
#include "storage/profile_catalog.h"

#include <yaml-cpp/yaml.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace cortex {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Replaces ${NAME} with the environment variable's value; a missing variable is an error naming it.
Result<std::string> expand_env(const std::string& value, const std::string& key) {
  std::string out;
  std::size_t pos = 0;
  while (pos < value.size()) {
    std::size_t start = value.find("${", pos);
    if (start == std::string::npos) {
      out += value.substr(pos);
      break;
    }
    std::size_t end = value.find('}', start);
    if (end == std::string::npos) {
      return make_error(ErrorCode::InvalidArgument, "setting '" + key + "' has an unclosed ${ reference");
    }
    out += value.substr(pos, start - pos);
    std::string name = value.substr(start + 2, end - start - 2);
    const char* env = std::getenv(name.c_str());
    if (!env) {
      return make_error(ErrorCode::InvalidArgument,
                        "setting '" + key + "' references the environment variable " + name + ", which is not set");
    }
    out += env;
    pos = end + 1;
  }
  return out;
}

}  // namespace

Result<StorageProfile> ProfileCatalog::parse(const std::string& yaml_text, const std::string& source_file) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return make_error(ErrorCode::InvalidArgument, "not valid YAML: " + e.msg + " (line " + std::to_string(e.mark.line + 1) + ")");
  }
  if (!root.IsMap()) return make_error(ErrorCode::InvalidArgument, "a profile must be a YAML mapping with name, provider and settings");
  StorageProfile profile;
  profile.source_file = source_file;
  for (const auto& entry : root) {
    std::string key = entry.first.as<std::string>();
    if (key == "name" && entry.second.IsScalar()) {
      profile.name = entry.second.as<std::string>();
    } else if (key == "provider" && entry.second.IsScalar()) {
      profile.provider = entry.second.as<std::string>();
    } else if (key == "settings" && (entry.second.IsMap() || entry.second.IsNull())) {
      for (const auto& setting : entry.second) {
        std::string name = setting.first.as<std::string>();
        if (!setting.second.IsScalar()) {
          return make_error(ErrorCode::InvalidArgument, "setting '" + name + "' must be a single value");
        }
        auto value = expand_env(setting.second.as<std::string>(), name);
        if (!value.ok()) return value.error();
        profile.settings[name] = *value;
      }
    } else {
      return make_error(ErrorCode::InvalidArgument,
                        "unknown or malformed key '" + key + "' (a profile has name, provider and settings)");
    }
  }
  if (profile.name.empty()) return make_error(ErrorCode::InvalidArgument, "the profile has no 'name'");
  if (profile.provider.empty()) return make_error(ErrorCode::InvalidArgument, "the profile has no 'provider'");
  return profile;
}

std::vector<ProfileLoadError> ProfileCatalog::load_folder(const std::string& folder) {
  std::vector<ProfileLoadError> errors;
  std::map<std::string, StorageProfile> loaded;
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    auto ext = entry.path().extension().string();
    if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) files.push_back(entry.path());
  }
  if (ec) {
    errors.push_back({folder, "cannot read the profiles folder: " + ec.message()});
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    auto profile = parse(text.str(), file.string());
    if (!profile.ok()) {
      errors.push_back({file.string(), profile.error().message});
      continue;
    }
    if (!providers_.has(profile->provider)) {
      std::string known;
      for (const auto& name : providers_.names()) known += (known.empty() ? "" : ", ") + name;
      errors.push_back({file.string(), "profile '" + profile->name + "' names the unknown provider '" +
                                           profile->provider + "' (known: " + known + ")"});
      continue;
    }
    // Build the provider once so that bad settings are reported now, not at the first export.
    auto provider = providers_.create(profile->provider, profile->settings);
    if (!provider.ok()) {
      errors.push_back({file.string(), "profile '" + profile->name + "': " + provider.error().message});
      continue;
    }
    std::string key = lower(profile->name);
    if (loaded.count(key)) {
      errors.push_back({file.string(), "profile '" + profile->name + "' is already defined in " + loaded[key].source_file});
      continue;
    }
    loaded[key] = std::move(*profile);
  }
  for (const auto& e : errors) spdlog::error("storage profile {} not registered: {}", e.file, e.message);
  for (const auto& [_, p] : loaded) spdlog::info("storage profile '{}' registered (provider {})", p.name, p.provider);
  std::lock_guard lock(mutex_);
  by_lower_name_ = std::move(loaded);
  return errors;
}

std::optional<StorageProfile> ProfileCatalog::find(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = by_lower_name_.find(lower(name));
  if (it == by_lower_name_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> ProfileCatalog::names() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [_, p] : by_lower_name_) out.push_back(p.name);
  return out;
}

Result<std::unique_ptr<StorageProvider>> ProfileCatalog::open_provider(const std::string& profile_name) const {
  auto profile = find(profile_name);
  if (!profile) return make_error(ErrorCode::NotFound, "storage profile '" + profile_name + "' is not registered");
  auto provider = providers_.create(profile->provider, profile->settings);
  if (!provider.ok()) return provider.error().with_context("storage profile '" + profile->name + "'");
  return provider;
}

}  // namespace cortex
