// The azure-blob provider against a real Azurite started by the test: store, list, read, remove, replace,
// the block path, containers, credentials, SAS, paging, and an outage with reconnection.
#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <random>

#include "azure-blob/azure_blob_provider.h"
#include "azure-blob/azure_blob_settings.h"
#include "azure-blob/blob_crypto.h"
#include "azurite_process.h"

namespace cortex {
namespace {

using providers::azure::AzureBlobSettings;
using testing::AzuriteProcess;

std::string random_bytes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

// Captures the provider's debug request lines ("azure-blob PUT /path -> 201").
class RequestLog {
 public:
  RequestLog() : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(10000)) {
    previous_ = spdlog::default_logger();
    auto logger = std::make_shared<spdlog::logger>("azure-test", sink_);
    logger->set_level(spdlog::level::debug);
    spdlog::set_default_logger(logger);
  }
  ~RequestLog() { spdlog::set_default_logger(previous_); }
  std::vector<std::string> lines() { return sink_->last_formatted(); }
  int count(const std::string& needle) {
    int n = 0;
    for (const auto& l : lines()) n += l.find(needle) != std::string::npos;
    return n;
  }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> previous_;
};

class AzuriteStorage : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!AzuriteProcess::installed()) return;
    azurite_ = new AzuriteProcess();
    std::string error = azurite_->start();
    if (!error.empty()) {
      start_error_ = error;
      delete azurite_;
      azurite_ = nullptr;
    }
  }
  static void TearDownTestSuite() {
    delete azurite_;
    azurite_ = nullptr;
  }
  void SetUp() override {
    CORTEX_REQUIRE_AZURITE();
    ASSERT_NE(azurite_, nullptr) << start_error_;
  }

  std::unique_ptr<StorageProvider> make(ProviderSettings settings) {
    if (!settings.count("connection_string") && !settings.count("sas_url")) {
      settings["connection_string"] = azurite_->connection_string();
    }
    auto p = providers::create_azure_blob_provider(settings);
    EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message);
    return p.ok() ? std::move(*p) : nullptr;
  }

  // Runs tests/e2e/azure/blob_client.js (the official SDK) and returns what it printed.
  std::string sdk(const std::string& command, const std::string& container) {
    std::string script = std::string(CORTEXD_SOURCE_DIR) + "/tests/e2e/azure/blob_client.js";
    std::string line = "node '" + script + "' " + command + " '" + azurite_->connection_string() + "' " + container;
    FILE* pipe = ::popen(line.c_str(), "r");
    EXPECT_NE(pipe, nullptr);
    if (!pipe) return "popen failed";
    std::string out;
    char buffer[512];
    while (std::fgets(buffer, sizeof buffer, pipe)) out += buffer;
    EXPECT_EQ(::pclose(pipe), 0) << line;
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
  }

  static AzuriteProcess* azurite_;
  static std::string start_error_;
};

AzuriteProcess* AzuriteStorage::azurite_ = nullptr;
std::string AzuriteStorage::start_error_;

