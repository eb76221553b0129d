// `cortexd import` and `cortexd generate`: filling a collection database.
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <iostream>

#include "collection/collection_db.h"
#include "collection/collection_generator.h"
#include "collection/collection_importer.h"
#include "service/cli_common.h"
#include "service/commands.h"

namespace cortex::cli {
namespace {

std::string collection_path(const Config& config) {
  auto path = config.collection_path();
  auto parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  return path;
}

}  // namespace

int import(const Args& args) {
  ConfigFlags flags;
  std::vector<std::string> inputs;
  po::options_description options("cortexd import");
  options.add_options()("help", "show this help")("input", po::value(&inputs)->multitoken(),
                                                  "xConnect JSON ({\"value\":[...]} or [...]) or NDJSON files");
  add_config_options(options, flags, false);
  po::positional_options_description positional;
  positional.add("input", -1);
  po::variables_map vm;
  if (int rc = parse_or_usage(args, options, positional, vm, "cortexd import [--collection FILE] INPUT..."); rc >= 0)
    return rc;
  if (inputs.empty()) {
    print_error("import: name at least one input file");
    return kExitUsage;
  }
  auto config = resolve_config_or_report(flags);
  if (!config) return kExitUsage;
  setup_logging(config->log_level);
  auto path = collection_path(*config);
  auto db = create_collection(path);
  if (!db.ok()) {
    print_error(db.error().message);
    return kExitFailure;
  }
  SystemClock clock;
  CollectionImporter importer(**db, clock);
  ImportReport report;
  for (const auto& input : inputs) {
    auto s = importer.import_file(input, report);
    if (!s.ok()) {
      print_error("import of " + input + " stopped: " + s.error().message);
      return kExitFailure;
    }
  }
  for (const auto& p : report.problems) std::cerr << p.source << ": " << p.position << ": " << p.message << "\n";
  std::cout << "loaded " << report.contacts << " contact(s) and " << report.interactions
            << " interaction(s) into " << path << " (new ones added, known ids updated in place); skipped "
            << report.skipped << " bad record(s)\n";
  return report.problems.empty() ? kExitOk : kExitUsage;
}

int generate(const Args& args) {
  ConfigFlags flags;
  GeneratorOptions g;
  po::options_description options("cortexd generate");
  options.add_options()("help", "show this help")
      ("contacts", po::value(&g.contacts)->default_value(g.contacts), "how many contacts")
      ("interactions-per-contact", po::value(&g.interactions_per_contact)->default_value(g.interactions_per_contact),
       "mean interactions per contact (the total is exactly contacts x this)")
      ("seed", po::value(&g.seed)->default_value(g.seed), "the same seed makes the same collection");
  add_config_options(options, flags, false);
  po::variables_map vm;
  if (int rc = parse_or_usage(args, options, {}, vm,
                              "cortexd generate --collection FILE --contacts N --interactions-per-contact M --seed S");
      rc >= 0)
    return rc;
  if (g.contacts < 0 || g.interactions_per_contact < 0) {
    print_error("generate: --contacts and --interactions-per-contact must not be negative");
    return kExitUsage;
  }
  auto config = resolve_config_or_report(flags);
  if (!config) return kExitUsage;
  setup_logging(config->log_level);
  auto path = collection_path(*config);
  g.now = SystemClock().now();
  auto started = std::chrono::steady_clock::now();
  // A missing file is built out of sight and renamed into place; an existing collection is appended to.
  auto report = generate_collection_file(path, g);
  if (!report.ok()) {
    print_error("generate: " + report.error().message);
    return kExitFailure;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "generated " << report->contacts << " contact(s) and " << report->interactions << " interaction(s) into "
            << path << " in " << seconds << " s\n";
  return kExitOk;
}

}  // namespace cortex::cli
