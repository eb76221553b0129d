// azure-blob profile settings: what is accepted, every error names its setting, and no text shows a secret.
#include "azure-blob/azure_blob_settings.h"

#include <gtest/gtest.h>

#include "azure-blob/azure_blob_provider.h"
#include "azurite_process.h"
#include "storage/profile_catalog.h"
#include "storage/provider_registry.h"

#include <poll.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

namespace cortex::providers::azure {
namespace {

// Looks like a real key; must never appear in any message or location.
const std::string kSecretKey = "U2VjcmV0S2V5VGhhdE11c3ROZXZlckFwcGVhcjAxMjM0NTY3ODlBQkNERUY=";
const std::string kSecretSig = "Zm9yYmlkZGVuU2lnbmF0dXJl%2Bvalue";

std::string connection() {
  return "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + kSecretKey +
         ";BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1";
}
std::string sas_url() { return "https://myacct.blob.core.windows.net/exports?sv=2021-08-06&sr=c&sp=racwdl&sig=" + kSecretSig; }

void expect_no_secret(const std::string& text) {
  EXPECT_EQ(text.find(kSecretKey), std::string::npos) << text;
  EXPECT_EQ(text.find(kSecretKey.substr(0, 12)), std::string::npos) << text;
  EXPECT_EQ(text.find(kSecretSig), std::string::npos) << text;
  EXPECT_EQ(text.find("Zm9yYmlkZGVu"), std::string::npos) << text;
}

TEST(AzureBlobSettings, DefaultsWithAConnectionString) {
  auto s = parse_azure_blob_settings({{"connection_string", connection()}, {"container", "exports"}});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->container, "exports");
  EXPECT_EQ(s->prefix, "");
  EXPECT_FALSE(s->create_container);
  EXPECT_EQ(s->single_put_max_bytes, 4u * 1024 * 1024);
  EXPECT_EQ(s->timeout, std::chrono::seconds(60));
  EXPECT_TRUE(s->verify_tls);
  EXPECT_EQ(s->url(), "http://127.0.0.1:10000/devstoreaccount1/exports");
}

TEST(AzureBlobSettings, EverySettingParsed) {
  auto s = parse_azure_blob_settings({{"connection_string", "UseDevelopmentStorage=true"},
                                      {"container", "my-exports-1"},
                                      {"prefix", "daily/2024"},
                                      {"create_container", "true"},
                                      {"single_put_max_bytes", "65536"},
                                      {"timeout_seconds", "5"},
                                      {"verify_tls", "false"}});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->prefix, "daily/2024/");  // a virtual folder
  EXPECT_TRUE(s->create_container);
  EXPECT_EQ(s->single_put_max_bytes, 65536u);
  EXPECT_EQ(s->timeout, std::chrono::seconds(5));
  EXPECT_FALSE(s->verify_tls);
  EXPECT_EQ(s->url(), "http://127.0.0.1:10000/devstoreaccount1/my-exports-1/daily/2024");
}

TEST(AzureBlobSettings, SasUrlGivesTheContainer) {
  auto s = parse_azure_blob_settings({{"sas_url", sas_url()}});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->container, "exports");
  EXPECT_EQ(s->url(), "https://myacct.blob.core.windows.net/exports");
  EXPECT_TRUE(parse_azure_blob_settings({{"sas_url", sas_url()}, {"container", "exports"}}).ok());
  auto other = parse_azure_blob_settings({{"sas_url", sas_url()}, {"container", "other"}});
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error().message.find("'container'"), std::string::npos);
}

TEST(AzureBlobSettings, ContainerNamingRules) {
  for (const std::string& good : std::vector<std::string>{"abc", "a-b-c", "exports2024", std::string(63, 'a')}) {
    EXPECT_TRUE(valid_container_name(good)) << good;
  }
  for (const std::string& bad : std::vector<std::string>{"ab", "Exports", "-abc", "abc-", "a--b", "a_b", "a.b", std::string(64, 'a'), ""}) {
    EXPECT_FALSE(valid_container_name(bad)) << bad;
  }
}

