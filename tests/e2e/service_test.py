"""cortexd as a service: the systemd unit (systemd-analyze), `cortexd config check`, the notify protocol
of the real daemon on a datagram socket this test binds (READY, RELOADING, STOPPING, WATCHDOG), a
SIGTERM in the middle of an export followed by a restart, a SIGHUP that registers a new profile,
JSON logs, and the .deb that cpack builds (contents, conffiles, maintainer scripts in a throw-away
root without systemctl).

There is no systemd running as PID 1 on the test machines, so the unit is checked by
`systemd-analyze verify` and `systemd-analyze security --offline` only, never started."""
import contextlib
import itertools
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
import unittest

from daemon_harness import API, BIN, Daemon, Workspace, run_cli
from fault_injection_test import exported, oracle_all

SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
UNIT = os.path.join(SOURCE, "packaging", "systemd", "cortexd.service")
BUILD_DIR = os.environ.get("CORTEXD_BUILD_DIR", os.path.dirname(os.path.abspath(BIN)))
LOG_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
FAST = "lease_seconds: 3\nheartbeat_seconds: 1\npoll_interval_ms: 50\n"
_names = itertools.count()


class NotifySocket:
    """A datagram socket bound where systemd's would be: a path, or an abstract name given as '@name'."""

    def __init__(self, abstract=False):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.dir = tempfile.mkdtemp(prefix="cortexd-notify-")
        if abstract:
            name = f"cortexd-e2e-{os.getpid()}-{next(_names)}"
            self.sock.bind("\0" + name)
            self.address = "@" + name
        else:
            self.address = os.path.join(self.dir, "notify")
            self.sock.bind(self.address)
        self.messages = []

    def wait_for(self, assignment, timeout=30, prefix=False):
        """The next message with a line equal to `assignment` (such as READY=1), or starting with it;
        every message received is kept in self.messages."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = self.sock.recv(4096).decode()
            except socket.timeout:
                break
            self.messages.append(data)
            if any(line == assignment or (prefix and line.startswith(assignment)) for line in data.split("\n")):
                return data
        raise AssertionError(f"no {assignment} within {timeout}s; got {self.messages}")

    def close(self):
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def environment(**values):
    """Sets variables for the processes started inside the block (the harness inherits os.environ)."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update({k: v for k, v in values.items() if v is not None})
    for k, v in values.items():
        if v is None:
            os.environ.pop(k, None)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def status_of(message):
    for line in message.split("\n"):
        if line.startswith("STATUS="):
            return line[len("STATUS="):]
    return None


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


class UnitFileTest(unittest.TestCase):
    """The unit names /usr/bin/cortexd, which the test machine does not have: verify checks that
    ExecStart is executable, so it runs on a copy whose command lines name the built binary (nothing
    else changes). `verify --root` on the extracted package is no alternative: it also wants
    sysinit.target and /bin/kill inside that root. The .deb test checks that the packaged unit is
    byte for byte the one verified here."""

    def unit_copy(self, folder):
        with open(UNIT) as f:
            text = f.read()
        path = os.path.join(folder, "cortexd.service")
        return write(path, text.replace("/usr/bin/cortexd", os.path.abspath(BIN)))

    def test_systemd_analyze_verify_passes_without_a_warning(self):
        folder = tempfile.mkdtemp(prefix="cortexd-unit-")
        try:
            result = subprocess.run(["systemd-analyze", "verify", self.unit_copy(folder)], capture_output=True,
                                    text=True, timeout=60)
            # verify exits 0 on unknown keys and bad values (it only warns): any output is a failure.
            self.assertEqual((result.returncode, result.stdout + result.stderr), (0, ""))
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def test_verify_catches_a_mistyped_directive(self):
        # The check above is only worth something if verify speaks up about a typo.
        folder = tempfile.mkdtemp(prefix="cortexd-unit-")
        try:
            path = self.unit_copy(folder)
            with open(path) as f:
                text = f.read()
            write(path, text.replace("ProtectSystem=strict", "ProtectSytsem=strict"))
            result = subprocess.run(["systemd-analyze", "verify", path], capture_output=True, text=True, timeout=60)
            self.assertIn("ProtectSytsem", result.stderr)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def test_unit_has_the_service_settings_and_a_low_exposure(self):
        with open(UNIT) as f:
            lines = {line.split("=", 1)[0]: line.split("=", 1)[1] for line in f.read().splitlines()
                     if "=" in line and not line.startswith("#")}
        expected = {
            "Type": "notify", "ExecStart": "/usr/bin/cortexd serve --config /etc/cortexd/cortexd.yaml",
            "ExecReload": "/bin/kill -HUP $MAINPID", "User": "cortexd", "Group": "cortexd",
            "StateDirectory": "cortexd", "ConfigurationDirectory": "cortexd", "WatchdogSec": "60",
            "TimeoutStopSec": "90", "Restart": "on-failure", "ProtectSystem": "strict", "ProtectHome": "true",
            "PrivateTmp": "true", "NoNewPrivileges": "true", "PrivateDevices": "true",
            "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6", "CapabilityBoundingSet": "",
            "MemoryDenyWriteExecute": "true", "SystemCallArchitectures": "native",
        }
        self.assertEqual({k: lines.get(k) for k in expected}, expected)
        folder = tempfile.mkdtemp(prefix="cortexd-unit-")
        try:
            result = subprocess.run(["systemd-analyze", "security", "--offline=true", self.unit_copy(folder)],
                                    capture_output=True, text=True, timeout=60)
            match = re.search(r"Overall exposure level for cortexd.service: ([0-9.]+)", result.stdout)
            self.assertIsNotNone(match, result.stdout + result.stderr)
            print(f"\nsystemd-analyze security: exposure {match.group(1)} (0 best, 10 worst)")
            self.assertLess(float(match.group(1)), 4.0)
        finally:
            shutil.rmtree(folder, ignore_errors=True)


