// Connection strings and SAS URLs: every accepted form, and errors that name the part without its value.
#include "azure-blob/connection_string.h"

#include <gtest/gtest.h>

namespace cortex::providers::azure {
namespace {

const std::string kKey(kDevelopmentKey);

TEST(ConnectionString, FullFormWithBlobEndpointIsPathStyle) {
  auto a = parse_connection_string("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + kKey +
                                   ";BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_FALSE(a->endpoint.https);
  EXPECT_EQ(a->endpoint.host, "127.0.0.1");
  EXPECT_EQ(a->endpoint.port, 10000);
  EXPECT_EQ(a->endpoint.base_path, "/devstoreaccount1");
  EXPECT_EQ(a->endpoint.str(), "http://127.0.0.1:10000/devstoreaccount1");
  EXPECT_EQ(a->credentials.account_name, "devstoreaccount1");
  EXPECT_TRUE(a->credentials.shared_key());
  EXPECT_EQ(a->credentials.account_key.size(), 64u);  // the decoded key bytes
}

TEST(ConnectionString, AccountAndSuffixMakeTheVirtualHostEndpoint) {
  auto a = parse_connection_string("DefaultEndpointsProtocol=https;AccountName=myacct;AccountKey=" + kKey +
                                   ";EndpointSuffix=core.chinacloudapi.cn");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_TRUE(a->endpoint.https);
  EXPECT_EQ(a->endpoint.host, "myacct.blob.core.chinacloudapi.cn");
  EXPECT_EQ(a->endpoint.port, 443);
  EXPECT_EQ(a->endpoint.base_path, "");
  EXPECT_EQ(a->endpoint.str(), "https://myacct.blob.core.chinacloudapi.cn");
}

TEST(ConnectionString, DefaultsAreHttpsAndCoreWindowsNet) {
  auto a = parse_connection_string("AccountName=myacct;AccountKey=" + kKey);
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->endpoint.str(), "https://myacct.blob.core.windows.net");
}

TEST(ConnectionString, PartNamesMatchCaseInsensitivelyAndSpacesAreTrimmed) {
  auto a = parse_connection_string(" accountname = myacct ; ACCOUNTKEY=" + kKey + " ; defaultendpointsprotocol=HTTP ;");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->endpoint.str(), "http://myacct.blob.core.windows.net");
}

TEST(ConnectionString, UseDevelopmentStorageMeansTheAzuriteDefaults) {
  auto a = parse_connection_string("UseDevelopmentStorage=true");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->endpoint.str(), "http://127.0.0.1:10000/devstoreaccount1");
  EXPECT_EQ(a->credentials.account_name, "devstoreaccount1");
  EXPECT_EQ(a->credentials.account_key.size(), 64u);
  EXPECT_TRUE(parse_connection_string("UseDevelopmentStorage=TRUE;").ok());
}

TEST(ConnectionString, UseDevelopmentStorageRefusesOtherParts) {
  auto a = parse_connection_string("UseDevelopmentStorage=true;AccountName=x");
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message.find("AccountName"), std::string::npos);
  EXPECT_FALSE(parse_connection_string("UseDevelopmentStorage=false").ok());
}

TEST(ConnectionString, SharedAccessSignatureInsteadOfAKey) {
  auto a = parse_connection_string("BlobEndpoint=https://myacct.blob.core.windows.net;SharedAccessSignature=sv=2021-08-06&ss=b&sig=abc%2Bdef");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_FALSE(a->credentials.shared_key());
  EXPECT_EQ(a->credentials.sas, "sv=2021-08-06&ss=b&sig=abc%2Bdef");
  auto secrets = a->credentials.secrets();
  EXPECT_NE(std::find(secrets.begin(), secrets.end(), "abc%2Bdef"), secrets.end());
  EXPECT_NE(std::find(secrets.begin(), secrets.end(), "abc+def"), secrets.end());
}

