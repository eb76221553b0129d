// SystemdNotifier: systemd's notify protocol (READY, STOPPING, STATUS, WATCHDOG) without libsystemd.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "common/result.h"

namespace cortex {

// What systemd passes in the environment of a Type=notify service. Empty socket: not run by systemd.
struct NotifySettings {
  std::string socket;                        // $NOTIFY_SOCKET: "/path" or "@abstract"
  std::chrono::microseconds watchdog{0};     // $WATCHDOG_USEC when it applies to this process, else 0
  std::string problem;                       // why a variable was ignored, for the log

  // $WATCHDOG_USEC counts only when $WATCHDOG_PID is unset or names this process (sd_watchdog_enabled).
  static NotifySettings from_environment();
};

class SystemdNotifier {
 public:
  explicit SystemdNotifier(NotifySettings settings);
  ~SystemdNotifier();
  SystemdNotifier(const SystemdNotifier&) = delete;
  SystemdNotifier& operator=(const SystemdNotifier&) = delete;

  // True when $NOTIFY_SOCKET was set: the calls below send; otherwise they do nothing.
  bool enabled() const { return !settings_.socket.empty(); }
  std::chrono::microseconds watchdog_interval() const { return settings_.watchdog; }

  // One datagram of newline-separated KEY=VALUE assignments.
  Status send(std::string_view message);
  // READY=1 (with STATUS), at most once: the daemon has recovered and is listening.
  void ready(std::string_view status);
  // STOPPING=1 (with STATUS), at most once: the drain has begun.
  void stopping(std::string_view status);
  // RELOADING=1 before a SIGHUP reload, READY=1 after it.
  void reloading(std::string_view status);
  void reloaded(std::string_view status);
  // STATUS=...: shown by `systemctl status`. Newlines become spaces (they would start a new assignment).
  void status(std::string_view text);

  // Sends WATCHDOG=1 every half interval from a thread until stop_watchdog() or destruction, as long as
  // `healthy` (when given) says so. Does nothing when the watchdog is off. Start it with the signals the
  // main thread waits for already blocked, so that the thread never receives them.
  void start_watchdog(std::function<bool()> healthy = {});
  void stop_watchdog();

 private:
  void watchdog_loop();
  void send_logged(std::string_view message);
  NotifySettings settings_;
  int fd_ = -1;
  bool ready_sent_ = false;
  bool stopping_sent_ = false;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_requested_ = false;
  std::function<bool()> healthy_;
  std::thread watchdog_;
};

}  // namespace cortex
