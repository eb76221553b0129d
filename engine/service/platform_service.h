// Running `serve` under the Windows service control manager. Linux needs nothing of the kind (systemd
// starts the process and `serve` speaks its notify protocol, systemd_notify.h), so only
// windows_service.cpp implements this, and only Windows builds compile it.
#pragma once

#include <functional>
#include <stop_token>
#include <string>

namespace cortex {

// The daemon: starts, calls `running()` once it listens (the service manager then shows it running and
// lets it be stopped), runs until `stop` is requested, drains and returns the process exit code.
using ServiceBody = std::function<int(std::stop_token stop, const std::function<void()>& running)>;

// Started by the service control manager: runs `body` as the service `service_name`, with Stop,
// Pre-shutdown and Shutdown requesting the stop, and returns its exit code once the service has
// stopped (a non-zero code is reported as a service-specific error, so the recovery policy applies).
// Started from a console: runs `body` directly, with Ctrl-C, Ctrl-Break and closing the console
// requesting the stop.
int run_as_platform_service(const std::wstring& service_name, ServiceBody body);

}  // namespace cortex