TEST_F(AzuriteStorage, StoresListsReadsRemovesAndReplaces) {
  auto p = make({{"container", "basics"}, {"create_container", "true"}});
  ASSERT_TRUE(p);
  ASSERT_TRUE(p->store("b.json", "[2]").ok());
  ASSERT_TRUE(p->store("a.json", "[1]").ok());
  auto replaced = p->store("a.json", "[3,4]");
  ASSERT_TRUE(replaced.ok()) << replaced.error().message;
  EXPECT_EQ(*p->read("a.json"), "[3,4]");
  EXPECT_EQ(*p->read("b.json"), "[2]");
  auto names = p->list();
  ASSERT_TRUE(names.ok()) << names.error().message;
  EXPECT_EQ(*names, (std::vector<std::string>{"a.json", "b.json"}));
  ASSERT_TRUE(p->remove("b.json").ok());
  ASSERT_TRUE(p->remove("b.json").ok());  // already gone: fine
  EXPECT_EQ(*p->list(), (std::vector<std::string>{"a.json"}));
  auto missing = p->read("b.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
  ASSERT_TRUE(p->store("empty.json", "").ok());
  EXPECT_EQ(*p->read("empty.json"), "");
}

TEST_F(AzuriteStorage, ALargeObjectTakesTheBlockPathAndReadsBackIdentical) {
  RequestLog log;
  auto p = make({{"container", "blocks"}, {"create_container", "true"}, {"single_put_max_bytes", "65536"}});
  ASSERT_TRUE(p);
  std::string big = random_bytes(1024 * 1024, 1);
  auto stored = p->store("big.bin", big);
  ASSERT_TRUE(stored.ok()) << stored.error().message;
  // 16 Put Block of 64 KiB and one Put Block List, all on the blob's path.
  EXPECT_EQ(log.count("PUT /devstoreaccount1/blocks/big.bin -> 201"), 17);
  auto back = p->read("big.bin");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(*back == big);

  // Exactly single_put_max_bytes is one Put Blob; one byte more is the block path (2 blocks + the list).
  ASSERT_TRUE(p->store("edge.bin", random_bytes(65536, 2)).ok());
  EXPECT_EQ(log.count("PUT /devstoreaccount1/blocks/edge.bin -> 201"), 1);
  std::string over = random_bytes(65537, 3);
  ASSERT_TRUE(p->store("over.bin", over).ok());
  EXPECT_EQ(log.count("PUT /devstoreaccount1/blocks/over.bin -> 201"), 3);
  EXPECT_TRUE(*p->read("over.bin") == over);

  // Replacing a block blob by a smaller single put, and the other way round.
  ASSERT_TRUE(p->store("big.bin", "small").ok());
  EXPECT_EQ(*p->read("big.bin"), "small");
  ASSERT_TRUE(p->store("big.bin", big).ok());
  EXPECT_TRUE(*p->read("big.bin") == big);
  EXPECT_EQ(*p->list(), (std::vector<std::string>{"big.bin", "edge.bin", "over.bin"}));
}

TEST_F(AzuriteStorage, CreateContainerCreatesOnceAndToleratesAnExistingOne) {
  RequestLog log;
  auto first = make({{"container", "created"}, {"create_container", "true"}});
  ASSERT_TRUE(first);
  EXPECT_EQ(log.count("PUT /devstoreaccount1/created -> 201"), 1);
  ASSERT_TRUE(first->store("x.json", "[]").ok());
  auto second = make({{"container", "created"}, {"create_container", "true"}});
  ASSERT_TRUE(second);
  EXPECT_EQ(log.count("PUT /devstoreaccount1/created ->"), 1);  // known to exist: not asked again
  EXPECT_EQ(*second->list(), (std::vector<std::string>{"x.json"}));

  // Made by someone else first: 409 ContainerAlreadyExists is success.
  ASSERT_EQ(sdk("create", "precreated"), "");
  auto third = make({{"container", "precreated"}, {"create_container", "true"}});
  ASSERT_TRUE(third);
  EXPECT_EQ(log.count("PUT /devstoreaccount1/precreated -> 409"), 1);
  ASSERT_TRUE(third->store("y.json", "[1]").ok());
}

TEST_F(AzuriteStorage, AMissingContainerIsNamed) {
  auto absent = make({{"container", "never-created"}});
  ASSERT_TRUE(absent);
  auto s = absent->store("x.json", "[]");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::IOError);
  EXPECT_NE(s.error().message.find("never-created"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("ContainerNotFound"), std::string::npos) << s.error().message;
}

TEST_F(AzuriteStorage, AContainerDeletedUnderUsIsCreatedAgainOnTheRetry) {
  auto p = make({{"container", "fleeting"}, {"create_container", "true"}});
  ASSERT_TRUE(p);
  ASSERT_TRUE(p->store("a.json", "[1]").ok());
  ASSERT_EQ(sdk("delete-container", "fleeting"), "");
  auto gone = p->store("b.json", "[2]");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, ErrorCode::Unavailable) << gone.error().message;  // the engine retries it
  auto again = p->store("b.json", "[2]");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*p->list(), (std::vector<std::string>{"b.json"}));
}

