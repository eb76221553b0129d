// SystemdNotifier against a datagram socket the test binds, as systemd would: what arrives, and when.
#include "service/systemd_notify.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>

namespace cortex {
namespace {

using namespace std::chrono_literals;

// A bound AF_UNIX datagram socket: a path in a temp folder, or an abstract name ("@...").
class NotifySocket {
 public:
  explicit NotifySocket(bool abstract) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    EXPECT_GE(fd_, 0);
    std::string unique = "cortexd-notify-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    socklen_t size;
    if (abstract) {
      name_ = "@" + unique;
      std::memcpy(addr.sun_path + 1, unique.data(), unique.size());
      size = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + unique.size());
    } else {
      dir_ = std::filesystem::temp_directory_path() / unique;
      std::filesystem::create_directories(dir_);
      name_ = (dir_ / "notify").string();
      std::memcpy(addr.sun_path, name_.c_str(), name_.size() + 1);
      size = static_cast<socklen_t>(sizeof addr);
    }
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), size), 0) << std::strerror(errno);
  }
  ~NotifySocket() {
    ::close(fd_);
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  const std::string& name() const { return name_; }

  // The next datagram, or nothing within `timeout`.
  std::optional<std::string> receive(std::chrono::milliseconds timeout = 2000ms) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<std::size_t>(n));
  }

 private:
  static inline int counter_ = 0;
  int fd_ = -1;
  std::string name_;
  std::filesystem::path dir_;
};

// Sets the notify variables for one test and restores the previous values.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) ::setenv(name, value, 1);
    else ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(SystemdNotify, ReadyStoppingAndWatchdogArriveOnTheSocketNamedByNotifySocket) {
  NotifySocket socket(false);
  ScopedEnv notify("NOTIFY_SOCKET", socket.name().c_str());
  ScopedEnv usec("WATCHDOG_USEC", "200000");
  ScopedEnv pid("WATCHDOG_PID", std::to_string(::getpid()).c_str());
  SystemdNotifier systemd(NotifySettings::from_environment());
  ASSERT_TRUE(systemd.enabled());
  EXPECT_EQ(systemd.watchdog_interval(), 200000us);

  systemd.ready("listening on 127.0.0.1:8085");
  EXPECT_EQ(socket.receive(), "READY=1\nSTATUS=listening on 127.0.0.1:8085");
  systemd.start_watchdog();
  EXPECT_EQ(socket.receive(), "WATCHDOG=1");
  systemd.stopping("draining");
  EXPECT_EQ(socket.receive(), "STOPPING=1\nSTATUS=draining");
  systemd.stop_watchdog();
}

TEST(SystemdNotify, ReadyAndStoppingAreSentOnce) {
  NotifySocket socket(false);
  SystemdNotifier systemd(NotifySettings{socket.name(), 0us, ""});
  systemd.ready("a");
  systemd.ready("b");
  systemd.stopping("c");
  systemd.stopping("d");
  EXPECT_EQ(socket.receive(), "READY=1\nSTATUS=a");
  EXPECT_EQ(socket.receive(), "STOPPING=1\nSTATUS=c");
  EXPECT_EQ(socket.receive(100ms), std::nullopt);
}

TEST(SystemdNotify, AbstractNamespaceSocketsAreNamedWithAnAt) {
  NotifySocket socket(true);
  SystemdNotifier systemd(NotifySettings{socket.name(), 0us, ""});
  ASSERT_TRUE(systemd.send("READY=1").ok());
  EXPECT_EQ(socket.receive(), "READY=1");
}

TEST(SystemdNotify, ReloadSendsReloadingThenReady) {
  NotifySocket socket(false);
  SystemdNotifier systemd(NotifySettings{socket.name(), 0us, ""});
  systemd.ready("up");
  systemd.reloading("reloading");
  systemd.reloaded("up again");
  EXPECT_EQ(socket.receive(), "READY=1\nSTATUS=up");
  EXPECT_EQ(socket.receive(), "RELOADING=1\nSTATUS=reloading");
  EXPECT_EQ(socket.receive(), "READY=1\nSTATUS=up again");
}

