// Wiring of the daemon's parts.
#include "service/daemon.h"

#include <boost/asio/ip/address.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

#include "api/api_handler.h"
#include "api/http_server.h"
#include "azure-blob/azure_blob_provider.h"
#include "collection/collection_db.h"
#include "folder/folder_provider.h"
#include "queue/registration_batcher.h"
#include "queue/task_store.h"
#include "storage/plugin_loader.h"
#include "service/api_tokens.h"
#include "service/data_dir_lock.h"
#include "workers/export_estimate.h"
#include "workers/scheduler.h"
#include "workers/worker_pool.h"

namespace cortex {

void register_providers(ProviderRegistry& registry, const std::string& plugins_dir) {
  providers::register_folder_provider(registry);
  providers::register_azure_blob_provider(registry);
  if (plugins_dir.empty()) return;
  auto before = registry.names();
  for (const auto& e : load_provider_plugins(plugins_dir, registry)) {
    spdlog::warn("provider plugin {} not loaded: {}", e.file, e.message);
  }
  for (const auto& name : registry.names()) {
    if (std::find(before.begin(), before.end(), name) == before.end()) {
      spdlog::info("provider plugin '{}' loaded from {}", name, plugins_dir);
    }
  }
}

Daemon::Daemon(Config config) : config_(std::move(config)), owner_(Guid::random().str() + "/") {}

Daemon::~Daemon() { stop(); }

Status Daemon::start() {
  std::error_code ec;
  std::filesystem::create_directories(config_.data_dir, ec);
  if (ec) {
    return make_error(ErrorCode::IOError, "cannot create the data directory " + config_.data_dir + ": " + ec.message());
  }
  auto lock = DataDirLock::acquire(config_.data_dir);
  if (!lock.ok()) return lock.error();
  lock_ = std::move(*lock);
  // Opening the store applies the schema; after recovery this connection is the API pool's first.
  auto store = TaskStore::open(config_.task_db_path());
  if (!store.ok()) return store.error();

  register_providers(providers_, config_.plugins_dir);
  profiles_ = std::make_unique<ProfileCatalog>(providers_);
  profiles_->load_folder(config_.profiles_path());
  CORTEX_RETURN_IF_ERROR(recover(**store));

  CORTEX_RETURN_IF_ERROR(check_listener_is_safe());
  std::vector<TokenHash> configured;
  for (const auto& t : config_.tokens) configured.push_back({t.sha256_hex, *parse_role(t.role)});
  tokens_ = std::make_unique<ApiTokens>(std::move(configured), config_.data_dir);
  auto created = tokens_->ensure_one_exists();
  if (!created.ok()) return created.error().with_context("setting up API tokens");

  if (!std::filesystem::exists(config_.collection_path())) {
    spdlog::warn("the collection {} does not exist yet: exports will fail until it does "
                 "(create it with `cortexd generate` or `cortexd import`)", config_.collection_path());
  }
  auto settings = config_.engine_settings();
  workers_ = std::make_unique<WorkerPool>(settings, owner_, *profiles_, clock_, export_metrics_);
  scheduler_ = std::make_unique<Scheduler>(settings, owner_, *profiles_, clock_, workers_->work_available());
  // A finished cursor may finish its task: the scheduler writes the manifest now, not at its next poll.
  Scheduler* scheduler = scheduler_.get();
  workers_->on_cursor_done([scheduler] { scheduler->wake(); });
  CORTEX_RETURN_IF_ERROR(workers_->start());
  CORTEX_RETURN_IF_ERROR(scheduler_->start());

  pool_ = std::make_unique<TaskStorePool>(config_.task_db_path());
  // The first progress request then opens no connection (that cost 2.5-4.7 ms); the pool's later connections skip
  // the schema script, so they never wait for the write lock a split or a group commit holds.
  pool_->add_idle(std::move(*store));
  // Registrations are group-committed on their own connection and thread; the io threads hand them
  // over and go on serving while the commit syncs.
  auto registrations = RegistrationBatcher::open(config_.task_db_path(),
                                                 static_cast<std::size_t>(config_.registration.max_group_size));
  if (!registrations.ok()) return registrations.error();
  registrations_ = std::move(*registrations);
  CORTEX_RETURN_IF_ERROR(registrations_->start());
  api_ = std::make_unique<ApiHandler>(*pool_, *profiles_, clock_, [this](const Guid&) { scheduler_->wake(); });
  api_->set_registration_batcher(registrations_.get());
  api_->set_authorizer([tokens = tokens_.get()](std::string_view header, Access needed) {
    return tokens->authorize(header, needed);
  });
  add_estimate_routes();
  add_service_routes();
  auto count_request = [this](const std::string& route, unsigned status) {
    http_requests_.add("route=\"" + escape_label(route) + "\",status=\"" + std::to_string(status) + "\"");
  };
  api_->set_observer(count_request);
  HttpServerOptions http;
  http.address = config_.http.address;
  http.port = config_.http.port;
  http.threads = config_.http.threads;
  http.body_limit_bytes = config_.http.body_limit_bytes;
  http.read_timeout = std::chrono::seconds(config_.http.read_timeout_seconds);
  http.max_connections = config_.http.max_connections;
  http.tls_certificate_file = config_.http.tls_certificate_file;
  http.tls_private_key_file = config_.http.tls_private_key_file;
  http.tls_client_ca_file = config_.http.tls_client_ca_file;
  // Answers the server gives before a request is read whole, so before any route.
  http.on_server_answer = [count_request](unsigned status) { count_request("unread", status); };
  server_ = std::make_unique<HttpServer>(
      http, AsyncRequestHandler([api = api_.get()](const ApiRequest& r, Responder respond) {
        api->handle_async(r, std::move(respond));
      }));
  CORTEX_RETURN_IF_ERROR(server_->start());
  started_ = true;
  spdlog::info("cortexd listening on {}://{}:{}/sitecore/api/datatools/ (data {}, collection {}, {} worker(s), "
               "registrations committed in groups of up to {})",
               server_->tls() ? "https" : "http", config_.http.address, server_->port(), config_.data_dir,
               config_.collection_path(), config_.workers, registrations_->max_group_size());
  return Status::OK();
}

void Daemon::add_estimate_routes() {
  for (auto kind : {ExportKind::Interactions, ExportKind::Contacts}) {
    std::string pattern = std::string("estimate/") + to_string(kind);
    api_->add_route("POST", pattern, Access::Write, false,
                    [this, kind](const ApiRequest& request, const ApiHandler::RouteMatch&) {
                      auto outcome = api_->parse_export_body(kind, request, false);
                      if (auto rejected = rejection_of(outcome, request.content_type)) return *rejected;
                      auto count = estimate_export(config_.collection_path(), *outcome.options, clock_.now());
                      if (!count.ok()) {
                        spdlog::error("estimate of {}: {}", to_string(kind), count.error().message);
                        return api_error(503, "ServiceUnavailable",
                                         "The collection cannot be read; the daemon log has the details.");
                      }
                      ApiResponse response;
                      response.body = nlohmann::ordered_json{{"TotalCount", *count}};
                      return response;
                    });
  }
}

Status Daemon::check_listener_is_safe() const {
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(config_.http.address, ec);
  bool loopback = config_.http.address == "localhost" || (!ec && address.is_loopback());
  if (!loopback && config_.http.tls_certificate_file.empty()) {
    return make_error(ErrorCode::InvalidArgument,
                      "refusing to listen on " + config_.http.address +
                          " without TLS: set http.tls_certificate_file and http.tls_private_key_file, or listen on "
                          "127.0.0.1 (the API token would cross the network in clear text)");
  }
  return Status::OK();
}

Status Daemon::recover(TaskStore& store) {
  // This daemon holds the data directory lock: no other daemon works these cursors.
  auto released = store.release_all_leases();
  if (!released.ok()) return released.error().with_context("recovering the task store");
  if (*released > 0) spdlog::info("recovery: {} cursor(s) of an earlier run resume from their stored positions", *released);
  for (const auto& name : profiles_->names()) {
    auto provider = profiles_->open_provider(name);
    if (!provider.ok()) continue;  // reported when the profile loaded
    auto removed = (*provider)->remove_incomplete();
    if (!removed.ok()) {
      spdlog::warn("recovery: storage profile '{}': {}", name, removed.error().message);
    } else if (*removed > 0) {
      spdlog::info("recovery: removed {} incomplete file(s) from storage profile '{}'", *removed, name);
    }
  }
  return Status::OK();
}

void Daemon::add_service_routes() {
  // Liveness: the process answers. No token, so that a supervisor can probe it.
  api_->add_service_route("GET", "/healthz", std::nullopt, [](const ApiRequest&, const ApiHandler::RouteMatch&) {
    ApiResponse response;
    response.body = nlohmann::ordered_json{{"Status", "Healthy"}};
    return response;
  });
  // Readiness: the task store and the collection can be read.
  api_->add_service_route("GET", "/readyz", std::nullopt, [this](const ApiRequest&, const ApiHandler::RouteMatch&) {
    std::string problem;
    auto store = pool_->acquire();
    if (!store.ok()) {
      problem = "the task store cannot be opened";
    } else if (!(*store)->queue_counts(clock_.now()).ok()) {
      problem = "the task store cannot be read";
    } else if (!open_collection_for_reading(config_.collection_path()).ok()) {
      problem = "the collection " + config_.collection_path() + " cannot be read";
    }
    ApiResponse response;
    if (problem.empty()) {
      response.body = nlohmann::ordered_json{{"Status", "Ready"}};
    } else {
      response.status = 503;
      response.body = nlohmann::ordered_json{{"Status", "NotReady"}, {"Reason", problem}};
    }
    return response;
  });
  api_->add_service_route("GET", "/metrics", Access::Read, [this](const ApiRequest&, const ApiHandler::RouteMatch&) {
    ApiResponse response;
    response.text = render_metrics();
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return response;
  });
}

std::string Daemon::render_metrics() {
  std::string out;
  auto store = pool_->acquire();
  if (store.ok()) {
    auto counts = (*store)->queue_counts(clock_.now());
    if (counts.ok()) {
      render_help(out, "cortexd_tasks", "gauge", "Tasks in the queue by status.");
      for (int s = 0; s <= 5; ++s) {
        auto it = counts->tasks_by_status.find(s);
        render_sample(out, "cortexd_tasks", std::string("status=\"") + to_string(static_cast<TaskStatus>(s)) + "\"",
                      static_cast<double>(it == counts->tasks_by_status.end() ? 0 : it->second));
      }
      render_help(out, "cortexd_cursors_leased", "gauge", "Cursors under a live lease.");
      render_sample(out, "cortexd_cursors_leased", "", static_cast<double>(counts->cursors_leased));
    }
  }
  auto counter = [&](const char* name, const char* help, const Counter& c) {
    render_help(out, name, "counter", help);
    render_sample(out, name, "", static_cast<double>(c.value()));
  };
  if (registrations_) {
    auto r = registrations_->counters();
    auto plain = [&](const char* name, const char* help, std::uint64_t value) {
      render_help(out, name, "counter", help);
      render_sample(out, name, "", static_cast<double>(value));
    };
    plain("cortexd_registrations_committed_total", "Task registrations committed over the API.", r.committed);
    plain("cortexd_registrations_failed_total", "Task registrations that failed after validation (not committed).",
          r.failed);
    plain("cortexd_registration_commits_total",
          "Transactions of registrations; a group shares one, so committed / commits is the mean group size.",
          r.groups);
  }
  counter("cortexd_items_exported_total", "Items written to storage.", export_metrics_.items_exported);
  counter("cortexd_bytes_exported_total", "Bytes of batch files written to storage.", export_metrics_.bytes_exported);
  counter("cortexd_batches_stored_total", "Batch files stored.", export_metrics_.batches_stored);
  counter("cortexd_records_skipped_total", "Corrupt source records left out.", export_metrics_.records_skipped);
  counter("cortexd_storage_retries_total", "Storage writes retried after a failure.", export_metrics_.storage_retries);
  counter("cortexd_storage_errors_total", "Failed storage write attempts.", export_metrics_.storage_errors);
  render_help(out, "cortexd_batch_duration_seconds", "histogram", "Time to read, render and store one batch.");
  export_metrics_.batch_seconds.render(out, "cortexd_batch_duration_seconds");
  render_help(out, "cortexd_http_requests_total", "counter", "HTTP requests by route and status.");
  http_requests_.render(out, "cortexd_http_requests_total");
  return out;
}

std::uint16_t Daemon::port() const { return server_ ? server_->port() : 0; }

std::vector<std::string> Daemon::routes() const { return api_ ? api_->route_list() : std::vector<std::string>{}; }

void Daemon::reload_profiles() {
  if (tokens_) {
    auto s = tokens_->reload();
    if (!s.ok()) spdlog::error("reloading API tokens: {}", s.error().message);
  }
  if (!profiles_) return;
  spdlog::info("reloading storage profiles from {}", config_.profiles_path());
  profiles_->load_folder(config_.profiles_path());
}

void Daemon::stop() {
  if (api_) api_->set_draining(true);
  // The server waits for the answers it owes, so the batcher still commits while it stops; then the
  // batcher commits and answers whatever is left (its answers need the handler and the scheduler).
  if (server_) server_->stop();
  if (registrations_) registrations_->stop();
  if (scheduler_) scheduler_->stop();
  if (workers_) workers_->stop();
  server_.reset();
  registrations_.reset();
  api_.reset();
  scheduler_.reset();
  workers_.reset();
  pool_.reset();
  lock_.reset();
  if (started_) spdlog::info("cortexd stopped");
  started_ = false;
}

}  // namespace cortex
