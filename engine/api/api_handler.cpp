// ApiHandler: the route table, path matching, the export/progress/cancel actions and the error answers.
#include "api/api_handler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <future>
#include <memory>

#include "api/form_decoding.h"
#include "queue/registration_batcher.h"

namespace cortex {
namespace {

constexpr std::string_view kBase = "/sitecore/api/datatools/";

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    std::size_t slash = text.find('/', start);
    out.emplace_back(text.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) return out;
    start = slash + 1;
  }
}

// The decoded path segments below the API base, or nullopt when the path is not under it.
// Routing is case-insensitive as in ASP.NET; the SPEC's doubled slash before "tasks" and one
// trailing slash are tolerated, other empty segments are not.
std::optional<std::vector<std::string>> api_segments(std::string_view target) {
  std::string_view path = target.substr(0, target.find_first_of("?#"));
  if (path.size() < kBase.size() || !iequals(path.substr(0, kBase.size()), kBase)) return std::nullopt;
  std::vector<std::string> segments;
  for (auto& raw : split(path.substr(kBase.size()))) {
    auto decoded = percent_decode(raw, false);
    if (!decoded.ok()) return std::nullopt;
    segments.push_back(std::move(decoded.value()));
  }
  if (segments.size() >= 2 && segments[0].empty() && iequals(segments[1], "tasks")) segments.erase(segments.begin());
  if (segments.size() >= 2 && segments.back().empty()) segments.pop_back();
  for (const auto& s : segments)
    if (s.empty()) return std::nullopt;
  return segments;
}

std::string clip(std::string_view text) {
  constexpr std::size_t limit = 200;
  return text.size() <= limit ? std::string(text) : std::string(text.substr(0, limit)) + "...";
}

ApiResponse internal_error(const std::string& what, const std::string& detail) {
  // The detail (SQLite text, paths) goes to the log only; the client learns that it failed and where to look.
  spdlog::error("{}: {}", what, detail);
  return api_error(500, "InternalServerError", what + "; the daemon log has the details.");
}

// A route's pattern as written ("tasks/{TaskId}/progress"), for the route list and the metrics' label.
std::string pattern_text(const std::vector<std::string>& segments) {
  std::string pattern;
  for (const auto& segment : segments) pattern += (pattern.empty() ? "" : "/") + segment;
  return pattern;
}

}  // namespace

std::string ApiResponse::body_text() const {
  if (text) return *text;
  return body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string ApiResponse::header(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (iequals(n, name)) return v;
  return "";
}

ApiResponse api_error(unsigned status, const std::string& exception_type, const std::string& message,
                      const std::vector<ParameterError>& errors) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& e : errors) list.push_back({{"Parameter", e.parameter}, {"Error", e.error}});
  ApiResponse response;
  response.status = status;
  response.body = {{"Message", message}, {"ExceptionType", exception_type}, {"Errors", std::move(list)}};
  return response;
}

std::optional<ApiResponse> rejection_of(const ExportRequestOutcome& outcome, std::string_view content_type) {
  if (outcome.unsupported_media_type) {
    return api_error(415, "UnsupportedMediaType",
                     "The media type '" + clip(content_type) + "' is not supported: " + *outcome.unsupported_media_type +
                         ".");
  }
  if (outcome.bad_request) return api_error(400, "BadRequest", "The request body cannot be read: " + *outcome.bad_request + ".");
  if (!outcome.errors.empty()) return api_error(400, "ModelValidationException", "The request is invalid.", outcome.errors);
  return std::nullopt;
}

ApiHandler::ApiHandler(TaskStorePool& tasks, const ProfileCatalog& profiles, const Clock& clock,
                       std::function<void(const Guid&)> on_registered)
    : tasks_(tasks), profiles_(profiles), clock_(clock), on_registered_(std::move(on_registered)) {
  // The route table. Patterns are relative to /sitecore/api/datatools/.
  // POST estimate/interactions and estimate/contacts are added by the service wiring (add_route).
  add_async_route("POST", "export/tasks/interactions", Access::Write, true,
                  [this](const ApiRequest& r, const RouteMatch&, const Responder& respond) {
                    register_export(ExportKind::Interactions, r, respond);
                  });
  add_async_route("POST", "export/tasks/contacts", Access::Write, true,
                  [this](const ApiRequest& r, const RouteMatch&, const Responder& respond) {
                    register_export(ExportKind::Contacts, r, respond);
                  });
  for (const char* prefix : {"", "purge/"}) {  // purge/...: the older aliases
    add_route("GET", std::string(prefix) + "tasks/{TaskId}/progress", Access::Read, false,
              [this](const ApiRequest&, const RouteMatch& m) { return progress(*m.task_id); });
    add_route("PUT", std::string(prefix) + "tasks/{TaskId}/cancel", Access::Write, false,
              [this](const ApiRequest&, const RouteMatch& m) { return cancel(*m.task_id); });
  }
}