TEST_F(AzuriteStorage, AWrongAccountKeyIsAnIOErrorThatShowsNoKey) {
  std::string wrong = providers::azure::base64_encode(random_bytes(64, 42));
  auto good = make({{"container", "guarded"}, {"create_container", "true"}});
  ASSERT_TRUE(good);
  ASSERT_TRUE(good->store("a.json", "[1]").ok());

  auto p = make({{"connection_string", azurite_->connection_string(wrong)}, {"container", "guarded"}});
  ASSERT_TRUE(p);
  auto s = p->store("a.json", "[2]");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::IOError);
  EXPECT_NE(s.error().message.find("refused the credentials (403"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("container guarded"), std::string::npos) << s.error().message;
  EXPECT_EQ(s.error().message.find(wrong), std::string::npos) << s.error().message;
  EXPECT_EQ(s.error().message.find(wrong.substr(0, 10)), std::string::npos) << s.error().message;
  auto listed = p->list();
  ASSERT_FALSE(listed.ok());
  EXPECT_EQ(listed.error().code, ErrorCode::IOError);
  EXPECT_EQ(listed.error().message.find(wrong), std::string::npos);
  EXPECT_EQ(p->location().find(wrong), std::string::npos);
  EXPECT_EQ(*good->read("a.json"), "[1]");  // untouched

  // With create_container the profile itself fails to load, for the same reason, still without the key.
  auto creating = providers::create_azure_blob_provider(
      {{"connection_string", azurite_->connection_string(wrong)}, {"container", "guarded-new"}, {"create_container", "true"}});
  ASSERT_FALSE(creating.ok());
  EXPECT_EQ(creating.error().code, ErrorCode::IOError);
  EXPECT_EQ(creating.error().message.find(wrong), std::string::npos) << creating.error().message;
}

TEST_F(AzuriteStorage, PrefixIsAVirtualFolder) {
  auto root = make({{"container", "folders"}, {"create_container", "true"}});
  auto daily = make({{"container", "folders"}, {"prefix", "daily"}});
  auto weekly = make({{"container", "folders"}, {"prefix", "weekly/"}});
  ASSERT_TRUE(root && daily && weekly);
  ASSERT_TRUE(daily->store("a.json", "[1]").ok());
  ASSERT_TRUE(weekly->store("a.json", "[2]").ok());
  ASSERT_TRUE(root->store("top.json", "[3]").ok());
  EXPECT_EQ(*daily->list(), (std::vector<std::string>{"a.json"}));
  EXPECT_EQ(*weekly->read("a.json"), "[2]");
  EXPECT_EQ(*root->list(), (std::vector<std::string>{"daily/a.json", "top.json", "weekly/a.json"}));
  EXPECT_EQ(daily->location(), "azure-blob " + azurite_->endpoint() + "/folders/daily");
}

TEST_F(AzuriteStorage, ListFollowsNextMarkerAcrossPages) {
  auto parsed = providers::azure::parse_azure_blob_settings(
      {{"connection_string", azurite_->connection_string()}, {"container", "paged"}, {"create_container", "true"}});
  ASSERT_TRUE(parsed.ok());
  parsed->list_page_size = 2;
  auto p = providers::azure::make_azure_blob_provider(*parsed);
  ASSERT_TRUE(p.ok()) << p.error().message;
  std::vector<std::string> expected;
  for (int i = 6; i >= 0; --i) {
    std::string name = "f";
    name += std::to_string(i);
    name += ".json";
    ASSERT_TRUE((*p)->store(name, "[]").ok());
    expected.insert(expected.begin(), name);
  }
  RequestLog log;
  auto names = (*p)->list();
  ASSERT_TRUE(names.ok()) << names.error().message;
  EXPECT_EQ(*names, expected);
  EXPECT_EQ(log.count("GET /devstoreaccount1/paged -> 200"), 4);  // 2 + 2 + 2 + 1
}

TEST_F(AzuriteStorage, ASasUrlFromTheOfficialSdkWorks) {
  auto created = make({{"container", "sas-target"}, {"create_container", "true"}});
  ASSERT_TRUE(created);
  std::string url = sdk("sas", "sas-target");
  ASSERT_NE(url.find("sig="), std::string::npos) << url;

  auto p = make({{"sas_url", url}});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->location(), "azure-blob " + azurite_->endpoint() + "/sas-target");
  ASSERT_TRUE(p->store("s.json", "[\"sas\"]").ok());
  EXPECT_EQ(*p->read("s.json"), "[\"sas\"]");
  EXPECT_EQ(*p->list(), (std::vector<std::string>{"s.json"}));
  ASSERT_TRUE(p->remove("s.json").ok());
  EXPECT_TRUE(p->list()->empty());
  std::string big = random_bytes(200 * 1024, 5);  // the block path with a SAS too
  auto small_puts = make({{"sas_url", url}, {"single_put_max_bytes", "65536"}});
  ASSERT_TRUE(small_puts->store("big.bin", big).ok());
  EXPECT_TRUE(*p->read("big.bin") == big);
}