class ConfigCheckTest(unittest.TestCase):
    def setUp(self):
        self.ws = Workspace()

    def tearDown(self):
        self.ws.remove()

    def check(self, *args):
        return run_cli("config", "check", *args, check=False)

    def test_the_reference_and_the_packaged_configuration_are_ok(self):
        for name in ("packaging/cortexd.yaml", "packaging/debian/cortexd.yaml"):
            path = os.path.join(SOURCE, name)
            result = self.check(path, "--profiles", self.ws.profiles, "--data-dir", self.ws.data_dir)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(result.stdout.splitlines()[0], f"ok: {path}")
            self.assertIn("LocalExports (folder)", result.stdout)
        self.assertFalse(os.path.exists(self.ws.data_dir), "config check must not create the data directory")

    def test_a_bad_key_is_refused_with_its_name_and_line(self):
        path = write(os.path.join(self.ws.root, "bad.yaml"), "workers: 3\nhttp:\n  listen: 127.0.0.1:9000\n  thraeds: 4\n")
        result = self.check(path, "--profiles", self.ws.profiles)
        self.assertEqual(result.returncode, 2)
        self.assertIn("line 4", result.stderr)
        self.assertIn("http.thraeds", result.stderr)
        self.assertNotIn("ok:", result.stdout)
        result = self.check(write(path, "workers: many\n"), "--profiles", self.ws.profiles)
        self.assertEqual(result.returncode, 2)
        self.assertIn("'workers'", result.stderr)

    def test_a_profile_that_does_not_register_fails_the_check_naming_its_file(self):
        config = write(os.path.join(self.ws.root, "c.yaml"), f"profiles_dir: {self.ws.profiles}\n")
        broken = write(os.path.join(self.ws.profiles, "broken.yaml"), "name: Broken\nprovider: nosuch\nsettings: {}\n")
        result = self.check(config)
        self.assertEqual(result.returncode, 2)
        self.assertIn(broken, result.stderr)
        self.assertIn("nosuch", result.stderr)
        os.remove(broken)
        self.assertEqual(self.check(config).returncode, 0)

    def test_a_missing_file_or_profiles_folder_or_action_is_an_error(self):
        result = self.check(os.path.join(self.ws.root, "nothere.yaml"))
        self.assertEqual(result.returncode, 2)
        self.assertIn("nothere.yaml", result.stderr)
        config = write(os.path.join(self.ws.root, "c.yaml"), f"profiles_dir: {self.ws.root}/none\n")
        result = self.check(config)
        self.assertEqual(result.returncode, 2)
        self.assertIn(f"{self.ws.root}/none", result.stderr)
        self.assertEqual(run_cli("config", check=False).returncode, 2)
        self.assertEqual(run_cli("config", "frobnicate", config, check=False).returncode, 2)


def started(ws, notify, *extra, watchdog_usec=None):
    with environment(NOTIFY_SOCKET=notify.address, WATCHDOG_USEC=watchdog_usec, WATCHDOG_PID=None):
        return Daemon(ws, extra=extra)


