// Config: the daemon's settings from one YAML file, every one with a single-machine default;
// command-line flags override the file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "workers/engine_settings.h"

namespace cortex {

struct HttpSettings {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8085;
  int threads = 2;
  std::size_t body_limit_bytes = 64 * 1024;
  int read_timeout_seconds = 30;
  int max_connections = 256;
  // TLS: both set = HTTPS; a client CA file makes client certificates required.
  std::string tls_certificate_file;
  std::string tls_private_key_file;
  std::string tls_client_ca_file;
};

// Task registration over the API: each registration is committed (one sync) before its TaskId is
// answered; registrations that arrive while a commit is syncing share the next one (group commit).
struct RegistrationSettings {
  // The most registrations one transaction commits together; 1: every registration commits alone.
  int max_group_size = 256;
};

// A configured API token: only its SHA-256 is written down.
struct ConfiguredToken {
  std::string sha256_hex;
  std::string role;  // data-admin or reader
};

struct Config {
  std::string data_dir = "cortexd-data";
  std::string collection;    // default: <data_dir>/collection.db
  std::string profiles_dir;  // default: <data_dir>/storage-profiles
  std::string plugins_dir;   // provider plugins (*.so) to load; empty: none
  HttpSettings http;
  RegistrationSettings registration;
  int workers = 2;
  int lease_seconds = 30;
  int heartbeat_seconds = 10;
  int poll_interval_ms = 500;
  int cleanup_interval_seconds = 60;
  RetryPolicy retry;
  bool ignore_default_values = true;
  std::string log_level = "info";
  std::vector<ConfiguredToken> tokens;

  std::string task_db_path() const { return data_dir + "/tasks.db"; }
  std::string collection_path() const { return collection.empty() ? data_dir + "/collection.db" : collection; }
  std::string profiles_path() const { return profiles_dir.empty() ? data_dir + "/storage-profiles" : profiles_dir; }
  EngineSettings engine_settings() const;

  // Reads a YAML file; an unknown key or a bad value is an error naming the key and its line.
  static Result<Config> load_file(const std::string& path);
  static Result<Config> parse(const std::string& yaml_text, const std::string& source_name);
  // "127.0.0.1:8085", "[::1]:8085" or ":8085".
  Status set_listen(const std::string& listen);
  // Range checks shared by the file and the flags.
  Status validate() const;
};

}  // namespace cortex
