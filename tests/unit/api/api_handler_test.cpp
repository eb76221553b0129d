// ApiHandler against a real TaskStore and ProfileCatalog in a temporary directory: routes, answers, errors.
#include "api/api_handler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace cortex {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

class NullProvider final : public StorageProvider {
 public:
  Status store(const std::string&, std::string_view) override { return Status::OK(); }
  Result<std::vector<std::string>> list() override { return std::vector<std::string>{}; }
  Result<std::string> read(const std::string& name) override { return make_error(ErrorCode::NotFound, name); }
  Status remove(const std::string&) override { return Status::OK(); }
  std::string location() const override { return "nowhere"; }
};

class FixedClock final : public Clock {
 public:
  Timestamp now() const override { return now_; }
  void advance(Ticks by) { now_ += by; }

 private:
  Timestamp now_ = *parse_timestamp("2020-08-18T10:59:39.7216673Z");
};

fs::path make_temp_dir() {
  std::string pattern = (fs::temp_directory_path() / "cortex-api-test-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

constexpr const char* kInteractions = "/sitecore/api/datatools/export/tasks/interactions";
constexpr const char* kContacts = "/sitecore/api/datatools/export/tasks/contacts";

class ApiHandlerTest : public ::testing::Test {
 protected:
  ApiHandlerTest() : dir_(make_temp_dir()), catalog_(registry_) {
    registry_.add("folder", [](const ProviderSettings&) -> Result<std::unique_ptr<StorageProvider>> {
      return std::unique_ptr<StorageProvider>(std::make_unique<NullProvider>());
    });
    fs::create_directories(dir_ / "profiles");
    std::ofstream(dir_ / "profiles" / "local.yaml") << "name: LocalExports\nprovider: folder\nsettings:\n  path: /tmp/x\n";
    auto errors = catalog_.load_folder((dir_ / "profiles").string());
    EXPECT_TRUE(errors.empty());
    pool_ = std::make_unique<TaskStorePool>((dir_ / "tasks.db").string());
    handler_ = std::make_unique<ApiHandler>(*pool_, catalog_, clock_, [this](const Guid& id) { woken_.push_back(id); });
  }
  ~ApiHandlerTest() override {
    handler_.reset();
    pool_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  ApiResponse call(const std::string& method, const std::string& target, const std::string& body = "",
                   const std::string& content_type = "application/json") {
    return handler_->handle({method, target, content_type, body, ""});
  }
  ordered_json json_of(const ApiResponse& r) { return ordered_json::parse(r.body_text()); }

  std::string register_task(const std::string& body = R"({"StorageProfile":"LocalExports"})") {
    auto r = call("POST", kInteractions, body);
    EXPECT_EQ(r.status, 200u) << r.body_text();
    return json_of(r).value("TaskId", "");
  }

  std::vector<TaskRecord> stored_tasks() {
    auto store = pool_->acquire();
    EXPECT_TRUE(store.ok());
    auto tasks = store.value()->list();
    EXPECT_TRUE(tasks.ok());
    return tasks.ok() ? tasks.value() : std::vector<TaskRecord>{};
  }

  void expect_error(const ApiResponse& r, unsigned status, const std::string& type) {
    EXPECT_EQ(r.status, status) << r.body_text();
    auto body = json_of(r);
    std::vector<std::string> keys;
    for (const auto& [k, _] : body.items()) keys.push_back(k);
    EXPECT_EQ(keys, (std::vector<std::string>{"Message", "ExceptionType", "Errors"})) << r.body_text();
    EXPECT_EQ(body.value("ExceptionType", ""), type);
    EXPECT_FALSE(body.value("Message", "").empty());
    EXPECT_TRUE(body["Errors"].is_array());
  }

  fs::path dir_;
  ProviderRegistry registry_;
  ProfileCatalog catalog_;
  FixedClock clock_;
  std::unique_ptr<TaskStorePool> pool_;
  std::unique_ptr<ApiHandler> handler_;
  std::vector<Guid> woken_;
};

TEST_F(ApiHandlerTest, RegistersInteractionExportAndReportsProgress) {
  auto r = call("POST", kInteractions, R"({"StorageProfile":"localexports","BatchSize":"50"})");
  ASSERT_EQ(r.status, 200u) << r.body_text();
  auto body = json_of(r);
  ASSERT_EQ(body.size(), 1u);
  std::string id = body["TaskId"];
  EXPECT_EQ(normalize_guid(id), id) << "lowercase with dashes";
  ASSERT_EQ(woken_.size(), 1u);
  EXPECT_EQ(woken_[0].str(), id);

  auto p = call("GET", "/sitecore/api/datatools/tasks/" + id + "/progress");
  ASSERT_EQ(p.status, 200u) << p.body_text();
  auto progress = json_of(p);
  std::vector<std::string> keys;
  for (const auto& [k, _] : progress.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"Id", "Created", "Updated", "TaskType", "Status", "Progress", "Total",
                                            "Description", "PrerequisiteTaskIds"}));
  EXPECT_EQ(progress["Id"], id);
  EXPECT_EQ(progress["Created"], "2020-08-18T10:59:39.7216673Z");
  EXPECT_EQ(progress["TaskType"], 1);
  EXPECT_EQ(progress["Status"], 0);
  EXPECT_EQ(progress["Progress"], 0);
  EXPECT_TRUE(progress["Total"].is_null());
  EXPECT_NE(progress["Description"].get<std::string>().find("LocalExports"), std::string::npos);
  EXPECT_EQ(progress["PrerequisiteTaskIds"], ordered_json::array());

  auto tasks = stored_tasks();
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].options.storage_profile, "LocalExports") << "the canonical name is stored";
  EXPECT_EQ(tasks[0].options.batch_size, 50);
  EXPECT_EQ(tasks[0].options.kind, ExportKind::Interactions);
}

