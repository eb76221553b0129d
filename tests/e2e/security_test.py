"""Security end to end: bearer tokens and roles on every route, a plaintext non-loopback listener refused,
hostile parameter values refused with nothing written, and no secret in any log, answer or stored row."""
import glob
import json
import os
import sqlite3
import subprocess
import time
import unittest
import urllib.parse

from daemon_harness import API, BIN, Daemon, Workspace, run_cli

HOSTILE = ["../../etc/passwd", "..\\..\\windows", "a" * 70000, "x\u0000y", "'; DROP TABLE Tasks; --", "1e309",
           "-1", "9" * 40, "null; rm -rf /", "<script>", "${HOME}", "%00", "😀" * 50]


class SecurityTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ws = Workspace()
        run_cli("generate", "--collection", cls.ws.collection, "--contacts", "50", "--interactions-per-contact", "2",
                "--seed", "31")
        time.sleep(0.01)
        cls.daemon = Daemon(cls.ws, extra=("--log-level", "debug"))

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()
        cls.ws.remove()

    def test_every_api_route_needs_a_valid_token_and_the_right_role(self):
        task = self.daemon.register({"StorageProfile": "LocalExports"})[1]["TaskId"]
        reader = run_cli("token", "create", "--role", "reader", "--data-dir", self.ws.data_dir).stdout.strip()
        routes = [("POST", "export/tasks/interactions", "write"), ("POST", "export/tasks/contacts", "write"),
                  ("POST", "estimate/interactions", "write"), ("POST", "estimate/contacts", "write"),
                  ("GET", f"tasks/{task}/progress", "read"), ("PUT", f"tasks/{task}/cancel", "write"),
                  ("GET", f"purge/tasks/{task}/progress", "read"), ("PUT", f"purge/tasks/{task}/cancel", "write")]
        for method, path, access in routes:
            with self.subTest(method=method, path=path):
                body = {"StorageProfile": "LocalExports"} if method == "POST" else None
                for token in ("", "cxd_wrong", self.daemon.token[:-1]):
                    status, answer = self.daemon.request(method, API + path, body, token=token)
                    self.assertEqual(status, 401, (token, answer))
                    self.assertEqual(answer["ExceptionType"], "Unauthorized")
                status, answer = self.daemon.request(method, API + path, body, token=reader)
                self.assertEqual(status, 200 if access == "read" else 403, answer)
                if access == "write":
                    self.assertEqual(answer["ExceptionType"], "Forbidden")
                status, answer = self.daemon.request(method, API + path, body)
                self.assertEqual(status, 200, answer)
        log = self.daemon.log_text()
        self.assertIn("refused a request", log)
        for secret in (self.daemon.token, reader, "cxd_wrong"):
            self.assertNotIn(secret, log)

    def test_token_file_is_private_and_only_hashes_are_stored(self):
        mode = os.stat(os.path.join(self.ws.data_dir, "api-token")).st_mode & 0o777
        self.assertEqual(mode, 0o600)
        with open(os.path.join(self.ws.data_dir, "api-tokens")) as f:
            self.assertNotIn(self.daemon.token, f.read())
        with open(os.path.join(self.ws.data_dir, "tasks.db"), "rb") as f:
            self.assertNotIn(self.daemon.token.encode(), f.read())

    def wait_until_no_task_runs(self, timeout=60):
        """Other tests' exports write files meanwhile: wait until every task is final."""
        deadline = time.monotonic() + timeout
        while True:
            with sqlite3.connect(os.path.join(self.ws.data_dir, "tasks.db")) as conn:
                running = conn.execute("SELECT count(*) FROM Tasks WHERE Status IN (0, 1)").fetchone()[0]
            if running == 0:
                return
            self.assertLess(time.monotonic(), deadline, f"{running} task(s) still running")
            time.sleep(0.05)

    def test_hostile_values_in_every_parameter_get_400_and_write_nothing(self):
        self.wait_until_no_task_runs()
        before_rows = self.ws.tasks_db_count()
        before_files = set(os.listdir(self.ws.exports)) if os.path.exists(self.ws.exports) else set()
        params = ["BatchSize", "DefaultSplitItemCount", "ExpiresAfterHours", "StartedDaysCutoff", "StartPercentile",
                  "EndPercentile", "StorageProfile"]
        for name in params:
            for value in HOSTILE:
                with self.subTest(parameter=name, value=value[:20]):
                    body = {"StorageProfile": "LocalExports", name: value}
                    if name in ("StartPercentile", "EndPercentile"):
                        body.setdefault("StartPercentile", 0.1)
                        body.setdefault("EndPercentile", 0.9)
                        body[name] = value
                    status, answer = self.daemon.register(body)
                    self.assertIn(status, (400, 413), answer)
                    status, answer = self.daemon.register(body, form=True)
                    self.assertIn(status, (400, 413), answer)
        for value in HOSTILE[:5]:
            status, _ = self.daemon.request("GET", API + f"tasks/{urllib.parse.quote(value)}/progress")
            self.assertIn(status, (400, 404, 431))
        self.assertEqual(self.ws.tasks_db_count(), before_rows)
        after_files = set(os.listdir(self.ws.exports)) if os.path.exists(self.ws.exports) else set()
        self.assertEqual(after_files, before_files)
        for stray in ("/etc/passwd.json", os.path.join(self.ws.root, "..", "x.json")):
            self.assertFalse(os.path.exists(stray) and os.path.getmtime(stray) > time.time() - 60)
        with sqlite3.connect(os.path.join(self.ws.data_dir, "tasks.db")) as conn:
            self.assertEqual(conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'Tasks'").fetchone()[0], 1)

    def test_a_plaintext_non_loopback_listener_is_refused(self):
        other = Workspace()
        try:
            result = subprocess.run([BIN, "serve", "--listen", "0.0.0.0:0", "--data-dir", other.data_dir,
                                     "--profiles", other.profiles, "--collection", other.collection],
                                    capture_output=True, text=True, timeout=30)
            self.assertEqual(result.returncode, 1)
            self.assertIn("refusing to listen on 0.0.0.0 without TLS", result.stderr)
            self.assertIn("tls_certificate_file", result.stderr)
        finally:
            other.remove()


class SecretLeakTest(unittest.TestCase):
    def test_a_profile_secret_appears_in_no_log_answer_or_row(self):
        ws = Workspace()
        secret = "SuperSecretValue-" + os.urandom(8).hex()
        try:
            run_cli("generate", "--collection", ws.collection, "--contacts", "30", "--interactions-per-contact", "2",
                    "--seed", "32")
            # A profile whose settings hold a secret from the environment, and one that fails to load with it.
            with open(os.path.join(ws.profiles, "secret.yaml"), "w") as f:
                f.write("name: WithSecret\nprovider: folder\nsettings:\n  path: ${EXPORT_PATH}\n")
            with open(os.path.join(ws.profiles, "bad.yaml"), "w") as f:
                f.write("name: Broken\nprovider: azure-blob\nsettings:\n  connection_string: "
                        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${SECRET_KEY};"
                        "BlobEndpoint=http://127.0.0.1:9/devstoreaccount1\n  container: c\n  bogus: 1\n")
            env = dict(os.environ, EXPORT_PATH=os.path.join(ws.root, "secret-exports"), SECRET_KEY=secret)
            time.sleep(0.01)
            proc_env = os.environ.copy()
            os.environ.update(env)
            try:
                daemon = Daemon(ws, extra=("--log-level", "debug"))
            finally:
                os.environ.clear()
                os.environ.update(proc_env)
            try:
                answers = []
                for body in ({"StorageProfile": "WithSecret"}, {"StorageProfile": "Broken"}):
                    status, answer = daemon.request("POST", API + "export/tasks/interactions", body, raw=True)
                    answers.append(answer)
                    if status == 200:
                        import json
                        task = json.loads(answer)["TaskId"]
                        answers.append(json.dumps(daemon.wait_final(task)))
            finally:
                daemon.stop()
            haystacks = answers + [daemon.log_text()]
            for path in glob.glob(os.path.join(ws.data_dir, "*")):
                with open(path, "rb") as f:
                    haystacks.append(f.read().decode("utf-8", "replace"))
            status_table = run_cli("status", "--data-dir", ws.data_dir).stdout
            haystacks.append(status_table)
            for text in haystacks:
                self.assertNotIn(secret, text)
        finally:
            ws.remove()


if __name__ == "__main__":
    unittest.main()


class OperationalEndpointsTest(unittest.TestCase):
    def test_health_ready_and_metrics_after_an_export(self):
        ws = Workspace()
        try:
            run_cli("generate", "--collection", ws.collection, "--contacts", "40", "--interactions-per-contact", "3",
                    "--seed", "33")
            time.sleep(0.01)
            daemon = Daemon(ws)
            try:
                status, body = daemon.request("GET", "/healthz", token="")
                self.assertEqual((status, body), (200, {"Status": "Healthy"}))
                status, body = daemon.request("GET", "/readyz", token="")
                self.assertEqual((status, body), (200, {"Status": "Ready"}))
                self.assertEqual(daemon.request("GET", "/metrics", token="")[0], 401)
                task = daemon.register({"StorageProfile": "LocalExports", "BatchSize": 7})[1]["TaskId"]
                final = daemon.wait_final(task)
                self.assertEqual(final["Status"], 2)
                self.assertEqual(daemon.request("DELETE", API + f"tasks/{task}/progress")[0], 405)
                big = json.dumps({"StorageProfile": "LocalExports", "Pad": "x" * 70000})
                self.assertEqual(daemon.request("POST", API + "export/tasks/interactions", big)[0], 413)
                status, text = daemon.request("GET", "/metrics", raw=True)
                self.assertEqual(status, 200)
                samples = {}
                for line in text.splitlines():
                    if line and not line.startswith("#"):
                        name, value = line.rsplit(" ", 1)
                        samples[name] = float(value)
                self.assertEqual(samples['cortexd_tasks{status="Completed"}'], 1)
                self.assertEqual(samples["cortexd_items_exported_total"], 120)
                self.assertEqual(samples["cortexd_batches_stored_total"], final["Total"] // 7 + (1 if 120 % 7 else 0))
                self.assertEqual(samples['cortexd_batch_duration_seconds_bucket{le="+Inf"}'],
                                 samples["cortexd_batches_stored_total"])
                self.assertGreater(samples["cortexd_bytes_exported_total"], 0)
                self.assertEqual(samples["cortexd_storage_errors_total"], 0)
                self.assertEqual(samples['cortexd_http_requests_total{route="POST export/tasks/interactions",status="200"}'], 1)
                self.assertGreaterEqual(samples['cortexd_http_requests_total{route="/metrics",status="401"}'], 1)
                self.assertEqual(samples['cortexd_http_requests_total{route="tasks/{TaskId}/progress",status="405"}'], 1)
                self.assertEqual(samples['cortexd_http_requests_total{route="unread",status="413"}'], 1)
                os.rename(ws.collection, ws.collection + ".gone")
                status, body = daemon.request("GET", "/readyz", token="")
                self.assertEqual(status, 503)
                self.assertIn("collection", body["Reason"])
            finally:
                daemon.stop()
        finally:
            ws.remove()


class TlsListenerTest(unittest.TestCase):
    def test_a_tls_listener_may_bind_beyond_loopback_and_serves_https(self):
        import http.client
        import json
        import ssl
        ws = Workspace()
        try:
            pki = os.path.join(ws.root, "pki")
            os.makedirs(pki)

            def openssl(*args):
                subprocess.run(["openssl", *args], cwd=pki, check=True, capture_output=True)

            openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
                    "-subj", "/CN=cortexd test CA")
            openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
                    "-subj", "/CN=localhost")
            with open(os.path.join(pki, "san.ext"), "w") as f:
                f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
            openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                    "-out", "server.crt", "-days", "2", "-extfile", "san.ext")
            config = os.path.join(ws.root, "tls.yaml")
            with open(config, "w") as f:
                f.write(f"http:\n  tls_certificate_file: {pki}/server.crt\n  tls_private_key_file: {pki}/server.key\n")
            run_cli("generate", "--collection", ws.collection, "--contacts", "5", "--interactions-per-contact", "1")
            proc = subprocess.Popen([BIN, "serve", "--config", config, "--listen", "0.0.0.0:0", "--data-dir", ws.data_dir,
                                     "--collection", ws.collection, "--profiles", ws.profiles],
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            try:
                line = proc.stdout.readline()
                self.assertIn("listening on", line)
                port = int(line.strip().rsplit(":", 1)[1])
                with open(os.path.join(ws.data_dir, "api-token")) as f:
                    token = f.read().strip()
                context = ssl.create_default_context(cafile=os.path.join(pki, "ca.crt"))
                conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=30)
                conn.request("POST", API + "export/tasks/interactions", body=json.dumps({"StorageProfile": "LocalExports"}),
                             headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
                resp = conn.getresponse()
                self.assertEqual(resp.status, 200)
                self.assertIn("TaskId", json.loads(resp.read()))
                conn.close()
                untrusting = http.client.HTTPSConnection("127.0.0.1", port, context=ssl.create_default_context(),
                                                         timeout=30)
                with self.assertRaises(ssl.SSLError):
                    untrusting.request("GET", "/healthz")
                    untrusting.getresponse()
            finally:
                proc.terminate()
                proc.wait(timeout=30)
                proc.stdout.close()
        finally:
            ws.remove()
