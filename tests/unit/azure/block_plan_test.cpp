// Block sizing never exceeds 50,000 blocks, covers every byte once, and block ids have one length.
#include "azure-blob/block_plan.h"

#include <gtest/gtest.h>

#include <set>

#include "azure-blob/blob_crypto.h"

namespace cortex::providers::azure {
namespace {

void expect_covers(const std::vector<BlockRange>& blocks, std::uint64_t size) {
  std::uint64_t next = 0;
  for (const auto& b : blocks) {
    EXPECT_EQ(b.offset, next);
    EXPECT_GT(b.size, 0u);
    next += b.size;
  }
  EXPECT_EQ(next, size);
}

TEST(BlockPlan, UsesThePreferredSizeWhileItFits) {
  auto plan = plan_blocks(1024 * 1024, 64 * 1024);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->size(), 16u);
  expect_covers(*plan, 1024 * 1024);
  auto uneven = plan_blocks(1000, 300);
  ASSERT_TRUE(uneven.ok());
  ASSERT_EQ(uneven->size(), 4u);
  EXPECT_EQ(uneven->back().size, 100u);
  expect_covers(*uneven, 1000);
}

TEST(BlockPlan, GrowsBlocksSoTheCountNeverPasses50000) {
  for (std::uint64_t size : {50'000ull, 50'001ull, 4ull * 1024 * 1024 * 50'000 + 1, 190ull * 1024 * 1024 * 1024 * 1024}) {
    auto plan = plan_blocks(size, 4 * 1024 * 1024);
    ASSERT_TRUE(plan.ok()) << size;
    EXPECT_LE(plan->size(), kMaxBlocks) << size;
    for (const auto& b : *plan) EXPECT_LE(b.size, kMaxBlockBytes);
    if (size < 1'000'000) expect_covers(*plan, size);
  }
  auto tiny = plan_blocks(10'000'000, 1);  // a 1-byte preference would need 10 million blocks
  ASSERT_TRUE(tiny.ok());
  EXPECT_LE(tiny->size(), kMaxBlocks);
  expect_covers(*tiny, 10'000'000);
}

TEST(BlockPlan, RefusesObjectsNoBlockBlobCanHold) {
  auto plan = plan_blocks(kMaxBlocks * kMaxBlockBytes + 1, 4 * 1024 * 1024);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().code, ErrorCode::InvalidArgument);
  auto edge = plan_blocks(kMaxBlocks * kMaxBlockBytes, 4 * 1024 * 1024);  // the largest that fits
  ASSERT_TRUE(edge.ok());
  EXPECT_EQ(edge->size(), kMaxBlocks);
}

TEST(BlockPlan, EmptyObjectsHaveNoBlocks) {
  auto plan = plan_blocks(0, 1024);
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->empty());
}

TEST(BlockId, FixedLengthBase64UniquePerIndex) {
  const std::string upload = "0123456789abcdef0123456789abcdef";
  std::set<std::string> ids;
  std::size_t length = block_id(upload, 0).size();
  for (std::uint64_t i : {0ull, 1ull, 9ull, 10ull, 999ull, 12345ull, 49'999ull}) {
    std::string id = block_id(upload, i);
    EXPECT_EQ(id.size(), length) << i;
    EXPECT_TRUE(base64_decode(id).has_value()) << id;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 7u);
  EXPECT_LE(base64_decode(block_id(upload, 49'999))->size(), 64u);  // the service's limit before encoding
  EXPECT_NE(block_id(upload, 1), block_id("fedcba9876543210fedcba9876543210", 1));
}

}  // namespace
}  // namespace cortex::providers::azure
