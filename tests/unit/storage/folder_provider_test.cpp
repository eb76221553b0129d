// The folder provider: atomic, durable writes under the configured folder and nowhere else.
#include "folder/folder_provider.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "temp_dir.h"

namespace cortex {
namespace {

std::unique_ptr<StorageProvider> make(const std::string& path, ProviderSettings extra = {}) {
  ProviderRegistry registry;
  providers::register_folder_provider(registry);
  extra["path"] = path;
  auto p = registry.create("folder", extra);
  EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message);
  return p.ok() ? std::move(*p) : nullptr;
}

TEST(FolderProvider, StoresReadsListsAndReplaces) {
  testing::TempDir dir;
  auto p = make(dir.file("out"));
  ASSERT_TRUE(p->store("a.json", "[1]").ok());
  ASSERT_TRUE(p->store("b.json", "[2]").ok());
  ASSERT_TRUE(p->store("a.json", "[3]").ok());
  EXPECT_EQ(*p->read("a.json"), "[3]");
  auto names = p->list();
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"a.json", "b.json"}));
  ASSERT_TRUE(p->remove("b.json").ok());
  EXPECT_EQ(p->list()->size(), 1u);
}

TEST(FolderProvider, StoresAGroupWithOneSyncAndLeavesNoTempFiles) {
  testing::TempDir dir;
  auto p = make(dir.file("out"));
  ASSERT_TRUE(p->store("a.json", "[0]").ok());
  std::string big(100000, 'x');
  std::vector<StoreRequest> group{{"a.json", "[1]"}, {"b.json", "[2]"}, {"c.json", big}};
  ASSERT_TRUE(p->store_all(group).ok());
  EXPECT_EQ(*p->read("a.json"), "[1]");
  EXPECT_EQ(*p->read("c.json"), big);
  std::size_t entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.file("out"))) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 3u);
}

// Files are written in pieces (256 KiB): content of several pieces and a remainder arrives whole, alone and in a
// group, also over an existing name.
TEST(FolderProvider, LargeFilesArriveWholeAloneAndInAGroup) {
  testing::TempDir dir;
  auto p = make(dir.file("out"));
  std::string big;
  for (int i = 0; big.size() < (600u << 10); ++i) big += std::to_string(i) + ",";
  ASSERT_TRUE(p->store("one.json", big).ok());
  EXPECT_EQ(*p->read("one.json"), big);
  std::string other = big + "tail";
  std::vector<StoreRequest> group{{"one.json", other}, {"two.json", big}};
  ASSERT_TRUE(p->store_all(group).ok());
  EXPECT_EQ(*p->read("one.json"), other);
  EXPECT_EQ(*p->read("two.json"), big);
  EXPECT_EQ(*p->list(), (std::vector<std::string>{"one.json", "two.json"}));
}

TEST(FolderProvider, AGroupWithABadNameStoresNothingOfItAndLeavesNoTempFiles) {
  testing::TempDir dir;
  auto p = make(dir.file("out"));
  std::vector<StoreRequest> group{{"a.json", "[1]"}, {"../escape.json", "[2]"}};
  auto s = p->store_all(group);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("../escape.json"), std::string::npos);
  EXPECT_TRUE(std::filesystem::is_empty(dir.file("out")));
}

TEST(FolderProvider, AFailedStoreNamesThePathAndLeavesNothingBehind) {
  testing::TempDir dir;
  auto p = make(dir.file("out"));
  // Replace the folder by a plain file: every write fails, even as root.
  std::filesystem::remove_all(dir.file("out"));
  std::ofstream(dir.file("out")) << "not a folder";
  auto s = p->store("a.json", "[1]");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find(dir.file("out")), std::string::npos) << s.error().message;
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
}

TEST(FolderProvider, RefusesNamesThatCouldLeaveTheFolder) {
  testing::TempDir dir;
  auto p = make(dir.file("out"));
  for (const char* bad : {"../x.json", "a/b.json", ".hidden", "", "a\\b", "x\n"}) {
    auto s = p->store(bad, "[]");
    EXPECT_FALSE(s.ok()) << bad;
    if (!s.ok()) {
      EXPECT_EQ(s.error().code, ErrorCode::InvalidArgument);
    }
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.file("out")));
  EXPECT_FALSE(std::filesystem::exists(dir.file("x.json")));
}

TEST(FolderProvider, RejectsUnknownSettingsAndMissingPath) {
  ProviderRegistry registry;
  providers::register_folder_provider(registry);
  auto missing = registry.create("folder", {});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("path"), std::string::npos);
  auto unknown = registry.create("folder", {{"path", "/tmp"}, {"pth", "x"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("pth"), std::string::npos);
  auto bad_sync = registry.create("folder", {{"path", "/tmp"}, {"fsync", "maybe"}});
  ASSERT_FALSE(bad_sync.ok());
}

}  // namespace
}  // namespace cortex
