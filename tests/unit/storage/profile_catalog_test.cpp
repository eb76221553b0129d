// Storage profiles: loading a folder, bad files reported by name, ${ENV} secrets, the shipped examples.
#include "storage/profile_catalog.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "azure-blob/azure_blob_provider.h"
#include "folder/folder_provider.h"
#include "temp_dir.h"

namespace cortex {
namespace {

class ProfileCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    providers::register_folder_provider(registry_);
    providers::register_azure_blob_provider(registry_);
  }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir_.file(name)) << text; }
  testing::TempDir dir_;
  ProviderRegistry registry_;
};

TEST_F(ProfileCatalogTest, LoadsGoodProfilesAndReportsBadOnesByName) {
  write("good.yaml", "name: LocalExports\nprovider: folder\nsettings:\n  path: " + dir_.file("out") + "\n");
  write("unknown-provider.yaml", "name: Cloud\nprovider: s4\nsettings:\n  bucket: x\n");
  write("bad-settings.yml", "name: Bad\nprovider: folder\nsettings:\n  pth: /tmp\n");
  write("broken.yaml", "name: [unclosed\n");
  write("ignored.txt", "name: Nope\n");
  ProfileCatalog catalog(registry_);
  auto errors = catalog.load_folder(dir_.path().string());
  EXPECT_EQ(catalog.names(), std::vector<std::string>{"LocalExports"});
  ASSERT_EQ(errors.size(), 3u);
  std::string all;
  for (const auto& e : errors) all += e.file + ": " + e.message + "\n";
  EXPECT_NE(all.find("unknown provider 's4'"), std::string::npos) << all;
  EXPECT_NE(all.find("pth"), std::string::npos) << all;
  EXPECT_NE(all.find("broken.yaml"), std::string::npos) << all;
  ASSERT_TRUE(catalog.find("localexports"));
  EXPECT_EQ(catalog.find("LOCALEXPORTS")->name, "LocalExports");
  EXPECT_FALSE(catalog.find("Cloud"));
}

TEST_F(ProfileCatalogTest, ExpandsEnvironmentReferencesAndReportsMissingOnes) {
  ::setenv("CORTEXD_TEST_EXPORT_DIR", dir_.file("from-env").c_str(), 1);
  write("env.yaml", "name: FromEnv\nprovider: folder\nsettings:\n  path: ${CORTEXD_TEST_EXPORT_DIR}\n");
  write("missing.yaml", "name: Missing\nprovider: folder\nsettings:\n  path: ${CORTEXD_TEST_NOT_SET_ANYWHERE}\n");
  ProfileCatalog catalog(registry_);
  auto errors = catalog.load_folder(dir_.path().string());
  ASSERT_TRUE(catalog.find("FromEnv"));
  EXPECT_EQ(catalog.find("FromEnv")->settings.at("path"), dir_.file("from-env"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("CORTEXD_TEST_NOT_SET_ANYWHERE"), std::string::npos);
}

TEST_F(ProfileCatalogTest, DuplicateNamesKeepTheFirst) {
  write("a.yaml", "name: Same\nprovider: folder\nsettings:\n  path: " + dir_.file("a") + "\n");
  write("b.yaml", "name: SAME\nprovider: folder\nsettings:\n  path: " + dir_.file("b") + "\n");
  ProfileCatalog catalog(registry_);
  auto errors = catalog.load_folder(dir_.path().string());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(catalog.find("same")->settings.at("path"), dir_.file("a"));
}

TEST_F(ProfileCatalogTest, TheShippedExampleProfilesParse) {
  auto folder = std::string(CORTEXD_SOURCE_DIR) + "/storage-profiles";
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    auto p = ProfileCatalog::parse(text.str(), entry.path().string());
    ASSERT_TRUE(p.ok()) << entry.path() << ": " << p.error().message;
    EXPECT_TRUE(registry_.has(p->provider)) << entry.path();
  }
}

}  // namespace
}  // namespace cortex
