// `cortexd token create --role ROLE`: prints a new API token; only its hash is stored.
#include <filesystem>
#include <iostream>

#include "service/api_tokens.h"
#include "service/cli_common.h"
#include "service/commands.h"

namespace cortex::cli {

int token(const Args& args) {
  ConfigFlags flags;
  std::string action;
  std::string role_text = "data-admin";
  po::options_description options("cortexd token");
  options.add_options()("help", "show this help")("action", po::value(&action), "create")
      ("role", po::value(&role_text)->default_value(role_text), "data-admin (register, cancel, estimate, read) or reader");
  add_config_options(options, flags, false);
  po::positional_options_description positional;
  positional.add("action", 1);
  po::variables_map vm;
  if (int rc = parse_or_usage(args, options, positional, vm, "cortexd token create --role data-admin|reader [--data-dir DIR]");
      rc >= 0)
    return rc;
  if (action != "create") {
    print_error("token: the action must be 'create'");
    return kExitUsage;
  }
  auto role = parse_role(role_text);
  if (!role) {
    print_error("token: --role must be data-admin or reader, not '" + role_text + "'");
    return kExitUsage;
  }
  auto config = resolve_config_or_report(flags);
  if (!config) return kExitUsage;
  std::error_code ec;
  std::filesystem::create_directories(config->data_dir, ec);
  auto token = ApiTokens::create(config->data_dir, *role);
  if (!token.ok()) {
    print_error(token.error().message);
    return kExitFailure;
  }
  std::cerr << "a new " << role_text << " token; its SHA-256 is in " << ApiTokens::hashes_file(config->data_dir)
            << " and the running daemon accepts it at once. Keep it: it is not stored anywhere.\n";
  std::cout << *token << "\n";
  return kExitOk;
}

}  // namespace cortex::cli