class NotifyProtocolTest(unittest.TestCase):
    def setUp(self):
        self.ws = Workspace()
        self.notify = NotifySocket()

    def tearDown(self):
        self.notify.close()
        self.ws.remove()

    def test_ready_comes_once_listening_and_watchdog_pings_follow(self):
        run_cli("generate", "--collection", self.ws.collection, "--contacts", "20", "--seed", "3")
        daemon = started(self.ws, self.notify, watchdog_usec="400000")
        try:
            ready = self.notify.wait_for("READY=1")
            # The port in READY's STATUS accepts at once: READY is sent after the listener is up.
            port = int(status_of(ready).rsplit(":", 1)[1])
            self.assertEqual(port, daemon.port)
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
            status, _ = daemon.progress("00000000-0000-0000-0000-000000000000")
            self.assertEqual(status, 404)
            before = [m for m in self.notify.messages if m.startswith("STATUS=")]
            self.assertTrue(before and "recovering" in before[0], self.notify.messages)
            # WATCHDOG_USEC 400 ms: a ping every 200 ms.
            t0 = time.monotonic()
            self.notify.wait_for("WATCHDOG=1", timeout=5)
            self.notify.wait_for("WATCHDOG=1", timeout=5)
            self.assertLess(time.monotonic() - t0, 2)
        finally:
            self.assertEqual(daemon.stop(), 0)
        self.notify.wait_for("STOPPING=1", timeout=5)

    def test_an_abstract_socket_and_a_start_failure_status(self):
        abstract = NotifySocket(abstract=True)
        try:
            daemon = started(self.ws, abstract)
            abstract.wait_for("READY=1")
            # A second daemon on the same data directory cannot start; systemctl status shows why.
            second_notify = NotifySocket()
            try:
                with environment(NOTIFY_SOCKET=second_notify.address):
                    second = subprocess.run([BIN, "serve", "--listen", "127.0.0.1:0", "--data-dir", self.ws.data_dir,
                                             "--profiles", self.ws.profiles], capture_output=True, text=True,
                                            timeout=60)
                self.assertEqual(second.returncode, 1)
                failure = second_notify.wait_for("STATUS=cannot start: ", timeout=5, prefix=True)
                self.assertIn(f"pid {daemon.proc.pid}", failure)
                self.assertEqual(second_notify.messages[0], "STATUS=recovering the task store and starting")
                self.assertFalse(any("READY=1" in m for m in second_notify.messages), second_notify.messages)
            finally:
                second_notify.close()
            self.assertEqual(daemon.stop(), 0)
            abstract.wait_for("STOPPING=1", timeout=5)
        finally:
            abstract.close()

    def test_sigterm_during_an_export_drains_and_a_restart_completes_it_exactly(self):
        # Workers store about 5,000 items a group, and a drain lets the groups in flight finish: the export must be
        # several groups long for the SIGTERM to leave part of it to the restart.
        run_cli("generate", "--collection", self.ws.collection, "--contacts", "8000", "--interactions-per-contact",
                "4", "--seed", "31")
        config = write(os.path.join(self.ws.root, "cortexd.yaml"), FAST)
        time.sleep(0.01)
        daemon = started(self.ws, self.notify, "--config", config)
        self.notify.wait_for("READY=1")
        status, body = daemon.register({"StorageProfile": "LocalExports", "BatchSize": 5,
                                        "DefaultSplitItemCount": 1000})
        self.assertEqual(status, 200, body)
        task_id = body["TaskId"]
        deadline = time.monotonic() + 30
        while True:
            _, p = daemon.progress(task_id)
            if p["Progress"] >= 500 or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        self.assertNotEqual(p["Status"], 2, "the export finished before the SIGTERM: make it larger")
        rc = daemon.stop(signal.SIGTERM)
        self.assertEqual(rc, 0, daemon.log_text())
        stopping = self.notify.wait_for("STOPPING=1", timeout=5)
        self.assertIn("draining", status_of(stopping))
        self.assertIn("received SIGTERM, draining", daemon.log_text())
        with sqlite3.connect(os.path.join(self.ws.data_dir, "tasks.db")) as conn:
            written = conn.execute("SELECT Progress FROM Tasks WHERE Id = ?", (task_id,)).fetchone()[0]
        leftovers = [n for n in os.listdir(self.ws.exports) if n.startswith(".")]
        self.assertEqual(leftovers, [], "the drain left temp files")

        restart = NotifySocket()
        try:
            daemon = started(self.ws, restart, "--config", config)
            restart.wait_for("READY=1")
            final = daemon.wait_final(task_id, timeout=120)
            self.assertEqual(daemon.stop(), 0)
        finally:
            restart.close()
        self.assertEqual(final["Status"], 2, final)
        ids, manifest = exported(self.ws, task_id)
        expected = oracle_all(self.ws, final["Created"])
        print(f"\nSIGTERM at {written} of {len(expected)} items; after the restart: {len(ids)} exported, "
              f"{len(ids) - len(set(ids))} duplicates, {len(expected - set(ids))} lost")
        self.assertLess(written, len(expected))
        self.assertEqual(len(ids), len(set(ids)), "duplicates")
        self.assertEqual(set(ids), expected)
        self.assertEqual(manifest["TotalItems"], len(expected))

    def test_sighup_registers_a_new_profile_that_an_export_then_uses(self):
        run_cli("generate", "--collection", self.ws.collection, "--contacts", "50", "--interactions-per-contact", "2",
                "--seed", "32")
        time.sleep(0.01)
        daemon = started(self.ws, self.notify, "--config", write(os.path.join(self.ws.root, "c.yaml"), FAST))
        try:
            self.notify.wait_for("READY=1")
            status, body = daemon.register({"StorageProfile": "LaterExports"})
            self.assertEqual(status, 400, body)
            self.assertEqual(self.ws.tasks_db_count(), 0)
            later = os.path.join(self.ws.root, "later-exports")
            write(os.path.join(self.ws.profiles, "later.yaml"),
                  f"name: LaterExports\nprovider: folder\nsettings:\n  path: {later}\n")
            daemon.proc.send_signal(signal.SIGHUP)
            self.notify.wait_for("RELOADING=1", timeout=10)
            self.notify.wait_for("READY=1", timeout=10)  # the reload is done
            status, body = daemon.register({"StorageProfile": "LaterExports", "BatchSize": 20})
            self.assertEqual(status, 200, body)
            final = daemon.wait_final(body["TaskId"])
            self.assertEqual(final["Status"], 2, final)
            files = os.listdir(later)
            self.assertIn(f"{body['TaskId']}_manifest.json", files)
            with open(os.path.join(later, f"{body['TaskId']}_manifest.json")) as f:
                self.assertEqual(json.load(f)["TotalItems"], 100)
            # The old profile still works after the reload.
            status, body = daemon.register({"StorageProfile": "LocalExports"})
            self.assertEqual(status, 200, body)
        finally:
            self.assertEqual(daemon.stop(), 0)


