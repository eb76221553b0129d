// Shared Key: the string-to-sign against hand-computed vectors, and the signature over it.
// The expected signatures were computed outside cortexd with
//   printf '<string-to-sign>' | openssl dgst -sha256 -mac HMAC -macopt hexkey:<hex of the decoded key> -binary | base64
#include "azure-blob/shared_key.h"

#include <gtest/gtest.h>

#include "azure-blob/blob_crypto.h"
#include "azure-blob/connection_string.h"

namespace cortex::providers::azure {
namespace {

const std::string kDate = "Mon, 02 Jan 2023 03:04:05 GMT";

std::string dev_key() { return *base64_decode(kDevelopmentKey); }

TEST(SharedKey, PutBlobStringToSignOnAPathStyleUrlNamesTheAccountTwice) {
  SignedRequest r;
  r.method = "PUT";
  r.path = "/devstoreaccount1/exports/run/a.json";
  r.headers = {{"x-ms-blob-type", "BlockBlob"},
               {"Content-Type", "application/json"},
               {"Content-MD5", md5_base64("[1]")},
               {"x-ms-version", "2021-08-06"},
               {"x-ms-date", kDate}};
  r.content_length = 3;
  EXPECT_EQ(md5_base64("[1]"), "Ndul11U4qbvgtNpEInWaDg==");
  const std::string expected =
      "PUT\n"
      "\n"                          // Content-Encoding
      "\n"                          // Content-Language
      "3\n"                         // Content-Length
      "Ndul11U4qbvgtNpEInWaDg==\n"  // Content-MD5
      "application/json\n"          // Content-Type
      "\n"                          // Date (x-ms-date is used)
      "\n\n\n\n"                    // If-Modified-Since, If-Match, If-None-Match, If-Unmodified-Since
      "\n"                          // Range
      "x-ms-blob-type:BlockBlob\n"
      "x-ms-date:Mon, 02 Jan 2023 03:04:05 GMT\n"
      "x-ms-version:2021-08-06\n"
      "/devstoreaccount1/devstoreaccount1/exports/run/a.json";
  EXPECT_EQ(string_to_sign(r, "devstoreaccount1"), expected);
  EXPECT_EQ(shared_key_authorization(r, "devstoreaccount1", dev_key()),
            "SharedKey devstoreaccount1:wLe745e9vTT6mLIHaRMZu7Vd9JF4OiCbl1OFifPAOkI=");
}

TEST(SharedKey, ListBlobsQueryIsSortedLowercasedAndDecoded) {
  SignedRequest r;
  r.method = "GET";
  r.path = "/devstoreaccount1/exports";
  r.query = {{"restype", "container"}, {"comp", "list"}, {"prefix", "run/"}, {"marker", "abc"}};
  r.headers = {{"x-ms-date", kDate}, {"x-ms-version", "2021-08-06"}};
  r.content_length = 0;  // signed as an empty line
  const std::string expected =
      "GET\n\n\n\n\n\n\n\n\n\n\n\n"
      "x-ms-date:Mon, 02 Jan 2023 03:04:05 GMT\n"
      "x-ms-version:2021-08-06\n"
      "/devstoreaccount1/devstoreaccount1/exports\n"
      "comp:list\n"
      "marker:abc\n"
      "prefix:run/\n"
      "restype:container";
  EXPECT_EQ(string_to_sign(r, "devstoreaccount1"), expected);
  EXPECT_EQ(shared_key_authorization(r, "devstoreaccount1", dev_key()),
            "SharedKey devstoreaccount1:wUUSjce3rMTmkDBRbCzB3vRkyzsqHywEwIsC9RUa0aU=");
}

TEST(SharedKey, CanonicalizedHeadersFoldWhitespaceAndIgnoreOtherHeaders) {
  HeaderList headers{{"X-MS-Meta-Zeta", "  two   words  "}, {"Content-Type", "x"}, {"x-ms-meta-alpha", "a\tb"}};
  EXPECT_EQ(canonicalized_headers(headers), "x-ms-meta-alpha:a b\nx-ms-meta-zeta:two words\n");
}

TEST(SharedKey, RepeatedQueryValuesAreSortedAndJoined) {
  EXPECT_EQ(canonicalized_resource("acct", "/c", {{"Include", "snapshots"}, {"include", "metadata"}}),
            "/acct/c\ninclude:metadata,snapshots");
  EXPECT_EQ(canonicalized_resource("acct", "", {}), "/acct/");
}

TEST(SharedKey, Rfc1123DateIsEnglishAndUtc) {
  using namespace std::chrono;
  sys_days day = year{2023} / January / 2;
  EXPECT_EQ(rfc1123_date(day + hours(3) + minutes(4) + seconds(5)), kDate);
}

TEST(BlobCrypto, Base64RoundTripsAndIsStrict) {
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(*base64_decode("Zm9vYg=="), "foob");
  EXPECT_EQ(*base64_decode("Zm9vYmE="), "fooba");
  EXPECT_FALSE(base64_decode("Zm9vY").has_value());
  EXPECT_FALSE(base64_decode("Zm9v*mFy").has_value());
  EXPECT_FALSE(base64_decode("Zm=vYmFy").has_value());
  EXPECT_EQ(base64_decode(kDevelopmentKey)->size(), 64u);
}

TEST(BlobCrypto, HmacSha256MatchesRfc4231) {
  // RFC 4231 test case 2.
  EXPECT_EQ(base64_encode(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
}

}  // namespace
}  // namespace cortex::providers::azure
