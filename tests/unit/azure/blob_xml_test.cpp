// The List Blobs and error XML readers, on documents shaped like the service's answers.
#include "azure-blob/blob_xml.h"

#include <gtest/gtest.h>

namespace cortex::providers::azure {
namespace {

TEST(BlobXml, ListPageNamesAndNextMarker) {
  const std::string xml =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
      "<EnumerationResults ServiceEndpoint=\"http://127.0.0.1:10000/devstoreaccount1\" ContainerName=\"exports\">"
      "<Prefix>run/</Prefix><MaxResults>2</MaxResults>"
      "<Blobs>"
      "<Blob><Name>run/a&amp;b.json</Name><Properties><Content-Length>3</Content-Length></Properties></Blob>"
      "<Blob><Name Encoded=\"true\">run/%01odd.json</Name><Properties/></Blob>"
      "<Blob><Name>run/caf&#xE9;.json</Name></Blob>"
      "</Blobs>"
      "<NextMarker>2!80!MDAwMDE2IXJ1bi9jLmpzb24-</NextMarker>"
      "</EnumerationResults>";
  auto page = parse_blob_list(xml);
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(page->names, (std::vector<std::string>{"run/a&b.json", "run/\x01odd.json", "run/caf\xC3\xA9.json"}));
  EXPECT_EQ(page->next_marker, "2!80!MDAwMDE2IXJ1bi9jLmpzb24-");
}

TEST(BlobXml, LastPageHasAnEmptyMarker) {
  auto page = parse_blob_list("<EnumerationResults><Blobs /><NextMarker /></EnumerationResults>");
  ASSERT_TRUE(page.has_value());
  EXPECT_TRUE(page->names.empty());
  EXPECT_EQ(page->next_marker, "");
  auto no_blobs = parse_blob_list("<EnumerationResults><Blobs></Blobs><NextMarker></NextMarker></EnumerationResults>");
  ASSERT_TRUE(no_blobs.has_value());
  EXPECT_TRUE(no_blobs->names.empty());
  EXPECT_FALSE(parse_blob_list("<Error><Code>X</Code></Error>").has_value());
}

TEST(BlobXml, ErrorCodeIsAWordOrNothing) {
  EXPECT_EQ(parse_error_code("<?xml version=\"1.0\"?><Error><Code>AuthenticationFailed</Code><Message>m</Message></Error>"),
            "AuthenticationFailed");
  EXPECT_EQ(parse_error_code("<Error><Code>has spaces &amp; more</Code></Error>"), "");
  EXPECT_EQ(parse_error_code("not xml"), "");
}

TEST(BlobXml, BlockListInOrder) {
  EXPECT_EQ(block_list_xml({"QQ==", "Qg=="}),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList><Latest>QQ==</Latest><Latest>Qg==</Latest></BlockList>");
}

}  // namespace
}  // namespace cortex::providers::azure
