// Option parsing and logging set-up shared by the subcommands.
#include "service/cli_common.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>

namespace cortex::cli {

void add_config_options(po::options_description& options, ConfigFlags& flags, bool with_service) {
  options.add_options()
      ("config", po::value(&flags.config_file), "YAML configuration file (every setting has a default)")
      ("data-dir", po::value(&flags.data_dir), "data directory holding tasks.db (default: ./cortexd-data)")
      ("collection", po::value(&flags.collection), "collection database (default: <data-dir>/collection.db)")
      ("profiles", po::value(&flags.profiles), "storage profiles folder (default: <data-dir>/storage-profiles)")
      ("log-level", po::value(&flags.log_level), "trace, debug, info, warn, error (default: info)");
  if (with_service) {
    options.add_options()
        ("listen", po::value(&flags.listen), "HOST:PORT to listen on (default: 127.0.0.1:8085; port 0 picks one)")
        ("workers", po::value(&flags.workers), "export worker threads (default: 2)");
  }
}

Result<Config> resolve_config(const ConfigFlags& flags) {
  Config config;
  if (!flags.config_file.empty()) {
    auto loaded = Config::load_file(flags.config_file);
    if (!loaded.ok()) return loaded.error();
    config = *loaded;
  }
  if (!flags.data_dir.empty()) config.data_dir = flags.data_dir;
  if (!flags.collection.empty()) config.collection = flags.collection;
  if (!flags.profiles.empty()) config.profiles_dir = flags.profiles;
  if (!flags.log_level.empty()) config.log_level = flags.log_level;
  if (!flags.listen.empty()) {
    auto s = config.set_listen(flags.listen);
    if (!s.ok()) return s.error().with_context("--listen");
  }
  if (flags.workers != 0) config.workers = flags.workers;
  auto valid = config.validate();
  if (!valid.ok()) return valid.error();
  return config;
}

int parse_or_usage(const std::vector<std::string>& args, const po::options_description& options,
                   const po::positional_options_description& positional, po::variables_map& vm,
                   const std::string& usage_line) {
  try {
    po::store(po::command_line_parser(args).options(options).positional(positional).run(), vm);
    if (vm.count("help")) {
      std::cout << "Usage: " << usage_line << "\n\n" << options << "\n";
      return kExitOk;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "cortexd: " << e.what() << "\nUsage: " << usage_line << "\n(--help lists the options)\n";
    return kExitUsage;
  }
  return -1;
}

void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("cortexd");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  spdlog::set_level(spdlog::level::from_str(level));
}

void print_error(const std::string& message) { std::cerr << "cortexd: " << message << "\n"; }

}  // namespace cortex::cli