TEST(SystemdNotify, StatusNewlinesCannotStartANewAssignment) {
  NotifySocket socket(false);
  SystemdNotifier systemd(NotifySettings{socket.name(), 0us, ""});
  systemd.status("cannot start: bad\nREADY=1");
  EXPECT_EQ(socket.receive(), "STATUS=cannot start: bad READY=1");
}

TEST(SystemdNotify, WatchdogPingsEveryHalfIntervalUntilStopped) {
  NotifySocket socket(false);
  SystemdNotifier systemd(NotifySettings{socket.name(), 200000us, ""});
  auto start = std::chrono::steady_clock::now();
  systemd.start_watchdog();
  for (int i = 0; i < 4; ++i) EXPECT_EQ(socket.receive(), "WATCHDOG=1") << i;
  auto elapsed = std::chrono::steady_clock::now() - start;
  // The first ping goes at once, then one every 100 ms: three periods for four pings.
  EXPECT_GE(elapsed, 290ms);
  EXPECT_LT(elapsed, 2000ms);
  systemd.stop_watchdog();
  while (socket.receive(10ms)) {
  }
  EXPECT_EQ(socket.receive(300ms), std::nullopt);
}

TEST(SystemdNotify, AnUnhealthyDaemonStopsPinging) {
  NotifySocket socket(false);
  SystemdNotifier systemd(NotifySettings{socket.name(), 100000us, ""});
  std::atomic<bool> healthy{true};
  systemd.start_watchdog([&healthy] { return healthy.load(); });
  EXPECT_EQ(socket.receive(), "WATCHDOG=1");
  healthy = false;
  while (socket.receive(80ms)) {
  }
  EXPECT_EQ(socket.receive(250ms), std::nullopt);
  healthy = true;
  EXPECT_EQ(socket.receive(), "WATCHDOG=1");
}

TEST(SystemdNotify, WatchdogPidOfAnotherProcessTurnsTheWatchdogOff) {
  ScopedEnv notify("NOTIFY_SOCKET", "/run/systemd/notify");
  ScopedEnv usec("WATCHDOG_USEC", "60000000");
  {
    ScopedEnv pid("WATCHDOG_PID", nullptr);
    EXPECT_EQ(NotifySettings::from_environment().watchdog, 60s);
  }
  {
    ScopedEnv pid("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str());
    EXPECT_EQ(NotifySettings::from_environment().watchdog, 0us);
  }
}

TEST(SystemdNotify, BadVariablesAreIgnoredWithAReason) {
  {
    ScopedEnv notify("NOTIFY_SOCKET", "relative/notify");
    ScopedEnv usec("WATCHDOG_USEC", nullptr);
    auto s = NotifySettings::from_environment();
    EXPECT_TRUE(s.socket.empty());
    EXPECT_NE(s.problem.find("NOTIFY_SOCKET"), std::string::npos);
  }
  for (const char* bad : {"0", "-5", "12abc"}) {
    ScopedEnv notify("NOTIFY_SOCKET", "@x");
    ScopedEnv usec("WATCHDOG_USEC", bad);
    auto s = NotifySettings::from_environment();
    EXPECT_EQ(s.watchdog, 0us) << bad;
    EXPECT_NE(s.problem.find("WATCHDOG_USEC"), std::string::npos) << bad;
  }
}

TEST(SystemdNotify, WithoutNotifySocketEverythingIsSilent) {
  ScopedEnv notify("NOTIFY_SOCKET", nullptr);
  ScopedEnv usec("WATCHDOG_USEC", "100000");
  SystemdNotifier systemd(NotifySettings::from_environment());
  EXPECT_FALSE(systemd.enabled());
  EXPECT_TRUE(systemd.send("READY=1").ok());
  systemd.start_watchdog();  // no thread without a socket
  systemd.ready("x");
  systemd.stopping("y");
}

TEST(SystemdNotify, APathTooLongForSockaddrIsAnError) {
  SystemdNotifier systemd(NotifySettings{"/" + std::string(200, 'x'), 0us, ""});
  auto sent = systemd.send("READY=1");
  ASSERT_FALSE(sent.ok());
  EXPECT_NE(sent.error().message.find("too long"), std::string::npos);
}

}  // namespace
}  // namespace cortex
