// Provider plugins: loading over the C ABI, the adapter's mapping of statuses and data, and the
// reporting of files that are not usable plugins.
#include "storage/plugin_loader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "temp_dir.h"

namespace cortex {
namespace {

namespace fs = std::filesystem;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::unique_ptr<StorageProvider> create_or_fail(const ProviderRegistry& registry, const std::string& provider,
                                                const ProviderSettings& settings) {
  auto p = registry.create(provider, settings);
  EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message);
  return p.ok() ? std::move(*p) : nullptr;
}

std::vector<std::string> files_in(const fs::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Whether the library at `file` is loaded into this process.
bool mapped(const std::string& file) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  std::string name = fs::path(file).filename().string();
  while (std::getline(maps, line)) {
    if (contains(line, name)) return true;
  }
  return false;
}

const PluginLoadError* error_for(const std::vector<PluginLoadError>& errors, const std::string& file) {
  for (const auto& e : errors) {
    if (fs::path(e.file).filename() == file) return &e;
  }
  return nullptr;
}

TEST(PluginLoader, ExamplePluginStoresListsReadsAndRemoves) {
  testing::TempDir dir;
  ProviderRegistry registry;
  auto name = load_provider_plugin(CORTEXD_EXAMPLE_PLUGIN, registry);
  ASSERT_TRUE(name.ok()) << name.error().message;
  EXPECT_EQ(*name, "example-folder");
  ASSERT_TRUE(registry.has("example-folder"));

  auto p = create_or_fail(registry, "example-folder", {{"path", dir.file("out")}});
  ASSERT_NE(p, nullptr);
  // Binary content with NULs, larger than the plugin's 64 KiB read chunk.
  std::string big(200000, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
  ASSERT_TRUE(p->store("b.json", big).ok());
  ASSERT_TRUE(p->store("a.json", "[1]").ok());
  ASSERT_TRUE(p->store("a.json", "[2]").ok());
  ASSERT_TRUE(p->store("empty.json", "").ok());

  EXPECT_EQ(files_in(dir.file("out")), (std::vector<std::string>{"a.json.example", "b.json.example", "empty.json.example"}))
      << "one file per object, suffixed, and no temp file left behind";
  auto names = p->list();
  ASSERT_TRUE(names.ok()) << names.error().message;
  EXPECT_EQ(*names, (std::vector<std::string>{"a.json", "b.json", "empty.json"}));

  auto a = p->read("a.json");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(*a, "[2]");
  auto b = p->read("b.json");
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(*b, big);
  EXPECT_EQ(*p->read("empty.json"), "");

  ASSERT_TRUE(p->remove("b.json").ok());
  EXPECT_TRUE(p->remove("b.json").ok()) << "removing a missing object succeeds";
  EXPECT_EQ(*p->list(), (std::vector<std::string>{"a.json", "empty.json"}));
  auto gone = p->read("b.json");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, ErrorCode::NotFound);
  EXPECT_TRUE(contains(gone.error().message, "b.json.example")) << gone.error().message;

  EXPECT_EQ(p->location(), "example-folder " + fs::canonical(dir.file("out")).string());
}

TEST(PluginLoader, ExamplePluginNamesAMissingOrUnknownSetting) {
  ProviderRegistry registry;
  ASSERT_TRUE(load_provider_plugin(CORTEXD_EXAMPLE_PLUGIN, registry).ok());

  auto missing = registry.create("example-folder", {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::InvalidArgument);
  EXPECT_TRUE(contains(missing.error().message, "'path'")) << missing.error().message;

  testing::TempDir dir;
  auto unknown = registry.create("example-folder", {{"path", dir.file("out")}, {"account_key", "s3cr3t"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_TRUE(contains(unknown.error().message, "'account_key'")) << unknown.error().message;
  EXPECT_FALSE(contains(unknown.error().message, "s3cr3t")) << "a setting's value may be a secret";
}

TEST(PluginLoader, ExamplePluginRefusesNamesThatCouldLeaveItsFolder) {
  testing::TempDir dir;
  ProviderRegistry registry;
  ASSERT_TRUE(load_provider_plugin(CORTEXD_EXAMPLE_PLUGIN, registry).ok());
  auto p = create_or_fail(registry, "example-folder", {{"path", dir.file("out")}});
  ASSERT_NE(p, nullptr);
  for (const std::string& bad : std::vector<std::string>{"../x.json", "a/b.json", ".hidden", "", std::string("a\0b", 3)}) {
    auto s = p->store(bad, "[]");
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.error().code, ErrorCode::InvalidArgument) << bad;
  }
  EXPECT_TRUE(files_in(dir.file("out")).empty());
}

TEST(PluginLoader, ExamplePluginReportsAFailedStoreWithThePath) {
  testing::TempDir dir;
  ProviderRegistry registry;
  ASSERT_TRUE(load_provider_plugin(CORTEXD_EXAMPLE_PLUGIN, registry).ok());
  auto p = create_or_fail(registry, "example-folder", {{"path", dir.file("out")}});
  ASSERT_NE(p, nullptr);
  // Replace the folder by a plain file: every write fails, even as root.
  fs::remove_all(dir.file("out"));
  std::ofstream(dir.file("out")) << "not a folder";
  auto s = p->store("a.json", "[1]");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::IOError);
  EXPECT_TRUE(contains(s.error().message, dir.file("out"))) << s.error().message;
}

TEST(PluginLoader, ExamplePluginRemovesTheTempFilesOfInterruptedStoresOnly) {
  testing::TempDir dir;
  ProviderRegistry registry;
  ASSERT_TRUE(load_provider_plugin(CORTEXD_EXAMPLE_PLUGIN, registry).ok());
  auto p = create_or_fail(registry, "example-folder", {{"path", dir.file("out")}});
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(p->store("a.json", "[1]").ok());
  // What a daemon killed between mkstemp and rename leaves behind.
  std::ofstream(dir.path() / "out" / ".example-tmp-Ab12Cd") << "[half";
  std::ofstream(dir.path() / "out" / ".example-tmp-Ef34Gh") << "";

  auto removed = p->remove_incomplete();
  ASSERT_TRUE(removed.ok()) << removed.error().message;
  EXPECT_EQ(*removed, 2);
  EXPECT_EQ(files_in(dir.file("out")), std::vector<std::string>{"a.json.example"});
  EXPECT_EQ(*p->remove_incomplete(), 0);
}

TEST(PluginLoader, MapsPluginStatusesToErrorCodesWithThePluginsText) {
  ProviderRegistry registry;
  ASSERT_TRUE(load_provider_plugin(CORTEXD_TEST_PLUGIN_STATUS, registry).ok());
  auto p = create_or_fail(registry, "test-status", {});
  ASSERT_NE(p, nullptr);
  const std::pair<const char*, ErrorCode> cases[] = {
      {"invalid", ErrorCode::InvalidArgument}, {"unavailable", ErrorCode::Unavailable}, {"io", ErrorCode::IOError},
      {"not-found", ErrorCode::NotFound},      {"other", ErrorCode::IOError},
  };
  for (const auto& [name, code] : cases) {
    auto s = p->store(name, "x");
    ASSERT_FALSE(s.ok()) << name;
    EXPECT_EQ(s.error().code, code) << name;
    EXPECT_EQ(s.error().message, std::string("store ") + name + " failed on purpose");
    auto r = p->remove(name);
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.error().code, code) << name;
  }
  auto silent = p->store("silent", "x");
  ASSERT_FALSE(silent.ok());
  EXPECT_TRUE(contains(silent.error().message, "test-status")) << silent.error().message;
  EXPECT_TRUE(contains(silent.error().message, "store failed with status 3")) << silent.error().message;
  EXPECT_TRUE(p->store("fine", "x").ok());
}

TEST(PluginLoader, SortsListedNamesJoinsReadChunksPassesCountsAndFallsBackToTheNameForLocation) {
  ProviderRegistry registry;
  ASSERT_TRUE(load_provider_plugin(CORTEXD_TEST_PLUGIN_STATUS, registry).ok());
  auto p = create_or_fail(registry, "test-status", {});
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p->list(), (std::vector<std::string>{"a", "b", "c"}));
  auto r = p->read("chunked");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, "chunked");
  EXPECT_EQ(p->location(), "test-status");
  EXPECT_EQ(*p->remove_incomplete(), 2);
}