TEST(AzureBlobSettings, EachBadValueIsNamed) {
  struct Case {
    ProviderSettings settings;
    std::string names;
  };
  std::vector<Case> cases{
      {{}, "'connection_string'"},
      {{{"container", "exports"}}, "'connection_string'"},
      {{{"connection_string", connection()}, {"sas_url", sas_url()}}, "not both"},
      {{{"connection_string", connection()}}, "'container' is required"},
      {{{"connection_string", connection()}, {"container", "Bad_Name"}}, "'container'"},
      {{{"connection_string", connection()}, {"container", "exports"}, {"prefix", "/abs"}}, "'prefix'"},
      {{{"connection_string", connection()}, {"container", "exports"}, {"prefix", "a/../b"}}, "'prefix'"},
      {{{"connection_string", connection()}, {"container", "exports"}, {"prefix", "a//b"}}, "'prefix'"},
      {{{"connection_string", connection()}, {"container", "exports"}, {"create_container", "yes"}}, "'create_container'"},
      {{{"connection_string", connection()}, {"container", "exports"}, {"verify_tls", "0"}}, "'verify_tls'"},
      {{{"connection_string", connection()}, {"container", "exports"}, {"single_put_max_bytes", "100"}}, "'single_put_max_bytes'"},
      {{{"connection_string", connection()}, {"container", "exports"}, {"single_put_max_bytes", "4MiB"}}, "'single_put_max_bytes'"},
      {{{"connection_string", connection()}, {"container", "exports"}, {"single_put_max_bytes", "6000000000"}}, "'single_put_max_bytes'"},
      {{{"connection_string", connection()}, {"container", "exports"}, {"timeout_seconds", "0"}}, "'timeout_seconds'"},
      {{{"connection_string", connection()}, {"container", "exports"}, {"timeout_seconds", "-5"}}, "'timeout_seconds'"},
      {{{"connection_string", connection()}, {"container", "exports"}, {"ca_file", "/no/such/ca.pem"}}, "'ca_file'"},
      {{{"connection_string", connection()}, {"container", "exports"}, {"contianer", "x"}}, "'contianer'"},
      {{{"connection_string", "AccountName=devstoreaccount1"}, {"container", "exports"}}, "AccountKey"},
      {{{"sas_url", "https://myacct.blob.core.windows.net/exports"}}, "sas_url"},
  };
  for (const auto& c : cases) {
    auto s = parse_azure_blob_settings(c.settings);
    ASSERT_FALSE(s.ok()) << c.names;
    EXPECT_EQ(s.error().code, ErrorCode::InvalidArgument);
    EXPECT_NE(s.error().message.find(c.names), std::string::npos) << s.error().message;
    expect_no_secret(s.error().message);
  }
}

TEST(AzureBlobSettings, AllProblemsAreReportedTogether) {
  auto s = parse_azure_blob_settings({{"connection_string", connection()},
                                      {"container", "BAD"},
                                      {"timeout_seconds", "x"},
                                      {"colour", "blue"}});
  ASSERT_FALSE(s.ok());
  for (const char* name : {"'container'", "'timeout_seconds'", "'colour'"}) {
    EXPECT_NE(s.error().message.find(name), std::string::npos) << s.error().message;
  }
}

TEST(AzureBlobSettings, NoErrorEverShowsTheKeyOrTheSignature) {
  std::vector<ProviderSettings> bad{
      {{"connection_string", connection() + ";Bogus=1"}, {"container", "exports"}},
      {{"connection_string", "AccountName=a;AccountKey=" + kSecretKey + "!"}, {"container", "exports"}},
      {{"connection_string", "AccountName=a;" + kSecretKey}, {"container", "exports"}},
      {{"connection_string", connection()}, {"container", "exports"}, {kSecretKey, "x"}},
      {{"connection_string", connection()}, {"sas_url", sas_url()}},
      {{"sas_url", sas_url()}, {"container", "nope"}},
      {{"sas_url", "ftp://x/exports?sig=" + kSecretSig}},
      {{"sas_url", "https://myacct.blob.core.windows.net?sig=" + kSecretSig}},
  };
  for (const auto& settings : bad) {
    auto s = parse_azure_blob_settings(settings);
    ASSERT_FALSE(s.ok());
    expect_no_secret(s.error().message);
  }
}

TEST(AzureBlobProvider, RegistersByNameAndItsLocationHoldsNoSecret) {
  ProviderRegistry registry;
  providers::register_azure_blob_provider(registry);
  ASSERT_TRUE(registry.has("azure-blob"));
  // create_container is off, so making the provider sends nothing.
  auto p = registry.create("azure-blob", {{"connection_string", connection()}, {"container", "exports"}, {"prefix", "run"}});
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ((*p)->location(), "azure-blob http://127.0.0.1:10000/devstoreaccount1/exports/run");
  expect_no_secret((*p)->location());
  auto sas = registry.create("azure-blob", {{"sas_url", sas_url()}});
  ASSERT_TRUE(sas.ok()) << sas.error().message;
  EXPECT_EQ((*sas)->location(), "azure-blob https://myacct.blob.core.windows.net/exports");
}

TEST(AzureBlobProvider, TheShippedExampleProfileIsValid) {
  std::ifstream in(std::string(CORTEXD_SOURCE_DIR) + "/storage-profiles/azure-blob.yaml");
  std::stringstream text;
  text << in.rdbuf();
  auto profile = ProfileCatalog::parse(text.str(), "azure-blob.yaml");
  ASSERT_TRUE(profile.ok()) << profile.error().message;
  EXPECT_EQ(profile->provider, "azure-blob");
  auto settings = parse_azure_blob_settings(profile->settings);
  ASSERT_TRUE(settings.ok()) << settings.error().message;
  EXPECT_EQ(settings->url(), "http://127.0.0.1:10000/devstoreaccount1/cortexd-exports/xconnect/interactions");
}

