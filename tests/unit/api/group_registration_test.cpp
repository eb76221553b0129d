// Registrations answered after their group commit: through the ApiHandler with a RegistrationBatcher,
// and over HttpServer, whose connections wait for such answers without holding an io thread.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "api/api_handler.h"
#include "api/http_client.h"
#include "api/http_server.h"
#include "queue/registration_batcher.h"

namespace cortex {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kInteractions = "/sitecore/api/datatools/export/tasks/interactions";
constexpr const char* kBody = R"({"StorageProfile":"LocalExports"})";

class NullProvider final : public StorageProvider {
 public:
  Status store(const std::string&, std::string_view) override { return Status::OK(); }
  Result<std::vector<std::string>> list() override { return std::vector<std::string>{}; }
  Result<std::string> read(const std::string& name) override { return make_error(ErrorCode::NotFound, name); }
  Status remove(const std::string&) override { return Status::OK(); }
  std::string location() const override { return "nowhere"; }
};

fs::path make_temp_dir() {
  std::string pattern = (fs::temp_directory_path() / "cortex-group-test-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

// Holds the committer in its commit while closed: the registrations behind it wait, unanswered.
class Gate {
 public:
  void wait_open() {
    std::unique_lock lock(mutex_);
    opened_.wait(lock, [&] { return open_; });
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    opened_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable opened_;
  bool open_ = false;
};

// Answers given through a Responder, collected for a check.
class Answers {
 public:
  Responder responder() {
    return [this](ApiResponse r) {
      std::lock_guard lock(mutex_);
      answers_.push_back(std::move(r));
      changed_.notify_all();
    };
  }
  std::vector<ApiResponse> wait_for(std::size_t n) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return answers_.size() >= n; });
    return answers_;
  }
  std::size_t count() {
    std::lock_guard lock(mutex_);
    return answers_.size();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<ApiResponse> answers_;
};

class GroupRegistrationTest : public ::testing::Test {
 protected:
  GroupRegistrationTest() : dir_(make_temp_dir()), catalog_(registry_) {
    registry_.add("folder", [](const ProviderSettings&) -> Result<std::unique_ptr<StorageProvider>> {
      return std::unique_ptr<StorageProvider>(std::make_unique<NullProvider>());
    });
    fs::create_directories(dir_ / "profiles");
    std::ofstream(dir_ / "profiles" / "local.yaml") << "name: LocalExports\nprovider: folder\nsettings:\n  path: /tmp/x\n";
    EXPECT_TRUE(catalog_.load_folder((dir_ / "profiles").string()).empty());
    pool_ = std::make_unique<TaskStorePool>(db_path());
    auto store = TaskStore::open(db_path());
    EXPECT_TRUE(store.ok());
    committer_store_ = std::move(*store);
  }
  ~GroupRegistrationTest() override {
    if (server_) server_->stop();
    if (batcher_) batcher_->stop();
    server_.reset();
    batcher_.reset();
    api_.reset();
    committer_store_.reset();
    pool_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string db_path() const { return (dir_ / "tasks.db").string(); }

  // The handler with a batcher whose commits go through `commit` (default: the real store).
  void make_api(std::size_t max_group, RegistrationBatcher::CommitGroup commit = nullptr) {
    if (!commit) {
      commit = [this](const RegistrationBatcher::TakeGroup& take) {
        const auto& group = take();
        if (gate_) gate_->wait_open();  // as a sync that has not returned yet
        return committer_store_->register_tasks(group);
      };
    }
    batcher_ = std::make_unique<RegistrationBatcher>(std::move(commit), max_group);
    ASSERT_TRUE(batcher_->start().ok());
    api_ = std::make_unique<ApiHandler>(*pool_, catalog_, clock_, [this](const Guid& id) {
      std::lock_guard lock(mutex_);
      woken_.push_back(id.str());
    });
    api_->set_registration_batcher(batcher_.get());
    api_->set_observer([this](const std::string& route, unsigned status) {
      std::lock_guard lock(mutex_);
      observed_.push_back(route + " " + std::to_string(status));
    });
  }

  void start_server(int threads) {
    HttpServerOptions options;
    options.threads = threads;
    server_ = std::make_unique<HttpServer>(options, AsyncRequestHandler([this](const ApiRequest& r, Responder respond) {
                                             api_->handle_async(r, std::move(respond));
                                           }));
    ASSERT_TRUE(server_->start().ok());
  }

  ApiRequest registration() const { return {"POST", kInteractions, "application/json", kBody, ""}; }

  std::set<std::string> stored_ids() {
    auto store = pool_->acquire();
    auto tasks = store.value()->list();
    std::set<std::string> out;
    if (tasks.ok())
      for (const auto& t : *tasks) out.insert(t.id.str());
    return out;
  }

  fs::path dir_;
  ProviderRegistry registry_;
  ProfileCatalog catalog_;
  SystemClock clock_;
  std::unique_ptr<TaskStorePool> pool_;
  std::unique_ptr<TaskStore> committer_store_;
  std::optional<Gate> gate_;
  std::unique_ptr<RegistrationBatcher> batcher_;
  std::unique_ptr<ApiHandler> api_;
  std::unique_ptr<HttpServer> server_;
  std::mutex mutex_;
  std::vector<std::string> woken_;
  std::vector<std::string> observed_;
};

TEST_F(GroupRegistrationTest, ARegistrationIsAnsweredOnlyAfterItsCommitAndThenIsStored) {
  gate_.emplace();
  make_api(16);
  Answers answers;
  for (int i = 0; i < 5; ++i) api_->handle_async(registration(), answers.responder());
  // The committer is held inside the first commit: nobody has a TaskId, nothing is stored.
  EXPECT_EQ(answers.count(), 0u);
  EXPECT_TRUE(stored_ids().empty());
  gate_->open();
  auto got = answers.wait_for(5);
  auto stored = stored_ids();
  std::set<std::string> ids;
  for (const auto& a : got) {
    ASSERT_EQ(a.status, 200u) << a.body_text();
    std::string id = a.body["TaskId"];
    EXPECT_TRUE(stored.count(id)) << id;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 5u);
  EXPECT_EQ(stored.size(), 5u);
  std::lock_guard lock(mutex_);
  EXPECT_EQ(woken_.size(), 5u);
  EXPECT_EQ(observed_, std::vector<std::string>(5, "POST export/tasks/interactions 200"));
}

TEST_F(GroupRegistrationTest, InvalidRequestsAreAnsweredAtOnceWithoutTheBatcher) {
  gate_.emplace();  // never opened: a request that reached the batcher would not be answered
  make_api(16);
  Answers answers;
  api_->handle_async({"POST", kInteractions, "application/json", R"({"StorageProfile":"Nope"})", ""},
                     answers.responder());
  api_->handle_async({"GET", "/sitecore/api/datatools/tasks/" + Guid::random().str() + "/progress", "", "", ""},
                     answers.responder());
  auto got = answers.wait_for(2);
  EXPECT_EQ(got[0].status, 400u);
  EXPECT_EQ(got[1].status, 404u);
  gate_->open();
}

TEST_F(GroupRegistrationTest, AFailedCommitAnswersEveryRequestOfTheGroup500AndAcknowledgesNone) {
  make_api(16, [](const RegistrationBatcher::TakeGroup&) -> Result<std::vector<Result<TaskRecord>>> {
    return make_error(ErrorCode::IOError, "SQLite: disk I/O error (in \"COMMIT\") at /secret/path");
  });
  Answers answers;
  for (int i = 0; i < 4; ++i) api_->handle_async(registration(), answers.responder());
  for (const auto& a : answers.wait_for(4)) {
    EXPECT_EQ(a.status, 500u);
    EXPECT_EQ(a.body.value("ExceptionType", ""), "InternalServerError");
    EXPECT_FALSE(a.body.contains("TaskId"));
    EXPECT_EQ(a.body_text().find("/secret/path"), std::string::npos) << "no SQLite text or paths to clients";
  }
  std::lock_guard lock(mutex_);
  EXPECT_TRUE(woken_.empty());
}

TEST_F(GroupRegistrationTest, OneRefusedRowFailsOnlyItsRequest) {
  make_api(16, [this](const RegistrationBatcher::TakeGroup& take) -> Result<std::vector<Result<TaskRecord>>> {
    auto committed = committer_store_->register_tasks_from(take);
    if (!committed.ok() || committed->empty()) return committed;
    (*committed)[0] = make_error(ErrorCode::Conflict, "refused");  // as if its INSERT had failed
    return committed;
  });
  Answers answers;
  api_->handle_async(registration(), answers.responder());
  auto got = answers.wait_for(1);
  EXPECT_EQ(got[0].status, 500u);
}

TEST_F(GroupRegistrationTest, AStoppedBatcherAnswers503WithRetryAfter) {
  make_api(16);
  api_->set_draining(false);
  batcher_->stop();
  auto refused = api_->handle(registration());
  EXPECT_EQ(refused.status, 503u);
  EXPECT_EQ(refused.body.value("ExceptionType", ""), "ServiceUnavailable");
  EXPECT_FALSE(refused.header("Retry-After").empty());
  EXPECT_TRUE(stored_ids().empty());
}

TEST_F(GroupRegistrationTest, ConcurrentClientsOverHttpAreAllCommittedWithUniqueIds) {
  make_api(8);
  start_server(2);
  constexpr int kClients = 16, kEach = 15;
  std::mutex ids_mutex;
  std::vector<std::string> ids;
  std::atomic<int> failures{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        auto reply = http_request("127.0.0.1", server_->port(), "POST", kInteractions, "application/json", kBody, 15s);
        if (!reply.ok() || reply->status != 200) {
          ++failures;
          continue;
        }
        std::lock_guard lock(ids_mutex);
        ids.push_back(json::parse(reply->body)["TaskId"]);
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(failures.load(), 0);
  std::set<std::string> unique(ids.begin(), ids.end());
  EXPECT_EQ(unique.size(), static_cast<std::size_t>(kClients * kEach));
  EXPECT_EQ(stored_ids(), unique);
  auto counters = batcher_->counters();
  EXPECT_EQ(counters.committed, static_cast<std::uint64_t>(kClients * kEach));
  EXPECT_LE(counters.largest_group, 8u);
}

// Answers owed by an asynchronous handler, handed over from the io thread.
class OwedAnswers {
 public:
  void add(Responder respond) {
    std::lock_guard lock(mutex_);
    owed_.push_back(std::move(respond));
    changed_.notify_all();
  }
  std::vector<Responder> wait_for(std::size_t n) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return owed_.size() >= n; });
    return std::move(owed_);
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Responder> owed_;
};

ApiResponse answer_with(const std::string& text) {
  ApiResponse r;
  r.body = {{"Answered", text}};
  return r;
}

// An answer owed by an asynchronous handler does not hold an io thread.
TEST(AsyncHttpServer, DeferredAnswersDoNotHoldTheIoThread) {
  constexpr std::size_t kWaiting = 6;
  OwedAnswers owed;
  HttpServerOptions options;
  options.threads = 1;  // one io thread: a handler that waited on it would block every other request
  HttpServer server(options, AsyncRequestHandler([&](const ApiRequest& request, Responder respond) {
                      if (request.target == "/deferred") return owed.add(std::move(respond));
                      respond(answer_with("now"));
                    }));
  ASSERT_TRUE(server.start().ok());
  std::vector<std::thread> clients;
  std::atomic<int> later{0};
  for (std::size_t i = 0; i < kWaiting; ++i) {
    clients.emplace_back([&] {
      auto reply = http_request("127.0.0.1", server.port(), "GET", "/deferred", "", "", 15s);
      if (reply.ok() && reply->status == 200 && json::parse(reply->body)["Answered"] == "later") ++later;
    });
  }
  // All six wait for an answer at once, and the single io thread still answers others meanwhile.
  auto waiting = owed.wait_for(kWaiting);
  auto meanwhile = http_request("127.0.0.1", server.port(), "GET", "/now", "", "", 15s);
  ASSERT_TRUE(meanwhile.ok());
  EXPECT_EQ(json::parse(meanwhile->body)["Answered"], "now");
  // Answered from another thread, as the registration committer does.
  std::thread([&waiting] {
    for (auto& respond : waiting) respond(answer_with("later"));
  }).join();
  waiting.clear();
  for (auto& t : clients) t.join();
  EXPECT_EQ(later.load(), static_cast<int>(kWaiting));
  server.stop();
}

TEST(AsyncHttpServer, AnAnswerOwedWhenTheServerStopsIsWaitedForAndDelivered) {
  OwedAnswers owed;
  HttpServerOptions options;
  options.threads = 1;
  HttpServer server(options, AsyncRequestHandler([&](const ApiRequest&, Responder respond) { owed.add(std::move(respond)); }));
  ASSERT_TRUE(server.start().ok());
  std::uint16_t port = server.port();
  std::optional<Result<HttpReply>> reply;
  std::thread client([&] { reply.emplace(http_request("127.0.0.1", port, "GET", "/x", "", "", 15s)); });
  auto respond = std::move(owed.wait_for(1).front());
  std::thread stopper([&] { server.stop(); });
  // stop() has begun once the listener refuses connections; it now waits for the owed answer.
  for (;;) {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::socket probe(ioc);
    boost::system::error_code ec;
    probe.connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
    if (ec) break;
    std::this_thread::yield();
  }
  respond(answer_with("late"));
  respond(answer_with("twice"));  // a second answer is ignored
  stopper.join();
  client.join();
  ASSERT_TRUE(reply && reply->ok()) << (reply && !reply->ok() ? reply->error().message : "no reply");
  EXPECT_EQ((*reply)->status, 200u);
  EXPECT_EQ(json::parse((*reply)->body)["Answered"], "late");
  EXPECT_EQ((*reply)->header("Connection"), "close");
}

}  // namespace
}  // namespace cortex
