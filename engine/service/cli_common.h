// Shared pieces of the cortexd subcommands: option parsing into a Config, logging set-up.
#pragma once

#include <boost/program_options.hpp>

#include <string>
#include <vector>

#include "service/config.h"

namespace cortex::cli {

namespace po = boost::program_options;

// Exit codes: 0 success, 1 failure, 2 bad usage or partial success (import skipped records).
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// --config, --data-dir, --collection, --profiles (and, with `with_service`, --listen and --workers).
struct ConfigFlags {
  std::string config_file;
  std::string data_dir;
  std::string collection;
  std::string profiles;
  std::string listen;
  int workers = 0;
  std::string log_level;
};
void add_config_options(po::options_description& options, ConfigFlags& flags, bool with_service);
// The file (when given), then each flag on top. Errors name the file line or the flag.
Result<Config> resolve_config(const ConfigFlags& flags);

// Parses `args` against `options` (with positional names); prints usage for --help.
// Returns -1 to go on, or the exit code to return now.
int parse_or_usage(const std::vector<std::string>& args, const po::options_description& options,
                   const po::positional_options_description& positional, po::variables_map& vm,
                   const std::string& usage_line);

void setup_logging(const std::string& level);
void print_error(const std::string& message);

}  // namespace cortex::cli
