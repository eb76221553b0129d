// `cortexd serve`: run the daemon until SIGTERM/SIGINT (or a Windows service stop); SIGHUP reloads the
// storage profiles. Under systemd it speaks the notify protocol (READY, RELOADING, STOPPING, WATCHDOG).
#include <spdlog/spdlog.h>

#include <iostream>
#include <string>

#include "service/cli_common.h"
#include "service/commands.h"
#include "service/daemon.h"

#ifdef _WIN32
#include <condition_variable>
#include <mutex>

#include "service/platform_service.h"
#else
#include <pthread.h>
#include <signal.h>

#include "service/systemd_notify.h"
#endif

namespace cortex::cli {
namespace {

std::string listening_on(const Config& config, const Daemon& daemon) {
  return config.http.address + ":" + std::to_string(daemon.port());
}

#ifdef _WIN32

// The service control manager (or the console) asks for the stop; there is no SIGHUP on Windows:
// restart the service to reload the profiles.
int serve_platform(const Config& config) {
  return run_as_platform_service(L"cortexd", [&config](std::stop_token stop, const std::function<void()>& running) {
    Daemon daemon(config);
    auto started = daemon.start();
    if (!started.ok()) {
      spdlog::critical("cannot start: {}", started.error().message);
      daemon.stop();
      return kExitFailure;
    }
    std::cout << "cortexd: listening on " << listening_on(config, daemon) << std::endl;
    running();
    std::mutex mutex;
    std::condition_variable_any never;
    std::unique_lock lock(mutex);
    never.wait(lock, stop, [] { return false; });
    spdlog::info("stop requested, draining");
    daemon.stop();
    return kExitOk;
  });
}

#else

int serve_platform(const Config& config) {
  // Block the signals before any thread starts (the watchdog's included), so that only sigwait
  // below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // Silent unless started by systemd. The watchdog pings from before recovery on, so that a long
  // recovery is not taken for a hang.
  SystemdNotifier systemd(NotifySettings::from_environment());
  systemd.start_watchdog();
  systemd.status("recovering the task store and starting");

  Daemon daemon(config);
  auto started = daemon.start();
  if (!started.ok()) {
    spdlog::critical("cannot start: {}", started.error().message);
    systemd.status("cannot start: " + started.error().message);
    daemon.stop();
    return kExitFailure;
  }
  // Tests and scripts that asked for port 0 read the chosen port from this line.
  const std::string where = listening_on(config, daemon);
  std::cout << "cortexd: listening on " << where << std::endl;
  // start() returns once recovery is done and the listener accepts: that is what READY=1 promises.
  systemd.ready("listening on " + where);
  while (true) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      systemd.reloading("reloading the storage profiles");
      daemon.reload_profiles();
      systemd.reloaded("listening on " + where);
      continue;
    }
    spdlog::info("received {}, draining", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    systemd.stopping("draining: finishing the batches in flight");
    break;
  }
  daemon.stop();
  systemd.stop_watchdog();
  return kExitOk;
}

#endif

}  // namespace

int serve(const Args& args) {
  ConfigFlags flags;
  po::options_description options("cortexd serve");
  options.add_options()("help", "show this help");
  add_config_options(options, flags, true);
  po::variables_map vm;
  if (int rc = parse_or_usage(args, options, {}, vm, "cortexd serve [--config FILE] [--listen HOST:PORT] "
                                                    "[--data-dir DIR] [--collection FILE] [--profiles DIR] [--workers N] "
                                                    "[--log-format text|json]");
      rc >= 0)
    return rc;
  auto config = resolve_config_or_report(flags);
  if (!config) return kExitUsage;
  setup_logging(config->log_level);
  return serve_platform(*config);
}

}  // namespace cortex::cli
