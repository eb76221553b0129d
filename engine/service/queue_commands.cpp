// `cortexd submit`, `status`, `cancel` and `profiles`: working on the queue database directly, so
// they work whether the daemon runs or not (the daemon picks submitted tasks up from the database).
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "api/export_parameters.h"
#include "queue/task_store.h"
#include "service/cli_common.h"
#include "service/commands.h"
#include "service/daemon.h"
#include "workers/export_estimate.h"

namespace cortex::cli {
namespace {

// `submit` creates the data directory and store; the readers (status, cancel) refuse a missing one, so
// that a mistyped --data-dir is said, not silently made.
Result<std::unique_ptr<TaskStore>> open_existing_store(const Config& config) {
  if (!std::filesystem::exists(config.task_db_path())) {
    return make_error(ErrorCode::NotFound, "there is no task store at " + config.task_db_path() +
                                               " (is --data-dir or data_dir right?)");
  }
  return TaskStore::open(config.task_db_path());
}

Result<std::unique_ptr<TaskStore>> open_store(const Config& config) {
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) return make_error(ErrorCode::IOError, "cannot create the data directory " + config.data_dir + ": " + ec.message());
  return TaskStore::open(config.task_db_path());
}

std::string percent(const TaskRecord& t) {
  if (!t.total) return "-";
  if (*t.total == 0) return "100.0%";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * static_cast<double>(t.progress) / static_cast<double>(*t.total));
  return buf;
}

// The export parameters as flags, turned into a request body so that the Web API's validation applies.
struct ExportFlags {
  std::string kind;
  std::string profile;
  std::int64_t batch_size = 0, split = 0, expires = 0, cutoff = 0;
  double start_percentile = 0, end_percentile = 0;

  void add_to(po::options_description& options, bool with_task_settings) {
    options.add_options()("kind", po::value(&kind), "interactions or contacts")
        ("storage-profile", po::value(&profile), with_task_settings ? "registered storage profile (required)"
                                                                     : "a registered storage profile (optional)");
    if (with_task_settings) {
      options.add_options()
          ("batch-size", po::value(&batch_size), "items per batch file, 1..100000 (default 100)")
          ("default-split-item-count", po::value(&split), "items per cursor, 1..10000000 (default 100)")
          ("expires-after-hours", po::value(&expires), "hours a finished task is kept, 0..87600 (default 24)");
    }
    options.add_options()
        ("started-days-cutoff", po::value(&cutoff), "interactions: leave out those started less than N days ago")
        ("cutoff-days", po::value(&cutoff), "contacts: leave out those modified less than N days ago")
        ("start-percentile", po::value(&start_percentile), "0..1, with --end-percentile")
        ("end-percentile", po::value(&end_percentile), "0..1, greater than --start-percentile");
  }

  // The flag of a Web API parameter, for error messages (the API's validation names its parameters).
  static std::string flag_of(const std::string& parameter) {
    static const std::pair<const char*, const char*> kFlags[] = {
        {"StorageProfile", "--storage-profile"},       {"BatchSize", "--batch-size"},
        {"DefaultSplitItemCount", "--default-split-item-count"}, {"ExpiresAfterHours", "--expires-after-hours"},
        {"StartedDaysCutoff", "--started-days-cutoff"}, {"CutoffDays", "--cutoff-days"},
        {"StartPercentile", "--start-percentile"},     {"EndPercentile", "--end-percentile"}};
    for (const auto& [name, flag] : kFlags) {
      if (parameter == name) return flag;
    }
    return parameter;
  }

  std::optional<ExportKind> export_kind() const {
    if (kind == "interactions") return ExportKind::Interactions;
    if (kind == "contacts") return ExportKind::Contacts;
    return std::nullopt;
  }

  std::string body(const po::variables_map& vm) const {
    nlohmann::json body = nlohmann::json::object();
    if (vm.count("storage-profile")) body["StorageProfile"] = profile;
    if (vm.count("batch-size")) body["BatchSize"] = batch_size;
    if (vm.count("default-split-item-count")) body["DefaultSplitItemCount"] = split;
    if (vm.count("expires-after-hours")) body["ExpiresAfterHours"] = expires;
    if (vm.count("started-days-cutoff")) body["StartedDaysCutoff"] = cutoff;
    if (vm.count("cutoff-days")) body["CutoffDays"] = cutoff;
    if (vm.count("start-percentile")) body["StartPercentile"] = start_percentile;
    if (vm.count("end-percentile")) body["EndPercentile"] = end_percentile;
    return body.dump();
  }
};