TEST_F(ApiHandlerTest, RegistersContactExportFromForm) {
  auto r = call("POST", kContacts, "StorageProfile=LocalExports&CutoffDays=7&StartPercentile=0&EndPercentile=0.5",
                "application/x-www-form-urlencoded; charset=utf-8");
  ASSERT_EQ(r.status, 200u) << r.body_text();
  auto tasks = stored_tasks();
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].options.kind, ExportKind::Contacts);
  EXPECT_EQ(tasks[0].options.cutoff_days, 7);
  EXPECT_EQ(tasks[0].options.end_percentile, 0.5);
}

TEST_F(ApiHandlerTest, UnknownProfileIsRejectedAndNothingRegistered) {
  auto r = call("POST", kInteractions, R"({"StorageProfile":"Elsewhere"})");
  expect_error(r, 400, "ModelValidationException");
  auto errors = json_of(r)["Errors"];
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0]["Parameter"], "StorageProfile");
  EXPECT_TRUE(stored_tasks().empty());
  EXPECT_TRUE(woken_.empty());
}

TEST_F(ApiHandlerTest, ValidationAnswerListsEveryParameterError) {
  auto r = call("POST", kInteractions, R"({"StorageProfile":"LocalExports","BatchSize":0,"StartPercentil":0.1})");
  expect_error(r, 400, "ModelValidationException");
  auto errors = json_of(r)["Errors"];
  ASSERT_EQ(errors.size(), 2u) << r.body_text();
  std::vector<std::string> keys;
  for (const auto& [k, _] : errors[0].items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"Parameter", "Error"}));
  EXPECT_EQ(errors[0]["Parameter"], "StartPercentil");
  EXPECT_EQ(errors[1]["Parameter"], "BatchSize");
  EXPECT_EQ(errors[1]["Error"], "must be an integer between 1 and 100000");
  EXPECT_TRUE(stored_tasks().empty());
}

TEST_F(ApiHandlerTest, UnreadableBodiesAreBadRequest) {
  expect_error(call("POST", kInteractions, R"({"StorageProfile":)"), 400, "BadRequest");
  expect_error(call("POST", kInteractions, R"([{"StorageProfile":"LocalExports"}])"), 400, "BadRequest");
  expect_error(call("POST", kContacts, "StorageProfile=%zz", "application/x-www-form-urlencoded"), 400, "BadRequest");
  EXPECT_TRUE(json_of(call("POST", kInteractions, "{")).at("Errors").empty());
  EXPECT_TRUE(stored_tasks().empty());
}

TEST_F(ApiHandlerTest, OtherContentTypeIs415) {
  expect_error(call("POST", kInteractions, "StorageProfile=LocalExports", "text/plain"), 415, "UnsupportedMediaType");
  expect_error(call("POST", kInteractions, R"({"StorageProfile":"LocalExports"})", ""), 415, "UnsupportedMediaType");
  EXPECT_TRUE(stored_tasks().empty());
}

TEST_F(ApiHandlerTest, UnknownOrInvalidTaskIdIs404) {
  expect_error(call("GET", "/sitecore/api/datatools/tasks/" + Guid::random().str() + "/progress"), 404, "NotFound");
  expect_error(call("PUT", "/sitecore/api/datatools/tasks/" + Guid::random().str() + "/cancel"), 404, "NotFound");
  expect_error(call("GET", "/sitecore/api/datatools/tasks/not-a-guid/progress"), 404, "NotFound");
  expect_error(call("GET", "/sitecore/api/datatools/tasks/{12345678-1234-1234-1234-1234567890ab/progress"), 404,
               "NotFound");
}

