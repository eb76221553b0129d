// Reading and checking the YAML configuration.
#include "service/config.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <type_traits>
#include <functional>
#include <map>
#include <sstream>

namespace cortex {
namespace {

std::string where(const YAML::Node& node, const std::string& source, const std::string& key) {
  return source + " line " + std::to_string(node.Mark().line + 1) + ": '" + key + "'";
}

template <typename T>
const char* expected_type() {
  if constexpr (std::is_same_v<T, bool>) return "true or false";
  else if constexpr (std::is_integral_v<T>) return "a whole number";
  else return "text";
}

template <typename T>
Status read_scalar(const YAML::Node& node, const std::string& source, const std::string& key, T& out) {
  if (!node.IsScalar()) return make_error(ErrorCode::InvalidArgument, where(node, source, key) + " must be a single value");
  try {
    out = node.as<T>();
  } catch (const YAML::Exception&) {
    return make_error(ErrorCode::InvalidArgument,
                      where(node, source, key) + " has the bad value '" + node.Scalar() + "' (expected " +
                          expected_type<T>() + ")");
  }
  return Status::OK();
}

using Setter = std::function<Status(const YAML::Node&, const std::string& key)>;

Status read_map(const YAML::Node& map, const std::string& source, const std::string& prefix,
                const std::map<std::string, Setter>& setters) {
  if (!map.IsMap()) return make_error(ErrorCode::InvalidArgument, source + ": '" + prefix + "' must be a mapping");
  for (const auto& entry : map) {
    std::string key = entry.first.as<std::string>();
    std::string full = prefix.empty() ? key : prefix + "." + key;
    auto it = setters.find(key);
    if (it == setters.end()) {
      return make_error(ErrorCode::InvalidArgument, where(entry.first, source, full) + " is not a known setting");
    }
    CORTEX_RETURN_IF_ERROR(it->second(entry.second, full));
  }
  return Status::OK();
}

}  // namespace

EngineSettings Config::engine_settings() const {
  EngineSettings s;
  s.task_db_path = task_db_path();
  s.collection_path = collection_path();
  s.workers = workers;
  s.lease = std::chrono::seconds(lease_seconds);
  s.heartbeat = std::chrono::seconds(heartbeat_seconds);
  s.poll_interval = std::chrono::milliseconds(poll_interval_ms);
  s.cleanup_interval = std::chrono::seconds(cleanup_interval_seconds);
  s.retry = retry;
  s.ignore_default_values = ignore_default_values;
  return s;
}

Status Config::set_listen(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return make_error(ErrorCode::InvalidArgument, "listen address '" + listen + "' must be HOST:PORT");
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::string port_text = listen.substr(colon + 1);
  int port = -1;
  try {
    std::size_t used = 0;
    port = std::stoi(port_text, &used);
    if (used != port_text.size()) port = -1;
  } catch (const std::exception&) {
    port = -1;
  }
  if (port < 0 || port > 65535) {
    return make_error(ErrorCode::InvalidArgument, "listen address '" + listen + "' has a bad port");
  }
  http.address = host.empty() ? "127.0.0.1" : host;
  http.port = static_cast<std::uint16_t>(port);
  return Status::OK();
}

Status Config::validate() const {
  auto range = [](const char* name, long long v, long long lo, long long hi) -> Status {
    if (v < lo || v > hi) {
      return make_error(ErrorCode::InvalidArgument, std::string("'") + name + "' must be between " + std::to_string(lo) +
                                                        " and " + std::to_string(hi) + ", not " + std::to_string(v));
    }
    return Status::OK();
  };
  CORTEX_RETURN_IF_ERROR(range("workers", workers, 1, 256));
  CORTEX_RETURN_IF_ERROR(range("lease_seconds", lease_seconds, 2, 86400));
  CORTEX_RETURN_IF_ERROR(range("heartbeat_seconds", heartbeat_seconds, 1, 86400));
  if (heartbeat_seconds >= lease_seconds) {
    return make_error(ErrorCode::InvalidArgument, "'heartbeat_seconds' must be shorter than 'lease_seconds'");
  }
  CORTEX_RETURN_IF_ERROR(range("poll_interval_ms", poll_interval_ms, 10, 60000));
  CORTEX_RETURN_IF_ERROR(range("cleanup_interval_seconds", cleanup_interval_seconds, 1, 86400));
  CORTEX_RETURN_IF_ERROR(range("retry.max_attempts", retry.max_attempts, 1, 100));
  CORTEX_RETURN_IF_ERROR(range("http.threads", http.threads, 1, 64));
  CORTEX_RETURN_IF_ERROR(range("http.max_connections", http.max_connections, 1, 100000));
  CORTEX_RETURN_IF_ERROR(range("http.read_timeout_seconds", http.read_timeout_seconds, 1, 3600));
  CORTEX_RETURN_IF_ERROR(range("registration.max_group_size", registration.max_group_size, 1, 10000));
  CORTEX_RETURN_IF_ERROR(range("http.body_limit_bytes", static_cast<long long>(http.body_limit_bytes), 1024, 64 << 20));
  if (data_dir.empty()) return make_error(ErrorCode::InvalidArgument, "'data_dir' must not be empty");
  if (http.tls_certificate_file.empty() != http.tls_private_key_file.empty()) {
    return make_error(ErrorCode::InvalidArgument,
                      "'http.tls_certificate_file' and 'http.tls_private_key_file' go together: set both or neither");
  }
  if (!http.tls_client_ca_file.empty() && http.tls_certificate_file.empty()) {
    return make_error(ErrorCode::InvalidArgument, "'http.tls_client_ca_file' needs 'http.tls_certificate_file'");
  }
  static const char* levels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
  bool known = false;
  for (auto l : levels) known = known || log_level == l;
  if (!known) {
    return make_error(ErrorCode::InvalidArgument,
                      "'log.level' must be trace, debug, info, warn, error, critical or off, not '" + log_level + "'");
  }
  return Status::OK();
}

Result<Config> Config::parse(const std::string& yaml_text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return make_error(ErrorCode::InvalidArgument,
                      source + " line " + std::to_string(e.mark.line + 1) + ": not valid YAML: " + e.msg);
  }
  Config c;
  if (root.IsNull()) return c;
  auto ms = [](std::chrono::milliseconds& target) {
    return [&target](long long v) { target = std::chrono::milliseconds(v); };
  };
  auto int_setter = [&](auto& target) -> Setter {
    return [&, ptr = &target](const YAML::Node& n, const std::string& key) { return read_scalar(n, source, key, *ptr); };
  };
  auto ms_setter = [&](std::chrono::milliseconds& target) -> Setter {
    return [&, set = ms(target)](const YAML::Node& n, const std::string& key) -> Status {
      long long v = 0;
      CORTEX_RETURN_IF_ERROR(read_scalar(n, source, key, v));
      set(v);
      return Status::OK();
    };
  };
  std::map<std::string, Setter> http{
      {"listen", [&](const YAML::Node& n, const std::string& key) -> Status {
         std::string v;
         CORTEX_RETURN_IF_ERROR(read_scalar(n, source, key, v));
         auto s = c.set_listen(v);
         if (!s.ok()) return make_error(ErrorCode::InvalidArgument, where(n, source, key) + ": " + s.error().message);
         return Status::OK();
       }},
      {"threads", int_setter(c.http.threads)},
      {"body_limit_bytes", int_setter(c.http.body_limit_bytes)},
      {"read_timeout_seconds", int_setter(c.http.read_timeout_seconds)},
      {"max_connections", int_setter(c.http.max_connections)},
      {"tls_certificate_file", int_setter(c.http.tls_certificate_file)},
      {"tls_private_key_file", int_setter(c.http.tls_private_key_file)},
      {"tls_client_ca_file", int_setter(c.http.tls_client_ca_file)},
  };
  std::map<std::string, Setter> retry{
      {"max_attempts", int_setter(c.retry.max_attempts)},
      {"initial_backoff_ms", ms_setter(c.retry.initial_backoff)},
      {"max_backoff_ms", ms_setter(c.retry.max_backoff)},
  };
  std::map<std::string, Setter> registration{{"max_group_size", int_setter(c.registration.max_group_size)}};
  std::map<std::string, Setter> exporter{{"ignore_default_values", int_setter(c.ignore_default_values)}};
  std::map<std::string, Setter> log{{"level", int_setter(c.log_level)}};
  Setter tokens = [&](const YAML::Node& n, const std::string& key) -> Status {
    if (!n.IsSequence()) return make_error(ErrorCode::InvalidArgument, where(n, source, key) + " must be a list");
    for (const auto& item : n) {
      ConfiguredToken t;
      std::map<std::string, Setter> fields{{"sha256", int_setter(t.sha256_hex)}, {"role", int_setter(t.role)}};
      CORTEX_RETURN_IF_ERROR(read_map(item, source, key + "[]", fields));
      bool hex = t.sha256_hex.size() == 64 && t.sha256_hex.find_first_not_of("0123456789abcdef") == std::string::npos;
      if (!hex) {
        return make_error(ErrorCode::InvalidArgument,
                          where(item, source, key) + ": sha256 must be 64 lowercase hex digits (the token's SHA-256)");
      }
      if (t.role != "data-admin" && t.role != "reader") {
        return make_error(ErrorCode::InvalidArgument, where(item, source, key) + ": role must be data-admin or reader");
      }
      c.tokens.push_back(t);
    }
    return Status::OK();
  };
  std::map<std::string, Setter> auth{{"tokens", tokens}};
  std::map<std::string, Setter> top{
      {"data_dir", int_setter(c.data_dir)},
      {"collection", int_setter(c.collection)},
      {"profiles_dir", int_setter(c.profiles_dir)},
      {"plugins_dir", int_setter(c.plugins_dir)},
      {"workers", int_setter(c.workers)},
      {"lease_seconds", int_setter(c.lease_seconds)},
      {"heartbeat_seconds", int_setter(c.heartbeat_seconds)},
      {"poll_interval_ms", int_setter(c.poll_interval_ms)},
      {"cleanup_interval_seconds", int_setter(c.cleanup_interval_seconds)},
      {"http", [&](const YAML::Node& n, const std::string& key) { return read_map(n, source, key, http); }},
      {"retry", [&](const YAML::Node& n, const std::string& key) { return read_map(n, source, key, retry); }},
      {"registration",
       [&](const YAML::Node& n, const std::string& key) { return read_map(n, source, key, registration); }},
      {"export", [&](const YAML::Node& n, const std::string& key) { return read_map(n, source, key, exporter); }},
      {"log", [&](const YAML::Node& n, const std::string& key) { return read_map(n, source, key, log); }},
      {"auth", [&](const YAML::Node& n, const std::string& key) { return read_map(n, source, key, auth); }},
  };
  CORTEX_RETURN_IF_ERROR(read_map(root, source, "", top));
  auto valid = c.validate();
  if (!valid.ok()) return valid.error().with_context(source);
  return c;
}

Result<Config> Config::load_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return make_error(ErrorCode::NotFound, "cannot read the configuration file " + path + ": " + std::strerror(errno));
  }
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

}  // namespace cortex
