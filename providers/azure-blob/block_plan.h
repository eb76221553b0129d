// How a large object is cut into blocks for Put Block + Put Block List.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace cortex::providers::azure {

inline constexpr std::uint64_t kMaxBlocks = 50'000;                          // per blob, a service limit
inline constexpr std::uint64_t kMaxBlockBytes = 4000ull * 1024 * 1024;       // per Put Block (2019-12-12+)
inline constexpr std::uint64_t kMaxSinglePutBytes = 5000ull * 1024 * 1024;   // per Put Blob (2019-12-12+)

struct BlockRange {
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
};

// Blocks of `preferred_block_bytes` (at least 1), grown just enough to keep the count within 50,000.
// Fails only for objects beyond 50,000 blocks of the service's largest block.
Result<std::vector<BlockRange>> plan_blocks(std::uint64_t object_bytes, std::uint64_t preferred_block_bytes);

// Block ids: base64 of "<upload-id>-<index as 5 digits>", so every id of one upload has the same length
// (the service requires it) and a retried upload never mixes its blocks with an earlier attempt's.
// `upload_id` must have a fixed length (a GUID's 32 hex digits).
std::string block_id(std::string_view upload_id, std::uint64_t index);

}  // namespace cortex::providers::azure