TEST(PluginLoader, ProvidersKeepTheLibraryLoadedAfterTheRegistryIsGoneAndTheLastUnloadsIt) {
  testing::TempDir dir;
  std::unique_ptr<StorageProvider> p;
  {
    ProviderRegistry registry;
    ASSERT_TRUE(load_provider_plugin(CORTEXD_EXAMPLE_PLUGIN, registry).ok());
    p = create_or_fail(registry, "example-folder", {{"path", dir.file("out")}});
  }
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(p->store("a.json", "[1]").ok());
  EXPECT_EQ(*p->read("a.json"), "[1]");
  EXPECT_TRUE(mapped(CORTEXD_EXAMPLE_PLUGIN));
  p.reset();
  EXPECT_FALSE(mapped(CORTEXD_EXAMPLE_PLUGIN)) << "the last provider unloads the library";
}

TEST(PluginLoader, FolderReportsEachUnusableFileAndLoadsTheRest) {
  testing::TempDir dir;
  fs::path plugins = dir.path() / "plugins";
  fs::create_directories(plugins / "subfolder.so");
  fs::copy_file(CORTEXD_EXAMPLE_PLUGIN, plugins / "example.so");
  fs::copy_file(CORTEXD_TEST_PLUGIN_WRONG_ABI, plugins / "wrong-abi.so");
  fs::copy_file(CORTEXD_TEST_PLUGIN_NO_ENTRY, plugins / "no-entry.so");
  fs::copy_file(CORTEXD_TEST_PLUGIN_NULL_FUNCTION, plugins / "null-function.so");
  std::ofstream(plugins / "bad.so") << "this is not an ELF file\n";
  std::ofstream(plugins / "README.txt") << "not a plugin, not looked at\n";

  ProviderRegistry registry;
  auto errors = load_provider_plugins(plugins.string(), registry);

  EXPECT_EQ(registry.names(), std::vector<std::string>{"example-folder"});
  ASSERT_EQ(errors.size(), 4u);
  const PluginLoadError* bad = error_for(errors, "bad.so");
  ASSERT_NE(bad, nullptr);
  EXPECT_EQ(bad->file, (plugins / "bad.so").string());
  EXPECT_TRUE(contains(bad->message, "cannot load the library")) << bad->message;
  const PluginLoadError* wrong_abi = error_for(errors, "wrong-abi.so");
  ASSERT_NE(wrong_abi, nullptr);
  EXPECT_TRUE(contains(wrong_abi->message, "ABI version 99")) << wrong_abi->message;
  const PluginLoadError* no_entry = error_for(errors, "no-entry.so");
  ASSERT_NE(no_entry, nullptr);
  EXPECT_TRUE(contains(no_entry->message, "no symbol cortexd_provider_plugin_v1")) << no_entry->message;
  const PluginLoadError* null_function = error_for(errors, "null-function.so");
  ASSERT_NE(null_function, nullptr);
  EXPECT_TRUE(contains(null_function->message, "no 'store' function")) << null_function->message;

  testing::TempDir out;
  auto p = create_or_fail(registry, "example-folder", {{"path", out.file("exports")}});
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->store("a.json", "[]").ok());
}