class JsonLogTest(unittest.TestCase):
    def setUp(self):
        self.ws = Workspace()

    def tearDown(self):
        self.ws.remove()

    def parse_lines(self, raw):
        records = []
        for line in raw.decode("utf-8").splitlines():  # strict: JSON text is UTF-8
            if not line:
                continue
            record = json.loads(line)
            self.assertEqual(list(record), ["time", "level", "message"], line)
            self.assertRegex(record["time"], LOG_TIME)
            self.assertIn(record["level"], {"trace", "debug", "info", "warning", "error", "critical"})
            records.append(record)
        return records

    def test_daemon_log_lines_are_json_even_with_quotes_controls_and_bad_utf8(self):
        # A profile file whose name needs every kind of escape: its load error is logged with the name.
        weird = os.fsencode(self.ws.profiles) + b'/q"uo\\te\ttab\nline\xff.yaml'
        with open(weird, "wb") as f:
            f.write(b"name: [unclosed\n")
        daemon = Daemon(self.ws, extra=("--log-format", "json"))
        daemon.stop()
        with open(daemon.log_path, "rb") as f:
            records = self.parse_lines(f.read())
        messages = [r["message"] for r in records]
        self.assertTrue(any("cortexd listening on http://127.0.0.1:" in m for m in messages), messages)
        self.assertTrue(any(r["level"] == "info" and m == "cortexd stopped" for r, m in zip(records, messages)))
        bad = [r for r in records if 'q"uo\\te\ttab\nline\ufffd.yaml' in r["message"]]
        self.assertEqual(len(bad), 1, messages)
        self.assertEqual(bad[0]["level"], "error")

    def test_command_errors_follow_the_format_and_a_bad_format_is_refused(self):
        result = subprocess.run([BIN, "config", "check", os.path.join(self.ws.root, "missing.yaml"), "--log-format",
                                 "json"], capture_output=True, timeout=60)
        self.assertEqual(result.returncode, 2)
        records = self.parse_lines(result.stderr)
        self.assertEqual(len(records), 1)
        self.assertEqual(records[0]["level"], "error")
        self.assertIn("missing.yaml", records[0]["message"])
        result = run_cli("status", "--data-dir", self.ws.data_dir, "--log-format", "xml", check=False)
        self.assertEqual(result.returncode, 2)
        self.assertIn("--log-format", result.stderr)
        # text stays the default
        result = run_cli("config", "check", os.path.join(self.ws.root, "missing.yaml"), check=False)
        self.assertTrue(result.stderr.startswith("cortexd: "), result.stderr)


