// The Windows service: the control handler (stop, pre-shutdown, shutdown), status reports with
// checkpoints to the service control manager, and the console fallback. Compiled only on Windows.
#ifdef _WIN32

#include "service/platform_service.h"

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>

#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

namespace cortex {
namespace {

// While starting or draining, the manager hears a new checkpoint this often; each one promises the
// next within the wait hint. A drain can take as long as the batches in flight (TimeoutStopSec on Linux).
constexpr DWORD kWaitHintMs = 10000;
constexpr auto kCheckpointPeriod = std::chrono::seconds(2);

// The manager's callbacks are plain functions; a process holds one service, kept here.
struct ServiceState {
  std::wstring name;
  ServiceBody body;
  SERVICE_STATUS_HANDLE handle = nullptr;
  std::mutex mutex;
  std::condition_variable changed;
  SERVICE_STATUS status{};
  bool finished = false;
  std::stop_source stop;
  int exit_code = 0;
};
ServiceState* g_service = nullptr;

// Callers hold s.mutex.
void report_locked(ServiceState& s, DWORD state, int exit_code = 0) {
  s.status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
  s.status.dwCurrentState = state;
  // Pending states accept no controls (the manager's rule); running accepts stop and pre-shutdown,
  // which replaces the shutdown notification and gives the drain the configured PreshutdownTimeout.
  s.status.dwControlsAccepted = state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_PRESHUTDOWN : 0;
  bool pending = state == SERVICE_START_PENDING || state == SERVICE_STOP_PENDING;
  s.status.dwWaitHint = pending ? kWaitHintMs : 0;
  s.status.dwCheckPoint = pending ? s.status.dwCheckPoint + 1 : 0;
  if (state == SERVICE_STOPPED && exit_code != 0) {
    s.status.dwWin32ExitCode = ERROR_SERVICE_SPECIFIC_ERROR;
    s.status.dwServiceSpecificExitCode = static_cast<DWORD>(exit_code);
  } else {
    s.status.dwWin32ExitCode = NO_ERROR;
    s.status.dwServiceSpecificExitCode = 0;
  }
  ::SetServiceStatus(s.handle, &s.status);
}

DWORD WINAPI control_handler(DWORD control, DWORD, LPVOID, LPVOID context) {
  auto& s = *static_cast<ServiceState*>(context);
  switch (control) {
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_PRESHUTDOWN:
    case SERVICE_CONTROL_SHUTDOWN: {
      {
        std::lock_guard lock(s.mutex);
        if (s.status.dwCurrentState == SERVICE_RUNNING) report_locked(s, SERVICE_STOP_PENDING);
      }
      s.stop.request_stop();
      return NO_ERROR;
    }
    case SERVICE_CONTROL_INTERROGATE:
      return NO_ERROR;
    default:
      return ERROR_CALL_NOT_IMPLEMENTED;
  }
}

void WINAPI service_main(DWORD, LPWSTR*) {
  ServiceState& s = *g_service;
  s.handle = ::RegisterServiceCtrlHandlerExW(s.name.c_str(), control_handler, &s);
  if (!s.handle) {
    s.exit_code = 1;
    return;
  }
  {
    std::lock_guard lock(s.mutex);
    report_locked(s, SERVICE_START_PENDING);
  }
  std::thread checkpoints([&s] {
    std::unique_lock lock(s.mutex);
    while (!s.finished) {
      s.changed.wait_for(lock, kCheckpointPeriod, [&s] { return s.finished; });
      DWORD state = s.status.dwCurrentState;
      if (!s.finished && (state == SERVICE_START_PENDING || state == SERVICE_STOP_PENDING)) report_locked(s, state);
    }
  });
  int rc = 1;
  try {
    rc = s.body(s.stop.get_token(), [&s] {
      std::lock_guard lock(s.mutex);
      if (s.status.dwCurrentState == SERVICE_START_PENDING) report_locked(s, SERVICE_RUNNING);
    });
  } catch (const std::exception&) {
    rc = 1;  // no exception crosses into the service control manager
  }
  {
    std::lock_guard lock(s.mutex);
    s.finished = true;
  }
  s.changed.notify_all();
  checkpoints.join();
  s.exit_code = rc;
  // The last call: the manager may end the process once it hears SERVICE_STOPPED.
  std::lock_guard lock(s.mutex);
  report_locked(s, SERVICE_STOPPED, rc);
}

// The console fallback: Ctrl-C and friends request the stop. Closing the console, logging off and
// shutting down end the process when the handler returns, so the handler waits for the drain.
std::stop_source* g_console_stop = nullptr;
std::mutex g_console_mutex;
std::condition_variable g_console_done;
bool g_console_finished = false;

BOOL WINAPI console_handler(DWORD event) {
  switch (event) {
    case CTRL_C_EVENT:
    case CTRL_BREAK_EVENT:
      g_console_stop->request_stop();
      return TRUE;
    case CTRL_CLOSE_EVENT:
    case CTRL_LOGOFF_EVENT:
    case CTRL_SHUTDOWN_EVENT: {
      g_console_stop->request_stop();
      std::unique_lock lock(g_console_mutex);
      g_console_done.wait(lock, [] { return g_console_finished; });
      return TRUE;
    }
    default:
      return FALSE;
  }
}

int run_in_console(const ServiceBody& body) {
  std::stop_source stop;
  g_console_stop = &stop;
  ::SetConsoleCtrlHandler(console_handler, TRUE);
  int rc = 1;
  try {
    rc = body(stop.get_token(), [] {});
  } catch (const std::exception&) {
    rc = 1;
  }
  {
    std::lock_guard lock(g_console_mutex);
    g_console_finished = true;
  }
  g_console_done.notify_all();
  ::SetConsoleCtrlHandler(console_handler, FALSE);
  return rc;
}

}  // namespace

int run_as_platform_service(const std::wstring& service_name, ServiceBody body) {
  ServiceState state;
  state.name = service_name;
  state.body = std::move(body);
  g_service = &state;
  SERVICE_TABLE_ENTRYW table[] = {{state.name.data(), service_main}, {nullptr, nullptr}};
  // Returns once the service has stopped, or fails at once when no service manager started us.
  BOOL dispatched = ::StartServiceCtrlDispatcherW(table);
  DWORD error = dispatched ? NO_ERROR : ::GetLastError();
  g_service = nullptr;
  if (dispatched) return state.exit_code;
  if (error != ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) return 1;
  return run_in_console(state.body);
}

}  // namespace cortex

#endif  // _WIN32
