// `cortexd serve`: run the daemon until SIGTERM/SIGINT; SIGHUP reloads the storage profiles.
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>

#include "service/cli_common.h"
#include "service/commands.h"
#include "service/daemon.h"

namespace cortex::cli {
namespace {

// systemd's notify protocol: one datagram to $NOTIFY_SOCKET. Silent when not run by systemd.
void notify_systemd(const char* message) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (!path || !*path) return;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::size_t len = std::strlen(path);
  if (len >= sizeof(addr.sun_path)) return;
  std::memcpy(addr.sun_path, path, len);
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  auto size = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len);
  if (::sendto(fd, message, std::strlen(message), 0, reinterpret_cast<sockaddr*>(&addr), size) < 0) {
    spdlog::warn("cannot notify systemd: {}", std::strerror(errno));
  }
  ::close(fd);
}

}  // namespace

int serve(const Args& args) {
  ConfigFlags flags;
  po::options_description options("cortexd serve");
  options.add_options()("help", "show this help");
  add_config_options(options, flags, true);
  po::variables_map vm;
  if (int rc = parse_or_usage(args, options, {}, vm, "cortexd serve [--config FILE] [--listen HOST:PORT] "
                                                    "[--data-dir DIR] [--collection FILE] [--profiles DIR] [--workers N]");
      rc >= 0)
    return rc;
  auto config = resolve_config(flags);
  if (!config.ok()) {
    print_error(config.error().message);
    return kExitUsage;
  }
  setup_logging(config->log_level);

  // Block the signals before any thread starts, so that only sigwait below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Daemon daemon(*config);
  auto started = daemon.start();
  if (!started.ok()) {
    spdlog::critical("cannot start: {}", started.error().message);
    daemon.stop();
    return kExitFailure;
  }
  // Tests and scripts that asked for port 0 read the chosen port from this line.
  std::cout << "cortexd: listening on " << config->http.address << ":" << daemon.port() << std::endl;
  notify_systemd("READY=1");
  while (true) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      daemon.reload_profiles();
      continue;
    }
    spdlog::info("received {}, draining", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    notify_systemd("STOPPING=1");
    break;
  }
  daemon.stop();
  return kExitOk;
}

}  // namespace cortex::cli
