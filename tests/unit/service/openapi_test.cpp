// The OpenAPI document and the server agree: every route answered is documented and every documented
// route is answered.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

#include "api/http_client.h"
#include "service/api_tokens.h"
#include "service/daemon.h"
#include "temp_dir.h"

namespace cortex {
namespace {

const std::string kBase = "/sitecore/api/datatools/";

std::set<std::string> documented_routes() {
  auto doc = YAML::LoadFile(std::string(CORTEXD_SOURCE_DIR) + "/engine/api/openapi.yaml");
  std::set<std::string> out;
  for (const auto& path : doc["paths"]) {
    std::string p = path.first.as<std::string>();
    // API routes are listed relative to the base; operational ones (/healthz) as they are.
    std::string route = p.rfind(kBase, 0) == 0 ? p.substr(kBase.size()) : p;
    for (const auto& op : path.second) {
      std::string method = op.first.as<std::string>();
      std::transform(method.begin(), method.end(), method.begin(), ::toupper);
      out.insert(method + " " + route);
    }
  }
  return out;
}

TEST(OpenApi, DocumentsExactlyTheRoutesTheServerAnswers) {
  testing::TempDir dir;
  Config config;
  config.data_dir = dir.file("data");
  config.http.port = 0;
  Daemon daemon(config);
  ASSERT_TRUE(daemon.start().ok());
  auto served = daemon.routes();
  std::set<std::string> served_set(served.begin(), served.end());
  EXPECT_EQ(served_set, documented_routes());

  // Every documented route is answered by its handler, not by the router's 404/405.
  for (const auto& route : documented_routes()) {
    auto space = route.find(' ');
    std::string method = route.substr(0, space);
    std::string path = route.substr(space + 1);
    auto at = path.find("{TaskId}");
    if (at != std::string::npos) path.replace(at, 8, "5e3b8a5c-0000-4000-8000-000000000000");
    auto token = ApiTokens::read_client_token(config.data_dir);
    ASSERT_TRUE(token);
    std::string target = path.front() == '/' ? path : kBase + path;
    auto reply = http_request("127.0.0.1", daemon.port(), method, target, "application/json", "{}",
                              std::chrono::seconds(10), {{"Authorization", "Bearer " + *token}});
    ASSERT_TRUE(reply.ok()) << route;
    EXPECT_NE(reply->status, 405u) << route;
    if (at == std::string::npos) {
      EXPECT_NE(reply->status, 404u) << route << ": " << reply->body;
    } else {
      EXPECT_NE(reply->body.find("task"), std::string::npos) << route << ": " << reply->body;
    }
  }
  daemon.stop();
}

}  // namespace
}  // namespace cortex