TEST(PluginLoader, APluginNamingARegisteredProviderIsSkippedAndTheFirstKept) {
  ProviderRegistry registry;
  registry.add("example-folder", [](const ProviderSettings&) -> Result<std::unique_ptr<StorageProvider>> {
    return make_error(ErrorCode::Internal, "the provider registered first");
  });
  testing::TempDir dir;
  fs::copy_file(CORTEXD_EXAMPLE_PLUGIN, dir.path() / "example.so");

  auto errors = load_provider_plugins(dir.path().string(), registry);

  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].file, (dir.path() / "example.so").string());
  EXPECT_TRUE(contains(errors[0].message, "'example-folder' is already registered")) << errors[0].message;
  auto p = registry.create("example-folder", {{"path", dir.file("out")}});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message, "the provider registered first");
}

TEST(PluginLoader, AMissingFolderIsOneErrorAndAnEmptyOneLoadsNothing) {
  testing::TempDir dir;
  ProviderRegistry registry;
  auto missing = load_provider_plugins(dir.file("no-such-folder"), registry);
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].file, dir.file("no-such-folder"));
  EXPECT_TRUE(contains(missing[0].message, "cannot read the plugins folder")) << missing[0].message;

  EXPECT_TRUE(load_provider_plugins(dir.path().string(), registry).empty());
  EXPECT_TRUE(load_provider_plugins("", registry).empty());
  EXPECT_TRUE(registry.names().empty());
}

}  // namespace
}  // namespace cortex
