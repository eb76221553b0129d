// registration_bench: durable task registrations per second through the real daemon, with group
// commit and with one commit per registration, measured side by side in one run.
//
// For each mode it starts `cortexd serve` on a free loopback port in a fresh temporary folder, runs
// N keep-alive HTTP connections that register export tasks as fast as they are answered (all on one
// thread, so that the load generator takes little CPU from the daemon), then kills the daemon with
// SIGKILL and counts the tasks in tasks.db: every 200 answer must be there (a TaskId is only sent
// once its task is committed), and nothing else.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr const char* kTarget = "/sitecore/api/datatools/export/tasks/interactions";
constexpr const char* kBody = R"({"StorageProfile":"LocalExports"})";

struct Options {
  std::string cortexd;
  std::string legacy_cortexd;  // optional: an older binary, measured as a third mode with its own defaults
  std::string out;
  int clients = 16;
  double seconds = 5.0;
  int group_size = 256;  // the group mode's registration.max_group_size
  int rounds = 3;
  int contacts = 20;  // of the generated collection the exports read; 0: no collection
  std::string config_extra;  // appended to every daemon's configuration (top-level YAML keys)
  bool keep = false;
};

[[noreturn]] void die(const std::string& message) {
  std::cerr << "registration_bench: " << message << std::endl;
  std::exit(1);
}

constexpr double kTargetPerSecond = 3000;  // issue 6: durable registrations per second with group commit

void usage() {
  std::cout
      << "registration_bench --cortexd PATH [--out FILE.json] [--clients 16] [--seconds 5] [--group-size 256]\n"
         "                   [--rounds 3] [--contacts 20] [--legacy-cortexd PATH] [--config-extra YAML] [--keep]\n"
         "\n"
         "Durable task registrations per second through the real daemon, two modes side by side in one run:\n"
         "  one commit per request  registration.max_group_size: 1 (each registration its own transaction)\n"
         "  group commit            registration.max_group_size: --group-size\n"
         "Each mode and round starts `cortexd serve` on 127.0.0.1:0 in a fresh temp folder (TMPDIR) with a\n"
         "generated collection of --contacts contacts (2 interactions each; 0: none), whose tasks the\n"
         "scheduler and workers export meanwhile as in production. --clients keep-alive connections (on one\n"
         "thread) POST /sitecore/api/datatools/export/tasks/interactions {\"StorageProfile\":\"LocalExports\"}\n"
         "back to back for --seconds; then the daemon is killed with SIGKILL and tasks.db must hold exactly\n"
         "the tasks answered 200. Rounds alternate the modes. --legacy-cortexd adds another binary (say, one\n"
         "built before group commit) as a third mode with its own defaults; --config-extra appends YAML to\n"
         "every daemon's configuration.\n"
         "Prints a table, the ratio and PASS/FAIL lines (group commit >= 3000/s; durable), writes JSON to\n"
         "--out. Exit 0 when it ran (even with a target missed), 1 when a registration failed or tasks.db\n"
         "differs from the acknowledged set.\n";
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) die("missing value after " + a);
      return argv[++i];
    };
    if (a == "--cortexd") o.cortexd = next();
    else if (a == "--out") o.out = next();
    else if (a == "--clients") o.clients = std::stoi(next());
    else if (a == "--seconds") o.seconds = std::stod(next());
    else if (a == "--group-size") o.group_size = std::stoi(next());
    else if (a == "--rounds") o.rounds = std::stoi(next());
    else if (a == "--contacts") o.contacts = std::stoi(next());
    else if (a == "--legacy-cortexd") o.legacy_cortexd = next();
    else if (a == "--config-extra") o.config_extra = next();
    else if (a == "--keep") o.keep = true;
    else if (a == "--help" || a == "-h") {
      usage();
      std::exit(0);
    } else {
      usage();
      die("unknown argument " + a);
    }
  }
  if (o.cortexd.empty()) {
    usage();
    die("--cortexd is required");
  }
  if (o.clients < 1 || o.seconds <= 0 || o.group_size < 1 || o.rounds < 1 || o.contacts < 0) die("bad arguments");
  return o;
}

// Runs a command to completion; its output goes to `log`.
void run_command(const std::vector<std::string>& args, const std::string& log) {
  pid_t pid = fork();
  if (pid < 0) die("fork failed");
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die(args[0] + " " + args[1] + " failed; see " + log);
}

struct DaemonProcess {
  pid_t pid = -1;
  std::uint16_t port = 0;
  std::string token;
};