void ApiHandler::add_route(std::string method, std::string pattern, Access access, bool refused_when_draining,
                           RouteAction action) {
  add_async_route(std::move(method), std::move(pattern), access, refused_when_draining,
                  [action = std::move(action)](const ApiRequest& r, const RouteMatch& m, const Responder& respond) {
                    respond(action(r, m));
                  });
}

void ApiHandler::add_async_route(std::string method, std::string pattern, Access access, bool refused_when_draining,
                                 AsyncRouteAction action) {
  routes_.push_back({std::move(method), split(pattern), access, refused_when_draining, std::move(action)});
}

std::vector<std::string> ApiHandler::route_list() const {
  std::vector<std::string> out;
  for (const auto& r : routes_) {
    out.push_back(r.method + " " + pattern_text(r.segments));
  }
  for (const auto& r : service_routes_) out.push_back(r.method + " " + r.path);
  return out;
}

void ApiHandler::add_service_route(std::string method, std::string path, std::optional<Access> access,
                                   RouteAction action) {
  service_routes_.push_back({std::move(method), std::move(path), access, std::move(action)});
}

void ApiHandler::handle_async(const ApiRequest& request, Responder respond) const {
  // Shared with the answer, which may come later on another thread. The label is written by
  // dispatch before any route action runs, so before any answer.
  struct Pending {
    std::string route_label = "unmatched";
    std::atomic<bool> answered{false};
    Responder respond;
  };
  auto pending = std::make_shared<Pending>();
  pending->respond = std::move(respond);
  Responder answer = [this, pending](ApiResponse response) {
    if (pending->answered.exchange(true)) {
      spdlog::error("a second answer ({}) to a request on {} was dropped", response.status, pending->route_label);
      return;
    }
    if (observer_) {
      try {
        observer_(pending->route_label, response.status);
      } catch (const std::exception& e) {
        spdlog::warn("request observer failed: {}", e.what());
      }
    }
    pending->respond(std::move(response));
  };
  try {
    dispatch(request, pending->route_label, answer);
  } catch (const std::exception& e) {
    answer(internal_error("The request failed", e.what()));
  } catch (...) {
    answer(internal_error("The request failed", "unknown exception"));
  }
}

ApiResponse ApiHandler::handle(const ApiRequest& request) const {
  std::promise<ApiResponse> answer;
  auto future = answer.get_future();
  handle_async(request, [&answer](ApiResponse response) { answer.set_value(std::move(response)); });
  return future.get();
}

std::optional<ApiResponse> ApiHandler::authorize(const ApiRequest& request, Access access) const {
  if (!authorizer_) return std::nullopt;
  AuthDecision decision = authorizer_(request.authorization, access);
  if (decision == AuthDecision::Unauthenticated) {
    auto response = api_error(401, "Unauthorized", "Authorization has been denied for this request.");
    response.headers.emplace_back("WWW-Authenticate", "Bearer");
    return response;
  }
  if (decision == AuthDecision::Forbidden) return api_error(403, "Forbidden", "The token's role does not allow this request.");
  return std::nullopt;
}

void ApiHandler::dispatch(const ApiRequest& request, std::string& route_label, const Responder& respond) const {
  std::string path = clip(request.target.substr(0, request.target.find_first_of("?#")));
  for (const auto& r : service_routes_) {
    if (r.path != path) continue;
    route_label = r.path;
    if (r.method != request.method) {
      auto response = api_error(405, "MethodNotAllowed",
                                "The requested resource does not support http method '" + clip(request.method) + "'.");
      response.headers.emplace_back("Allow", r.method);
      return respond(std::move(response));
    }
    if (r.access) {
      if (auto refused = authorize(request, *r.access)) return respond(std::move(*refused));
    }
    return respond(r.action(request, RouteMatch{}));
  }
  auto segments = api_segments(request.target);
  auto not_found = [&] {
    return api_error(404, "NotFound", "No HTTP resource was found that matches the request URI '" + path + "'.");
  };
  if (!segments) return respond(not_found());

  const Route* route = nullptr;
  const Route* same_path = nullptr;  // the first route whose pattern matches, whatever its method
  const std::string* id_text = nullptr;
  std::vector<std::string> methods;  // of the routes whose pattern matches: the Allow header of a 405
  for (const auto& r : routes_) {
    if (r.segments.size() != segments->size()) continue;
    const std::string* id = nullptr;
    bool match = true;
    for (std::size_t i = 0; match && i < r.segments.size(); ++i) {
      if (r.segments[i] == "{TaskId}") id = &(*segments)[i];
      else match = iequals(r.segments[i], (*segments)[i]);
    }
    if (!match) continue;
    if (!same_path) same_path = &r;
    if (std::find(methods.begin(), methods.end(), r.method) == methods.end()) methods.push_back(r.method);
    if (r.method == request.method) {
      route = &r;
      id_text = id;
    }
  }
  if (methods.empty()) return respond(not_found());
  if (!route) {
    // Counted under the resource's pattern without a method: the request's method is the client's text.
    route_label = pattern_text(same_path->segments);
    std::string allow;
    for (const auto& m : methods) allow += (allow.empty() ? "" : ", ") + m;
    auto response = api_error(405, "MethodNotAllowed",
                              "The requested resource does not support http method '" + clip(request.method) + "'.");
    response.headers.emplace_back("Allow", allow);
    return respond(std::move(response));
  }

  route_label = route->method + " " + pattern_text(route->segments);
  if (auto refused = authorize(request, route->access)) return respond(std::move(*refused));
  if (route->refused_when_draining && draining()) {
    auto response = api_error(503, "ServiceUnavailable", "The service is shutting down and accepts no new work.");
    response.headers.emplace_back("Retry-After", "30");
    return respond(std::move(response));
  }

  RouteMatch match;
  if (id_text) {
    match.task_id = Guid::parse(*id_text);
    if (!match.task_id) return respond(api_error(404, "NotFound", "No task has the id '" + clip(*id_text) + "'."));
  }
  route->action(request, match, respond);
}

