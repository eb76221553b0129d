// Option parsing and logging set-up shared by the subcommands.
#include "service/cli_common.h"

#include <nlohmann/json.hpp>
#include <spdlog/formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <memory>

namespace cortex::cli {
namespace {

std::atomic<LogFormat> g_log_format{LogFormat::Text};

// spdlog formatter for --log-format json: one object a line, the message escaped by nlohmann::json.
class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    auto level = spdlog::level::to_string_view(msg.level);
    std::string line = json_log_line(msg.time, std::string_view(level.data(), level.size()),
                                     std::string_view(msg.payload.data(), msg.payload.size()));
    line.push_back('\n');
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonLogFormatter>(); }
};

}  // namespace

void add_config_options(po::options_description& options, ConfigFlags& flags, bool with_service) {
  options.add_options()
      ("config", po::value(&flags.config_file), "YAML configuration file (every setting has a default)")
      ("data-dir", po::value(&flags.data_dir), "data directory holding tasks.db (default: ./cortexd-data)")
      ("collection", po::value(&flags.collection), "collection database (default: <data-dir>/collection.db)")
      ("profiles", po::value(&flags.profiles), "storage profiles folder (default: <data-dir>/storage-profiles)")
      ("log-level", po::value(&flags.log_level), "trace, debug, info, warn, error (default: info)")
      ("log-format", po::value(&flags.log_format), "text or json (one JSON object a line on stderr; default: text)");
  if (with_service) {
    options.add_options()
        ("listen", po::value(&flags.listen), "HOST:PORT to listen on (default: 127.0.0.1:8085; port 0 picks one)")
        ("workers", po::value(&flags.workers), "export worker threads (default: 2)");
  }
}

Result<Config> resolve_config(const ConfigFlags& flags) {
  if (!flags.log_format.empty()) {
    auto format = parse_log_format(flags.log_format);
    if (!format.ok()) return format.error().with_context("--log-format");
    set_log_format(*format);
  }
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

std::optional<Config> resolve_config_or_report(const ConfigFlags& flags) {
  auto config = resolve_config(flags);
  if (!config.ok()) {
    print_error(config.error().message);
    return std::nullopt;
  }
  return std::move(*config);
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

Result<LogFormat> parse_log_format(const std::string& name) {
  if (name == "text") return LogFormat::Text;
  if (name == "json") return LogFormat::Json;
  return make_error(ErrorCode::InvalidArgument, "the log format must be text or json, not '" + name + "'");
}

void set_log_format(LogFormat format) { g_log_format = format; }

LogFormat log_format() { return g_log_format; }

std::string json_log_line(std::chrono::system_clock::time_point time, std::string_view level, std::string_view message) {
  auto micros = std::chrono::floor<std::chrono::microseconds>(time);
  auto day = std::chrono::floor<std::chrono::days>(micros);
  std::chrono::year_month_day date{day};
  std::chrono::hh_mm_ss clock{micros - day};
  char stamp[40];
  std::snprintf(stamp, sizeof stamp, "%04d-%02u-%02uT%02d:%02d:%02d.%06lldZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                static_cast<int>(clock.seconds().count()), static_cast<long long>(clock.subseconds().count()));
  // error_handler_t::replace: a log line stays valid JSON even when a file name is not UTF-8.
  auto text = [](std::string_view v) {
    return nlohmann::json(std::string(v)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  return std::string("{\"time\":\"") + stamp + "\",\"level\":" + text(level) + ",\"message\":" + text(message) + "}";
}

void setup_logging(const std::string& level) {
  // A second set-up in one process (demo, tests) replaces the first logger instead of throwing.
  spdlog::drop("cortexd");
  if (log_format() == LogFormat::Json) {
    auto logger = spdlog::stderr_logger_mt("cortexd");
    logger->set_formatter(std::make_unique<JsonLogFormatter>());
    spdlog::set_default_logger(logger);
  } else {
    auto logger = spdlog::stderr_color_mt("cortexd");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  }
  spdlog::set_level(spdlog::level::from_str(level));
}

void print_error(const std::string& message) {
  if (log_format() == LogFormat::Json) {
    std::cerr << json_log_line(std::chrono::system_clock::now(), "error", message) << std::endl;
    return;
  }
  std::cerr << "cortexd: " << message << "\n";
}

}  // namespace cortex::cli
