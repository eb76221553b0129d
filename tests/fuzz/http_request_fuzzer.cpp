// fuzz_http_request: bytes as pipelined HTTP/1.1 requests, read by Beast with the server's limits and answered by
// ApiHandler over a real TaskStore; every body is also validated directly, for both kinds and both encodings.
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/api_handler.h"
#include "api/export_parameters.h"
#include "api/form_decoding.h"
#include "api/http_server.h"
#include "fuzz_check.h"

namespace {

namespace fs = std::filesystem;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using cortex::Access;
using cortex::ApiRequest;
using cortex::ApiResponse;
using cortex::AuthDecision;
using cortex::ExportKind;
using cortex::ExportOptions;
using cortex::ExportRequestOutcome;
using cortex::Guid;
using cortex::Timestamp;
using nlohmann::ordered_json;

constexpr std::string_view kBase = "/sitecore/api/datatools/";
constexpr std::string_view kProfile = "LocalExports";
// A target holding this GUID gets the id of a task that exists instead, so progress and cancel reach a real task.
constexpr std::string_view kKnownTaskPlaceholder = "ffffffff-ffff-ffff-ffff-ffffffffffff";
constexpr std::size_t kMaxRequestsPerInput = 8;
// Bytes handed out per read, so that request lines, headers and bodies straddle reads as they do on a socket.
constexpr std::size_t kReadChunk = 1500;
// Echoed client text is clipped, so an answer stays small whatever the request (the largest seen are ~10 KiB).
constexpr std::size_t kMaxAnswerBytes = 32 * 1024;
// The most rule errors one body can earn: 20 unknown names listed, one summary, 7 repeats, 7 values, 3 pairings.
constexpr std::size_t kMaxParameterErrors = 40;
// A cleanup of the final tasks every so many registrations keeps the task store small over a long run.
constexpr std::size_t kCleanupEvery = 256;

class FixedClock final : public cortex::Clock {
 public:
  Timestamp now() const override { return now_; }

