// Shared pieces of the cortexd subcommands: option parsing into a Config, logging set-up.
#pragma once

#include <boost/program_options.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
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
  std::string log_format;  // json or text; empty: text
};
void add_config_options(po::options_description& options, ConfigFlags& flags, bool with_service);
// The file (when given), then each flag on top. Errors name the file line or the flag.
Result<Config> resolve_config(const ConfigFlags& flags);
// The same, printing the error (for the subcommands, which then exit with kExitUsage).
std::optional<Config> resolve_config_or_report(const ConfigFlags& flags);

// Parses `args` against `options` (with positional names); prints usage for --help.
// Returns -1 to go on, or the exit code to return now.
int parse_or_usage(const std::vector<std::string>& args, const po::options_description& options,
                   const po::positional_options_description& positional, po::variables_map& vm,
                   const std::string& usage_line);

// How log lines look on stderr: `text` (the default) or `json`, one object a line:
// {"time":"2024-05-01T10:00:00.123456Z","level":"info","message":"..."}. The choice is process-wide,
// like the logger: resolve_config() records --log-format, setup_logging() and print_error() follow it.
enum class LogFormat { Text, Json };
Result<LogFormat> parse_log_format(const std::string& name);
void set_log_format(LogFormat format);
LogFormat log_format();
// One JSON log line without its newline; invalid UTF-8 in `message` becomes U+FFFD.
std::string json_log_line(std::chrono::system_clock::time_point time, std::string_view level, std::string_view message);

void setup_logging(const std::string& level);
void print_error(const std::string& message);

}  // namespace cortex::cli