TEST(AzureBlobProvider, RefusesUnsafeObjectNamesWithoutSendingAnything) {
  auto p = create_azure_blob_provider({{"connection_string", connection()}, {"container", "exports"}});
  ASSERT_TRUE(p.ok());
  for (const std::string& name : std::vector<std::string>{"", "/abs.json", "../up.json", "a/../b", std::string("nul\0x", 5), std::string(1100, 'a')}) {
    auto s = (*p)->store(name, "x");
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, ErrorCode::InvalidArgument) << s.error().message;
  }
}

TEST(AzureBlobProvider, AnUnreachableServiceIsUnavailableAndNamesNoSecret) {
  // A port just freed: nothing listens there, so the connection is refused at once.
  std::string port = std::to_string(testing::AzuriteProcess::free_port());
  std::string cs = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + kSecretKey +
                   ";BlobEndpoint=http://127.0.0.1:" + port + "/devstoreaccount1";
  auto p = create_azure_blob_provider({{"connection_string", cs}, {"container", "exports"}, {"timeout_seconds", "2"}});
  ASSERT_TRUE(p.ok());
  auto s = (*p)->store("a.json", "[1]");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::Unavailable) << s.error().message;
  EXPECT_NE(s.error().message.find("127.0.0.1:" + port), std::string::npos) << s.error().message;
  expect_no_secret(s.error().message);
  auto listed = (*p)->list();
  ASSERT_FALSE(listed.ok());
  EXPECT_EQ(listed.error().code, ErrorCode::Unavailable);
}

TEST(AzureBlobProvider, AServiceThatNeverAnswersTimesOutAsUnavailable) {
  // A listening socket nobody accepts on: the connection succeeds (backlog), the answer never comes.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 8), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::string cs = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + kSecretKey +
                   ";BlobEndpoint=http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/devstoreaccount1";
  auto p = create_azure_blob_provider({{"connection_string", cs}, {"container", "exports"}, {"timeout_seconds", "1"}});
  ASSERT_TRUE(p.ok());
  auto started = std::chrono::steady_clock::now();
  auto s = (*p)->store("a.json", "[1]");
  auto waited = std::chrono::steady_clock::now() - started;
  ::close(fd);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::Unavailable) << s.error().message;
  EXPECT_NE(s.error().message.find("no answer within 1 s"), std::string::npos) << s.error().message;
  EXPECT_GE(waited, std::chrono::milliseconds(900));
  EXPECT_LT(waited, std::chrono::seconds(5));
}

// A server that answers each request with 201 and then drops the connection, as a service does when a
// kept-alive connection has been idle too long: the next request must go out again on a fresh one.
TEST(AzureBlobProvider, AKeptAliveConnectionTheServerDroppedIsReplacedTransparently) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 8), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::atomic<int> connections{0};
  std::thread server([&] {
    for (int i = 0; i < 2; ++i) {
      pollfd waiting{fd, POLLIN, 0};
      if (::poll(&waiting, 1, 5000) != 1) return;  // no second connection: the test fails, it does not hang
      int c = ::accept(fd, nullptr, nullptr);
      if (c < 0) return;
      ++connections;
      std::string request;
      char buffer[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::read(c, buffer, sizeof buffer);
        if (n <= 0) break;
        request.append(buffer, static_cast<std::size_t>(n));
      }
      const std::string answer = "HTTP/1.1 201 Created\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n";
      (void)!::write(c, answer.data(), answer.size());
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      ::close(c);
    }
  });
  std::string cs = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + kSecretKey +
                   ";BlobEndpoint=http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/devstoreaccount1";
  auto p = create_azure_blob_provider({{"connection_string", cs}, {"container", "exports"}, {"timeout_seconds", "5"}});
  ASSERT_TRUE(p.ok());
  auto first = (*p)->store("a.json", "[1]");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the server has dropped the connection now
  auto second = (*p)->store("b.json", "[2]");
  server.join();
  ::close(fd);
  EXPECT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(connections.load(), 2);
}

TEST(AzureBlobProvider, CreateContainerWithTheServiceDownDefersToTheFirstWrite) {
  std::string port = std::to_string(testing::AzuriteProcess::free_port());
  std::string cs = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + kSecretKey +
                   ";BlobEndpoint=http://127.0.0.1:" + port + "/devstoreaccount1";
  auto p = create_azure_blob_provider(
      {{"connection_string", cs}, {"container", "exports"}, {"create_container", "true"}, {"timeout_seconds", "2"}});
  ASSERT_TRUE(p.ok()) << p.error().message;  // the profile still loads
  auto s = (*p)->store("a.json", "[1]");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::Unavailable);
}

}  // namespace
}  // namespace cortex::providers::azure