class DebianPackageTest(unittest.TestCase):
    """cpack -G DEB from the build folder into a temp folder, then dpkg-deb -x/-e into a throw-away root."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cortexd-deb-")
        result = subprocess.run(["cpack", "-G", "DEB", "-B", cls.tmp, "--config",
                                 os.path.join(BUILD_DIR, "CPackConfig.cmake")],
                                cwd=BUILD_DIR, capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            raise AssertionError(f"cpack failed:\n{result.stdout}\n{result.stderr}")
        debs = [n for n in os.listdir(cls.tmp) if n.endswith(".deb")]
        assert len(debs) == 1, debs
        cls.deb = os.path.join(cls.tmp, debs[0])
        cls.root = os.path.join(cls.tmp, "root")
        cls.control = os.path.join(cls.tmp, "control")
        subprocess.run(["dpkg-deb", "-x", cls.deb, cls.root], check=True)
        subprocess.run(["dpkg-deb", "-e", cls.deb, cls.control], check=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_the_package_holds_the_binary_unit_configuration_profiles_and_docs(self):
        listing = subprocess.run(["dpkg-deb", "-c", self.deb], capture_output=True, text=True, check=True).stdout
        files = {line.split()[-1].lstrip(".") for line in listing.splitlines() if not line.startswith("d")}
        expected = {
            "/usr/bin/cortexd", "/lib/systemd/system/cortexd.service", "/etc/cortexd/cortexd.yaml",
            "/etc/cortexd/storage-profiles/local-folder.yaml", "/etc/cortexd/storage-profiles/azure-blob.yaml.example",
            "/usr/share/doc/cortexd/README.md", "/usr/share/doc/cortexd/cortexd.yaml",
            "/usr/share/doc/cortexd/cortexd-exports.conf.example", "/usr/share/doc/cortexd/install-service.ps1",
        }
        self.assertEqual(files, expected)
        binary = os.path.join(self.root, "usr/bin/cortexd")
        self.assertTrue(os.access(binary, os.X_OK))
        result = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=30)
        self.assertIn("config", result.stdout)
        with open(os.path.join(self.root, "lib/systemd/system/cortexd.service")) as f, open(UNIT) as g:
            self.assertEqual(f.read(), g.read())

    def test_control_depends_and_conffiles(self):
        with open(os.path.join(self.control, "control")) as f:
            control = dict(line.split(": ", 1) for line in f.read().splitlines() if ": " in line)
        self.assertEqual(control["Package"], "cortexd")
        depends = control["Depends"]
        for package in ("adduser", "libc6", "libsqlite3-0", "libssl3", "libyaml-cpp0.7"):
            self.assertIn(package, depends)  # from dpkg-shlibdeps, plus adduser for postinst
        with open(os.path.join(self.control, "conffiles")) as f:
            conffiles = set(f.read().split())
        under_etc = {"/" + os.path.relpath(os.path.join(d, n), self.root)
                     for d, _, names in os.walk(os.path.join(self.root, "etc")) for n in names}
        self.assertEqual(conffiles, under_etc, "every file under /etc must be a conffile, and only those")
        self.assertIn("/etc/cortexd/cortexd.yaml", conffiles)

    def test_maintainer_scripts_parse_and_are_executable(self):
        for script in ("postinst", "prerm", "postrm"):
            path = os.path.join(self.control, script)
            self.assertEqual(os.stat(path).st_mode & 0o777, 0o755, script)
            for shell in ("sh", "dash", "bash"):
                if shutil.which(shell):
                    result = subprocess.run([shell, "-n", path], capture_output=True, text=True)
                    self.assertEqual(result.returncode, 0, f"{shell} -n {script}: {result.stderr}")
            with open(path) as f:
                self.assertIn("set -e", f.read())

    def test_the_packaged_configuration_and_profiles_pass_config_check(self):
        profiles = os.path.join(self.tmp, "profiles")
        shutil.copytree(os.path.join(self.root, "etc/cortexd/storage-profiles"), profiles, dirs_exist_ok=True)
        local = os.path.join(profiles, "local-folder.yaml")
        with open(local) as f:
            text = f.read()
        write(local, text.replace("/var/lib/cortexd/exports", os.path.join(self.tmp, "exports")))
        config = os.path.join(self.root, "etc/cortexd/cortexd.yaml")
        result = run_cli("config", "check", config, "--profiles", profiles, check=False)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("data_dir /var/lib/cortexd", result.stdout)
        self.assertIn("LocalExports (folder)", result.stdout)
        self.assertNotIn("AzureExports", result.stdout)  # the .example is not loaded

    def fake_root(self, name):
        """A copy of the package tree with a minimal /etc/passwd and /etc/group: what dpkg --root leaves
        before postinst runs."""
        root = os.path.join(self.tmp, name)
        shutil.copytree(self.root, root, symlinks=True)
        write(os.path.join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n")
        write(os.path.join(root, "etc/group"), "root:x:0:\n")
        write(os.path.join(root, "etc/shadow"), "root:*:19000:0:99999:7:::\n")
        write(os.path.join(root, "etc/gshadow"), "root:*::\n")
        return root

    def run_script(self, script, root, path, *args):
        # What dpkg --root --force-script-chrootless passes; deb-systemd-helper insists on the first two.
        env = {"PATH": path, "DPKG_ROOT": root, "DPKG_MAINTSCRIPT_PACKAGE": "cortexd",
               "DPKG_MAINTSCRIPT_NAME": script, "LC_ALL": "C"}
        return subprocess.run(["sh", os.path.join(self.control, script), *args], env=env, capture_output=True,
                              text=True, timeout=60)

    def tool_path(self, *, with_helper):
        """A PATH with the few tools the scripts use and neither systemctl nor deb-systemd-invoke."""
        folder = tempfile.mkdtemp(prefix="bin-", dir=self.tmp)
        tools = ["sh", "grep", "install", "chown", "getent", "groupadd", "useradd", "cat", "rm", "mkdir", "ln"]
        if with_helper:
            tools.append("deb-systemd-helper")
        for tool in tools:
            found = shutil.which(tool)
            if found:
                os.symlink(found, os.path.join(folder, tool))
        return folder

    def test_postinst_in_a_fake_root_without_systemctl_adds_the_user_and_is_idempotent(self):
        if os.geteuid() != 0:
            self.skipTest("useradd --prefix needs root (CI runs as root)")
        with open("/etc/passwd") as f:
            real_passwd = f.read()
        self.assertIsNone(shutil.which("systemctl", path=self.tool_path(with_helper=True)))
        for with_helper in (True, False):
            if with_helper and not shutil.which("deb-systemd-helper"):
                continue
            root = self.fake_root(f"fake-root-{with_helper}")
            path = self.tool_path(with_helper=with_helper)
            for args in (("configure",), ("configure", "0.1.0")):  # fresh install, then an upgrade
                result = self.run_script("postinst", root, path, *args)
                self.assertEqual(result.returncode, 0, f"postinst {args}: {result.stdout}{result.stderr}")
            with open(os.path.join(root, "etc/passwd")) as f:
                users = [line for line in f if line.startswith("cortexd:")]
            self.assertEqual(len(users), 1, users)
            self.assertIn(":/var/lib/cortexd:/usr/sbin/nologin", users[0])
            with open(os.path.join(root, "etc/group")) as f:
                self.assertEqual(sum(line.startswith("cortexd:") for line in f), 1)
            self.assertTrue(os.path.isdir(os.path.join(root, "var/lib/cortexd/exports")))
            wants = os.path.join(root, "etc/systemd/system/multi-user.target.wants/cortexd.service")
            if with_helper:
                self.assertEqual(os.readlink(wants), "/lib/systemd/system/cortexd.service")
            for script, args in (("prerm", ("remove",)), ("postrm", ("remove",)), ("postrm", ("purge",))):
                result = self.run_script(script, root, path, *args)
                self.assertEqual(result.returncode, 0, f"{script} {args}: {result.stdout}{result.stderr}")
            self.assertFalse(os.path.lexists(wants), "purge leaves the enablement link")
            self.assertTrue(os.path.isdir(os.path.join(root, "var/lib/cortexd")), "purge must keep the data")
        with open("/etc/passwd") as f:
            self.assertEqual(f.read(), real_passwd, "the scripts touched the real /etc/passwd")


if __name__ == "__main__":
    unittest.main()
