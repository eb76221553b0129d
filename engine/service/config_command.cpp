// `cortexd config check FILE`: validates a configuration and the storage profiles it names without
// starting the daemon (for `ExecStartPre=`, packaging scripts and people editing the file).
#include <spdlog/spdlog.h>

#include <iostream>

#include "service/cli_common.h"
#include "service/commands.h"
#include "service/daemon.h"
#include "storage/profile_catalog.h"
#include "storage/provider_registry.h"

namespace cortex::cli {

int config_command(const Args& args) {
  ConfigFlags flags;
  std::string action;
  std::string file;
  po::options_description options("cortexd config");
  options.add_options()("help", "show this help")("action", po::value(&action), "check")
      ("file", po::value(&file), "the configuration file to check (or --config FILE)");
  // The service flags too: `config check FILE --listen ...` checks what `serve` would run with.
  add_config_options(options, flags, true);
  po::positional_options_description positional;
  positional.add("action", 1).add("file", 1);
  po::variables_map vm;
  const std::string usage = "cortexd config check FILE [--profiles DIR] [--data-dir DIR] [--log-format text|json]";
  if (int rc = parse_or_usage(args, options, positional, vm, usage); rc >= 0) return rc;
  if (action != "check") {
    print_error("config: the action must be 'check'\nUsage: " + usage);
    return kExitUsage;
  }
  if (file.empty()) file = flags.config_file;
  if (file.empty() || (!flags.config_file.empty() && flags.config_file != file)) {
    print_error("config check: name one configuration file\nUsage: " + usage);
    return kExitUsage;
  }
  flags.config_file = file;
  auto config = resolve_config_or_report(flags);
  if (!config) return kExitUsage;

  // Plugin load failures are logged by register_providers (warn); the profile errors are reported
  // below, so the catalog's own log lines would only repeat them.
  setup_logging(flags.log_level.empty() ? "warn" : config->log_level);
  ProviderRegistry providers;
  register_providers(providers, config->plugins_dir);
  if (flags.log_level.empty()) spdlog::set_level(spdlog::level::off);
  ProfileCatalog catalog(providers);
  auto errors = catalog.load_folder(config->profiles_path());
  for (const auto& e : errors) {
    // The folder itself unreadable is reported under its own name, not as a profile.
    print_error(e.file == config->profiles_path() ? e.file + ": " + e.message
                                                  : "storage profile not registered: " + e.file + ": " + e.message);
  }
  if (!errors.empty()) {
    print_error(file + ": " + std::to_string(errors.size()) + " problem(s) with the storage profiles in " +
                config->profiles_path());
    return kExitUsage;
  }

  std::cout << "ok: " << file << "\n";
  std::cout << "  data_dir " << config->data_dir << ", collection " << config->collection_path() << ", listen "
            << config->http.address << ":" << config->http.port << ", " << config->workers << " worker(s)\n";
  std::string names;
  for (const auto& name : catalog.names()) {
    auto p = catalog.find(name);
    names += (names.empty() ? "" : ", ") + p->name + " (" + p->provider + ")";
  }
  std::cout << "  storage profiles in " << config->profiles_path() << ": " << (names.empty() ? "(none)" : names)
            << "\n";
  return kExitOk;
}

}  // namespace cortex::cli