 private:
  Timestamp now_ = *cortex::parse_timestamp("2024-03-01T12:00:00.1234567Z");
};

class NullProvider final : public cortex::StorageProvider {
 public:
  cortex::Status store(const std::string&, std::string_view) override { return cortex::Status::OK(); }
  cortex::Result<std::vector<std::string>> list() override { return std::vector<std::string>{}; }
  cortex::Result<std::string> read(const std::string& name) override {
    return cortex::make_error(cortex::ErrorCode::NotFound, name);
  }
  cortex::Status remove(const std::string&) override { return cortex::Status::OK(); }
  std::string location() const override { return "nowhere (fuzz harness)"; }
};

std::string clip(std::string_view text, std::size_t limit = 300) {
  return text.size() <= limit ? std::string(text) : std::string(text.substr(0, limit)) + "...";
}

struct Harness {
  fs::path dir;
  cortex::ProviderRegistry registry;
  std::unique_ptr<cortex::ProfileCatalog> catalog;
  FixedClock clock;
  std::unique_ptr<cortex::TaskStorePool> pool;
  std::unique_ptr<cortex::ApiHandler> handler;
  std::vector<Guid> woken;  // on_registered calls, cleared per registration check
  Guid known_task;
  std::size_t registrations = 0;
};

Harness* harness = nullptr;

[[noreturn]] void setup_failed(const std::string& what) {
  std::fprintf(stderr, "fuzz_http_request: setup failed: %s\n", what.c_str());
  std::exit(1);
}

void remove_harness_dir() {
  if (!harness) return;
  std::error_code ec;
  fs::remove_all(harness->dir, ec);
}

// The one task progress and cancel can find: registered at start-up, and again when a cleanup removed it.
void register_known_task() {
  auto store = harness->pool->acquire();
  if (!store.ok()) setup_failed(store.error().describe());
  if (harness->known_task != Guid()) {
    auto found = store.value()->find(harness->known_task);
    if (found.ok() && found.value()) return;
  }
  ExportOptions options;
  options.storage_profile = std::string(kProfile);
  auto task = store.value()->register_task(options, harness->clock.now());
  if (!task.ok()) setup_failed(task.error().describe());
  harness->known_task = task.value().id;
}

std::optional<std::string> canonical_profile(const std::string& name) {
  auto profile = harness->catalog->find(name);
  if (!profile) return std::nullopt;
  return profile->name;
}

// --- Invariants -----------------------------------------------------------------------------------------------

bool in_range(std::int64_t value, std::int64_t min, std::int64_t max) { return value >= min && value <= max; }

// SPEC 2.1: what an accepted request's options may hold.
void check_options(const ExportOptions& o, ExportKind kind, bool profile_required, const std::string& context) {
  FUZZ_CHECK(o.kind == kind, context);
  FUZZ_CHECK(in_range(o.batch_size, 1, 100'000), context);
  FUZZ_CHECK(in_range(o.default_split_item_count, 1, 10'000'000), context);
  FUZZ_CHECK(in_range(o.expires_after_hours, 0, 87'600), context);
  FUZZ_CHECK(!o.cutoff_days || in_range(*o.cutoff_days, 0, 2'147'483'647), context);
  FUZZ_CHECK(o.storage_profile == kProfile || (!profile_required && o.storage_profile.empty()), context);
  FUZZ_CHECK(o.start_percentile.has_value() == o.end_percentile.has_value(), context);
  if (o.start_percentile) {
    double start = *o.start_percentile, end = *o.end_percentile;
    FUZZ_CHECK(std::isfinite(start) && std::isfinite(end), context);
    FUZZ_CHECK(start >= 0.0 && start < end && end <= 1.0, context);
    FUZZ_CHECK(!std::signbit(start), context + " (-0 is read as 0)");
  }
}

std::string outcome_text(const ExportRequestOutcome& outcome) {
  std::string out;
  if (outcome.options) out += "options " + outcome.options->to_json().dump() + "; ";
  for (const auto& e : outcome.errors) out += "error [" + clip(e.parameter) + "] " + clip(e.error) + "; ";
  if (outcome.bad_request) out += "bad request " + clip(*outcome.bad_request) + "; ";
  if (outcome.unsupported_media_type) out += "unsupported " + clip(*outcome.unsupported_media_type) + "; ";
  return out;
}

void check_outcome(ExportKind kind, const ExportRequestOutcome& outcome, bool profile_required,
                   const std::string& context) {
  std::string where = context + " -> " + outcome_text(outcome);
  int set = int(outcome.options.has_value()) + int(!outcome.errors.empty()) + int(outcome.bad_request.has_value()) +
            int(outcome.unsupported_media_type.has_value());
  FUZZ_CHECK(set == 1, "exactly one outcome: " + where);
  if (outcome.options) check_options(*outcome.options, kind, profile_required, where);
  FUZZ_CHECK(outcome.errors.size() <= kMaxParameterErrors, where);
  for (const auto& e : outcome.errors) {
    FUZZ_CHECK(!e.error.empty(), where);
    FUZZ_CHECK(e.parameter.size() <= 103, "an echoed name is clipped: " + where);
    FUZZ_CHECK(cortex::is_valid_utf8(e.parameter) && cortex::is_valid_utf8(e.error), where);
  }
  if (outcome.bad_request) {
    FUZZ_CHECK(!outcome.bad_request->empty(), where);
    FUZZ_CHECK(outcome.bad_request->size() <= 1024, "echoed client text is clipped: " + where);
    // Client text is cut at character boundaries: the answer would otherwise carry a replacement character.
    FUZZ_CHECK(cortex::is_valid_utf8(*outcome.bad_request), "the message is not UTF-8: " + where);
  }
}

std::vector<std::string> keys_of(const ordered_json& object) {
  std::vector<std::string> keys;
  for (const auto& [key, _] : object.items()) keys.push_back(key);
  return keys;
}

// SPEC 2.2: {"Message", "ExceptionType", "Errors": [{"Parameter", "Error"}]}, rule errors listed only for 400
// ModelValidationException.
void check_error_body(const ordered_json& body, std::initializer_list<std::string_view> types,
                      const std::string& where) {
  FUZZ_CHECK((keys_of(body) == std::vector<std::string>{"Message", "ExceptionType", "Errors"}), where);
  FUZZ_CHECK(body["Message"].is_string() && !body["Message"].get<std::string>().empty(), where);
  FUZZ_CHECK(body["ExceptionType"].is_string(), where);
  std::string type = body["ExceptionType"];
  FUZZ_CHECK(std::find(types.begin(), types.end(), type) != types.end(), where);
  const auto& errors = body["Errors"];
  FUZZ_CHECK(errors.is_array(), where);
  FUZZ_CHECK(errors.empty() == (type != "ModelValidationException"), where);
  for (const auto& e : errors) {
    FUZZ_CHECK(e.is_object() && (keys_of(e) == std::vector<std::string>{"Parameter", "Error"}), where);
    FUZZ_CHECK(e["Parameter"].is_string() && e["Error"].is_string() && !e["Error"].get<std::string>().empty(), where);
  }
}

bool is_timestamp_text(const ordered_json& value) {
  if (!value.is_string()) return false;
  auto t = cortex::parse_timestamp(value.get<std::string>());
  return t && cortex::format_timestamp(*t) == value.get<std::string>();
}

// SPEC 2.3: the progress object, in order.
void check_progress_body(const ordered_json& body, const std::string& where) {
  FUZZ_CHECK((keys_of(body) == std::vector<std::string>{"Id", "Created", "Updated", "TaskType", "Status", "Progress",
                                                        "Total", "Description", "PrerequisiteTaskIds"}),
             where);
  FUZZ_CHECK(body["Id"].is_string() && cortex::normalize_guid(body["Id"].get<std::string>()) == body["Id"], where);
  FUZZ_CHECK(is_timestamp_text(body["Created"]) && is_timestamp_text(body["Updated"]), where);
  FUZZ_CHECK(body["Created"].get<std::string>() <= body["Updated"].get<std::string>(), where);
  FUZZ_CHECK(body["TaskType"] == 1, where);
  FUZZ_CHECK(body["Status"].is_number_integer() && in_range(body["Status"].get<std::int64_t>(), 0, 5), where);
  FUZZ_CHECK(body["Progress"].is_number_integer() && body["Progress"].get<std::int64_t>() >= 0, where);
  FUZZ_CHECK(body["Total"].is_null() || (body["Total"].is_number_integer() && body["Total"].get<std::int64_t>() >= 0),
             where);
  FUZZ_CHECK(body["Description"].is_string(), where);
  FUZZ_CHECK(body["PrerequisiteTaskIds"].is_array(), where);
}

ordered_json parsed_body(const ApiRequest& request, const ApiResponse& answer, std::string& where) {
  const std::string text = answer.body_text();
  where = request.method + " " + clip(request.target) + " [" + clip(request.content_type) + "] " + clip(request.body) +
          " -> " + std::to_string(answer.status) + " " + clip(text, 600);
  FUZZ_CHECK(text.size() <= kMaxAnswerBytes, "answer size " + std::to_string(text.size()) + ": " + where);
  FUZZ_CHECK(ordered_json::accept(text), "the answer is not JSON: " + where);
  ordered_json body = ordered_json::parse(text);
  FUZZ_CHECK(body.is_object(), where);
  return body;
}

ApiResponse call(const ApiRequest& request) {
  std::string thrown;
  try {
    return harness->handler->handle(request);
  } catch (const std::exception& e) {
    thrown = e.what();
  } catch (...) {
    thrown = "a non-exception";
  }
  cortex::fuzz::invariant_violated(__FILE__, __LINE__, "ApiHandler::handle never throws", thrown);
}

// A registration the handler accepted: it is stored as given, validates to the same options, has its progress,
// wakes the scheduler once, and cancels at once (it is Pending: no worker runs here).
void check_registration(const ApiRequest& request, const ordered_json& body, const std::string& where) {
  FUZZ_CHECK((keys_of(body) == std::vector<std::string>{"TaskId"}) && body["TaskId"].is_string(), where);
  std::string id_text = body["TaskId"];
  auto id = Guid::parse(id_text);
  FUZZ_CHECK(id && id->str() == id_text, where);
  FUZZ_CHECK(request.method == "POST", where);
  FUZZ_CHECK(harness->woken.size() == 1 && harness->woken[0] == *id, "one wake-up per registration: " + where);
  harness->woken.clear();

  std::optional<cortex::TaskRecord> record;
  {
    auto store = harness->pool->acquire();
    FUZZ_CHECK(store.ok(), where);
    auto found = store.value()->find(*id);
    FUZZ_CHECK(found.ok() && found.value(), "a returned TaskId is stored: " + where);
    record = *found.value();
  }
  FUZZ_CHECK(record->status == cortex::TaskStatus::Pending && !record->cancel_requested, where);
  FUZZ_CHECK(record->added == harness->clock.now() && record->progress == 0 && !record->total, where);
  FUZZ_CHECK(record->description == cortex::initial_description(record->options), where);
  check_options(record->options, record->options.kind, true, where);
  auto direct =
      cortex::parse_export_request(record->options.kind, request.content_type, request.body, canonical_profile, true);
  FUZZ_CHECK(direct.options && *direct.options == record->options,
             "the stored options are the validated ones: " + where + " stored " + record->options.to_json().dump());

  std::string task_path = std::string(kBase) + "tasks/" + id_text;
  std::string w;
  ApiRequest progress{"GET", task_path + "/progress", "", "", ""};
  auto p = call(progress);
  auto p_body = parsed_body(progress, p, w);
  FUZZ_CHECK(p.status == 200, w);
  check_progress_body(p_body, w);
  FUZZ_CHECK(p_body["Id"] == id_text && p_body["Status"] == 0 && p_body["Total"].is_null(), w);

  ApiRequest cancel{"PUT", task_path + "/cancel", "", "", ""};
  auto c = call(cancel);
  auto c_body = parsed_body(cancel, c, w);
  FUZZ_CHECK(c.status == 200, w);
  check_progress_body(c_body, w);
  FUZZ_CHECK(c_body["Id"] == id_text && c_body["Status"] == 5, "a Pending task cancels at once: " + w);
  auto again = call(cancel);
  auto again_body = parsed_body(cancel, again, w);
  FUZZ_CHECK(again.status == 200 && again_body == c_body, "cancel is idempotent on a final task: " + w);

  if (++harness->registrations % kCleanupEvery == 0) {
    auto store = harness->pool->acquire();
    FUZZ_CHECK(store.ok(), "cleanup");
    // ExpiresAfterHours is at most ten years: every final task has expired twenty years on.
    auto removed = store.value()->remove_expired(harness->clock.now() + cortex::ticks_of_days(20 * 366));
    FUZZ_CHECK(removed.ok(), "cleanup");
  }
  register_known_task();
}

void check_answer(const ApiRequest& request, const ApiResponse& answer) {
  std::string where;
  ordered_json body = parsed_body(request, answer, where);
  switch (answer.status) {
    case 200:
      if (body.contains("TaskId")) return check_registration(request, body, where);
      check_progress_body(body, where);
      // No other task lives long enough to be found by a fuzzed id.
      FUZZ_CHECK(body["Id"] == harness->known_task.str(), where);
      FUZZ_CHECK(request.method == "GET" || (request.method == "PUT" && body["Status"] == 5), where);
      return;
    case 400:
      return check_error_body(body, {"ModelValidationException", "BadRequest"}, where);
    case 401:
      FUZZ_CHECK(answer.header("WWW-Authenticate") == "Bearer", where);
      return check_error_body(body, {"Unauthorized"}, where);
    case 403:
      return check_error_body(body, {"Forbidden"}, where);
    case 404:
      return check_error_body(body, {"NotFound"}, where);
    case 405: {
      check_error_body(body, {"MethodNotAllowed"}, where);
      std::string allow = answer.header("Allow");
      FUZZ_CHECK(!allow.empty(), where);
      for (std::string_view m : {"GET", "PUT", "POST"}) {
        if (allow.find(m) != std::string::npos) FUZZ_CHECK(request.method != m, "405 for an allowed method: " + where);
      }
      return;
    }
    case 415:
      return check_error_body(body, {"UnsupportedMediaType"}, where);
    default:
      // 500 means a store or an exception failed on input alone; 503 comes only while draining (check_drained).
      FUZZ_CHECK(false, "status outside the documented set: " + where);
  }
}

// While draining, an export registration (whatever its body) is refused with 503 and Retry-After; every other
// request is answered as it would be otherwise, authorization included.
void check_drained(const ApiRequest& request, const ApiResponse& drained, const ApiResponse& answer) {
  std::string where;
  ordered_json body = parsed_body(request, drained, where);
  if (drained.status == 503) {
    check_error_body(body, {"ServiceUnavailable"}, where);
    FUZZ_CHECK(drained.header("Retry-After") == "30", where);
    bool registration_route =
        (answer.status == 200 && answer.body.contains("TaskId")) || answer.status == 400 || answer.status == 415;
    FUZZ_CHECK(request.method == "POST" && registration_route, "503 for a route draining does not refuse: " + where);
    return;
  }
  FUZZ_CHECK(
      drained.status == answer.status && drained.body_text() == answer.body_text() && drained.headers == answer.headers,
      "draining changed the answer to " + where + "\nfrom " + std::to_string(answer.status) + " " +
          clip(answer.body_text()));
  FUZZ_CHECK(!(answer.status == 200 && answer.body.contains("TaskId")), "registered while draining: " + where);
}

std::string form_escape(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

// A JSON object of strings says the same as the form with those fields: both encodings must get the same outcome.
void check_form_matches_json(std::string_view body) {
  nlohmann::json document = nlohmann::json::parse(body, nullptr, false);
  if (!document.is_object()) return;
  std::vector<std::string> names;  // in body order, as the validator reads them
  nlohmann::json::parser_callback_t collect = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& v) {
    if (depth == 1 && event == nlohmann::json::parse_event_t::key) names.push_back(v.get<std::string>());
    return true;
  };
  (void)nlohmann::json::parse(body, collect, false);
  if (names.size() != document.size()) return;  // a repeated name: the JSON reading keeps only one value
  std::string form;
  for (const auto& name : names) {
    const auto& value = document.at(name);
    if (!value.is_string()) return;
    form += (form.empty() ? "" : "&") + form_escape(name) + "=" + form_escape(value.get<std::string>());
  }
  for (ExportKind kind : {ExportKind::Interactions, ExportKind::Contacts}) {
    auto from_json = cortex::parse_export_request(kind, "application/json", body, canonical_profile, true);
    auto from_form =
        cortex::parse_export_request(kind, "application/x-www-form-urlencoded", form, canonical_profile, true);
    FUZZ_CHECK(from_json.options == from_form.options && from_json.errors == from_form.errors &&
                   from_json.bad_request.has_value() == from_form.bad_request.has_value(),
               "JSON " + clip(body) + " -> " + outcome_text(from_json) + "\nform " + clip(form) + " -> " +
                   outcome_text(from_form));
  }
}

// The body straight into the validator, as JSON, as a form and with the type it came with; for the export and
// the estimate (StorageProfile optional) forms of the rules.
void check_validation(const ApiRequest& request) {
  for (ExportKind kind : {ExportKind::Interactions, ExportKind::Contacts}) {
    for (const std::string& content_type :
         {std::string("application/json"), std::string("application/x-www-form-urlencoded; charset=utf-8"),
          request.content_type}) {
      std::string context =
          std::string(cortex::to_string(kind)) + " [" + clip(content_type) + "] " + clip(request.body);
      auto outcome = cortex::parse_export_request(kind, content_type, request.body, canonical_profile, true);
      check_outcome(kind, outcome, true, context);
      auto estimate = cortex::parse_export_request(kind, content_type, request.body, canonical_profile, false);
      check_outcome(kind, estimate, false, context + " (estimate)");
      if (outcome.options) FUZZ_CHECK(estimate.options == outcome.options, context);

      auto rejection = cortex::rejection_of(outcome, content_type);
      FUZZ_CHECK(rejection.has_value() != outcome.options.has_value(), context);
      if (rejection) {
        std::string where;
        ApiRequest as_sent{"POST", std::string(kBase) + "export/tasks/contacts", content_type, request.body, ""};
        ordered_json body = parsed_body(as_sent, *rejection, where);
        FUZZ_CHECK(rejection->status == 400 || rejection->status == 415, where);
        check_error_body(body, {"ModelValidationException", "BadRequest", "UnsupportedMediaType"}, where);
      }
    }
  }
  if (cortex::body_encoding(request.content_type) == cortex::BodyEncoding::Json) check_form_matches_json(request.body);
}

// A SyncReadStream over the fuzz input, handing it out in chunks and then end of file.
class InputStream {
 public:
  explicit InputStream(std::string_view data) : data_(data) {}

  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers, beast::error_code& ec) {
    if (data_.empty()) {
      ec = net::error::eof;
      return 0;
    }
    ec = {};
    std::size_t n = net::buffer_copy(buffers, net::buffer(data_.data(), std::min(data_.size(), kReadChunk)));
    data_.remove_prefix(n);
    return n;
  }

  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers) {
    beast::error_code ec;
    std::size_t n = read_some(buffers, ec);
    if (ec) throw beast::system_error(ec);
    return n;
  }

 private:
  std::string_view data_;
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Errors only: a 500 logs one, and every 500 is a reported invariant violation anyway.
  spdlog::set_level(spdlog::level::err);
  harness = new Harness();
  // tmpfs when there is one: the task store fsyncs every registration.
  const char* tmp = std::getenv("TMPDIR");
  fs::path base = tmp && *tmp              ? fs::path(tmp)
                  : fs::exists("/dev/shm") ? fs::path("/dev/shm")
                                           : fs::temp_directory_path();
  std::string pattern = (base / "cortexd-fuzz-http-XXXXXX").string();
  if (!mkdtemp(pattern.data())) setup_failed("mkdtemp in " + base.string());
  harness->dir = pattern;
  std::atexit(remove_harness_dir);

  // The catalog opens a profile's provider to check its settings; the handler never stores anything.
  harness->registry.add(
      "folder", [](const cortex::ProviderSettings&) -> cortex::Result<std::unique_ptr<cortex::StorageProvider>> {
        return std::unique_ptr<cortex::StorageProvider>(std::make_unique<NullProvider>());
      });
  harness->catalog = std::make_unique<cortex::ProfileCatalog>(harness->registry);
  fs::create_directories(harness->dir / "profiles");
  std::ofstream(harness->dir / "profiles" / "local.yaml")
      << "name: " << kProfile << "\nprovider: folder\nsettings:\n  path: " << (harness->dir / "exports").string()
      << "\n";
  auto errors = harness->catalog->load_folder((harness->dir / "profiles").string());
  if (!errors.empty()) setup_failed(errors.front().file + ": " + errors.front().message);

  harness->pool = std::make_unique<cortex::TaskStorePool>((harness->dir / "tasks.db").string());
  harness->handler = std::make_unique<cortex::ApiHandler>(*harness->pool, *harness->catalog, harness->clock,
                                                          [](const Guid& id) { harness->woken.push_back(id); });
  // No header: allowed, so that every route stays reachable. Two tokens exercise the roles, any other is refused.
  harness->handler->set_authorizer([](std::string_view header, Access needed) {
    if (header.empty() || header == "Bearer writer") return AuthDecision::Allowed;
    if (header == "Bearer reader") return needed == Access::Read ? AuthDecision::Allowed : AuthDecision::Forbidden;
    return AuthDecision::Unauthenticated;
  });
  register_known_task();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const cortex::HttpServerOptions limits;  // the server's defaults: 64 KiB body, 8 KiB request line and headers
  InputStream stream(std::string_view(reinterpret_cast<const char*>(data), size));
  beast::flat_buffer buffer;
  for (std::size_t i = 0; i < kMaxRequestsPerInput; ++i) {
    // As the server's session does: a fresh parser per request, the header first, then the body.
    http::request_parser<http::string_body> parser;
    parser.body_limit(static_cast<std::uint64_t>(limits.body_limit_bytes));
    parser.header_limit(static_cast<std::uint32_t>(limits.header_limit_bytes));
    beast::error_code ec;
    http::read_header(stream, buffer, parser, ec);
    if (!ec) http::read(stream, buffer, parser, ec);
    if (ec) return 0;  // the server answers 413, 431 or 400, or closes; nothing of ours ran
    auto& req = parser.get();
    FUZZ_CHECK(req.body().size() <= limits.body_limit_bytes, "body of " + std::to_string(req.body().size()) + " bytes");

    ApiRequest request{std::string(req.method_string()), std::string(req.target()),
                       std::string(req[http::field::content_type]), std::move(req.body()),
                       std::string(req[http::field::authorization])};
    if (auto at = request.target.find(kKnownTaskPlaceholder); at != std::string::npos)
      request.target.replace(at, kKnownTaskPlaceholder.size(), harness->known_task.str());
    harness->woken.clear();
    // Draining first, as it must change nothing: only the export routes answer differently (503).
    harness->handler->set_draining(true);
    ApiResponse drained = call(request);
    harness->handler->set_draining(false);
    FUZZ_CHECK(harness->woken.empty(), "a registration while draining");
    ApiResponse answer = call(request);
    check_answer(request, answer);
    check_drained(request, drained, answer);
    FUZZ_CHECK(harness->woken.empty(), "a wake-up without a registration");
    check_validation(request);
    if (!req.keep_alive()) break;
  }
  return 0;
}
