// HttpServer over real sockets on port 0, with http_request and raw Beast connections as clients.
#include "api/http_server.h"

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "api/http_client.h"

namespace cortex {
namespace {

namespace fs = std::filesystem;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kInteractions = "/sitecore/api/datatools/export/tasks/interactions";
constexpr const char* kJsonType = "application/json; charset=utf-8";

class NullProvider final : public StorageProvider {
 public:
  Status store(const std::string&, std::string_view) override { return Status::OK(); }
  Result<std::vector<std::string>> list() override { return std::vector<std::string>{}; }
  Result<std::string> read(const std::string& name) override { return make_error(ErrorCode::NotFound, name); }
  Status remove(const std::string&) override { return Status::OK(); }
  std::string location() const override { return "nowhere"; }
};

fs::path make_temp_dir() {
  std::string pattern = (fs::temp_directory_path() / "cortex-http-test-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

// One client connection driven by async operations on a private io_context, each bounded by a
// generous deadline so that a broken server fails the test instead of hanging it.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port) {
    stream_.expires_after(10s);
    stream_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }
  beast::error_code write(const std::string& bytes) {
    return run([&](auto done) { net::async_write(stream_, net::buffer(bytes), done); });
  }
  template <typename Body>
  beast::error_code read(http::response<Body>& response) {
    return run([&](auto done) { http::async_read(stream_, buffer_, response, done); });
  }
  beast::error_code read_interim(http::response_parser<http::empty_body>& parser) {
    return run([&](auto done) { http::async_read(stream_, buffer_, parser, done); });
  }
  // Waits for the server to close the connection: eof (or a reset) means it did; timeout means it did not.
  beast::error_code wait_closed(std::chrono::seconds limit) {
    return run([&](auto done) { stream_.async_read_some(net::buffer(scratch_), done); }, limit);
  }

 private:
  template <typename Start>
  beast::error_code run(Start start, std::chrono::seconds limit = 15s) {
    beast::error_code result = net::error::would_block;
    stream_.expires_after(limit);
    start([&result](beast::error_code ec, std::size_t) { result = ec; });
    ioc_.restart();
    ioc_.run();
    return result;
  }

  net::io_context ioc_;
  beast::tcp_stream stream_{ioc_};
  beast::flat_buffer buffer_;
  std::array<char, 256> scratch_{};
};

std::string raw_request(const std::string& method, const std::string& target, const std::string& body = "",
                        const std::string& extra = "") {
  std::string out = method + " " + target + " HTTP/1.1\r\nHost: test\r\n" + extra;
  if (!body.empty() || method == "POST") {
    out += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  return out + "\r\n" + body;
}

class HttpServerTest : public ::testing::Test {
 protected:
  HttpServerTest() : dir_(make_temp_dir()), catalog_(registry_) {
    registry_.add("folder", [](const ProviderSettings&) -> Result<std::unique_ptr<StorageProvider>> {
      return std::unique_ptr<StorageProvider>(std::make_unique<NullProvider>());
    });
    fs::create_directories(dir_ / "profiles");
    std::ofstream(dir_ / "profiles" / "local.yaml") << "name: LocalExports\nprovider: folder\nsettings:\n  path: /tmp/x\n";
    EXPECT_TRUE(catalog_.load_folder((dir_ / "profiles").string()).empty());
    pool_ = std::make_unique<TaskStorePool>((dir_ / "tasks.db").string());
    api_ = std::make_unique<ApiHandler>(*pool_, catalog_, clock_, nullptr);
  }
  ~HttpServerTest() override {
    if (server_) server_->stop();
    server_.reset();
    api_.reset();
    pool_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void start(HttpServerOptions options = {}, RequestHandler handler = nullptr) {
    if (!handler) handler = [this](const ApiRequest& r) { return api_->handle(r); };
    server_ = std::make_unique<HttpServer>(options, std::move(handler));
    auto status = server_->start();
    ASSERT_TRUE(status.ok()) << status.error().message;
    ASSERT_NE(server_->port(), 0);
  }

  HttpReply request(const std::string& method, const std::string& target, const std::string& body = "",
                    const std::string& content_type = "application/json", const HttpHeaders& headers = {}) {
    auto reply = http_request("127.0.0.1", server_->port(), method, target, content_type, body, 15s, headers);
    EXPECT_TRUE(reply.ok()) << (reply.ok() ? "" : reply.error().message);
    return reply.ok() ? reply.value() : HttpReply{};
  }

  std::size_t task_count() {
    auto store = pool_->acquire();
    auto tasks = store.value()->list();
    return tasks.ok() ? tasks.value().size() : 0;
  }

  static void expect_json_error(const HttpReply& reply, unsigned status, const std::string& type) {
    EXPECT_EQ(reply.status, status) << reply.body;
    EXPECT_EQ(reply.header("Content-Type"), kJsonType);
    auto body = json::parse(reply.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << reply.body;
    EXPECT_EQ(body.value("ExceptionType", ""), type);
    EXPECT_TRUE(body["Errors"].is_array());
  }

  fs::path dir_;
  ProviderRegistry registry_;
  ProfileCatalog catalog_;
  SystemClock clock_;
  std::unique_ptr<TaskStorePool> pool_;
  std::unique_ptr<ApiHandler> api_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, RegistersAndReportsProgressOverHttp) {
  start();
  auto registered = request("POST", kInteractions, R"({"StorageProfile":"LocalExports"})");
  ASSERT_EQ(registered.status, 200u) << registered.body;
  EXPECT_EQ(registered.header("Content-Type"), kJsonType);
  std::string id = json::parse(registered.body).at("TaskId");
  auto progress = request("GET", "/sitecore/api/datatools/tasks/" + id + "/progress", "", "");
  ASSERT_EQ(progress.status, 200u) << progress.body;
  EXPECT_EQ(progress.header("Content-Type"), kJsonType);
  EXPECT_EQ(json::parse(progress.body).at("Id"), id);
  expect_json_error(request("GET", "/nowhere", "", ""), 404, "NotFound");
  auto wrong = request("DELETE", kInteractions, "", "");
  expect_json_error(wrong, 405, "MethodNotAllowed");
  EXPECT_EQ(wrong.header("Allow"), "POST");
}

TEST_F(HttpServerTest, KeepsTheConnectionAliveBetweenRequests) {
  start();
  RawConnection connection(server_->port());
  ASSERT_FALSE(connection.write(raw_request("POST", kInteractions, R"({"StorageProfile":"LocalExports"})")));
  http::response<http::string_body> first;
  ASSERT_FALSE(connection.read(first));
  EXPECT_EQ(first.result_int(), 200) << first.body();
  EXPECT_TRUE(first.keep_alive());
  std::string id = json::parse(first.body()).at("TaskId");
  ASSERT_FALSE(connection.write(raw_request("GET", "/sitecore/api/datatools/tasks/" + id + "/progress")));
  http::response<http::string_body> second;
  ASSERT_FALSE(connection.read(second)) << "the second request is answered on the same connection";
  EXPECT_EQ(second.result_int(), 200) << second.body();
  EXPECT_EQ(json::parse(second.body()).at("Id"), id);
}

TEST_F(HttpServerTest, RefusesBodyOverTheLimitWith413) {
  start();
  std::string body = R"({"StorageProfile":")" + std::string(70 * 1024, 'a') + "\"}";
  auto reply = request("POST", kInteractions, body);
  expect_json_error(reply, 413, "PayloadTooLarge");
  EXPECT_EQ(task_count(), 0u);
  // The limit is on the body: one just under it is read and validated.
  std::string fits = R"({"StorageProfile":"LocalExports","x":")" + std::string(60 * 1024, 'a') + "\"}";
  expect_json_error(request("POST", kInteractions, fits), 400, "ModelValidationException");
}

TEST_F(HttpServerTest, RefusesTextPlainWith415) {
  start();
  expect_json_error(request("POST", kInteractions, "StorageProfile=LocalExports", "text/plain"), 415,
                    "UnsupportedMediaType");
  EXPECT_EQ(task_count(), 0u);
}

TEST_F(HttpServerTest, AnswersOversizedHeadersWith431) {
  start();
  auto reply = request("GET", "/sitecore/api/datatools/tasks/x/progress", "", "", {{"X-Padding", std::string(10 * 1024, 'p')}});
  expect_json_error(reply, 431, "RequestHeaderFieldsTooLarge");
}

TEST_F(HttpServerTest, AnswersMalformedRequestWith400) {
  start();
  RawConnection connection(server_->port());
  ASSERT_FALSE(connection.write("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: nope\r\n\r\n"));
  http::response<http::string_body> response;
  ASSERT_FALSE(connection.read(response));
  EXPECT_EQ(response.result_int(), 400);
  EXPECT_EQ(json::parse(response.body()).at("ExceptionType"), "BadRequest");
  EXPECT_FALSE(response.keep_alive());
}

TEST_F(HttpServerTest, TheServersOwnAnswersAreToldToItsObserver) {
  std::mutex mutex;
  std::vector<unsigned> told;
  HttpServerOptions options;
  options.on_server_answer = [&](unsigned status) {
    std::lock_guard lock(mutex);
    told.push_back(status);
  };
  start(options);
  expect_json_error(request("POST", kInteractions, R"({"StorageProfile":")" + std::string(70 * 1024, 'a') + "\"}"),
                    413, "PayloadTooLarge");
  expect_json_error(request("GET", "/x", "", "", {{"X-Padding", std::string(10 * 1024, 'p')}}), 431,
                    "RequestHeaderFieldsTooLarge");
  {
    RawConnection connection(server_->port());
    ASSERT_FALSE(connection.write("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: nope\r\n\r\n"));
    http::response<http::string_body> response;
    ASSERT_FALSE(connection.read(response));
    EXPECT_EQ(response.result_int(), 400);
  }
  EXPECT_EQ(request("GET", "/sitecore/api/datatools/tasks/x/progress", "", "").status, 404u);  // the handler's own
  std::lock_guard lock(mutex);
  EXPECT_EQ(told, (std::vector<unsigned>{413, 431, 400}));
}

TEST_F(HttpServerTest, DropsASilentClientAfterTheReadTimeoutWhileServingOthers) {
  HttpServerOptions options;
  options.read_timeout = 1s;
  start(options);
  RawConnection silent(server_->port());
  RawConnection partial(server_->port());
  ASSERT_FALSE(partial.write("GET /sitecore/api/datatools/tasks/x/progress HTTP/1.1\r\nHost: t\r\n"));
  EXPECT_EQ(request("POST", kInteractions, R"({"StorageProfile":"LocalExports"})").status, 200u);
  auto silent_end = silent.wait_closed(20s);
  EXPECT_NE(silent_end, beast::error::timeout) << "the server should have closed the silent connection";
  EXPECT_TRUE(silent_end == net::error::eof || silent_end == net::error::connection_reset) << silent_end.message();
  auto partial_end = partial.wait_closed(20s);
  EXPECT_TRUE(partial_end == net::error::eof || partial_end == net::error::connection_reset) << partial_end.message();
  EXPECT_EQ(request("POST", kInteractions, R"({"StorageProfile":"LocalExports"})").status, 200u);
}

TEST_F(HttpServerTest, AnswersBeyondMaxConnectionsWith503) {
  HttpServerOptions options;
  options.max_connections = 1;
  start(options);
  {
    RawConnection held(server_->port());
    ASSERT_FALSE(held.write(raw_request("GET", "/sitecore/api/datatools/tasks/x/progress")));
    http::response<http::string_body> response;
    ASSERT_FALSE(held.read(response));  // now certainly accepted and counted
    expect_json_error(request("GET", "/sitecore/api/datatools/tasks/x/progress", "", ""), 503, "ServiceUnavailable");
  }
  // The held connection is gone; its slot frees as soon as the server notices.
  unsigned status = 0;
  for (int i = 0; i < 100 && status != 404; ++i) {
    status = request("GET", "/sitecore/api/datatools/tasks/x/progress", "", "").status;
    if (status != 404) std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(status, 404u);
}

TEST_F(HttpServerTest, AnswersExpectContinueBeforeTheBody) {
  start();
  std::string body = R"({"StorageProfile":"LocalExports"})";
  RawConnection connection(server_->port());
  ASSERT_FALSE(connection.write("POST " + std::string(kInteractions) +
                                " HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
                                "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n"));
  http::response_parser<http::empty_body> interim;
  ASSERT_FALSE(connection.read_interim(interim));
  EXPECT_EQ(interim.get().result_int(), 100);
  ASSERT_FALSE(connection.write(body));
  http::response<http::string_body> response;
  ASSERT_FALSE(connection.read(response));
  EXPECT_EQ(response.result_int(), 200) << response.body();
}

TEST_F(HttpServerTest, StopLetsARequestInFlightFinishAndClosesIdleConnections) {
  std::promise<void> entered;
  std::atomic<bool> entered_once{false};
  start({}, [&](const ApiRequest&) {
    if (!entered_once.exchange(true)) entered.set_value();
    std::this_thread::sleep_for(300ms);
    ApiResponse response;
    response.body = {{"Done", true}};
    return response;
  });
  std::uint16_t port = server_->port();
  RawConnection idle(port);
  auto in_flight = std::async(std::launch::async, [port] {
    return http_request("127.0.0.1", port, "GET", "/slow", "", "", 15s);
  });
  ASSERT_EQ(entered.get_future().wait_for(15s), std::future_status::ready);
  server_->stop();
  auto reply = in_flight.get();
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(reply.value().status, 200u);
  EXPECT_EQ(reply.value().header("Connection"), "close");
  auto idle_end = idle.wait_closed(15s);
  EXPECT_NE(idle_end, beast::error::timeout);
  auto after = http_request("127.0.0.1", port, "GET", "/slow", "", "", 5s);
  EXPECT_FALSE(after.ok()) << "nothing listens after stop";
  server_->stop();  // idempotent
}

TEST_F(HttpServerTest, BindFailureNamesTheAddress) {
  start();
  HttpServerOptions same;
  same.port = server_->port();
  HttpServer second(same, [](const ApiRequest&) { return ApiResponse{}; });
  auto status = second.start();
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("127.0.0.1:" + std::to_string(server_->port())), std::string::npos)
      << status.error().message;

  HttpServerOptions bad;
  bad.address = "not-an-address";
  HttpServer third(bad, [](const ApiRequest&) { return ApiResponse{}; });
  auto bad_status = third.start();
  ASSERT_FALSE(bad_status.ok());
  EXPECT_NE(bad_status.error().message.find("not-an-address"), std::string::npos);
}

TEST_F(HttpServerTest, ThrowingHandlerIsA500) {
  start({}, [](const ApiRequest&) -> ApiResponse { throw std::runtime_error("secret detail"); });
  auto reply = request("GET", "/x", "", "");
  expect_json_error(reply, 500, "InternalServerError");
  EXPECT_EQ(reply.body.find("secret"), std::string::npos);
}

TEST(HttpClient, ReportsAnUnreachableServer) {
  // Bind and close a port so that (almost certainly) nothing listens on it.
  net::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  std::uint16_t port = acceptor.local_endpoint().port();
  acceptor.close();
  auto reply = http_request("127.0.0.1", port, "GET", "/", "", "", 5s);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, ErrorCode::Unavailable);
  EXPECT_NE(reply.error().message.find("127.0.0.1:" + std::to_string(port)), std::string::npos);
}

}  // namespace
}  // namespace cortex
