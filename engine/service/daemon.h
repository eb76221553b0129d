// Daemon: the running service. Owns the profiles, the scheduler, the workers and the HTTP server,
// starts them in dependency order and stops them in reverse.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/metrics.h"
#include "common/time.h"
#include "service/config.h"
#include "storage/profile_catalog.h"
#include "storage/provider_registry.h"

namespace cortex {

class ApiHandler;
class ApiTokens;
class DataDirLock;
class TaskStore;
class HttpServer;
class RegistrationBatcher;
class Scheduler;
class TaskStorePool;
class WorkerPool;

// Every provider this build ships, then the plugins of `plugins_dir` (when set), registered by name.
// A plugin that cannot load is logged and left out; built-in names cannot be replaced.
void register_providers(ProviderRegistry& registry, const std::string& plugins_dir);

class Daemon {
 public:
  explicit Daemon(Config config);
  ~Daemon();

  // Creates the data directory and task store, loads profiles, starts workers, scheduler and listener.
  Status start();
  std::uint16_t port() const;
  // Re-reads the profiles folder (SIGHUP).
  void reload_profiles();
  // Refuses new registrations, lets batches in flight finish, stops everything.
  void stop();

  const Config& config() const { return config_; }
  // "METHOD pattern" of every API route, for the OpenAPI check.
  std::vector<std::string> routes() const;

 private:
  void add_estimate_routes();
  void add_service_routes();
  std::string render_metrics();
  Status recover(TaskStore& store);
  Status check_listener_is_safe() const;
  Config config_;
  std::string owner_;
  SystemClock clock_;
  ProviderRegistry providers_;
  ExportMetrics export_metrics_;
  LabeledCounter http_requests_;
  std::unique_ptr<DataDirLock> lock_;
  std::unique_ptr<ApiTokens> tokens_;
  std::unique_ptr<ProfileCatalog> profiles_;
  std::unique_ptr<TaskStorePool> pool_;
  std::unique_ptr<RegistrationBatcher> registrations_;
  std::unique_ptr<WorkerPool> workers_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<ApiHandler> api_;
  std::unique_ptr<HttpServer> server_;
  bool started_ = false;
};

}  // namespace cortex