ExportRequestOutcome ApiHandler::parse_export_body(ExportKind kind, const ApiRequest& request,
                                                   bool profile_required) const {
  auto lookup = [this](const std::string& name) -> std::optional<std::string> {
    auto profile = profiles_.find(name);
    if (!profile) return std::nullopt;
    return profile->name;
  };
  return parse_export_request(kind, request.content_type, request.body, lookup, profile_required);
}

void ApiHandler::register_export(ExportKind kind, const ApiRequest& request, const Responder& respond) const {
  auto outcome = parse_export_body(kind, request, true);
  if (auto rejection = rejection_of(outcome, request.content_type)) return respond(std::move(*rejection));

  TaskStore::NewTask task{*outcome.options, clock_.now()};
  if (batcher_) {
    // Answered from the batcher's thread once the transaction holding this task has committed (or
    // failed): the TaskId is never sent before the task is durable (SPEC 3).
    batcher_->submit(std::move(task), [this, kind, respond](Result<TaskRecord> registered) {
      ApiResponse answer;
      try {
        answer = registration_answer(kind, registered);
      } catch (const std::exception& e) {
        answer = internal_error("The registration could not be answered", e.what());
      }
      respond(std::move(answer));
    });
    return;
  }
  auto store = tasks_.acquire();
  if (!store.ok()) return respond(internal_error("The task store cannot be opened", store.error().describe()));
  respond(registration_answer(kind, store.value()->register_task(task.options, task.registered)));
}

ApiResponse ApiHandler::registration_answer(ExportKind kind, const Result<TaskRecord>& task) const {
  if (!task.ok()) {
    // Transient (the batcher stopped for shutdown, or the database stayed locked): worth a retry.
    if (task.error().code == ErrorCode::Unavailable) {
      spdlog::warn("a registration was refused: {}", task.error().describe());
      auto response = api_error(503, "ServiceUnavailable",
                                draining() ? "The service is shutting down and accepts no new work."
                                           : "The task queue is busy; retry later.");
      response.headers.emplace_back("Retry-After", draining() ? "30" : "1");
      return response;
    }
    return internal_error("The task could not be registered", task.error().describe());
  }

  const Guid& id = task.value().id;
  spdlog::info("registered task {}: {} export to storage profile {}", id.str(), to_string(kind),
               task.value().options.storage_profile);
  // The task is committed: a failing wake-up only delays it until the scheduler's next poll.
  try {
    if (on_registered_) on_registered_(id);
  } catch (const std::exception& e) {
    spdlog::warn("task {}: waking the scheduler failed: {}", id.str(), e.what());
  }
  ApiResponse response;
  response.body = {{"TaskId", id.str()}};
  return response;
}

ApiResponse ApiHandler::progress(const Guid& id) const {
  auto store = tasks_.acquire();
  if (!store.ok()) return internal_error("The task store cannot be opened", store.error().describe());
  auto task = store.value()->find(id);
  if (!task.ok()) return internal_error("The task could not be read", task.error().describe());
  if (!task.value()) return api_error(404, "NotFound", "No task has the id '" + id.str() + "'.");
  ApiResponse response;
  response.body = progress_json(*task.value());
  return response;
}

ApiResponse ApiHandler::cancel(const Guid& id) const {
  auto store = tasks_.acquire();
  if (!store.ok()) return internal_error("The task store cannot be opened", store.error().describe());
  auto task = store.value()->request_cancel(id, clock_.now());
  if (!task.ok()) return internal_error("The task could not be canceled", task.error().describe());
  if (!task.value()) return api_error(404, "NotFound", "No task has the id '" + id.str() + "'.");
  const TaskRecord& record = *task.value();
  spdlog::info("cancel requested for task {}: now {}{}", id.str(), to_string(record.status),
               record.cancel_requested && !is_final(record.status) ? " (cancels after the batch in flight)" : "");
  ApiResponse response;
  response.body = progress_json(record);
  return response;
}

}  // namespace cortex
