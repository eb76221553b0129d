// HttpServer over TLS on port 0, with certificates from a throw-away CA made by the openssl command.
#include "api/http_server.h"

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "api/http_client.h"

namespace cortex {
namespace {

namespace fs = std::filesystem;
namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kInteractions = "/sitecore/api/datatools/export/tasks/interactions";
constexpr const char* kRegisterBody = R"({"StorageProfile":"LocalExports"})";

class NullProvider final : public StorageProvider {
 public:
  Status store(const std::string&, std::string_view) override { return Status::OK(); }
  Result<std::vector<std::string>> list() override { return std::vector<std::string>{}; }
  Result<std::string> read(const std::string& name) override { return make_error(ErrorCode::NotFound, name); }
  Status remove(const std::string&) override { return Status::OK(); }
  std::string location() const override { return "nowhere"; }
};

fs::path make_temp_dir(const char* prefix) {
  std::string pattern = (fs::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

// Extension sections for the throw-away PKI; its own config so that the system's openssl.cnf does not matter.
constexpr const char* kOpensslConfig = R"([req]
distinguished_name = dn
prompt = no
[dn]
CN = placeholder
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[server]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[elsewhere]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:elsewhere.example
[client]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
)";

// The throw-away PKI, made once per test process:
//   root CA -> intermediate CA -> server (127.0.0.1, localhost) and "elsewhere" (another name);
//   root CA -> client; an unrelated CA -> other client; plus stray keys that match nothing.
struct Pki {
  fs::path dir;
  std::string log;
  bool ok = false;

  std::string file(const std::string& name) const { return (dir / name).string(); }

  bool run(const std::string& command) {
    std::string full = "cd '" + dir.string() + "' && ( " + command + " ) >>openssl.log 2>&1";
    if (std::system(full.c_str()) == 0) return true;
    log = "failed: " + command + "\n" + read_text(dir / "openssl.log");
    return false;
  }
  bool key(const std::string& name) {
    return run("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " + name + ".key");
  }
  bool ca(const std::string& name, const std::string& subject) {
    return key(name) && run("openssl req -config openssl.cnf -new -x509 -days 2 -key " + name + ".key -subj '/CN=" +
                            subject + "' -extensions ca -out " + name + ".pem");
  }
  bool issue(const std::string& name, const std::string& subject, const std::string& issuer,
             const std::string& section, int serial) {
    return key(name) &&
           run("openssl req -config openssl.cnf -new -key " + name + ".key -subj '/CN=" + subject + "' -out " + name +
               ".csr") &&
           run("openssl x509 -req -in " + name + ".csr -CA " + issuer + ".pem -CAkey " + issuer + ".key -set_serial " +
               std::to_string(serial) + " -days 2 -extfile openssl.cnf -extensions " + section + " -out " + name + ".pem");
  }

  void make() {
    dir = make_temp_dir("cortex-tls-test");
    std::ofstream(dir / "openssl.cnf") << kOpensslConfig;
    ok = run("openssl version") && ca("root", "cortexd test root CA") &&
         issue("intermediate", "cortexd test intermediate CA", "root", "ca", 2) &&
         issue("server", "localhost", "intermediate", "server", 3) &&
         issue("elsewhere", "elsewhere.example", "intermediate", "elsewhere", 4) &&
         issue("client", "cortexd test client", "root", "client", 5) && ca("other-ca", "unrelated test CA") &&
         issue("other-client", "unrelated client", "other-ca", "client", 6) && key("stray") &&
         run("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out stray-rsa.key") &&
         run("openssl pkey -in server.key -aes256 -passout pass:secret -out server-encrypted.key") &&
         run("cat server.pem intermediate.pem > server-chain.pem") &&
         run("cat elsewhere.pem intermediate.pem > elsewhere-chain.pem");
    std::ofstream(dir / "garbage.pem") << "this is not a certificate\n";
  }
};

Pki& pki() {
  static Pki instance;
  return instance;
}

// A TLS client connection whose TLS context the test shapes; every step is bounded by a deadline.
class TlsConnection {
 public:
  TlsConnection(std::uint16_t port, ssl::context& context) : stream_(ioc_, context) {
    beast::get_lowest_layer(stream_).expires_after(10s);
    beast::get_lowest_layer(stream_).connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }
  beast::error_code handshake() {
    return run([&](auto done) { stream_.async_handshake(ssl::stream_base::client, [done](beast::error_code ec) { done(ec, 0); }); });
  }
  beast::error_code write(const std::string& bytes) {
    return run([&](auto done) { net::async_write(stream_, net::buffer(bytes), done); });
  }
  beast::error_code read(http::response<http::string_body>& response) {
    return run([&](auto done) { http::async_read(stream_, buffer_, response, done); });
  }
  beast::error_code wait_closed(std::chrono::seconds limit) {
    return run([&](auto done) { stream_.async_read_some(net::buffer(scratch_), done); }, limit);
  }
  std::string version() { return SSL_get_version(stream_.native_handle()); }

 private:
  template <typename Start>
  beast::error_code run(Start start, std::chrono::seconds limit = 15s) {
    beast::error_code result = net::error::would_block;
    beast::get_lowest_layer(stream_).expires_after(limit);
    start([&result](beast::error_code ec, std::size_t) { result = ec; });
    ioc_.restart();
    ioc_.run();
    return result;
  }

  net::io_context ioc_;
  beast::ssl_stream<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  std::array<char, 256> scratch_{};
};

// A plain TCP connection that never speaks TLS (or only starts to).
class TcpConnection {
 public:
  explicit TcpConnection(std::uint16_t port) {
    stream_.expires_after(10s);
    stream_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }
  void write(const std::string& bytes) { net::write(stream_.socket(), net::buffer(bytes)); }
  beast::error_code wait_closed(std::chrono::seconds limit) {
    beast::error_code result = net::error::would_block;
    stream_.expires_after(limit);
    stream_.async_read_some(net::buffer(scratch_), [&result](beast::error_code ec, std::size_t) { result = ec; });
    ioc_.restart();
    ioc_.run();
    return result;
  }

 private:
  net::io_context ioc_;
  beast::tcp_stream stream_{ioc_};
  std::array<char, 256> scratch_{};
};

// A client context trusting the test root, optionally pinned to one protocol version range.
std::unique_ptr<ssl::context> client_context(int min_version = 0, int max_version = 0) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
  SSL_CTX* ctx = context->native_handle();
  if (min_version) SSL_CTX_set_min_proto_version(ctx, min_version);
  if (max_version) SSL_CTX_set_max_proto_version(ctx, max_version);
  // OpenSSL 3 refuses TLS 1.0/1.1 itself at the default security level: lower it so that the
  // old hello really reaches the server and the refusal is the server's.
  if (max_version && max_version < TLS1_2_VERSION) SSL_CTX_set_security_level(ctx, 0);
  context->load_verify_file(pki().file("root.pem"));
  context->set_verify_mode(ssl::verify_peer);
  return context;
}

std::string raw_request(const std::string& method, const std::string& target, const std::string& body = "") {
  std::string out = method + " " + target + " HTTP/1.1\r\nHost: test\r\n";
  if (!body.empty() || method == "POST") {
    out += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  return out + "\r\n" + body;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

class HttpServerTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (pki().dir.empty()) pki().make();
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    if (!pki().dir.empty()) fs::remove_all(pki().dir, ec);
    pki() = Pki{};
  }

  HttpServerTlsTest() : dir_(make_temp_dir("cortex-tls-server")), catalog_(registry_) {
    registry_.add("folder", [](const ProviderSettings&) -> Result<std::unique_ptr<StorageProvider>> {
      return std::unique_ptr<StorageProvider>(std::make_unique<NullProvider>());
    });
    fs::create_directories(dir_ / "profiles");
    std::ofstream(dir_ / "profiles" / "local.yaml") << "name: LocalExports\nprovider: folder\nsettings:\n  path: /tmp/x\n";
    EXPECT_TRUE(catalog_.load_folder((dir_ / "profiles").string()).empty());
    pool_ = std::make_unique<TaskStorePool>((dir_ / "tasks.db").string());
    api_ = std::make_unique<ApiHandler>(*pool_, catalog_, clock_, nullptr);
  }
  ~HttpServerTlsTest() override {
    if (server_) server_->stop();
    server_.reset();
    api_.reset();
    pool_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void SetUp() override { ASSERT_TRUE(pki().ok) << "the openssl command could not make the test PKI:\n" << pki().log; }

  static HttpServerOptions tls_options() {
    HttpServerOptions options;
    options.tls_certificate_file = pki().file("server-chain.pem");
    options.tls_private_key_file = pki().file("server.key");
    return options;
  }

  static HttpTlsOptions trusting_root() {
    HttpTlsOptions tls;
    tls.ca_file = pki().file("root.pem");
    return tls;
  }

  void start(HttpServerOptions options, RequestHandler handler = nullptr) {
    if (!handler) {
      handler = [this](const ApiRequest& r) {
        ++handled_;
        return api_->handle(r);
      };
    }
    server_ = std::make_unique<HttpServer>(options, std::move(handler));
    auto status = server_->start();
    ASSERT_TRUE(status.ok()) << status.error().message;
    ASSERT_NE(server_->port(), 0);
  }

  Result<HttpReply> call(const std::string& method, const std::string& target, const std::string& body,
                         const std::optional<HttpTlsOptions>& tls, const std::string& host = "127.0.0.1",
                         const HttpHeaders& headers = {}) {
    return http_request(host, server_->port(), method, target, body.empty() ? "" : "application/json", body, 15s,
                        headers, tls);
  }

  Status start_error(HttpServerOptions options) {
    HttpServer server(std::move(options), [](const ApiRequest&) { return ApiResponse{}; });
    return server.start();
  }

  std::size_t task_count() {
    auto store = pool_->acquire();
    auto tasks = store.value()->list();
    return tasks.ok() ? tasks.value().size() : 0;
  }

  fs::path dir_;
  ProviderRegistry registry_;
  ProfileCatalog catalog_;
  SystemClock clock_;
  std::unique_ptr<TaskStorePool> pool_;
  std::unique_ptr<ApiHandler> api_;
  std::unique_ptr<HttpServer> server_;
  std::atomic<int> handled_{0};
};

TEST_F(HttpServerTlsTest, RegistersAndReportsProgressOverTls) {
  start(tls_options());
  EXPECT_TRUE(server_->tls());
  auto registered = call("POST", kInteractions, kRegisterBody, trusting_root());
  ASSERT_TRUE(registered.ok()) << registered.error().message;
  ASSERT_EQ(registered->status, 200u) << registered->body;
  std::string id = json::parse(registered->body).at("TaskId");
  // By DNS name this time: the certificate names both.
  auto progress = call("GET", "/sitecore/api/datatools/tasks/" + id + "/progress", "", trusting_root(), "localhost");
  ASSERT_TRUE(progress.ok()) << progress.error().message;
  ASSERT_EQ(progress->status, 200u) << progress->body;
  EXPECT_EQ(json::parse(progress->body).at("Id"), id);
}

TEST_F(HttpServerTlsTest, PlainServerReportsNoTls) {
  start(HttpServerOptions{});
  EXPECT_FALSE(server_->tls());
  auto reply = call("POST", kInteractions, kRegisterBody, std::nullopt);
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(reply->status, 200u);
}

TEST_F(HttpServerTlsTest, KeepsTheTlsConnectionAliveBetweenRequests) {
  start(tls_options());
  auto context = client_context();
  TlsConnection connection(server_->port(), *context);
  ASSERT_FALSE(connection.handshake());
  ASSERT_FALSE(connection.write(raw_request("POST", kInteractions, kRegisterBody)));
  http::response<http::string_body> first;
  ASSERT_FALSE(connection.read(first));
  EXPECT_EQ(first.result_int(), 200) << first.body();
  EXPECT_TRUE(first.keep_alive());
  std::string id = json::parse(first.body()).at("TaskId");
  ASSERT_FALSE(connection.write(raw_request("GET", "/sitecore/api/datatools/tasks/" + id + "/progress")));
  http::response<http::string_body> second;
  ASSERT_FALSE(connection.read(second)) << "the second request is answered on the same TLS connection";
  EXPECT_EQ(second.result_int(), 200) << second.body();
  EXPECT_EQ(json::parse(second.body()).at("Id"), id);
}

TEST_F(HttpServerTlsTest, ClientNotTrustingTheCaFails) {
  start(tls_options());
  HttpTlsOptions other;
  other.ca_file = pki().file("other-ca.pem");
  auto reply = call("POST", kInteractions, kRegisterBody, other);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, ErrorCode::IOError);
  EXPECT_TRUE(contains(reply.error().message, "not trusted")) << reply.error().message;
  // The system's trust store does not know the throw-away CA either.
  auto system = call("POST", kInteractions, kRegisterBody, HttpTlsOptions{});
  EXPECT_FALSE(system.ok());
  EXPECT_EQ(handled_, 0);
  EXPECT_EQ(task_count(), 0u);
}

TEST_F(HttpServerTlsTest, ClientChecksTheHostNameUnlessToldNot) {
  auto options = tls_options();
  options.tls_certificate_file = pki().file("elsewhere-chain.pem");
  options.tls_private_key_file = pki().file("elsewhere.key");
  start(options);
  auto reply = call("GET", "/nowhere", "", trusting_root());
  ASSERT_FALSE(reply.ok());
  EXPECT_TRUE(contains(reply.error().message, "mismatch")) << reply.error().message;
  auto unchecked = trusting_root();
  unchecked.verify_host_name = false;
  auto relaxed = call("GET", "/nowhere", "", unchecked);
  ASSERT_TRUE(relaxed.ok()) << relaxed.error().message;
  EXPECT_EQ(relaxed->status, 404u);
}

TEST_F(HttpServerTlsTest, PlainHttpClientOnTheTlsPortGetsNoAnswer) {
  start(tls_options());
  auto reply = http_request("127.0.0.1", server_->port(), "GET", "/nowhere", "", "", 10s);
  EXPECT_FALSE(reply.ok());
  EXPECT_EQ(handled_, 0);
}

TEST_F(HttpServerTlsTest, RefusesATls11OnlyClientAndAcceptsTls12) {
  start(tls_options());
  auto old = client_context(TLS1_1_VERSION, TLS1_1_VERSION);
  TlsConnection refused(server_->port(), *old);
  auto ec = refused.handshake();
  ASSERT_TRUE(ec) << "a TLS 1.1 handshake must fail";
  // The server's protocol_version alert, not a local refusal to send the hello.
  EXPECT_TRUE(contains(ec.message(), "protocol version")) << ec.message();

  auto tls12 = client_context(TLS1_2_VERSION, TLS1_2_VERSION);
  TlsConnection accepted(server_->port(), *tls12);
  ASSERT_FALSE(accepted.handshake());
  EXPECT_EQ(accepted.version(), "TLSv1.2");
  ASSERT_FALSE(accepted.write(raw_request("GET", "/nowhere")));
  http::response<http::string_body> response;
  ASSERT_FALSE(accepted.read(response));
  EXPECT_EQ(response.result_int(), 404);
  EXPECT_EQ(handled_, 1);
}

TEST_F(HttpServerTlsTest, RequiresAClientCertificateFromTheConfiguredCa) {
  auto options = tls_options();
  options.tls_client_ca_file = pki().file("root.pem");
  start(options);

  auto anonymous = call("POST", kInteractions, kRegisterBody, trusting_root());
  EXPECT_FALSE(anonymous.ok()) << "no client certificate: the handshake fails";

  auto unrelated = trusting_root();
  unrelated.certificate_file = pki().file("other-client.pem");
  unrelated.private_key_file = pki().file("other-client.key");
  auto refused = call("POST", kInteractions, kRegisterBody, unrelated);
  EXPECT_FALSE(refused.ok()) << "a client certificate from another CA: the handshake fails";
  EXPECT_EQ(handled_, 0);
  EXPECT_EQ(task_count(), 0u);

  auto good = trusting_root();
  good.certificate_file = pki().file("client.pem");
  good.private_key_file = pki().file("client.key");
  auto accepted = call("POST", kInteractions, kRegisterBody, good);
  ASSERT_TRUE(accepted.ok()) << accepted.error().message;
  EXPECT_EQ(accepted->status, 200u) << accepted->body;
  EXPECT_EQ(task_count(), 1u);

  // A raw TLS 1.2 client without a certificate fails in the handshake itself (TLS 1.3 reports it on the first read).
  auto tls12 = client_context(TLS1_2_VERSION, TLS1_2_VERSION);
  TlsConnection raw(server_->port(), *tls12);
  EXPECT_TRUE(raw.handshake());
}

TEST_F(HttpServerTlsTest, StartNamesAMissingOrMismatchedFile) {
  auto missing_key = tls_options();
  missing_key.tls_private_key_file = (dir_ / "absent.key").string();
  auto status = start_error(missing_key);
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(contains(status.error().message, missing_key.tls_private_key_file)) << status.error().message;
  EXPECT_TRUE(contains(status.error().message, "No such file")) << status.error().message;

  auto missing_cert = tls_options();
  missing_cert.tls_certificate_file = (dir_ / "absent.pem").string();
  status = start_error(missing_cert);
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(contains(status.error().message, missing_cert.tls_certificate_file)) << status.error().message;

  for (const char* key : {"stray.key", "stray-rsa.key"}) {
    auto mismatched = tls_options();
    mismatched.tls_private_key_file = pki().file(key);
    status = start_error(mismatched);
    ASSERT_FALSE(status.ok()) << key;
    EXPECT_TRUE(contains(status.error().message, mismatched.tls_private_key_file)) << status.error().message;
    EXPECT_TRUE(contains(status.error().message, "does not match")) << status.error().message;
  }

  auto encrypted = tls_options();
  encrypted.tls_private_key_file = pki().file("server-encrypted.key");
  status = start_error(encrypted);  // refused, not a passphrase prompt
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(contains(status.error().message, encrypted.tls_private_key_file)) << status.error().message;
  EXPECT_TRUE(contains(status.error().message, "encrypted")) << status.error().message;

  auto garbage = tls_options();
  garbage.tls_certificate_file = pki().file("garbage.pem");
  status = start_error(garbage);
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(contains(status.error().message, garbage.tls_certificate_file)) << status.error().message;
  EXPECT_TRUE(contains(status.error().message, "no start line")) << "the OpenSSL reason: " << status.error().message;

  auto missing_ca = tls_options();
  missing_ca.tls_client_ca_file = (dir_ / "absent-ca.pem").string();
  status = start_error(missing_ca);
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(contains(status.error().message, missing_ca.tls_client_ca_file)) << status.error().message;

  auto no_key = tls_options();
  no_key.tls_private_key_file.clear();
  EXPECT_FALSE(start_error(no_key).ok());
  HttpServerOptions key_without_certificate;
  key_without_certificate.tls_private_key_file = pki().file("server.key");
  EXPECT_FALSE(start_error(key_without_certificate).ok());
}

TEST_F(HttpServerTlsTest, DropsAClientThatNeverHandshakesAfterTheReadTimeout) {
  auto options = tls_options();
  options.read_timeout = 1s;
  start(options);
  auto began = std::chrono::steady_clock::now();
  TcpConnection silent(server_->port());
  TcpConnection partial(server_->port());
  partial.write(std::string("\x16\x03\x01", 3));  // the start of a TLS record header, then nothing
  auto context = client_context();
  TlsConnection idle(server_->port(), *context);  // handshakes, then sends no request
  ASSERT_FALSE(idle.handshake());
  // The others are served meanwhile.
  auto served = call("POST", kInteractions, kRegisterBody, trusting_root());
  ASSERT_TRUE(served.ok()) << served.error().message;
  EXPECT_EQ(served->status, 200u);

  auto silent_end = silent.wait_closed(20s);
  EXPECT_NE(silent_end, beast::error::timeout) << "the server should have closed the silent connection";
  EXPECT_TRUE(silent_end == net::error::eof || silent_end == net::error::connection_reset) << silent_end.message();
  EXPECT_GE(std::chrono::steady_clock::now() - began, 900ms) << "dropped by the timeout, not at once";
  auto partial_end = partial.wait_closed(20s);
  EXPECT_TRUE(partial_end == net::error::eof || partial_end == net::error::connection_reset) << partial_end.message();
  EXPECT_NE(idle.wait_closed(20s), beast::error::timeout);

  auto after = call("POST", kInteractions, kRegisterBody, trusting_root());
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_EQ(after->status, 200u);
}

TEST_F(HttpServerTlsTest, LimitsApplyOverTls) {
  start(tls_options());
  std::string body = R"({"StorageProfile":")" + std::string(70 * 1024, 'a') + "\"}";
  auto large = call("POST", kInteractions, body, trusting_root());
  ASSERT_TRUE(large.ok()) << large.error().message;
  EXPECT_EQ(large->status, 413u) << large->body;
  EXPECT_EQ(json::parse(large->body).at("ExceptionType"), "PayloadTooLarge");
  auto headers = call("GET", "/sitecore/api/datatools/tasks/x/progress", "", trusting_root(), "127.0.0.1",
                      {{"X-Padding", std::string(10 * 1024, 'p')}});
  ASSERT_TRUE(headers.ok()) << headers.error().message;
  EXPECT_EQ(headers->status, 431u) << headers->body;
  EXPECT_EQ(task_count(), 0u);
}

TEST_F(HttpServerTlsTest, AnswersBeyondMaxConnectionsWith503OverTls) {
  auto options = tls_options();
  options.max_connections = 1;
  start(options);
  auto context = client_context();
  {
    TlsConnection held(server_->port(), *context);
    ASSERT_FALSE(held.handshake());
    ASSERT_FALSE(held.write(raw_request("GET", "/sitecore/api/datatools/tasks/x/progress")));
    http::response<http::string_body> response;
    ASSERT_FALSE(held.read(response));
    auto refused = call("GET", "/sitecore/api/datatools/tasks/x/progress", "", trusting_root());
    ASSERT_TRUE(refused.ok()) << refused.error().message;
    EXPECT_EQ(refused->status, 503u);
  }
  unsigned status = 0;
  for (int i = 0; i < 100 && status != 404; ++i) {
    auto reply = call("GET", "/sitecore/api/datatools/tasks/x/progress", "", trusting_root());
    status = reply.ok() ? reply->status : 0;
    if (status != 404) std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(status, 404u);
}

TEST_F(HttpServerTlsTest, StopLetsATlsRequestInFlightFinishAndClosesIdleConnections) {
  std::promise<void> entered;
  std::atomic<bool> entered_once{false};
  start(tls_options(), [&](const ApiRequest&) {
    if (!entered_once.exchange(true)) entered.set_value();
    std::this_thread::sleep_for(300ms);
    ApiResponse response;
    response.body = {{"Done", true}};
    return response;
  });
  std::uint16_t port = server_->port();
  auto context = client_context();
  TlsConnection idle(port, *context);
  ASSERT_FALSE(idle.handshake());
  auto tls = trusting_root();
  auto in_flight = std::async(std::launch::async, [port, tls] {
    return http_request("127.0.0.1", port, "GET", "/slow", "", "", 15s, {}, tls);
  });
  ASSERT_EQ(entered.get_future().wait_for(15s), std::future_status::ready);
  auto stop_began = std::chrono::steady_clock::now();
  server_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - stop_began, 5s);
  auto reply = in_flight.get();
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(reply.value().status, 200u);
  EXPECT_EQ(reply.value().header("Connection"), "close");
  EXPECT_NE(idle.wait_closed(15s), beast::error::timeout);
  EXPECT_FALSE(http_request("127.0.0.1", port, "GET", "/slow", "", "", 5s, {}, tls).ok()) << "nothing listens after stop";
}

TEST_F(HttpServerTlsTest, ClientReportsUnusableTlsFiles) {
  start(tls_options());
  HttpTlsOptions missing;
  missing.ca_file = (dir_ / "absent-ca.pem").string();
  auto reply = call("GET", "/nowhere", "", missing);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, ErrorCode::InvalidArgument);
  EXPECT_TRUE(contains(reply.error().message, missing.ca_file)) << reply.error().message;
  auto mismatched = trusting_root();
  mismatched.certificate_file = pki().file("client.pem");
  mismatched.private_key_file = pki().file("stray.key");
  reply = call("GET", "/nowhere", "", mismatched);
  ASSERT_FALSE(reply.ok());
  EXPECT_TRUE(contains(reply.error().message, mismatched.private_key_file)) << reply.error().message;
}

}  // namespace
}  // namespace cortex
