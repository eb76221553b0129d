// `cortexd demo`: the main job end to end on the embedded default. It generates a collection,
// registers a folder profile, starts the daemon on a loopback port, registers an interaction export
// over the Web API, follows its progress and shows what was written.
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "api/http_client.h"
#include "collection/collection_db.h"
#include "collection/collection_generator.h"
#include "queue/task.h"
#include "service/cli_common.h"
#include "service/commands.h"
#include "service/api_tokens.h"
#include "service/daemon.h"
#include "workers/cursor_splitter.h"

namespace cortex::cli {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

int demo(const Args& args) {
  std::string dir = "cortexd-demo";
  GeneratorOptions g;
  g.contacts = 2000;
  g.interactions_per_contact = 5;
  g.seed = 42;
  std::int64_t batch_size = 1000;
  std::int64_t split = 2500;
  std::string log_level = "warn";
  po::options_description options("cortexd demo");
  options.add_options()("help", "show this help")
      ("dir", po::value(&dir)->default_value(dir), "working folder: collection, data, profiles and exports go here")
      ("contacts", po::value(&g.contacts)->default_value(g.contacts), "contacts to generate (first run only)")
      ("interactions-per-contact", po::value(&g.interactions_per_contact)->default_value(g.interactions_per_contact),
       "interactions per contact (first run only)")
      ("batch-size", po::value(&batch_size)->default_value(batch_size), "BatchSize of the export")
      ("default-split-item-count", po::value(&split)->default_value(split), "DefaultSplitItemCount of the export")
      ("log-level", po::value(&log_level)->default_value(log_level), "daemon log level");
  po::variables_map vm;
  if (int rc = parse_or_usage(args, options, {}, vm, "cortexd demo [--dir DIR]"); rc >= 0) return rc;
  setup_logging(log_level);

  fs::path root = fs::absolute(dir);
  fs::create_directories(root / "storage-profiles");
  fs::path exports = root / "exports";
  Config config;
  config.data_dir = (root / "data").string();
  config.collection = (root / "collection.db").string();
  config.profiles_dir = (root / "storage-profiles").string();
  config.http.port = 0;  // any free loopback port
  config.poll_interval_ms = 100;
  config.log_level = log_level;

  std::cout << "== cortexd demo in " << root.string() << "\n";
  {
    if (!fs::exists(config.collection)) {
      g.now = SystemClock().now();
      auto report = generate_collection_file(config.collection, g);
      if (!report.ok()) {
        print_error("generating the collection: " + report.error().message);
        return kExitFailure;
      }
      std::cout << "1. generated a collection of " << report->contacts << " contacts and " << report->interactions
                << " interactions (seed " << g.seed << "): " << config.collection << "\n";
    } else {
      std::cout << "1. using the collection " << config.collection << "\n";
    }
  }
  {
    std::ofstream profile(root / "storage-profiles" / "demo-folder.yaml");
    profile << "# A folder storage profile written by `cortexd demo`.\nname: DemoFolder\nprovider: folder\nsettings:\n"
            << "  path: " << exports.string() << "\n";
  }
  std::cout << "2. registered the storage profile DemoFolder -> " << exports.string() << "\n";

  Daemon daemon(config);
  auto started = daemon.start();
  if (!started.ok()) {
    print_error("the daemon did not start: " + started.error().message);
    return kExitFailure;
  }
  std::cout << "3. started the daemon on http://127.0.0.1:" << daemon.port() << "/sitecore/api/datatools/\n";
  // The API wants a bearer token; the daemon wrote one for local clients on its first start.
  auto token = ApiTokens::read_client_token(config.data_dir);
  if (!token) {
    print_error("no API token in " + ApiTokens::token_file(config.data_dir));
    return kExitFailure;
  }
  HttpHeaders auth{{"Authorization", "Bearer " + *token}};
  std::cout << "   (authenticated with the token in " << ApiTokens::token_file(config.data_dir) << ")\n";

  nlohmann::json body{{"StorageProfile", "DemoFolder"}, {"BatchSize", batch_size}, {"DefaultSplitItemCount", split},
                      {"StartedDaysCutoff", 30}};
  std::string target = "/sitecore/api/datatools/export/tasks/interactions";
  auto reply = http_request("127.0.0.1", daemon.port(), "POST", target, "application/json", body.dump(),
                            std::chrono::seconds(30), auth);
  if (!reply.ok() || reply->status != 200) {
    print_error("registering the export failed: " + (reply.ok() ? reply->body : reply.error().message));
    return kExitFailure;
  }
  std::string task_id = nlohmann::json::parse(reply->body).at("TaskId").get<std::string>();
  std::cout << "4. POST " << target << " " << body.dump() << "\n   -> " << reply->body << "\n";

  nlohmann::ordered_json progress;
  std::int64_t last_progress = -1;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(10);
  while (std::chrono::steady_clock::now() < deadline) {
    auto p = http_request("127.0.0.1", daemon.port(), "GET", "/sitecore/api/datatools/tasks/" + task_id + "/progress",
                          "", "", std::chrono::seconds(30), auth);
    if (!p.ok()) {
      print_error("reading progress: " + p.error().message);
      return kExitFailure;
    }
    progress = nlohmann::ordered_json::parse(p->body);
    auto current = progress.value("Progress", std::int64_t{0});
    if (current != last_progress) {
      std::cout << "   progress: " << current << " / "
                << (progress["Total"].is_null() ? std::string("?") : progress["Total"].dump()) << "\n";
      last_progress = current;
    }
    if (is_final(static_cast<TaskStatus>(progress.value("Status", 0)))) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  daemon.stop();
  std::cout << "5. GET .../tasks/" << task_id << "/progress -> " << progress.dump() << "\n";
  if (progress.value("Status", 0) != static_cast<int>(TaskStatus::Completed)) {
    print_error("the export did not complete: " + progress.value("Description", std::string()));
    return kExitFailure;
  }

  fs::path manifest_path = exports / (task_id + "_manifest.json");
  auto manifest = nlohmann::json::parse(read_file(manifest_path));
  std::cout << "6. the export: " << manifest["FileCount"] << " batch file(s), " << manifest["TotalItems"]
            << " interaction(s), " << manifest["TotalBytes"] << " bytes\n   manifest: " << manifest_path.string() << "\n";
  // An independent check: count what the filter matches straight from the collection.
  auto db = open_collection_for_reading(config.collection);
  if (db.ok()) {
    ExportOptions o;
    o.cutoff_days = 30;
    auto registered = parse_timestamp(progress["Created"].get<std::string>());
    auto count = count_matching(**db, ExtractionFilter::for_task(o, registered.value_or(Timestamp{})));
    if (count.ok()) {
      bool same = *count == manifest["TotalItems"].get<std::int64_t>();
      std::cout << "   check: the collection holds " << *count << " interaction(s) started 30+ days before the task: "
                << (same ? "matches the manifest" : "DOES NOT MATCH the manifest") << "\n";
      if (!same) return kExitFailure;
    }
  }
  if (!manifest["Files"].empty()) {
    fs::path first = exports / manifest["Files"][0]["Name"].get<std::string>();
    auto batch = nlohmann::ordered_json::parse(read_file(first));
    std::cout << "7. the first interaction of " << first.string() << ":\n" << batch[0].dump(2) << "\n";
  }
  std::cout << "Open " << exports.string() << " to see every file; run `cortexd demo --dir " << dir
            << "` again for another export of the same collection.\n";
  return kExitOk;
}

}  // namespace cortex::cli