// max_group_size 0: no registration setting (a binary that does not know it).
DaemonProcess start_daemon(const Options& o, const std::string& binary, const fs::path& root, int max_group_size) {
  fs::path profiles = root / "profiles", data = root / "data", exports = root / "exports";
  fs::create_directories(profiles);
  std::ofstream(profiles / "local.yaml") << "name: LocalExports\nprovider: folder\nsettings:\n  path: " << exports.string()
                                         << "\n";
  {
    std::ofstream config(root / "cortexd.yaml");
    config << "# registration_bench\n";
    if (max_group_size > 0) config << "registration:\n  max_group_size: " << max_group_size << "\n";
    if (!o.config_extra.empty()) config << o.config_extra << "\n";
  }
  fs::path collection = root / "collection.db";
  if (o.contacts > 0) {
    run_command({o.cortexd, "generate", "--collection", collection.string(), "--contacts", std::to_string(o.contacts),
                 "--interactions-per-contact", "2", "--seed", "1"},
                (root / "generate.log").string());
  }
  int out[2];
  if (pipe(out) != 0) die("pipe failed");
  std::string log = (root / "daemon.log").string();
  pid_t pid = fork();
  if (pid < 0) die("fork failed");
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    close(out[1]);
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) dup2(fd, 2);
    std::vector<std::string> args{binary,             "serve",     "--listen",           "127.0.0.1:0",
                                  "--data-dir",       data.string(), "--collection",     collection.string(),
                                  "--profiles",       profiles.string(), "--config",      (root / "cortexd.yaml").string()};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  // "cortexd: listening on 127.0.0.1:PORT" on stdout once the listener accepts.
  std::string line;
  auto deadline = Clock::now() + std::chrono::seconds(30);
  while (line.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    pollfd p{out[0], POLLIN, 0};
    if (left <= 0 || poll(&p, 1, static_cast<int>(left)) <= 0) {
      kill(pid, SIGKILL);
      die("the daemon did not start within 30 s; see " + log);
    }
    char buf[256];
    ssize_t n = read(out[0], buf, sizeof buf);
    if (n <= 0) die("the daemon exited at start; see " + log);
    line.append(buf, static_cast<std::size_t>(n));
  }
  close(out[0]);
  if (line.find("listening on") == std::string::npos) die("unexpected first line from the daemon: " + line);
  DaemonProcess d;
  d.pid = pid;
  auto colon = line.rfind(':');
  d.port = static_cast<std::uint16_t>(std::stoi(line.substr(colon + 1)));
  std::ifstream token_file(data / "api-token");
  std::getline(token_file, d.token);
  if (d.token.empty()) die("no api-token in " + data.string());
  return d;
}

void kill_daemon(DaemonProcess& d) {
  if (d.pid <= 0) return;
  kill(d.pid, SIGKILL);
  int status = 0;
  waitpid(d.pid, &status, 0);
  d.pid = -1;
}

struct ClientResult {
  std::vector<std::uint32_t> latencies_us;
  std::vector<std::string> ids;
  std::uint64_t errors = 0;
  std::string first_error;
};

std::string task_id_of(const std::string& body) {
  static const std::string key = "\"TaskId\":\"";
  auto at = body.find(key);
  if (at == std::string::npos) return {};
  auto start = at + key.size();
  auto end = body.find('"', start);
  return end == std::string::npos ? std::string() : body.substr(start, end - start);
}

// One keep-alive connection registering tasks back to back until `stop_at`. All connections run on
// one thread (asynchronous I/O), so that the load costs the machine little CPU besides the daemon's.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(net::io_context& ioc, tcp::endpoint endpoint, const http::request<http::string_body>& request,
             ClientResult& out)
      : stream_(ioc), endpoint_(endpoint), request_(request), out_(out) {
    connect();
  }
  void start(Clock::time_point stop_at) {
    stop_at_ = stop_at;
    send();
  }

 private:
  void connect() {
    beast::error_code ignored;
    stream_.socket().close(ignored);
    stream_.connect(endpoint_);
    stream_.socket().set_option(tcp::no_delay(true));
    buffer_.clear();
  }
  void fail(const std::string& what) {
    ++out_.errors;
    if (out_.first_error.empty()) out_.first_error = what;
  }
  void send() {
    if (Clock::now() >= stop_at_) {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      return;
    }
    sent_ = Clock::now();
    response_.emplace();
    http::async_write(stream_, request_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->retry(ec);
      http::async_read(self->stream_, self->buffer_, *self->response_,
                       [self](beast::error_code ec, std::size_t) { self->on_answer(ec); });
    });
  }
  void retry(beast::error_code ec) {
    fail(ec.message());
    try {
      connect();
    } catch (const std::exception& e) {
      return fail(e.what());  // the daemon is gone: this connection stops
    }
    send();
  }
  void on_answer(beast::error_code ec) {
    if (ec) return retry(ec);
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent_).count();
    out_.latencies_us.push_back(static_cast<std::uint32_t>(us));
    auto& res = *response_;
    std::string id = res.result_int() == 200 ? task_id_of(res.body()) : std::string();
    if (!id.empty()) out_.ids.push_back(std::move(id));
    else fail(std::to_string(res.result_int()) + " " + res.body());
    if (res.need_eof()) connect();
    send();
  }

  beast::tcp_stream stream_;
  tcp::endpoint endpoint_;
  const http::request<http::string_body>& request_;
  Clock::time_point stop_at_;
  ClientResult& out_;
  beast::flat_buffer buffer_;
  std::optional<http::response<http::string_body>> response_;
  Clock::time_point sent_;
};