TEST_F(ApiHandlerTest, UnknownPathIs404) {
  for (const char* target : {"/", "/sitecore/api/datatools/", "/sitecore/api/datatools/export/tasks/other",
                             "/sitecore/api/datatools/tasks", "/elsewhere/export/tasks/interactions",
                             "/sitecore/api/datatools/export//tasks/interactions",
                             "/sitecore/api/datatools/tasks/12345678-1234-1234-1234-1234567890ab/progress/more"}) {
    SCOPED_TRACE(target);
    expect_error(call("GET", target), 404, "NotFound");
  }
}

TEST_F(ApiHandlerTest, WrongMethodIs405WithAllow) {
  std::string id = Guid::random().str();
  auto get_export = call("GET", kInteractions);
  expect_error(get_export, 405, "MethodNotAllowed");
  EXPECT_EQ(get_export.header("allow"), "POST");
  auto post_progress = call("POST", "/sitecore/api/datatools/tasks/" + id + "/progress");
  expect_error(post_progress, 405, "MethodNotAllowed");
  EXPECT_EQ(post_progress.header("Allow"), "GET");
  auto delete_cancel = call("DELETE", "/sitecore/api/datatools/purge/tasks/" + id + "/cancel");
  expect_error(delete_cancel, 405, "MethodNotAllowed");
  EXPECT_EQ(delete_cancel.header("Allow"), "PUT");
  EXPECT_TRUE(stored_tasks().empty());
}

TEST_F(ApiHandlerTest, EveryAnswerIsObservedUnderItsRouteAndA405UnderTheResourcesPattern) {
  std::vector<std::string> observed;
  handler_->set_observer([&](const std::string& route, unsigned status) {
    observed.push_back(route + " " + std::to_string(status));
  });
  std::string id = register_task();
  call("GET", "/sitecore/api/datatools/tasks/" + id + "/progress");
  call("BREW", "/sitecore/api/datatools/tasks/" + id + "/progress");  // the method is the client's text: not a label
  call("GET", "/sitecore/api/datatools/no/such/thing");
  EXPECT_EQ(observed, (std::vector<std::string>{
                          "POST export/tasks/interactions 200",
                          "GET tasks/{TaskId}/progress 200",
                          "tasks/{TaskId}/progress 405",
                          "unmatched 404",
                      }));
}

TEST_F(ApiHandlerTest, AcceptsAliasesDoubledSlashAndAnyIdSpelling) {
  std::string id = register_task();
  std::string upper = id;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string bare = id;
  bare.erase(std::remove(bare.begin(), bare.end(), '-'), bare.end());
  for (const std::string& target :
       {"/sitecore/api/datatools//tasks/" + id + "/progress", "/sitecore/api/datatools/purge/tasks/" + id + "/progress",
        "/sitecore/api/datatools/tasks/{" + upper + "}/progress", "/sitecore/api/datatools/tasks/%7B" + id + "%7D/progress",
        "/sitecore/api/datatools/tasks/" + bare + "/progress", "/sitecore/api/datatools/tasks/" + id + "/progress?x=1&y",
        "/Sitecore/API/DataTools/Tasks/" + id + "/Progress", "/sitecore/api/datatools/tasks/" + id + "/progress/"}) {
    SCOPED_TRACE(target);
    auto r = call("GET", target);
    ASSERT_EQ(r.status, 200u) << r.body_text();
    EXPECT_EQ(json_of(r)["Id"], id);
  }
  auto purge_cancel = call("PUT", "/sitecore/api/datatools/purge/tasks/{" + upper + "}/cancel");
  ASSERT_EQ(purge_cancel.status, 200u) << purge_cancel.body_text();
  EXPECT_EQ(json_of(purge_cancel)["Status"], 5);
  EXPECT_EQ(call("POST", std::string(kInteractions) + "?api-version=1", R"({"StorageProfile":"LocalExports"})").status,
            200u);
}

TEST_F(ApiHandlerTest, CancelOfPendingTaskIsCanceledAndIdempotent) {
  std::string id = register_task();
  clock_.advance(std::chrono::seconds(5));
  auto first = call("PUT", "/sitecore/api/datatools/tasks/" + id + "/cancel");
  ASSERT_EQ(first.status, 200u) << first.body_text();
  auto a = json_of(first);
  EXPECT_EQ(a["Status"], 5);
  EXPECT_EQ(a["Id"], id);
  clock_.advance(std::chrono::seconds(5));
  auto second = call("PUT", "/sitecore/api/datatools//tasks/" + id + "/cancel");
  ASSERT_EQ(second.status, 200u) << second.body_text();
  auto b = json_of(second);
  EXPECT_EQ(b["Status"], 5);
  EXPECT_EQ(b["Updated"], a["Updated"]) << "a final task is unchanged";
  EXPECT_EQ(json_of(call("GET", "/sitecore/api/datatools/tasks/" + id + "/progress"))["Status"], 5);
}