TEST(ConnectionString, MissingPartsAreNamed) {
  struct Case {
    std::string text;
    std::string names;
  };
  std::vector<Case> cases{
      {"AccountName=myacct", "AccountKey"},
      {"AccountKey=" + kKey, "AccountName"},
      {"BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;AccountKey=" + kKey, "AccountName"},
      {"DefaultEndpointsProtocol=https", "AccountName"},
      {"AccountName=a;AccountKey=" + kKey + ";SharedAccessSignature=sig=x", "both AccountKey and SharedAccessSignature"},
      {"AccountName=a;AccountKey=" + kKey + ";DefaultEndpointsProtocol=ftp", "DefaultEndpointsProtocol"},
      {"AccountName=a;AccountKey=" + kKey + ";BlobEndpoint=ftp://x", "BlobEndpoint"},
      {"AccountName=a;AccountKey=" + kKey + ";BlobEndpoint=http://x:99999", "BlobEndpoint"},
      {"AccountName=a;AccountKey=" + kKey + ";AccountName=b", "AccountName twice"},
      {"AccountName=a;AccountKey=" + kKey + ";Colour=blue", "'Colour'"},
      {"AccountName=a;AccountKey=" + kKey + ";justtext", "without '='"},
      {"", "empty"},
  };
  for (const auto& c : cases) {
    auto a = parse_connection_string(c.text);
    ASSERT_FALSE(a.ok()) << c.text;
    EXPECT_EQ(a.error().code, ErrorCode::InvalidArgument);
    EXPECT_NE(a.error().message.find(c.names), std::string::npos) << c.text << " -> " << a.error().message;
    EXPECT_EQ(a.error().message.find("connection_string"), 0u) << a.error().message;
  }
}

TEST(ConnectionString, ErrorsNeverQuoteTheKey) {
  const std::string secret = "c2VjcmV0LWtleS10aGF0LW11c3Qtbm90LWxlYWstMTIzNDU2Nzg5MA==";
  std::vector<std::string> texts{
      "AccountName=a;AccountKey=not*base64" + secret,                      // bad base64
      "AccountName=a;AccountKey=" + secret + ";BlobEndpoint=nope://x",     // bad endpoint
      "AccountName=a;" + secret,                                           // a pasted key as a part
      "AccountName=a;AccountKey=" + secret + ";" + secret,
      "AccountName=a!;AccountKey=" + secret,
      "AccountKey=" + secret,
  };
  for (const auto& t : texts) {
    auto a = parse_connection_string(t);
    ASSERT_FALSE(a.ok()) << t;
    EXPECT_EQ(a.error().message.find(secret), std::string::npos) << a.error().message;
    EXPECT_EQ(a.error().message.find("c2VjcmV0"), std::string::npos) << a.error().message;
  }
}

TEST(SasUrl, ContainerComesFromThePath) {
  std::string container;
  auto a = parse_sas_url("https://myacct.blob.core.windows.net/exports?sv=2021-08-06&sr=c&sig=s3cr%2Ft", container);
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(container, "exports");
  EXPECT_EQ(a->endpoint.str(), "https://myacct.blob.core.windows.net");
  EXPECT_EQ(a->credentials.sas, "sv=2021-08-06&sr=c&sig=s3cr%2Ft");
  EXPECT_FALSE(a->credentials.shared_key());

  auto path_style = parse_sas_url("http://127.0.0.1:10000/devstoreaccount1/exports/?sv=1&sig=x", container);
  ASSERT_TRUE(path_style.ok()) << path_style.error().message;
  EXPECT_EQ(container, "exports");
  EXPECT_EQ(path_style->endpoint.base_path, "/devstoreaccount1");
}

TEST(SasUrl, RefusesUrlsWithoutSignatureOrContainerAndNeverQuotesTheQuery) {
  std::string container;
  for (const std::string& url : std::vector<std::string>{"https://a.blob.core.windows.net/exports", "https://a.blob.core.windows.net/exports?sv=1&sp=rw",
                                "https://a.blob.core.windows.net?sv=1&sig=TOPSECRETSIG", "ftp://a/exports?sig=TOPSECRETSIG"}) {
    auto a = parse_sas_url(url, container);
    ASSERT_FALSE(a.ok()) << url;
    EXPECT_EQ(a.error().message.find("TOPSECRETSIG"), std::string::npos) << a.error().message;
    EXPECT_EQ(a.error().message.find("sas_url"), 0u) << a.error().message;
  }
}

TEST(Endpoint, ParsesHostsPortsAndIpv6) {
  auto e = parse_endpoint("https://[::1]:8443/acct/", "x");
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->host, "::1");
  EXPECT_EQ(e->port, 8443);
  EXPECT_EQ(e->base_path, "/acct");
  EXPECT_EQ(e->host_header(), "[::1]:8443");
  EXPECT_FALSE(parse_endpoint("http://user:pw@host", "x").ok());
  EXPECT_FALSE(parse_endpoint("http://:80", "x").ok());
  EXPECT_FALSE(parse_endpoint("http://host:0", "x").ok());
}

TEST(UrlEncoding, PathsKeepSlashesComponentsDoNot) {
  EXPECT_EQ(url_encode_path("a b/c+d=.json"), "a%20b/c%2Bd%3D.json");
  EXPECT_EQ(url_encode_component("run/"), "run%2F");
  EXPECT_EQ(url_decode("a%2Fb%zz"), "a/b%zz");
}

}  // namespace
}  // namespace cortex::providers::azure