// Runs `clients` connections for `seconds`; returns the time from the start to the last answer.
double run_load(std::uint16_t port, const std::string& token, int clients, double seconds, ClientResult& out) {
  http::request<http::string_body> request{http::verb::post, kTarget, 11};
  request.set(http::field::host, "127.0.0.1");
  request.set(http::field::authorization, "Bearer " + token);
  request.set(http::field::content_type, "application/json");
  request.keep_alive(true);
  request.body() = kBody;
  request.prepare_payload();
  net::io_context ioc;
  tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), port);
  std::vector<std::shared_ptr<Connection>> connections;
  // Every connection is open before the clock starts: the window holds requests only.
  for (int i = 0; i < clients; ++i) connections.push_back(std::make_shared<Connection>(ioc, endpoint, request, out));
  auto started = Clock::now();
  auto stop_at = started + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  for (auto& c : connections) c->start(stop_at);
  connections.clear();  // each is held by its pending operation until it stops
  ioc.run();
  // Every request sent was answered: the window ends with the last answer.
  return std::chrono::duration<double>(Clock::now() - started).count();
}

// GET /metrics: the daemon's own count of registrations and of the transactions that held them.
std::pair<double, double> registration_counters(std::uint16_t port, const std::string& token) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  http::request<http::empty_body> req{http::verb::get, "/metrics", 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::authorization, "Bearer " + token);
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  auto value = [&](const std::string& name) {
    std::istringstream lines(res.body());
    std::string line;
    while (std::getline(lines, line)) {
      if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
    }
    return -1.0;
  };
  return {value("cortexd_registrations_committed_total"), value("cortexd_registration_commits_total")};
}

struct StoredCheck {
  std::int64_t rows = 0;
  std::int64_t acknowledged_missing = 0;
};

StoredCheck check_store(const fs::path& db_path, const std::vector<std::string>& ids) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    die("cannot open " + db_path.string() + ": " + sqlite3_errmsg(db));
  }
  StoredCheck c;
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT count(*) FROM Tasks", -1, &st, nullptr);
  if (sqlite3_step(st) == SQLITE_ROW) c.rows = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_prepare_v2(db, "SELECT 1 FROM Tasks WHERE Id = ?", -1, &st, nullptr);
  for (const auto& id : ids) {
    sqlite3_bind_text(st, 1, id.c_str(), static_cast<int>(id.size()), SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_ROW) ++c.acknowledged_missing;
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return c;
}

struct ModeResult {
  std::string mode;
  int max_group_size = 1;
  int clients = 0;
  std::uint64_t registrations = 0;  // 200 answers with a TaskId
  std::uint64_t errors = 0;
  double seconds = 0;
  std::vector<std::uint32_t> latencies_us;
  std::int64_t rows = 0;
  std::int64_t missing = 0;
  std::uint64_t duplicate_ids = 0;
  double committed = 0;  // from /metrics
  double commits = 0;
  std::string first_error;
  std::vector<double> round_rates;  // registrations/s of each round, in run order

  double per_second() const { return seconds > 0 ? static_cast<double>(registrations) / seconds : 0; }
  double percentile_ms(double p) const {
    if (latencies_us.empty()) return 0;
    auto sorted = latencies_us;
    std::sort(sorted.begin(), sorted.end());
    auto index = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
    return sorted[index] / 1000.0;
  }
  // From the daemon's /metrics; nullopt for a binary without the registration counters.
  std::optional<double> mean_group() const {
    if (commits <= 0 || committed <= 0) return std::nullopt;
    return committed / commits;
  }
  bool durable() const { return static_cast<std::uint64_t>(rows) == registrations && missing == 0 && duplicate_ids == 0; }
};