// Its own emulator: stopped while the provider holds a kept-alive connection, then restarted.
TEST(AzuriteOutage, StoresAreUnavailableDuringAnOutageAndTheSameProviderReconnects) {
  CORTEX_REQUIRE_AZURITE();
  AzuriteProcess azurite;
  ASSERT_EQ(azurite.start(), "");
  auto created = providers::create_azure_blob_provider({{"connection_string", azurite.connection_string()},
                                                        {"container", "outage"},
                                                        {"create_container", "true"},
                                                        {"timeout_seconds", "5"}});
  ASSERT_TRUE(created.ok()) << created.error().message;
  auto& p = *created;
  ASSERT_TRUE(p->store("before.json", "[1]").ok());
  std::uint16_t port = azurite.port();
  azurite.stop();
  auto during = p->store("during.json", "[2]");
  ASSERT_FALSE(during.ok());
  EXPECT_EQ(during.error().code, ErrorCode::Unavailable) << during.error().message;
  auto listed = p->list();
  ASSERT_FALSE(listed.ok());
  EXPECT_EQ(listed.error().code, ErrorCode::Unavailable);
  ASSERT_EQ(azurite.start(port), "");
  auto after = p->store("during.json", "[2]");
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_EQ(*p->read("before.json"), "[1]");  // acknowledged writes survived the restart
  EXPECT_EQ(*p->list(), (std::vector<std::string>{"before.json", "during.json"}));
}

}  // namespace
}  // namespace cortex

namespace cortex {
namespace {

// Azurite over HTTPS with a self-signed certificate for "localhost" (made here with the openssl command).
TEST(AzuriteTls, VerifiesTheCertificateChainAndTheHostName) {
  CORTEX_REQUIRE_AZURITE();
  testing::TempDir certs;
  std::string cert = certs.file("cert.pem");
  std::string key = certs.file("key.pem");
  std::string make_cert = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
                          "-subj /CN=localhost -addext subjectAltName=DNS:localhost -keyout '" + key + "' -out '" +
                          cert + "' >/dev/null 2>&1";
  ASSERT_EQ(std::system(make_cert.c_str()), 0) << make_cert;
  AzuriteProcess azurite;
  ASSERT_EQ(azurite.start(0, {"--cert", cert, "--key", key}), "");
  auto connection = [&](const std::string& host) {
    return "DefaultEndpointsProtocol=https;AccountName=devstoreaccount1;AccountKey=" +
           std::string(providers::azure::kDevelopmentKey) + ";BlobEndpoint=https://" + host + ":" +
           std::to_string(azurite.port()) + "/devstoreaccount1;";
  };
  auto open = [&](ProviderSettings s) { return providers::create_azure_blob_provider(s); };

  // Trusted through ca_file, and the certificate names the host: works.
  auto trusted = open({{"connection_string", connection("localhost")}, {"container", "tls"}, {"create_container", "true"},
                       {"ca_file", cert}});
  ASSERT_TRUE(trusted.ok()) << trusted.error().message;
  ASSERT_TRUE((*trusted)->store("a.json", "[1]").ok());
  EXPECT_EQ(*(*trusted)->read("a.json"), "[1]");

  // Not in the system's trust store: refused, as a TLS problem (IOError), before anything is sent.
  auto untrusted = open({{"connection_string", connection("localhost")}, {"container", "tls"}});
  ASSERT_TRUE(untrusted.ok());
  auto s = (*untrusted)->store("b.json", "[2]");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::IOError) << s.error().message;
  EXPECT_NE(s.error().message.find("TLS"), std::string::npos) << s.error().message;

  // Trusted, but the certificate does not name 127.0.0.1: the host name check refuses it.
  auto wrong_host = open({{"connection_string", connection("127.0.0.1")}, {"container", "tls"}, {"ca_file", cert}});
  ASSERT_TRUE(wrong_host.ok());
  auto h = (*wrong_host)->store("c.json", "[3]");
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.error().code, ErrorCode::IOError) << h.error().message;

  // verify_tls: false skips both checks.
  auto unchecked = open({{"connection_string", connection("127.0.0.1")}, {"container", "tls"}, {"verify_tls", "false"}});
  ASSERT_TRUE(unchecked.ok());
  ASSERT_TRUE((*unchecked)->store("d.json", "[4]").ok());
  EXPECT_EQ(*(*trusted)->list(), (std::vector<std::string>{"a.json", "d.json"}));
}

}  // namespace
}  // namespace cortex
