// cortexd: the processing-engine worker daemon and its command line.
#include <iostream>
#include <map>
#include <string>

#include "service/commands.h"

namespace cortex::cli {
// config_command.cpp (declared here rather than in commands.h, which another change owns).
int config_command(const Args& args);
}  // namespace cortex::cli

namespace {

void usage(std::ostream& out) {
  out << "cortexd: exports xConnect contacts and interactions through a persistent task queue.\n\n"
         "Usage: cortexd COMMAND [options]   (cortexd COMMAND --help for its options)\n\n"
         "Commands:\n"
         "  serve      run the daemon: Web API, scheduler and export workers\n"
         "  config     check a configuration file and its storage profiles (config check FILE)\n"
         "  submit     drop an export task into the queue database (daemon running or not)\n"
         "  status     print the status table, or one task's progress\n"
         "  cancel     cancel a task\n"
         "  estimate   count what an export with these filters would write\n"
         "  token      create an API token (token create --role data-admin|reader)\n"
         "  profiles   list the storage profiles and any that failed to load\n"
         "  import     load xConnect JSON or NDJSON into a collection database\n"
         "  generate   make a realistic collection from a seed\n"
         "  demo       run the main job on the embedded default and show the export\n";
}

}  // namespace

int main(int argc, char** argv) {
  using Command = int (*)(const cortex::cli::Args&);
  const std::map<std::string, Command> commands{
      {"serve", cortex::cli::serve},       {"submit", cortex::cli::submit},     {"status", cortex::cli::status},
      {"config", cortex::cli::config_command},
      {"estimate", cortex::cli::estimate}, {"token", cortex::cli::token},
      {"cancel", cortex::cli::cancel},     {"profiles", cortex::cli::profiles}, {"import", cortex::cli::import},
      {"generate", cortex::cli::generate}, {"demo", cortex::cli::demo},
  };
  if (argc < 2) {
    usage(std::cerr);
    return 2;
  }
  std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    usage(std::cout);
    return 0;
  }
  auto it = commands.find(name);
  if (it == commands.end()) {
    std::cerr << "cortexd: unknown command '" << name << "'\n\n";
    usage(std::cerr);
    return 2;
  }
  try {
    return it->second(cortex::cli::Args(argv + 2, argv + argc));
  } catch (const std::exception& e) {
    std::cerr << "cortexd " << name << ": " << e.what() << "\n";
    return 1;
  }
}
