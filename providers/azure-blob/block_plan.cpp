// Block sizing and block ids.
#include "azure-blob/block_plan.h"

#include <algorithm>
#include <cstdio>

#include "azure-blob/blob_crypto.h"

namespace cortex::providers::azure {

Result<std::vector<BlockRange>> plan_blocks(std::uint64_t object_bytes, std::uint64_t preferred_block_bytes) {
  std::uint64_t block = std::max<std::uint64_t>(1, preferred_block_bytes);
  std::uint64_t needed = (object_bytes + kMaxBlocks - 1) / kMaxBlocks;  // smallest block that fits in 50,000
  block = std::min(std::max(block, needed), kMaxBlockBytes);
  if (block < needed) {
    return make_error(ErrorCode::InvalidArgument, "an object of " + std::to_string(object_bytes) +
                                                      " bytes is larger than a block blob can hold");
  }
  std::vector<BlockRange> blocks;
  blocks.reserve(static_cast<std::size_t>((object_bytes + block - 1) / block));
  for (std::uint64_t offset = 0; offset < object_bytes; offset += block) {
    blocks.push_back({offset, std::min(block, object_bytes - offset)});
  }
  return blocks;
}

std::string block_id(std::string_view upload_id, std::uint64_t index) {
  char digits[16];
  std::snprintf(digits, sizeof digits, "%05llu", static_cast<unsigned long long>(index % 100'000));
  return base64_encode(std::string(upload_id) + "-" + digits);
}

}  // namespace cortex::providers::azure
