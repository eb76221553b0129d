// The split arithmetic: ceil(Total / DefaultSplitItemCount) cursors of at most that many items.
#include <gtest/gtest.h>

#include "workers/cursor_splitter.h"

namespace cortex {
namespace {

std::vector<CursorRange> split(const std::vector<std::int64_t>& keys, std::int64_t per_cursor) {
  CursorSplitter s(per_cursor);
  for (auto k : keys) s.add(k);
  return s.finish();
}

TEST(CursorSplitter, MakesCeilTotalOverSplitCursors) {
  std::vector<std::int64_t> keys;
  for (int i = 1; i <= 250; ++i) keys.push_back(i * 3);
  EXPECT_EQ(split(keys, 100).size(), 3u);
  EXPECT_EQ(split(keys, 250).size(), 1u);
  EXPECT_EQ(split(keys, 249).size(), 2u);
  EXPECT_EQ(split(keys, 1).size(), 250u);
  EXPECT_EQ(split(keys, 10'000'000).size(), 1u);
}

TEST(CursorSplitter, CursorsCoverMatchingKeysExactlyWithoutOverlap) {
  std::vector<std::int64_t> keys{2, 3, 7, 8, 20, 21, 22};
  auto cursors = split(keys, 3);
  ASSERT_EQ(cursors.size(), 3u);
  EXPECT_EQ(cursors[0].first_key, 2);
  EXPECT_EQ(cursors[0].last_key, 7);
  EXPECT_EQ(cursors[0].item_count, 3);
  EXPECT_EQ(cursors[1].first_key, 8);
  EXPECT_EQ(cursors[1].last_key, 21);
  EXPECT_EQ(cursors[1].item_count, 3);
  EXPECT_EQ(cursors[2].first_key, 22);
  EXPECT_EQ(cursors[2].last_key, 22);
  EXPECT_EQ(cursors[2].item_count, 1);
}

TEST(CursorSplitter, NoItemsMeansNoCursors) {
  CursorSplitter s(100);
  EXPECT_TRUE(s.finish().empty());
  EXPECT_EQ(s.total(), 0);
}

}  // namespace
}  // namespace cortex
