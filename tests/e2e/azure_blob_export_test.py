"""End to end: interaction exports to the azure-blob provider against a real Azurite started here, read back
with an independent client (the official @azure/storage-blob SDK, tests/e2e/azure/blob_client.js) and
compared byte for byte with a folder export; an emulator outage in the middle of an export; a wrong key."""
import base64
import hashlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

from daemon_harness import Daemon, Workspace, run_cli

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
AZURITE = os.path.join(REPO, ".tools", "node", "node_modules", ".bin", "azurite-blob")
CLIENT = os.path.join(HERE, "azure", "blob_client.js")
DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
CONTAINER = "cortexd-e2e"
PREFIX = "exports/run1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Azurite:
    """The emulator on a fixed free port and data folder, so that it can be stopped and started again."""

    def __init__(self, root):
        self.location = os.path.join(root, "azurite")
        os.makedirs(self.location, exist_ok=True)
        self.log_path = os.path.join(root, "azurite.log")
        self.port = free_port()
        self.proc = None

    def start(self, timeout=30):
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen([AZURITE, "--blobHost", "127.0.0.1", "--blobPort", str(self.port), "--location",
                                      self.location, "--disableTelemetry", "--silent"],
                                     stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"azurite exited at start-up:\n{open(self.log_path).read()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise AssertionError(f"azurite did not answer on port {self.port} within {timeout} s")

    def stop(self):
        """SIGTERM: Azurite saves its metadata and exits (what an orderly service restart does)."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def connection_string(self, key=DEV_KEY):
        return (f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={key};"
                f"BlobEndpoint=http://127.0.0.1:{self.port}/devstoreaccount1;")


def blob_client(*args):
    result = subprocess.run(["node", CLIENT, *args], capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise AssertionError(f"blob_client.js {args[0]} failed: {result.stderr}")
    return json.loads(result.stdout) if result.stdout.strip() else None


def write_config(path, max_attempts, initial_ms, max_ms):
    with open(path, "w") as f:
        f.write(f"retry:\n  max_attempts: {max_attempts}\n  initial_backoff_ms: {initial_ms}\n"
                f"  max_backoff_ms: {max_ms}\n")


def require_azurite():
    if os.path.exists(AZURITE) and shutil.which("node"):
        return
    message = f"Azurite is not installed at {AZURITE} (run bash tests/tools/install-azurite.sh)"
    if os.environ.get("CI"):
        raise AssertionError(message)
    raise unittest.SkipTest(message)


class AzureBlobExportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_azurite()
        cls.ws = Workspace()
        run_cli("generate", "--collection", cls.ws.collection, "--contacts", "300", "--interactions-per-contact", "4",
                "--seed", "11")
        cls.azurite = Azurite(cls.ws.root)
        cls.azurite.start()
        blob_client("create", cls.azurite.connection_string(), CONTAINER)
        # The connection string reaches the profile through the environment, as a deployment would pass a secret.
        os.environ["CORTEXD_E2E_AZURE_CONNECTION"] = cls.azurite.connection_string()
        with open(os.path.join(cls.ws.profiles, "azure.yaml"), "w") as f:
            f.write("name: AzureExports\nprovider: azure-blob\nsettings:\n"
                    "  connection_string: ${CORTEXD_E2E_AZURE_CONNECTION}\n"
                    f"  container: {CONTAINER}\n  prefix: {PREFIX}\n  create_container: true\n  timeout_seconds: 5\n")
        cls.config = os.path.join(cls.ws.root, "cortexd.yaml")
        write_config(cls.config, 50, 100, 500)
        time.sleep(0.01)
        cls.daemon = Daemon(cls.ws, extra=("--config", cls.config, "--log-level", "debug"))

    @classmethod
    def tearDownClass(cls):
        if hasattr(cls, "daemon"):
            cls.daemon.stop()
        if hasattr(cls, "azurite"):
            cls.azurite.stop()
        if hasattr(cls, "ws"):
            cls.ws.remove()
        os.environ.pop("CORTEXD_E2E_AZURE_CONNECTION", None)

    # --- helpers ------------------------------------------------------------------------------
    def export(self, params):
        status, body = self.daemon.register(params)
        self.assertEqual(status, 200, body)
        return body["TaskId"]

    def blobs_of(self, task_id):
        """{name without prefix: bytes} of one task, read with the official SDK."""
        dumped = blob_client("dump", self.azurite.connection_string(), CONTAINER, f"{PREFIX}/{task_id}_")
        return {name[len(PREFIX) + 1:]: base64.b64decode(data) for name, data in dumped.items()}

    def folder_files_of(self, task_id):
        out = {}
        for name in os.listdir(self.ws.exports):
            if name.startswith(task_id + "_"):
                with open(os.path.join(self.ws.exports, name), "rb") as f:
                    out[name] = f.read()
        return out

    def check_against_manifest(self, task_id, files):
        """The stored set is exactly the manifest's files plus the manifest; each file matches its entry."""
        manifest = json.loads(files[f"{task_id}_manifest.json"])
        batch_names = sorted(n for n in files if not n.endswith("_manifest.json"))
        self.assertEqual(sorted(e["Name"] for e in manifest["Files"]), batch_names)
        ids = []
        for entry in manifest["Files"]:
            data = files[entry["Name"]]
            self.assertEqual(len(data), entry["Bytes"])
            self.assertEqual(hashlib.sha256(data).hexdigest(), entry["Sha256"])
            items = json.loads(data)
            self.assertEqual(len(items), entry["Items"])
            ids.extend(i["Id"] for i in items)
        self.assertEqual(len(ids), len(set(ids)), "an interaction was exported twice")
        self.assertEqual(manifest["TotalItems"], len(ids))
        return manifest, ids

    def interaction_count(self):
        import sqlite3
        with sqlite3.connect(self.ws.collection) as conn:
            return conn.execute("SELECT count(*) FROM Interactions").fetchone()[0]

    # --- the tests ----------------------------------------------------------------------------
    def test_1_export_to_azure_matches_a_folder_export_byte_for_byte(self):
        params = {"BatchSize": 97, "DefaultSplitItemCount": 300}
        azure_task = self.export({"StorageProfile": "AzureExports", **params})
        folder_task = self.export({"StorageProfile": "LocalExports", **params})
        azure_final = self.daemon.wait_final(azure_task, timeout=60)
        folder_final = self.daemon.wait_final(folder_task, timeout=60)
        self.assertEqual(azure_final["Status"], 2, azure_final)
        self.assertEqual(folder_final["Status"], 2, folder_final)
        self.assertEqual(azure_final["Total"], self.interaction_count())

        blobs = self.blobs_of(azure_task)
        files = self.folder_files_of(folder_task)
        azure_manifest, azure_ids = self.check_against_manifest(azure_task, blobs)
        folder_manifest, folder_ids = self.check_against_manifest(folder_task, files)
        self.assertEqual(len(blobs), len(files))
        # File contents per cursor and batch are identical; only the names (by TaskId) differ.
        self.assertEqual(sorted(v for k, v in blobs.items() if not k.endswith("_manifest.json")),
                         sorted(v for k, v in files.items() if not k.endswith("_manifest.json")))
        self.assertEqual(sorted(e["Sha256"] for e in azure_manifest["Files"]),
                         sorted(e["Sha256"] for e in folder_manifest["Files"]))
        self.assertEqual(sorted(azure_ids), sorted(folder_ids))
        self.assertEqual(len(azure_ids), self.interaction_count())
        # The SDK's plain listing holds the same names.
        listed = blob_client("list", self.azurite.connection_string(), CONTAINER, f"{PREFIX}/{azure_task}_")
        self.assertEqual(sorted(n[len(PREFIX) + 1:] for n in listed), sorted(blobs))

    def test_2_emulator_outage_mid_export_completes_with_exactly_the_expected_blobs(self):
        task = self.export({"StorageProfile": "AzureExports", "BatchSize": 2, "DefaultSplitItemCount": 40})
        deadline = time.monotonic() + 30
        while True:
            _, progress = self.daemon.progress(task)
            if progress["Status"] in (2, 3, 4, 5):
                self.fail(f"the export ended before the outage could start: {progress}")
            # Workers store and record batches in groups of thousands of items, so Progress jumps
            # to the end at once: stop the emulator as soon as the task is split and running.
            if progress["Status"] == 1 and progress["Total"]:
                break
            self.assertLess(time.monotonic(), deadline, progress)
            time.sleep(0.02)
        self.azurite.stop()
        _, during = self.daemon.progress(task)
        self.assertEqual(during["Status"], 1, during)
        time.sleep(2)
        _, still = self.daemon.progress(task)
        self.assertEqual(still["Status"], 1, f"the task did not survive a 2 s outage: {still}")
        self.azurite.start()
        final = self.daemon.wait_final(task, timeout=60)
        self.assertEqual(final["Status"], 2, final)
        total = self.interaction_count()
        self.assertEqual(final["Total"], total)
        self.assertEqual(final["Progress"], total)

        blobs = self.blobs_of(task)
        manifest, ids = self.check_against_manifest(task, blobs)
        self.assertEqual(len(ids), total)
        # The same export to a folder, without an outage, is the expected set: the same file contents.
        reference = self.export({"StorageProfile": "LocalExports", "BatchSize": 2, "DefaultSplitItemCount": 40})
        self.assertEqual(self.daemon.wait_final(reference, timeout=60)["Status"], 2)
        files = self.folder_files_of(reference)
        self.assertEqual(len(blobs), len(files))
        self.assertEqual(sorted(v for k, v in blobs.items() if not k.endswith("_manifest.json")),
                         sorted(v for k, v in files.items() if not k.endswith("_manifest.json")))
        log = self.daemon.log_text()
        self.assertIn("retrying in", log, "the outage never reached a store")
        self.assertIn("azure-blob PUT /devstoreaccount1/", log)  # the debug request lines
        self.assertNotIn("sig=", log)

    def test_3_wrong_account_key_fails_the_task_and_the_key_is_never_shown(self):
        wrong_key = base64.b64encode(secrets.token_bytes(64)).decode()
        ws = Workspace(profile_name="LocalOnly")
        try:
            run_cli("generate", "--collection", ws.collection, "--contacts", "20", "--interactions-per-contact", "2",
                    "--seed", "3")
            with open(os.path.join(ws.profiles, "wrong.yaml"), "w") as f:
                f.write("name: AzureWrongKey\nprovider: azure-blob\nsettings:\n"
                        f"  connection_string: \"{self.azurite.connection_string(wrong_key)}\"\n"
                        f"  container: {CONTAINER}\n")
            config = os.path.join(ws.root, "cortexd.yaml")
            write_config(config, 3, 50, 100)
            daemon = Daemon(ws, extra=("--config", config, "--log-level", "debug"))
            try:
                status, body = daemon.register({"StorageProfile": "AzureWrongKey"})
                self.assertEqual(status, 200, body)
                final = daemon.wait_final(body["TaskId"], timeout=60)
                self.assertEqual(final["Status"], 3, final)
                description = final["Description"]
                self.assertIn("AzureWrongKey", description)
                self.assertIn("refused the credentials (403", description)
                self.assertIn(CONTAINER, description)
                self.assertNotIn(wrong_key, description)
                self.assertNotIn(wrong_key[:16], json.dumps(final))
            finally:
                daemon.stop()
            log = daemon.log_text()
            self.assertIn("refused the credentials", log)
            self.assertNotIn(wrong_key, log)
            self.assertNotIn(wrong_key[:16], log)
            # Nor in the task store (options, errors, descriptions).
            for name in os.listdir(ws.data_dir):
                if name.startswith("tasks.db"):
                    with open(os.path.join(ws.data_dir, name), "rb") as f:
                        self.assertNotIn(wrong_key[:16].encode(), f.read(), name)
        finally:
            ws.remove()

    def test_4_the_account_key_is_nowhere_in_the_debug_log(self):
        log = self.daemon.log_text()
        self.assertIn("debug azure-blob", log)
        self.assertNotIn(DEV_KEY, log)
        self.assertNotIn(DEV_KEY[:16], log)
        self.assertNotIn("AccountKey", log)


if __name__ == "__main__":
    unittest.main()