TEST_F(ApiHandlerTest, DrainingRefusesRegistrationButAnswersProgress) {
  std::string id = register_task();
  handler_->set_draining(true);
  auto refused = call("POST", kInteractions, R"({"StorageProfile":"LocalExports"})");
  expect_error(refused, 503, "ServiceUnavailable");
  EXPECT_EQ(stored_tasks().size(), 1u);
  EXPECT_EQ(call("GET", "/sitecore/api/datatools/tasks/" + id + "/progress").status, 200u);
  EXPECT_EQ(call("PUT", "/sitecore/api/datatools/tasks/" + id + "/cancel").status, 200u);
  handler_->set_draining(false);
  EXPECT_EQ(call("POST", kContacts, R"({"StorageProfile":"LocalExports"})").status, 200u);
}

TEST_F(ApiHandlerTest, StoreFailureIs500WithoutDetails) {
  std::string missing = (dir_ / "no-such-dir" / "tasks.db").string();
  TaskStorePool broken(missing);
  ApiHandler handler(broken, catalog_, clock_, nullptr);
  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"POST", kInteractions},
           {"GET", "/sitecore/api/datatools/tasks/" + Guid::random().str() + "/progress"},
           {"PUT", "/sitecore/api/datatools/tasks/" + Guid::random().str() + "/cancel"}}) {
    SCOPED_TRACE(target);
    auto r = handler.handle({method, target, "application/json", R"({"StorageProfile":"LocalExports"})", ""});
    expect_error(r, 500, "InternalServerError");
    EXPECT_EQ(r.body_text().find("no-such-dir"), std::string::npos) << "no paths or SQLite text to clients";
  }
}

TEST_F(ApiHandlerTest, FailingWakeUpStillAnswersTheCommittedTask) {
  ApiHandler handler(*pool_, catalog_, clock_, [](const Guid&) { throw std::runtime_error("scheduler gone"); });
  auto r = handler.handle({"POST", kInteractions, "application/json", R"({"StorageProfile":"LocalExports"})", ""});
  EXPECT_EQ(r.status, 200u) << r.body_text();
  EXPECT_EQ(stored_tasks().size(), 1u);
}

TEST_F(ApiHandlerTest, AuthorizerAnswers401And403BeforeAnyWork) {
  handler_->set_authorizer([](std::string_view header, Access needed) {
    if (header == "Bearer admin") return AuthDecision::Allowed;
    if (header == "Bearer reader") return needed == Access::Read ? AuthDecision::Allowed : AuthDecision::Forbidden;
    return AuthDecision::Unauthenticated;
  });
  std::string body = R"({"StorageProfile":"LocalExports"})";
  auto anonymous = handler_->handle({"POST", kInteractions, "application/json", body, ""});
  expect_error(anonymous, 401, "Unauthorized");
  EXPECT_EQ(anonymous.header("WWW-Authenticate"), "Bearer");
  expect_error(handler_->handle({"POST", kInteractions, "application/json", body, "Bearer reader"}), 403, "Forbidden");
  EXPECT_TRUE(stored_tasks().empty());
  auto admin = handler_->handle({"POST", kInteractions, "application/json", body, "Bearer admin"});
  ASSERT_EQ(admin.status, 200u);
  std::string id = json_of(admin)["TaskId"];
  EXPECT_EQ(handler_->handle({"GET", "/sitecore/api/datatools/tasks/" + id + "/progress", "", "", "Bearer reader"}).status,
            200u);
}

TEST_F(ApiHandlerTest, AddedRoutesJoinTheTable) {
  handler_->add_route("POST", "estimate/interactions", Access::Write, false,
                      [this](const ApiRequest& request, const ApiHandler::RouteMatch&) {
                        auto outcome = handler_->parse_export_body(ExportKind::Interactions, request, false);
                        if (auto rejection = rejection_of(outcome, request.content_type)) return *rejection;
                        ApiResponse response;
                        response.body = {{"TotalCount", 0}};
                        return response;
                      });
  auto ok = call("POST", "/sitecore/api/datatools/estimate/interactions", "{}");
  EXPECT_EQ(ok.status, 200u) << ok.body_text();
  expect_error(call("POST", "/sitecore/api/datatools/estimate/interactions", R"({"BatchSize":0})"), 400,
               "ModelValidationException");
  EXPECT_EQ(call("GET", "/sitecore/api/datatools/estimate/interactions").header("Allow"), "POST");
}

TEST(ApiError, HasTheSpecShape) {
  auto r = api_error(413, "PayloadTooLarge", "too big", {{"BatchSize", "bad"}});
  EXPECT_EQ(r.status, 413u);
  EXPECT_EQ(r.body_text(),
            R"({"Message":"too big","ExceptionType":"PayloadTooLarge","Errors":[{"Parameter":"BatchSize","Error":"bad"}]})");
}

}  // namespace
}  // namespace cortex