// Validates the flags like the Web API does; prints every error. nullopt: rejected.
std::optional<ExportOptions> validated_options(const ExportFlags& flags, const po::variables_map& vm,
                                               const Config& config, bool profile_required) {
  auto kind = flags.export_kind();
  if (flags.kind.empty()) {
    print_error("name the kind first: interactions or contacts");
    return std::nullopt;
  }
  if (!kind) {
    print_error("the kind must be 'interactions' or 'contacts', not '" + flags.kind + "'");
    return std::nullopt;
  }
  // Each kind has its own cutoff flag.
  const char* wrong_cutoff = *kind == ExportKind::Interactions ? "cutoff-days" : "started-days-cutoff";
  if (vm.count(wrong_cutoff)) {
    print_error(std::string("--") + wrong_cutoff + " is not for " + flags.kind + "; use " +
                (*kind == ExportKind::Interactions ? "--started-days-cutoff" : "--cutoff-days"));
    return std::nullopt;
  }
  ProviderRegistry providers;
  register_providers(providers, config.plugins_dir);
  ProfileCatalog catalog(providers);
  // Profiles matter only when one is named (an estimate needs none).
  if (vm.count("storage-profile")) catalog.load_folder(config.profiles_path());
  auto outcome = parse_export_request(*kind, "application/json", flags.body(vm),
                                      [&](const std::string& name) -> std::optional<std::string> {
                                        auto p = catalog.find(name);
                                        if (!p) return std::nullopt;
                                        return p->name;
                                      },
                                      profile_required);
  if (!outcome.options) {
    for (const auto& e : outcome.errors) print_error(ExportFlags::flag_of(e.parameter) + ": " + e.error);
    if (outcome.bad_request) print_error(*outcome.bad_request);
    return std::nullopt;
  }
  return outcome.options;
}

}  // namespace

int submit(const Args& args) {
  ConfigFlags flags;
  ExportFlags export_flags;
  po::options_description options("cortexd submit");
  options.add_options()("help", "show this help");
  export_flags.add_to(options, true);
  add_config_options(options, flags, false);
  po::positional_options_description positional;
  positional.add("kind", 1);
  po::variables_map vm;
  if (int rc = parse_or_usage(args, options, positional, vm,
                              "cortexd submit interactions|contacts --storage-profile NAME [--batch-size N] [...]");
      rc >= 0)
    return rc;
  auto config = resolve_config_or_report(flags);
  if (!config) return kExitUsage;
  setup_logging(flags.log_level.empty() ? "warn" : config->log_level);
  auto options_ok = validated_options(export_flags, vm, *config, true);
  if (!options_ok) return kExitUsage;
  auto store = open_store(*config);
  if (!store.ok()) {
    print_error(store.error().message);
    return kExitFailure;
  }
  auto task = (*store)->register_task(*options_ok, SystemClock().now());
  if (!task.ok()) {
    print_error("the task was not registered: " + task.error().message);
    return kExitFailure;
  }
  std::cout << task->id.str() << "\n";
  return kExitOk;
}

int estimate(const Args& args) {
  ConfigFlags flags;
  ExportFlags export_flags;
  po::options_description options("cortexd estimate");
  options.add_options()("help", "show this help");
  export_flags.add_to(options, false);
  add_config_options(options, flags, false);
  po::positional_options_description positional;
  positional.add("kind", 1);
  po::variables_map vm;
  if (int rc = parse_or_usage(args, options, positional, vm,
                              "cortexd estimate interactions|contacts [--started-days-cutoff N | --cutoff-days N] "
                              "[--start-percentile X --end-percentile Y]");
      rc >= 0)
    return rc;
  auto config = resolve_config_or_report(flags);
  if (!config) return kExitUsage;
  setup_logging(flags.log_level.empty() ? "warn" : config->log_level);
  auto options_ok = validated_options(export_flags, vm, *config, false);
  if (!options_ok) return kExitUsage;
  auto count = estimate_export(config->collection_path(), *options_ok, SystemClock().now());
  if (!count.ok()) {
    print_error(count.error().message);
    return kExitFailure;
  }
  std::cout << *count << "\n";
  return kExitOk;
}