void run_mode(const Options& o, const std::string& binary, const std::string& mode, int max_group_size,
              ModeResult& total) {
  fs::path base = std::getenv("TMPDIR") ? fs::path(std::getenv("TMPDIR")) : fs::temp_directory_path();
  std::string templ = (base / "cortexd-bench-XXXXXX").string();
  if (!mkdtemp(templ.data())) die("mkdtemp failed in " + base.string());
  fs::path root = templ;
  DaemonProcess daemon = start_daemon(o, binary, root, max_group_size);

  ClientResult load;
  double seconds = 0;
  try {
    seconds = run_load(daemon.port, daemon.token, o.clients, o.seconds, load);
  } catch (const std::exception& e) {
    kill_daemon(daemon);
    die(std::string("the load failed: ") + e.what() + "; see " + (root / "daemon.log").string());
  }
  std::vector<ClientResult> results;
  results.push_back(std::move(load));
  auto [committed, commits] = registration_counters(daemon.port, daemon.token);
  kill_daemon(daemon);

  std::vector<std::string> ids;
  ModeResult r;
  for (auto& c : results) {
    r.errors += c.errors;
    if (r.first_error.empty()) r.first_error = c.first_error;
    r.latencies_us.insert(r.latencies_us.end(), c.latencies_us.begin(), c.latencies_us.end());
    ids.insert(ids.end(), c.ids.begin(), c.ids.end());
  }
  std::unordered_set<std::string> unique(ids.begin(), ids.end());
  auto stored = check_store(root / "data" / "tasks.db", ids);

  total.mode = mode;
  total.max_group_size = max_group_size;
  total.clients = o.clients;
  total.registrations += ids.size();
  total.errors += r.errors;
  total.seconds += seconds;
  total.latencies_us.insert(total.latencies_us.end(), r.latencies_us.begin(), r.latencies_us.end());
  total.round_rates.push_back(seconds > 0 ? static_cast<double>(ids.size()) / seconds : 0);
  total.rows += stored.rows;
  total.missing += stored.acknowledged_missing;
  total.duplicate_ids += ids.size() - unique.size();
  total.committed += committed;
  total.commits += commits;
  if (total.first_error.empty()) total.first_error = r.first_error;

  std::cerr << "  " << mode << ": " << ids.size() << " registered in " << std::fixed << std::setprecision(2) << seconds
            << " s, " << stored.rows << " in tasks.db after SIGKILL, " << stored.acknowledged_missing
            << " acknowledged but missing, " << r.errors << " errors" << (o.keep ? ", kept " + root.string() : "")
            << std::endl;
  if (!o.keep) {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
}

// The 1-minute load average: the machine is shared, and a busy one explains slow rounds.
double load_average() {
  std::ifstream in("/proc/loadavg");
  double value = -1;
  in >> value;
  return value;
}

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse_args(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  ModeResult baseline, group, legacy;
  const double load_before = load_average();
  std::cerr << "registration_bench: " << o.clients << " clients, " << o.seconds << " s per mode and round, "
            << o.rounds << " round(s)" << std::endl;
  for (int round = 0; round < o.rounds; ++round) {
    // Alternating, so that a drift of the disk's speed during the run hits both modes alike.
    bool baseline_first = round % 2 == 0;
    for (int k = 0; k < 2; ++k) {
      if ((k == 0) == baseline_first) run_mode(o, o.cortexd, "one commit per request", 1, baseline);
      else run_mode(o, o.cortexd, "group commit", o.group_size, group);
    }
    if (!o.legacy_cortexd.empty()) run_mode(o, o.legacy_cortexd, "legacy binary", 0, legacy);
  }
  std::vector<const ModeResult*> shown{&baseline, &group};
  if (!o.legacy_cortexd.empty()) shown.push_back(&legacy);
  const double load_after = load_average();
  double ratio = baseline.per_second() > 0 ? group.per_second() / baseline.per_second() : 0;

  std::ostringstream table;
  table << std::fixed;
  table << "| mode | max group | clients | registrations | seconds | registrations/s | p50 ms | p99 ms | mean group "
           "| in tasks.db | errors | per round (/s) |\n";
  table << "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n";
  for (const ModeResult* m : shown) {
    std::ostringstream mean_group, max_group;
    if (auto g = m->mean_group()) mean_group << std::fixed << std::setprecision(1) << *g;
    else mean_group << "-";
    if (m->max_group_size > 0) max_group << m->max_group_size;
    else max_group << "-";
    table << "| " << m->mode << " | " << max_group.str() << " | " << m->clients << " | " << m->registrations << " | "
          << std::setprecision(2) << m->seconds << " | " << std::setprecision(0) << m->per_second() << " | "
          << std::setprecision(2) << m->percentile_ms(0.50) << " | " << m->percentile_ms(0.99) << " | "
          << mean_group.str() << " | " << m->rows << (m->durable() ? " (all acknowledged)" : " (MISMATCH)")
          << " | " << m->errors << " | ";
    for (std::size_t i = 0; i < m->round_rates.size(); ++i) {
      table << (i ? ", " : "") << std::setprecision(0) << m->round_rates[i];
    }
    table << " |\n";
  }
  table << "\nratio (group commit / one commit per request): " << std::setprecision(2) << ratio << "x"
        << " (load average " << load_before << " before, " << load_after << " after)\n";
  bool durable = true;
  for (const ModeResult* m : shown) durable = durable && m->durable() && m->errors == 0;
  const bool fast = group.per_second() >= kTargetPerSecond;
  table << (fast ? "PASS" : "FAIL") << ": group commit >= " << std::setprecision(0) << kTargetPerSecond
        << " durable registrations/s (" << group.per_second() << "/s)\n";
  table << (durable ? "PASS" : "FAIL")
        << ": every mode: tasks.db after SIGKILL holds exactly the acknowledged tasks, no errors\n";
  std::cout << table.str();

  nlohmann::ordered_json modes = nlohmann::ordered_json::array();
  for (const ModeResult* m : shown) {
    modes.push_back({{"mode", m->mode},
                     {"max_group_size", m->max_group_size > 0 ? nlohmann::ordered_json(m->max_group_size) : nullptr},
                     {"clients", m->clients},
                     {"registrations", m->registrations},
                     {"seconds", m->seconds},
                     {"registrations_per_second", m->per_second()},
                     {"latency_p50_ms", m->percentile_ms(0.50)},
                     {"latency_p99_ms", m->percentile_ms(0.99)},
                     {"mean_group_size", m->mean_group() ? nlohmann::ordered_json(*m->mean_group()) : nullptr},
                     {"tasks_in_db_after_sigkill", m->rows},
                     {"acknowledged_missing", m->missing},
                     {"duplicate_task_ids", m->duplicate_ids},
                     {"durable", m->durable()},
                     {"errors", m->errors},
                     {"registrations_per_second_by_round", m->round_rates},
                     {"first_error", m->first_error}});
  }
  nlohmann::ordered_json doc{{"benchmark", "registration"},
                             {"generated", utc_now()},
                             {"request", {{"method", "POST"}, {"path", kTarget}, {"body", kBody}}},
                             {"clients", o.clients},
                             {"seconds_per_mode_and_round", o.seconds},
                             {"rounds", o.rounds},
                             {"collection_contacts", o.contacts},
                             {"config_extra", o.config_extra},
                             {"cpus", std::thread::hardware_concurrency()},
                             {"load_average_before", load_before},
                             {"load_average_after", load_after},
                             {"background",
                              "the daemons run as in production: the scheduler and workers export each registered task "
                              "from the generated collection while the registrations go on"},
                             {"durability_check",
                              "daemon killed with SIGKILL after the run; tasks.db must hold exactly the acknowledged tasks"},
                             {"cortexd", o.cortexd},
                             {"legacy_cortexd", o.legacy_cortexd.empty() ? nlohmann::ordered_json(nullptr)
                                                                         : nlohmann::ordered_json(o.legacy_cortexd)},
                             {"modes", modes},
                             {"ratio", ratio},
                             {"targets",
                              {{{"target", "group commit >= 3000 durable registrations/s"},
                                {"value", group.per_second()},
                                {"pass", fast}},
                               {{"target", "tasks.db after SIGKILL holds exactly the acknowledged tasks, no errors"},
                                {"pass", durable}}}}};
  if (const char* commit = std::getenv("CORTEXD_BENCH_COMMIT")) doc["commit"] = commit;
  if (!o.out.empty()) {
    fs::path out(o.out);
    if (out.has_parent_path()) fs::create_directories(out.parent_path());
    std::string tmp = o.out + ".tmp";
    std::ofstream(tmp) << doc.dump(2) << "\n";
    fs::rename(tmp, out);
    std::cout << "results written to " << o.out << "\n";
  }
  if (!durable) std::cerr << "registration_bench: a mode has errors or tasks.db differs from the acknowledged set\n";
  return durable ? 0 : 1;
}
