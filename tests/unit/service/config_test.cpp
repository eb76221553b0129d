// The YAML configuration: defaults, the shipped example, and errors that name the key and line.
#include "service/config.h"

#include <gtest/gtest.h>

namespace cortex {
namespace {

TEST(Config, DefaultsServeASingleMachine) {
  auto c = Config::parse("", "empty.yaml");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->http.address, "127.0.0.1");
  EXPECT_EQ(c->http.port, 8085);
  EXPECT_EQ(c->workers, 2);
  EXPECT_EQ(c->task_db_path(), "cortexd-data/tasks.db");
  EXPECT_EQ(c->collection_path(), "cortexd-data/collection.db");
  EXPECT_EQ(c->http.body_limit_bytes, 64u * 1024);
}

TEST(Config, TheShippedExampleParsesAndEqualsTheDefaults) {
  auto c = Config::load_file(std::string(CORTEXD_SOURCE_DIR) + "/packaging/cortexd.yaml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  Config defaults;
  EXPECT_EQ(c->http.port, defaults.http.port);
  EXPECT_EQ(c->workers, defaults.workers);
  EXPECT_EQ(c->retry.max_attempts, defaults.retry.max_attempts);
  EXPECT_EQ(c->retry.max_backoff, defaults.retry.max_backoff);
  EXPECT_EQ(c->lease_seconds, defaults.lease_seconds);
  EXPECT_EQ(c->ignore_default_values, defaults.ignore_default_values);
  EXPECT_EQ(c->registration.max_group_size, defaults.registration.max_group_size);
  EXPECT_EQ(c->http.threads, defaults.http.threads);
}

TEST(Config, RegistrationGroupSizeIsReadAndRangeChecked) {
  EXPECT_EQ(Config().registration.max_group_size, 256);
  auto one = Config::parse("registration:\n  max_group_size: 1\n", "c.yaml");
  ASSERT_TRUE(one.ok()) << one.error().message;
  EXPECT_EQ(one->registration.max_group_size, 1);
  for (const char* text : {"registration:\n  max_group_size: 0\n", "registration:\n  max_group_size: 10001\n",
                           "registration:\n  max_group_size: lots\n", "registration:\n  max_group: 8\n"}) {
    auto c = Config::parse(text, "c.yaml");
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_NE(c.error().message.find("registration.max_group"), std::string::npos) << c.error().message;
  }
}

TEST(Config, UnknownKeyIsAnErrorNamingKeyAndLine) {
  auto c = Config::parse("workers: 3\nhttp:\n  listen: 127.0.0.1:9000\n  thraeds: 4\n", "c.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("http.thraeds"), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("line 4"), std::string::npos) << c.error().message;
}

TEST(Config, BadValuesAreErrorsNamingTheKey) {
  for (const char* text : {"workers: many\n", "workers: 0\n", "http:\n  listen: nowhere\n", "log:\n  level: loud\n",
                           "lease_seconds: 5\nheartbeat_seconds: 10\n", "export:\n  ignore_default_values: maybe\n"}) {
    auto c = Config::parse(text, "c.yaml");
    EXPECT_FALSE(c.ok()) << text;
  }
  auto c = Config::parse("workers: many\n", "c.yaml");
  EXPECT_NE(c.error().message.find("workers"), std::string::npos);
}

TEST(Config, ListenAcceptsHostPortAndIpv6) {
  Config c;
  ASSERT_TRUE(c.set_listen("0.0.0.0:0").ok());
  EXPECT_EQ(c.http.address, "0.0.0.0");
  EXPECT_EQ(c.http.port, 0);
  ASSERT_TRUE(c.set_listen("[::1]:8443").ok());
  EXPECT_EQ(c.http.address, "::1");
  EXPECT_FALSE(c.set_listen("127.0.0.1:70000").ok());
  EXPECT_FALSE(c.set_listen("127.0.0.1").ok());
}

}  // namespace
}  // namespace cortex
