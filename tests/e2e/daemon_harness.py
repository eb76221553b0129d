"""Starts the real cortexd on a free loopback port in a temporary folder, and talks HTTP to it."""
import http.client
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
import urllib.parse

BIN = os.environ.get("CORTEXD_BIN", os.path.join(os.path.dirname(__file__), "..", "..", "build", "cortexd"))
API = "/sitecore/api/datatools/"


def run_cli(*args, check=True):
    result = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(f"cortexd {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


class Workspace:
    """A temp folder with a collection, a profiles folder with one folder profile, and a data dir."""

    def __init__(self, profile_name="LocalExports"):
        self.root = tempfile.mkdtemp(prefix="cortexd-e2e-")
        self.collection = os.path.join(self.root, "collection.db")
        self.data_dir = os.path.join(self.root, "data")
        self.profiles = os.path.join(self.root, "profiles")
        self.exports = os.path.join(self.root, "exports")
        os.makedirs(self.profiles)
        with open(os.path.join(self.profiles, "local.yaml"), "w") as f:
            f.write(f"name: {profile_name}\nprovider: folder\nsettings:\n  path: {self.exports}\n")

    def tasks_db_count(self):
        db = os.path.join(self.data_dir, "tasks.db")
        if not os.path.exists(db):
            return 0
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT count(*) FROM Tasks").fetchone()[0]

    def remove(self):
        shutil.rmtree(self.root, ignore_errors=True)


class Daemon:
    def __init__(self, ws, workers=2, extra=()):
        self.ws = ws
        self.log_path = os.path.join(ws.root, f"daemon-{time.monotonic_ns()}.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [BIN, "serve", "--listen", "127.0.0.1:0", "--data-dir", ws.data_dir, "--collection", ws.collection,
             "--profiles", ws.profiles, "--workers", str(workers), *extra],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        if "listening on" not in line:
            self.proc.kill()
            raise AssertionError(f"daemon did not start: {line!r}\n{open(self.log_path).read()}")
        self.port = int(line.strip().rsplit(":", 1)[1])
        self.conn = None
        # The first start writes a data-admin token for local clients (SPEC 2.4).
        with open(os.path.join(ws.data_dir, "api-token")) as f:
            self.token = f.read().strip()

    def request(self, method, path, body=None, content_type="application/json", raw=False, token=None):
        """token None: the daemon's own data-admin token; "": no Authorization header."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        token = self.token if token is None else token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            if isinstance(data, str):
                data = data.encode()
            headers["Content-Type"] = content_type
        try:
            self.conn.request(method, path, body=data, headers=headers)
            resp = self.conn.getresponse()
        except (ConnectionError, http.client.HTTPException):
            self.conn.close()
            self.conn = None
            raise
        text = resp.read().decode()
        if resp.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        return resp.status, (text if raw else (json.loads(text) if text else None))

    def register(self, params, kind="interactions", form=False):
        if form:
            body = urllib.parse.urlencode(params)
            return self.request("POST", API + f"export/tasks/{kind}", body, "application/x-www-form-urlencoded")
        return self.request("POST", API + f"export/tasks/{kind}", params)

    def progress(self, task_id):
        return self.request("GET", API + f"tasks/{task_id}/progress")

    def wait_final(self, task_id, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, body = self.progress(task_id)
            assert status == 200, (status, body)
            if body["Status"] in (2, 3, 4, 5):
                return body
            time.sleep(0.05)
        raise AssertionError(f"task {task_id} not final after {timeout}s: {body}")

    def stop(self, sig=signal.SIGTERM):
        if self.conn:
            self.conn.close()
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        if self.proc.stdout:
            self.proc.stdout.close()
        return self.proc.returncode

    def log_text(self):
        with open(self.log_path) as f:
            return f.read()
