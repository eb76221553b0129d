// AzuriteProcess: the Azurite blob emulator started by a test on a free loopback port in a temp folder.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "azure-blob/connection_string.h"
#include "temp_dir.h"

extern char** environ;

namespace cortex::testing {

class AzuriteProcess {
 public:
  static std::string binary() { return std::string(CORTEXD_SOURCE_DIR) + "/.tools/node/node_modules/.bin/azurite-blob"; }
  static bool installed() { return ::access(binary().c_str(), X_OK) == 0; }
  static std::string missing_message() {
    return "Azurite is not installed at " + binary() + " (run bash tests/tools/install-azurite.sh)";
  }

  AzuriteProcess() = default;
  ~AzuriteProcess() { stop(); }
  AzuriteProcess(const AzuriteProcess&) = delete;
  AzuriteProcess& operator=(const AzuriteProcess&) = delete;

  // Starts on a free port (or the given one, to restart on the same port and data), and waits until it
  // accepts connections. Returns an empty string on success, else what went wrong.
  // `extra` are more Azurite options (--cert and --key for HTTPS).
  std::string start(std::uint16_t port = 0, const std::vector<std::string>& extra = {}) {
    if (port == 0) port = free_port();
    port_ = port;
    std::string data = (dir_.path() / "data").string();
    std::filesystem::create_directories(data);
    std::string log = (dir_.path() / "azurite.log").string();
    std::string port_text = std::to_string(port_);
    std::vector<std::string> args{binary(), "--blobHost", "127.0.0.1", "--blobPort", port_text, "--location", data,
                                  "--disableTelemetry", "--silent"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      pid_ = -1;
      return "cannot start " + binary() + ": " + std::strerror(rc);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      if (accepts_connections()) return {};
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return "azurite exited at start-up (see " + log + ")";
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    stop();
    return "azurite did not answer on port " + port_text + " within 30 s";
  }

  // SIGTERM (Azurite saves its metadata and exits), then SIGKILL if it lingers. Only our own pid.
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  std::uint16_t port() const { return port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_) + "/devstoreaccount1"; }
  std::string connection_string(std::string_view key = providers::azure::kDevelopmentKey) const {
    return "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + std::string(key) +
           ";BlobEndpoint=" + endpoint() + ";";
  }

  static std::uint16_t free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
  }

 private:
  bool accepts_connections() const {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port_);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
  }

  TempDir dir_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace cortex::testing

// In CI a missing emulator is a failure; in a plain clone the test says why it skipped.
#define CORTEX_REQUIRE_AZURITE()                                                                  \
  do {                                                                                            \
    if (!::cortex::testing::AzuriteProcess::installed()) {                                        \
      if (std::getenv("CI")) FAIL() << ::cortex::testing::AzuriteProcess::missing_message();      \
      GTEST_SKIP() << ::cortex::testing::AzuriteProcess::missing_message();                       \
    }                                                                                             \
  } while (0)
