// ApiHandler: the Data Tools Web API (SPEC 2) as a function from request to response, free of any transport.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/export_parameters.h"
#include "common/guid.h"
#include "common/time.h"
#include "queue/task_store.h"
#include "storage/profile_catalog.h"

namespace cortex {

class RegistrationBatcher;

struct ApiRequest {
  std::string method;  // "GET", "POST", ... as sent
  std::string target;  // path and query, as sent
  std::string content_type;
  std::string body;
  std::string authorization;  // the Authorization header, for the authorizer (SPEC 2.4)
};

struct ApiResponse {
  unsigned status = 200;
  nlohmann::ordered_json body = nlohmann::ordered_json::object();
  // A non-JSON answer (the Prometheus text of /metrics): sent instead of `body` when set.
  std::optional<std::string> text;
  std::string content_type = "application/json; charset=utf-8";
  // Headers besides Content-Type (always application/json): Allow, WWW-Authenticate, Retry-After.
  std::vector<std::pair<std::string, std::string>> headers;

  // The body as sent. Invalid UTF-8 (which no path should produce) is replaced, never thrown.
  std::string body_text() const;
  // The value of a header (case-insensitive name), or "" when absent.
  std::string header(std::string_view name) const;
};

// Hands over the answer to a request. Called exactly once, from any thread; it may be called after
// the call that received it has returned (a registration is answered once its commit is done).
using Responder = std::function<void(ApiResponse)>;

// An error answer in the SPEC 2.2 shape: {"Message", "ExceptionType", "Errors": [{"Parameter", "Error"}]}.
ApiResponse api_error(unsigned status, const std::string& exception_type, const std::string& message,
                      const std::vector<ParameterError>& errors = {});

// The answer for a parse outcome that is not a valid request (400, 415), or nullopt when it is valid.
std::optional<ApiResponse> rejection_of(const ExportRequestOutcome& outcome, std::string_view content_type);

// What a route needs from the caller's token: reading progress, or changing things (SPEC 2.4 roles).
enum class Access { Read, Write };
enum class AuthDecision { Allowed, Unauthenticated, Forbidden };
using Authorizer = std::function<AuthDecision(std::string_view authorization_header, Access needed)>;

class ApiHandler {
 public:
  // The TaskId of a route with "{TaskId}" in its pattern (already a valid GUID), else nullopt.
  struct RouteMatch {
    std::optional<Guid> task_id;
  };
  using RouteAction = std::function<ApiResponse(const ApiRequest&, const RouteMatch&)>;

  ApiHandler(TaskStorePool& tasks, const ProfileCatalog& profiles, const Clock& clock,
             std::function<void(const Guid&)> on_registered);

  // Thread-safe; called on the server's io threads. Never throws: a failure is a 500 answer.
  // `respond` is called once: at once for most routes, and for a registration when the transaction
  // holding it has committed (on the batcher's thread), so that no io thread waits for the disk.
  void handle_async(const ApiRequest& request, Responder respond) const;
  // handle_async, waiting for the answer (tests, the fuzzer, callers without an event loop).
  ApiResponse handle(const ApiRequest& request) const;

  // Registrations go through this group committer (the daemon's); without one each registration
  // commits alone on the calling thread. Set before the server starts; it must outlive the requests.
  void set_registration_batcher(RegistrationBatcher* batcher) { batcher_ = batcher; }

  // Draining (shutdown): routes marked refused_when_draining answer 503; progress is still answered.
  void set_draining(bool draining) { draining_.store(draining); }
  bool draining() const { return draining_.load(); }

  // Without an authorizer every caller is allowed. Set before the server starts.
  void set_authorizer(Authorizer authorizer) { authorizer_ = std::move(authorizer); }

  // Adds a route. `pattern` is relative to /sitecore/api/datatools/; "{TaskId}" matches one GUID
  // segment. Call before the server starts: the table is not locked. The service wiring adds the
  // estimate routes here, since they need the collection, which this library does not link.
  void add_route(std::string method, std::string pattern, Access access, bool refused_when_draining,
                 RouteAction action);

  // "METHOD pattern" of every route, in table order (the OpenAPI document is checked against it).
  std::vector<std::string> route_list() const;

  // An operational route outside the API base, matched exactly (/healthz, /readyz, /metrics).
  // `access` nullopt: no token needed.
  void add_service_route(std::string method, std::string path, std::optional<Access> access, RouteAction action);
  // Told the route pattern ("unmatched" when none) and status of every answer, for metrics.
  void set_observer(std::function<void(const std::string& route, unsigned status)> observer) {
    observer_ = std::move(observer);
  }

  // The request body read as export parameters, with profile names resolved in the catalog.
  ExportRequestOutcome parse_export_body(ExportKind kind, const ApiRequest& request, bool profile_required) const;

 private:
  // Every route answers through a Responder; add_route wraps the synchronous actions.
  using AsyncRouteAction = std::function<void(const ApiRequest&, const RouteMatch&, const Responder&)>;
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Access access;
    bool refused_when_draining;
    AsyncRouteAction action;
  };

  struct ServiceRoute {
    std::string method;
    std::string path;
    std::optional<Access> access;
    RouteAction action;
  };
  void add_async_route(std::string method, std::string pattern, Access access, bool refused_when_draining,
                       AsyncRouteAction action);
  // route_label is set before any route action runs (the observer reads it with the answer).
  void dispatch(const ApiRequest& request, std::string& route_label, const Responder& respond) const;
  std::optional<ApiResponse> authorize(const ApiRequest& request, Access access) const;
  void register_export(ExportKind kind, const ApiRequest& request, const Responder& respond) const;
  // The answer to a registration once its outcome is known: logs it and wakes the scheduler.
  ApiResponse registration_answer(ExportKind kind, const Result<TaskRecord>& task) const;
  ApiResponse progress(const Guid& id) const;
  ApiResponse cancel(const Guid& id) const;

  TaskStorePool& tasks_;
  const ProfileCatalog& profiles_;
  const Clock& clock_;
  std::function<void(const Guid&)> on_registered_;
  RegistrationBatcher* batcher_ = nullptr;
  std::atomic<bool> draining_{false};
  Authorizer authorizer_;
  std::vector<Route> routes_;
  std::vector<ServiceRoute> service_routes_;
  std::function<void(const std::string& route, unsigned status)> observer_;
};

}  // namespace cortex
