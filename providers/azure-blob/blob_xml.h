// The little XML the Blob service speaks: List Blobs pages, error bodies, block lists.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cortex::providers::azure {

struct BlobListPage {
  std::vector<std::string> names;  // full blob names, entities decoded
  std::string next_marker;         // empty on the last page
};

// Parses an EnumerationResults document; nullopt when it is not one.
std::optional<BlobListPage> parse_blob_list(std::string_view xml);

// The <Code> of an <Error> body ("AuthenticationFailed"), or empty.
std::string parse_error_code(std::string_view xml);

// <BlockList><Latest>id</Latest>...</BlockList> for Put Block List.
std::string block_list_xml(const std::vector<std::string>& block_ids);

// Decodes the five XML entities and numeric character references.
std::string xml_unescape(std::string_view text);

}  // namespace cortex::providers::azure
