// The notify datagrams and the watchdog thread.
#include "service/systemd_notify.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace cortex {
namespace {

bool parse_unsigned(const char* text, unsigned long long& out) {
  if (!text || !*text) return false;
  const char* end = text + std::strlen(text);
  auto [ptr, ec] = std::from_chars(text, end, out);
  return ec == std::errc() && ptr == end;
}

// sockaddr_un for "/path" or "@abstract"; returns the address length, or 0 when it cannot hold it.
socklen_t make_address(const std::string& socket, sockaddr_un& addr) {
  addr = {};
  addr.sun_family = AF_UNIX;
  bool abstract = socket.front() == '@';
  // A path needs room for its terminating NUL; an abstract name does not have one.
  if (socket.size() > sizeof(addr.sun_path) - (abstract ? 0 : 1)) return 0;
  std::memcpy(addr.sun_path, socket.data(), socket.size());
  if (abstract) addr.sun_path[0] = '\0';
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket.size() + (abstract ? 0 : 1));
}

std::string status_line(std::string_view text) {
  std::string line = "STATUS=";
  for (char c : text) line.push_back(c == '\n' || c == '\r' ? ' ' : c);
  return line;
}

}  // namespace

NotifySettings NotifySettings::from_environment() {
  NotifySettings s;
  if (const char* socket = std::getenv("NOTIFY_SOCKET"); socket && *socket) {
    if (socket[0] == '/' || socket[0] == '@') {
      s.socket = socket;
    } else {
      s.problem = std::string("NOTIFY_SOCKET '") + socket + "' is neither a path nor an abstract socket name; ignored";
    }
  }
  unsigned long long usec = 0;
  const char* usec_text = std::getenv("WATCHDOG_USEC");
  if (usec_text && *usec_text) {
    if (!parse_unsigned(usec_text, usec) || usec == 0) {
      s.problem = std::string("WATCHDOG_USEC '") + usec_text + "' is not a positive number; the watchdog is off";
      return s;
    }
    unsigned long long pid = 0;
    const char* pid_text = std::getenv("WATCHDOG_PID");
    if (pid_text && *pid_text) {
      if (!parse_unsigned(pid_text, pid)) {
        s.problem = std::string("WATCHDOG_PID '") + pid_text + "' is not a process id; the watchdog is off";
        return s;
      }
      if (pid != static_cast<unsigned long long>(::getpid())) return s;  // meant for another process
    }
    s.watchdog = std::chrono::microseconds(usec);
  }
  return s;
}

SystemdNotifier::SystemdNotifier(NotifySettings settings) : settings_(std::move(settings)) {
  if (!settings_.problem.empty()) spdlog::warn("systemd: {}", settings_.problem);
  if (!enabled()) return;
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) spdlog::warn("systemd: cannot create the notify socket: {}", std::strerror(errno));
}

SystemdNotifier::~SystemdNotifier() {
  stop_watchdog();
  if (fd_ >= 0) ::close(fd_);
}

Status SystemdNotifier::send(std::string_view message) {
  if (!enabled()) return Status::OK();
  if (fd_ < 0) return make_error(ErrorCode::IOError, "no notify socket");
  sockaddr_un addr;
  socklen_t size = make_address(settings_.socket, addr);
  if (size == 0) return make_error(ErrorCode::InvalidArgument, "NOTIFY_SOCKET " + settings_.socket + " is too long");
  // Never block the daemon on a service manager that does not read its socket.
  if (::sendto(fd_, message.data(), message.size(), MSG_NOSIGNAL | MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&addr),
               size) < 0) {
    return make_error(ErrorCode::IOError, "cannot notify " + settings_.socket + ": " + std::strerror(errno));
  }
  return Status::OK();
}

void SystemdNotifier::send_logged(std::string_view message) {
  auto sent = send(message);
  if (!sent.ok()) spdlog::warn("systemd: {}", sent.error().message);
}

void SystemdNotifier::ready(std::string_view status) {
  if (ready_sent_) return;
  ready_sent_ = true;
  send_logged("READY=1\n" + status_line(status));
}

void SystemdNotifier::stopping(std::string_view status) {
  if (stopping_sent_) return;
  stopping_sent_ = true;
  send_logged("STOPPING=1\n" + status_line(status));
}

void SystemdNotifier::reloading(std::string_view status) { send_logged("RELOADING=1\n" + status_line(status)); }

void SystemdNotifier::reloaded(std::string_view status) { send_logged("READY=1\n" + status_line(status)); }

void SystemdNotifier::status(std::string_view text) { send_logged(status_line(text)); }

void SystemdNotifier::start_watchdog(std::function<bool()> healthy) {
  if (!enabled() || settings_.watchdog.count() <= 0 || watchdog_.joinable()) return;
  healthy_ = std::move(healthy);
  {
    std::lock_guard lock(mutex_);
    stop_requested_ = false;
  }
  watchdog_ = std::thread([this] { watchdog_loop(); });
  spdlog::info("systemd watchdog: pinging every {} ms", (settings_.watchdog / 2).count() / 1000);
}

void SystemdNotifier::stop_watchdog() {
  {
    std::lock_guard lock(mutex_);
    stop_requested_ = true;
  }
  wake_.notify_all();
  if (watchdog_.joinable()) watchdog_.join();
}

void SystemdNotifier::watchdog_loop() {
  const auto period = settings_.watchdog / 2;
  bool was_healthy = true;
  std::unique_lock lock(mutex_);
  while (!stop_requested_) {
    lock.unlock();
    bool healthy = !healthy_ || healthy_();
    if (healthy) {
      send_logged("WATCHDOG=1");
    } else if (was_healthy) {
      spdlog::error("systemd watchdog: the daemon reports itself unhealthy; pings stop until it recovers");
    }
    was_healthy = healthy;
    lock.lock();
    wake_.wait_for(lock, period, [this] { return stop_requested_; });
  }
}

}  // namespace cortex
