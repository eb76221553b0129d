"""Fault injection against the real binary: kill -9 at random moments, a storage target that goes
away and comes back, registrations under load with a kill in the middle, a second daemon on the same
data directory, expiry. At the end the exported id set must equal the oracle exactly."""
import http.client
import json
import os
import random
import signal
import sqlite3
import subprocess
import threading
import time
import unittest

from daemon_harness import API, BIN, Daemon, Workspace, run_cli
from interaction_export_test import ticks

FAST_RETRIES = """
lease_seconds: 3
heartbeat_seconds: 1
poll_interval_ms: 50
cleanup_interval_seconds: 1
retry:
  max_attempts: 40
  initial_backoff_ms: 50
  max_backoff_ms: 200
"""


def write_config(ws, text=FAST_RETRIES):
    path = os.path.join(ws.root, "cortexd.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


def oracle_all(ws, registered):
    with sqlite3.connect(ws.collection) as conn:
        return {i for i, added in conn.execute("SELECT Id, Added FROM Interactions") if ticks(added) <= ticks(registered)}


def exported(ws, task_id):
    """(ids in batch files, manifest) for a completed task; fails on a temp file or a stray file."""
    with open(os.path.join(ws.exports, f"{task_id}_manifest.json")) as f:
        manifest = json.load(f)
    ids = []
    names = {e["Name"] for e in manifest["Files"]}
    on_disk = {n for n in os.listdir(ws.exports) if n.startswith(task_id) and not n.endswith("_manifest.json")}
    assert on_disk == names, f"files on disk and in the manifest differ: {sorted(on_disk ^ names)[:5]}"
    for entry in manifest["Files"]:
        with open(os.path.join(ws.exports, entry["Name"])) as f:
            items = json.load(f)
        assert len(items) == entry["Items"]
        ids.extend(i["Id"] for i in items)
    leftovers = [n for n in os.listdir(ws.exports) if n.startswith(".")]
    assert not leftovers, f"temp files left: {leftovers[:3]}"
    return ids, manifest


class KillNineTest(unittest.TestCase):
    def test_export_survives_repeated_kill_nine(self):
        ws = Workspace()
        try:
            # 100,000 items in 10-item files: about 20 leased groups of 5,000 items, so the export is still
            # running after every kill however fast the machine is; each kill waits for new progress.
            run_cli("generate", "--collection", ws.collection, "--contacts", "25000", "--interactions-per-contact",
                    "4", "--seed", "21")
            config = write_config(ws)
            time.sleep(0.01)
            daemon = Daemon(ws, extra=("--config", config))
            status, body = daemon.register({"StorageProfile": "LocalExports", "BatchSize": 10,
                                            "DefaultSplitItemCount": 500})
            self.assertEqual(status, 200)
            task_id = body["TaskId"]
            rng = random.Random(int(os.environ.get("CORTEXD_FAULT_SEED", "5")))
            kills = 0
            progress_seen = []
            last_progress = -1
            while kills < 6:
                p = self.wait_for_progress_beyond(daemon, task_id, last_progress)
                if p["Status"] == 2:
                    break
                time.sleep(rng.uniform(0.0, 0.15))  # the kill lands anywhere in a group: reading, storing, recording
                if daemon.progress(task_id)[1]["Status"] == 2:
                    break
                progress_seen.append(p["Progress"])
                last_progress = p["Progress"]
                daemon.stop(signal.SIGKILL)
                kills += 1
                daemon = Daemon(ws, extra=("--config", config))
            final = daemon.wait_final(task_id, timeout=300)
            daemon.stop()
            self.assertEqual(final["Status"], 2, final)
            ids, manifest = exported(ws, task_id)
            expected = oracle_all(ws, final["Created"])
            duplicates = len(ids) - len(set(ids))
            lost = len(expected - set(ids))
            extra = len(set(ids) - expected)
            print(f"\nkill -9: kills survived {kills}, ids checked {len(expected)}, duplicates {duplicates}, "
                  f"lost {lost}, unexpected {extra}, progress at kills {progress_seen}")
            self.assertGreaterEqual(kills, 5, "the export finished before enough kills")
            self.assertEqual((duplicates, lost, extra), (0, 0, 0))
            self.assertEqual(final["Progress"], len(expected))
            self.assertEqual(final["Total"], len(expected))
            self.assertEqual(manifest["TotalItems"], len(expected))
        finally:
            ws.remove()


    def wait_for_progress_beyond(self, daemon, task_id, last, timeout=60):
        """The task's progress once it passed `last` (or the task completed); fails after `timeout` s."""
        deadline = time.monotonic() + timeout
        while True:
            _, p = daemon.progress(task_id)
            if p["Status"] == 2 or p["Progress"] > last:
                return p
            self.assertLess(time.monotonic(), deadline, f"no progress past {last} in {timeout} s: {p}")
            time.sleep(0.01)


class StorageOutageTest(unittest.TestCase):
    def setUp(self):
        self.ws = Workspace()
        run_cli("generate", "--collection", self.ws.collection, "--contacts", "500", "--interactions-per-contact",
                "4", "--seed", "22")
        time.sleep(0.01)

    def tearDown(self):
        self.ws.remove()

    def break_target(self):
        os.makedirs(self.ws.exports, exist_ok=True)
        os.rename(self.ws.exports, self.ws.exports + ".away")
        with open(self.ws.exports, "w") as f:
            f.write("the target is gone")  # a file where the folder was: every store fails, even as root

    def mend_target(self):
        os.remove(self.ws.exports)
        os.rename(self.ws.exports + ".away", self.ws.exports)

    def test_a_target_that_comes_back_within_the_retries_gives_a_complete_export(self):
        daemon = Daemon(self.ws, extra=("--config", write_config(self.ws)))
        try:
            self.break_target()
            status, body = daemon.register({"StorageProfile": "LocalExports", "BatchSize": 20})
            task_id = body["TaskId"]
            time.sleep(1.5)
            self.assertEqual(daemon.progress(task_id)[1]["Progress"], 0)
            self.mend_target()
            final = daemon.wait_final(task_id)
            self.assertEqual(final["Status"], 2, final)
            ids, _ = exported(self.ws, task_id)
            self.assertEqual(len(ids), len(set(ids)))
            self.assertEqual(set(ids), oracle_all(self.ws, final["Created"]))
            self.assertIn("retrying", daemon.log_text())
        finally:
            daemon.stop()

    def test_a_target_that_stays_away_fails_the_task_and_a_new_task_completes(self):
        config = write_config(self.ws, FAST_RETRIES.replace("max_attempts: 40", "max_attempts: 4"))
        daemon = Daemon(self.ws, extra=("--config", config))
        try:
            self.break_target()
            status, body = daemon.register({"StorageProfile": "LocalExports", "BatchSize": 20})
            failed_id = body["TaskId"]
            final = daemon.wait_final(failed_id)
            self.assertEqual(final["Status"], 3, final)
            self.assertIn("4 attempt(s)", final["Description"])
            self.assertIn(self.ws.exports, final["Description"])
            with sqlite3.connect(os.path.join(self.ws.data_dir, "tasks.db")) as conn:
                error = conn.execute("SELECT Error FROM Tasks WHERE Id = ?", (failed_id,)).fetchone()[0]
            self.assertIn("LocalExports", error)
            self.mend_target()
            self.assertFalse([n for n in os.listdir(self.ws.exports) if n.startswith(failed_id)])
            # Registering it again gives a complete, correct export.
            status, body = daemon.register({"StorageProfile": "LocalExports", "BatchSize": 20})
            final = daemon.wait_final(body["TaskId"])
            self.assertEqual(final["Status"], 2)
            ids, _ = exported(self.ws, body["TaskId"])
            self.assertEqual(sorted(ids), sorted(oracle_all(self.ws, final["Created"])))
        finally:
            daemon.stop()


class RegistrationLoadTest(unittest.TestCase):
    def test_every_acknowledged_task_exists_even_after_a_kill(self):
        ws = Workspace()
        try:
            run_cli("generate", "--collection", ws.collection, "--contacts", "50", "--interactions-per-contact", "2",
                    "--seed", "23")
            config = write_config(ws)
            time.sleep(0.01)
            daemon = Daemon(ws, extra=("--config", config))
            port, token = daemon.port, daemon.token
            acknowledged = []
            lock = threading.Lock()
            errors = []
            total, clients = 2000, 16

            def client(n):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                body = json.dumps({"StorageProfile": "LocalExports", "StartedDaysCutoff": 2147483647})
                for _ in range(n):
                    try:
                        conn.request("POST", API + "export/tasks/interactions", body=body,
                                     headers={"Content-Type": "application/json",
                                              "Authorization": f"Bearer {token}"})
                        resp = conn.getresponse()
                        data = resp.read()
                    except (OSError, http.client.HTTPException) as e:
                        with lock:
                            errors.append(repr(e))
                        return
                    if resp.status == 200:
                        with lock:
                            acknowledged.append(json.loads(data)["TaskId"])

            threads = [threading.Thread(target=client, args=(total // clients,)) for _ in range(clients)]
            started = time.monotonic()
            for t in threads:
                t.start()
            # A real export runs meanwhile; the daemon is killed half-way through the registrations.
            while len(acknowledged) < total // 2 and time.monotonic() - started < 120:
                time.sleep(0.01)
            daemon.stop(signal.SIGKILL)
            for t in threads:
                t.join()
            self.assertLess(len(acknowledged), total, "the kill came too late to test anything")
            with sqlite3.connect(os.path.join(ws.data_dir, "tasks.db")) as conn:
                rows = {i: o for i, o in conn.execute("SELECT Id, Options FROM Tasks")}
            missing = set(acknowledged) - set(rows)
            print(f"\nregistrations: acknowledged {len(acknowledged)} before the kill, stored {len(rows)}, "
                  f"lost {len(missing)}, client errors after the kill {len(errors)}")
            self.assertEqual(missing, set())
            for options in rows.values():  # no half-written task: every stored row is whole
                self.assertEqual(json.loads(options)["StorageProfile"], "LocalExports")
            # After a restart the rest registers and every task reaches a final state.
            daemon = Daemon(ws, extra=("--config", config))
            more = []
            for _ in range(total - len(rows)):
                status, body = daemon.register({"StorageProfile": "LocalExports", "StartedDaysCutoff": 2147483647})
                self.assertEqual(status, 200)
                more.append(body["TaskId"])
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline:
                with sqlite3.connect(os.path.join(ws.data_dir, "tasks.db")) as conn:
                    open_tasks = conn.execute("SELECT count(*) FROM Tasks WHERE Status IN (0, 1)").fetchone()[0]
                if open_tasks == 0:
                    break
                time.sleep(0.2)
            self.assertEqual(open_tasks, 0)
            with sqlite3.connect(os.path.join(ws.data_dir, "tasks.db")) as conn:
                statuses = dict(conn.execute("SELECT Status, count(*) FROM Tasks GROUP BY Status").fetchall())
            self.assertEqual(statuses, {2: total})
            daemon.stop()
        finally:
            ws.remove()


class SingleDaemonAndExpiryTest(unittest.TestCase):
    def test_a_second_daemon_on_the_same_data_dir_refuses_and_expired_tasks_go(self):
        ws = Workspace()
        try:
            run_cli("generate", "--collection", ws.collection, "--contacts", "20", "--interactions-per-contact", "2",
                    "--seed", "24")
            config = write_config(ws)
            time.sleep(0.01)
            daemon = Daemon(ws, extra=("--config", config))
            try:
                second = subprocess.run([BIN, "serve", "--listen", "127.0.0.1:0", "--data-dir", ws.data_dir,
                                         "--profiles", ws.profiles, "--collection", ws.collection],
                                        capture_output=True, text=True, timeout=30)
                self.assertEqual(second.returncode, 1)
                self.assertIn(f"another cortexd (pid {daemon.proc.pid}) is serving the data directory",
                              second.stderr)
                status, body = daemon.register({"StorageProfile": "LocalExports", "ExpiresAfterHours": 0})
                task_id = body["TaskId"]
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and daemon.progress(task_id)[0] == 200:
                    time.sleep(0.1)
                status, body = daemon.progress(task_id)
                self.assertEqual(status, 404)  # completed, then removed at the next cleanup pass
                self.assertTrue(os.path.exists(os.path.join(ws.exports, f"{task_id}_manifest.json")))
                kept = daemon.register({"StorageProfile": "LocalExports", "ExpiresAfterHours": 1})[1]["TaskId"]
                self.assertEqual(daemon.wait_final(kept)["Status"], 2)
                time.sleep(1.5)
                self.assertEqual(daemon.progress(kept)[0], 200)
            finally:
                daemon.stop()
        finally:
            ws.remove()


if __name__ == "__main__":
    unittest.main()


class CorruptSourceTest(unittest.TestCase):
    def test_corrupt_records_are_skipped_and_reported_and_a_missing_collection_fails(self):
        ws = Workspace()
        try:
            run_cli("generate", "--collection", ws.collection, "--contacts", "100", "--interactions-per-contact", "3",
                    "--seed", "25")
            with sqlite3.connect(ws.collection) as conn:
                ids = [r[0] for r in conn.execute("SELECT Id FROM Interactions ORDER BY Seq LIMIT 3")]
                conn.execute("UPDATE Interactions SET Events = '[{\"broken\": ' WHERE Id = ?", (ids[0],))
                conn.execute("UPDATE Interactions SET StartDateTime = 'yesterday' WHERE Id = ?", (ids[1],))
                total = conn.execute("SELECT count(*) FROM Interactions").fetchone()[0]
            time.sleep(0.01)
            daemon = Daemon(ws, extra=("--config", write_config(ws)))
            try:
                status, body = daemon.register({"StorageProfile": "LocalExports", "BatchSize": 50})
                final = daemon.wait_final(body["TaskId"])
                self.assertEqual(final["Status"], 2, final)
                self.assertIn("2 corrupt record(s) skipped", final["Description"])
                got, manifest = exported(ws, body["TaskId"])
                self.assertEqual(len(got), total - 2)
                self.assertEqual((final["Total"], final["Progress"]), (total - 2, total - 2))
                self.assertEqual(sorted(s["Id"] for s in manifest["Skipped"]), sorted(ids[:2]))
                reasons = {s["Id"]: s["Reason"] for s in manifest["Skipped"]}
                self.assertIn("Events", reasons[ids[0]])
                self.assertIn("StartDateTime", reasons[ids[1]])
                self.assertIn(ids[2], got)
            finally:
                daemon.stop()
            os.rename(ws.collection, ws.collection + ".gone")
            daemon = Daemon(ws)
            try:
                status, body = daemon.register({"StorageProfile": "LocalExports"})
                final = daemon.wait_final(body["TaskId"])
                self.assertEqual(final["Status"], 3)
                self.assertIn("collection", final["Description"])
                self.assertIn("does not exist", final["Description"])
            finally:
                daemon.stop()
        finally:
            ws.remove()