int status(const Args& args) {
  ConfigFlags flags;
  std::string task_id;
  po::options_description options("cortexd status");
  options.add_options()("help", "show this help")("task-id", po::value(&task_id), "one task: print its progress object");
  add_config_options(options, flags, false);
  po::positional_options_description positional;
  positional.add("task-id", 1);
  po::variables_map vm;
  if (int rc = parse_or_usage(args, options, positional, vm, "cortexd status [TASKID] [--data-dir DIR]"); rc >= 0)
    return rc;
  auto config = resolve_config_or_report(flags);
  if (!config) return kExitUsage;
  setup_logging(flags.log_level.empty() ? "warn" : config->log_level);
  auto store = open_existing_store(*config);
  if (!store.ok()) {
    print_error(store.error().message);
    return kExitFailure;
  }
  if (!task_id.empty()) {
    auto id = Guid::parse(task_id);
    if (!id) {
      print_error("'" + task_id + "' is not a task id (a GUID)");
      return kExitUsage;
    }
    auto task = (*store)->find(*id);
    if (!task.ok()) {
      print_error(task.error().message);
      return kExitFailure;
    }
    if (!*task) {
      print_error("no task " + id->str());
      return kExitFailure;
    }
    std::cout << progress_json(**task).dump(2) << "\n";
    if ((*task)->error) std::cout << "Error: " << *(*task)->error << "\n";
    return kExitOk;
  }
  auto tasks = (*store)->list();
  if (!tasks.ok()) {
    print_error(tasks.error().message);
    return kExitFailure;
  }
  std::printf("%-36s  %-10s  %-12s  %-16s  %10s  %10s  %7s  %s\n", "TaskId", "Status", "Kind", "Profile", "Progress",
              "Total", "Done", "Updated");
  for (const auto& t : *tasks) {
    std::string st = to_string(t.status);
    if (t.cancel_requested && !is_final(t.status)) st += "*";
    std::printf("%-36s  %-10s  %-12s  %-16s  %10lld  %10s  %7s  %s\n", t.id.str().c_str(), st.c_str(),
                to_string(t.options.kind), t.options.storage_profile.c_str(), static_cast<long long>(t.progress),
                t.total ? std::to_string(*t.total).c_str() : "-", percent(t).c_str(), format_timestamp(t.updated).c_str());
    if (t.error) std::printf("    error: %s\n", t.error->c_str());
  }
  if (tasks->empty()) std::printf("(no tasks in %s)\n", config->task_db_path().c_str());
  return kExitOk;
}

int cancel(const Args& args) {
  ConfigFlags flags;
  std::string task_id;
  po::options_description options("cortexd cancel");
  options.add_options()("help", "show this help")("task-id", po::value(&task_id), "the task to cancel");
  add_config_options(options, flags, false);
  po::positional_options_description positional;
  positional.add("task-id", 1);
  po::variables_map vm;
  if (int rc = parse_or_usage(args, options, positional, vm, "cortexd cancel TASKID [--data-dir DIR]"); rc >= 0)
    return rc;
  auto config = resolve_config_or_report(flags);
  if (!config) return kExitUsage;
  setup_logging(flags.log_level.empty() ? "warn" : config->log_level);
  if (task_id.empty()) {
    print_error("cancel: name the task: cortexd cancel TASKID");
    return kExitUsage;
  }
  auto id = Guid::parse(task_id);
  if (!id) {
    print_error("'" + task_id + "' is not a task id (a GUID)");
    return kExitUsage;
  }
  auto store = open_existing_store(*config);
  if (!store.ok()) {
    print_error(store.error().message);
    return kExitFailure;
  }
  auto task = (*store)->request_cancel(*id, SystemClock().now());
  if (!task.ok()) {
    print_error(task.error().message);
    return kExitFailure;
  }
  if (!*task) {
    print_error("no task " + id->str());
    return kExitFailure;
  }
  std::cout << progress_json(**task).dump(2) << "\n";
  return kExitOk;
}

int profiles(const Args& args) {
  ConfigFlags flags;
  po::options_description options("cortexd profiles");
  options.add_options()("help", "show this help");
  add_config_options(options, flags, false);
  po::variables_map vm;
  if (int rc = parse_or_usage(args, options, {}, vm, "cortexd profiles [--profiles DIR]"); rc >= 0) return rc;
  auto config = resolve_config_or_report(flags);
  if (!config) return kExitUsage;
  setup_logging("off");
  ProviderRegistry providers;
  register_providers(providers, config->plugins_dir);
  ProfileCatalog catalog(providers);
  auto errors = catalog.load_folder(config->profiles_path());
  std::cout << "Storage profiles in " << config->profiles_path() << ":\n";
  for (const auto& name : catalog.names()) {
    auto p = catalog.find(name);
    auto provider = catalog.open_provider(name);
    std::cout << "  " << p->name << "  -> " << (provider.ok() ? (*provider)->location() : provider.error().message)
              << "\n";
  }
  if (catalog.names().empty()) std::cout << "  (none)\n";
  for (const auto& e : errors) std::cout << "  NOT REGISTERED " << e.file << ": " << e.message << "\n";
  return errors.empty() ? kExitOk : kExitUsage;
}

}  // namespace cortex::cli
