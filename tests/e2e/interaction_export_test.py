"""End to end: register interaction exports over HTTP against the real daemon and check every file
against an independent reading of the collection (Python's sqlite3 and its own date arithmetic)."""
import calendar
import hashlib
import json
import math
import os
import re
import signal
import sqlite3
import time
import unittest

from daemon_harness import API, Daemon, Workspace, run_cli

GUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$")
UNICODE_UA = 'Mozilla/5.0 "Quoted" Ünïcødé 😀 \\ back\tslash'
FIXTURE = os.path.join(os.environ.get("CORTEXD_SHARED", os.path.join(os.path.dirname(__file__), "..", "..", "..",
                                                                       "shared")),
                       "fixtures", "public", "xconnect-odata-interactions-search-response.json")


def ticks(text):
    """UTC ISO text with a 7-digit fraction -> 100 ns ticks since 1970, computed without SQLite."""
    seconds = calendar.timegm(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S"))
    fraction = text[20:27] if len(text) > 20 and text[19] == "." else "0"
    return seconds * 10_000_000 + int(fraction.ljust(7, "0"))


DAY = 86400 * 10_000_000

EDGE_RECORDS = [
    {"Id": "e0000000-0000-0000-0000-000000000001", "Created": "2020-01-01T00:00:00Z",
     "LastModified": "2020-01-01T00:00:00Z", "Identifiers": [
         {"Source": "email", "Identifier": "lonely@example.com", "IdentifierType": "Known"}]},
    {"Id": "e0000000-0000-0000-0000-000000000010", "ContactId": "e0000000-0000-0000-0000-000000000002",
     "StartDateTime": "2099-01-01T00:00:00Z", "EndDateTime": "2099-01-01T00:01:00Z", "ChannelId":
         "b418e4f2-1013-4b42-a053-b6d4dca988bf", "Initiator": "Contact", "UserAgent": "future",
     "Events": [], "Percentile": 0.5},
    {"Id": "e0000000-0000-0000-0000-000000000011", "ContactId": "e0000000-0000-0000-0000-000000000002",
     "StartDateTime": "2019-05-05T05:05:05.1234567Z", "EndDateTime": "2019-05-05T05:06:05Z",
     "Initiator": "Brand", "UserAgent": "legacy", "Percentile": -1},
    {"Id": "e0000000-0000-0000-0000-000000000012", "ContactId": "e0000000-0000-0000-0000-000000000002",
     "StartDateTime": "2021-03-03T03:03:03Z", "EndDateTime": "2021-03-03T03:04:03Z", "Initiator": "Contact",
     "UserAgent": UNICODE_UA, "EngagementValue": 7, "Events": [
         {"@odata.type": "#Sitecore.XConnect.Collection.Model.Goal", "Id": "0a14aee6-86d2-4325-9101-05b3481bfadf",
          "DefinitionId": "9326cb1e-cec8-48f2-9a3e-91c7dbb2166c", "Timestamp": "2021-03-03T03:03:30Z",
          "EngagementValue": 7, "CustomValues": []}], "Percentile": 0.1},
]


class InteractionExportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ws = Workspace()
        run_cli("generate", "--collection", cls.ws.collection, "--contacts", "300", "--interactions-per-contact", "4",
                "--seed", "7")
        edge = os.path.join(cls.ws.root, "edge.ndjson")
        with open(edge, "w", encoding="utf-8") as f:
            for record in EDGE_RECORDS:
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
        run_cli("import", "--collection", cls.ws.collection, edge)
        cls.has_fixture = os.path.exists(FIXTURE)
        if not cls.has_fixture and os.environ.get("CI"):
            raise AssertionError(f"the public fixture {FIXTURE} is missing in CI")
        if cls.has_fixture:
            run_cli("import", "--collection", cls.ws.collection, FIXTURE)
        time.sleep(0.01)  # registrations come strictly after everything imported above
        cls.daemon = Daemon(cls.ws)

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()
        cls.ws.remove()

    # --- the independent oracle ---------------------------------------------------------------
    def oracle(self, registered, cutoff_days=None, start=None, end=None):
        with sqlite3.connect(self.ws.collection) as conn:
            rows = conn.execute("SELECT Id, StartDateTime, Percentile, Added FROM Interactions").fetchall()
        reg = ticks(registered)
        ids = set()
        for id_, started, percentile, added in rows:
            if ticks(added) > reg:
                continue
            if cutoff_days is not None and ticks(started) > reg - cutoff_days * DAY:
                continue
            if start is not None and not (start <= percentile < end):
                continue
            ids.add(id_)
        return ids

    def export(self, params, form=False):
        status, body = self.daemon.register(params, form=form)
        self.assertEqual(status, 200, body)
        self.assertEqual(set(body), {"TaskId"})
        task_id = body["TaskId"]
        self.assertRegex(task_id, "^" + GUID + "$")
        final = self.daemon.wait_final(task_id)
        self.assertEqual(final["Status"], 2, final)
        return task_id, final

    def read_export(self, task_id, batch_size):
        """Every file of the task, checked against its manifest. Returns the list of exported ids."""
        with open(os.path.join(self.ws.exports, f"{task_id}_manifest.json")) as f:
            manifest = json.load(f)
        self.assertEqual(manifest["TaskId"], task_id)
        names = sorted(n for n in os.listdir(self.ws.exports) if n.startswith(task_id + "_") and
                       not n.endswith("_manifest.json"))
        self.assertEqual(sorted(e["Name"] for e in manifest["Files"]), names)
        ids = []
        for entry in manifest["Files"]:
            self.assertRegex(entry["Name"], f"^{task_id}_{GUID}\\.json$")
            with open(os.path.join(self.ws.exports, entry["Name"]), "rb") as f:
                data = f.read()
            self.assertEqual(len(data), entry["Bytes"])
            self.assertEqual(hashlib.sha256(data).hexdigest(), entry["Sha256"])
            items = json.loads(data)
            self.assertIsInstance(items, list)
            self.assertGreater(len(items), 0)
            self.assertLessEqual(len(items), batch_size)
            self.assertEqual(len(items), entry["Items"])
            for item in items:
                self.assertTrue(TIMESTAMP.match(item["StartDateTime"]), item["StartDateTime"])
                self.assertIn("ContactId", item)
                ids.append(item["Id"])
        self.assertEqual(manifest["TotalItems"], len(ids))
        self.assertEqual(manifest["FileCount"], len(manifest["Files"]))
        self.assertFalse([n for n in os.listdir(self.ws.exports) if n.startswith(".")], "temp files left")
        return ids, manifest

    def check_export(self, params, form=False, cutoff=None, start=None, end=None):
        task_id, final = self.export(params, form=form)
        batch_size = int(params.get("BatchSize", 100))
        split = int(params.get("DefaultSplitItemCount", 100))
        ids, manifest = self.read_export(task_id, batch_size)
        expected = self.oracle(final["Created"], cutoff, start, end)
        self.assertEqual(len(ids), len(set(ids)), "duplicate ids in the export")
        self.assertEqual(set(ids), expected)
        self.assertEqual(final["Total"], len(expected))
        self.assertEqual(final["Progress"], len(expected))
        self.assertEqual(manifest["TotalItems"], len(expected))
        # Each cursor holds at most `split` items and writes ceil(items / batch) files.
        self.assertGreaterEqual(len(manifest["Files"]), math.ceil(len(expected) / batch_size))
        cursors = {e["Cursor"] for e in manifest["Files"]}
        self.assertEqual(len(cursors), math.ceil(len(expected) / split))
        return task_id, final, ids

    # --- the export --------------------------------------------------------------------------
    def test_defaults_export_everything_added_before_registration(self):
        task_id, final, ids = self.check_export({"StorageProfile": "LocalExports"})
        self.assertIn("e0000000-0000-0000-0000-000000000010", ids)  # future StartDateTime, no cutoff
        self.assertIn("e0000000-0000-0000-0000-000000000011", ids)  # Percentile -1, no range
        self.assertEqual(final["TaskType"], 1)
        self.assertEqual(final["PrerequisiteTaskIds"], [])
        self.assertTrue(TIMESTAMP.match(final["Created"]) and TIMESTAMP.match(final["Updated"]))
        self.assertEqual(list(final), ["Id", "Created", "Updated", "TaskType", "Status", "Progress", "Total",
                                       "Description", "PrerequisiteTaskIds"])

    def test_started_days_cutoff(self):
        for days in (0, 30, 365, 1000):
            with self.subTest(days=days):
                _, _, ids = self.check_export({"StorageProfile": "LocalExports", "StartedDaysCutoff": days,
                                               "BatchSize": 50}, cutoff=days)
                self.assertNotIn("e0000000-0000-0000-0000-000000000010", ids)

    def test_percentile_ranges(self):
        for start, end in ((0.0, 0.25), (0.25, 0.5), (0.5, 1.0), (0.0, 1.0), (0.1, 0.1000001)):
            with self.subTest(start=start, end=end):
                _, _, ids = self.check_export({"StorageProfile": "LocalExports", "StartPercentile": start,
                                               "EndPercentile": end, "BatchSize": 64}, start=start, end=end)
                self.assertNotIn("e0000000-0000-0000-0000-000000000011", ids)  # -1 matches no range

    def test_cutoff_and_percentile_together_as_form_body(self):
        params = {"storageprofile": "localexports", "startedDaysCutoff": "90", "STARTPERCENTILE": "0.2",
                  "EndPercentile": "0.8", "BatchSize": "33", "DefaultSplitItemCount": "250"}
        self.check_export(params, form=True, cutoff=90, start=0.2, end=0.8)

    def test_batch_size_larger_than_the_data(self):
        task_id, final, ids = self.check_export({"StorageProfile": "LocalExports", "BatchSize": 100000,
                                                 "DefaultSplitItemCount": 10000000})
        _, manifest = self.read_export(task_id, 100000)
        self.assertEqual(len(manifest["Files"]), 1)

    def test_split_item_count_of_one(self):
        self.check_export({"StorageProfile": "LocalExports", "DefaultSplitItemCount": 1, "BatchSize": 5,
                           "StartPercentile": 0.0, "EndPercentile": 0.1}, start=0.0, end=0.1)

    def test_empty_result_completes_with_a_manifest_listing_no_files(self):
        task_id, final = self.export({"StorageProfile": "LocalExports", "StartedDaysCutoff": 2147483647})
        self.assertEqual(final["Total"], 0)
        self.assertEqual(final["Progress"], 0)
        ids, manifest = self.read_export(task_id, 100)
        self.assertEqual(ids, [])
        self.assertEqual(manifest["Files"], [])

    def test_interaction_shape_defaults_unicode_and_events(self):
        task_id, _ = self.export({"StorageProfile": "LocalExports", "BatchSize": 100000,
                                  "DefaultSplitItemCount": 10000000})
        items = {}
        for name in os.listdir(self.ws.exports):
            if name.startswith(task_id) and not name.endswith("manifest.json"):
                with open(os.path.join(self.ws.exports, name), encoding="utf-8") as f:
                    items.update({i["Id"]: i for i in json.load(f)})
        unicode_item = items["e0000000-0000-0000-0000-000000000012"]
        self.assertEqual(unicode_item["UserAgent"], UNICODE_UA)
        self.assertEqual(unicode_item["EngagementValue"], 7)
        self.assertEqual(unicode_item["Duration"], "PT1M")
        self.assertEqual(unicode_item["Events"][0]["@odata.type"], "#Sitecore.XConnect.Collection.Model.Goal")
        self.assertNotIn("CustomValues", unicode_item["Events"][0])  # an empty list is a default
        legacy = items["e0000000-0000-0000-0000-000000000011"]
        self.assertEqual(legacy["StartDateTime"], "2019-05-05T05:05:05.1234567Z")
        for absent in ("Events", "EngagementValue", "CampaignId", "VenueId", "Facets", "ChannelId"):
            self.assertNotIn(absent, legacy)
        if self.has_fixture:
            real = items["eb98205c-5e21-0000-0000-067a78ed61d5"]
            self.assertEqual(real["ContactId"], "eb98205c-5e21-0000-0000-067a78ec7721")
            self.assertEqual(real["Duration"], "PT28.6763679S")
            self.assertEqual(len(real["Events"]), 4)
            self.assertEqual(real["Events"][0]["@odata.type"], "#Sitecore.XConnect.Collection.Model.PageViewEvent")
            self.assertNotIn("Duration", items["d8da538a-49e0-0000-0000-067a7935220e"])

    # --- the API around it -------------------------------------------------------------------
    def test_validation_errors_register_nothing(self):
        before = self.ws.tasks_db_count()
        cases = [
            ({}, "StorageProfile"),
            ({"StorageProfile": "NoSuchProfile"}, "StorageProfile"),
            ({"StorageProfile": "LocalExports", "BatchSize": 0}, "BatchSize"),
            ({"StorageProfile": "LocalExports", "BatchSize": 100001}, "BatchSize"),
            ({"StorageProfile": "LocalExports", "DefaultSplitItemCount": 0}, "DefaultSplitItemCount"),
            ({"StorageProfile": "LocalExports", "DefaultSplitItemCount": 10000001}, "DefaultSplitItemCount"),
            ({"StorageProfile": "LocalExports", "ExpiresAfterHours": -1}, "ExpiresAfterHours"),
            ({"StorageProfile": "LocalExports", "ExpiresAfterHours": 87601}, "ExpiresAfterHours"),
            ({"StorageProfile": "LocalExports", "StartedDaysCutoff": -1}, "StartedDaysCutoff"),
            ({"StorageProfile": "LocalExports", "StartedDaysCutoff": 2147483648}, "StartedDaysCutoff"),
            ({"StorageProfile": "LocalExports", "StartPercentile": 0.5}, "EndPercentile"),
            ({"StorageProfile": "LocalExports", "EndPercentile": 0.5}, "StartPercentile"),
            ({"StorageProfile": "LocalExports", "StartPercentile": 0.5, "EndPercentile": 0.5}, "EndPercentile"),
            ({"StorageProfile": "LocalExports", "StartPercentile": -0.1, "EndPercentile": 0.5}, "StartPercentile"),
            ({"StorageProfile": "LocalExports", "StartPercentile": 0.1, "EndPercentile": 1.5}, "EndPercentile"),
            ({"StorageProfile": "LocalExports", "StartPercentil": 0.1}, "StartPercentil"),
            ({"StorageProfile": "LocalExports", "BatchSize": "ten"}, "BatchSize"),
            ({"StorageProfile": "LocalExports", "BatchSize": 1.5}, "BatchSize"),
        ]
        for params, parameter in cases:
            with self.subTest(params=params):
                status, body = self.daemon.register(params)
                self.assertEqual(status, 400, body)
                self.assertEqual(body["ExceptionType"], "ModelValidationException")
                self.assertIn(parameter, [e["Parameter"] for e in body["Errors"]], body)
                self.assertTrue(body["Message"])
        for raw, content_type, code, kind in (
                ('{"StorageProfile":', "application/json", 400, "BadRequest"),
                ('[1,2]', "application/json", 400, "BadRequest"),
                ("StorageProfile=LocalExports", "text/plain", 415, "UnsupportedMediaType"),
                ("x" * (70 * 1024), "application/json", 413, "PayloadTooLarge")):
            with self.subTest(content_type=content_type, code=code):
                status, body = self.daemon.request("POST", API + "export/tasks/interactions", raw, content_type)
                self.assertEqual(status, code, body)
                self.assertEqual(body["ExceptionType"], kind)
        self.assertEqual(self.ws.tasks_db_count(), before)

    def test_progress_and_cancel_of_unknown_task_are_404(self):
        for method, path in (("GET", "tasks/{}/progress"), ("PUT", "tasks/{}/cancel")):
            status, body = self.daemon.request(method, API + path.format("5e3b8a5c-0000-4000-8000-000000000000"))
            self.assertEqual(status, 404)
            self.assertEqual(body["ExceptionType"], "NotFound")

    def test_route_forms_and_cancel_of_a_completed_task_is_idempotent(self):
        task_id, final = self.export({"StorageProfile": "LocalExports", "StartedDaysCutoff": 2147483647})
        for path in (f"tasks/{task_id}/progress", f"/tasks/{task_id.upper()}/progress",
                     f"purge/tasks/{{{task_id}}}/progress"):
            status, body = self.daemon.request("GET", API + path)
            self.assertEqual(status, 200, path)
            self.assertEqual(body["Id"], task_id)
        status, body = self.daemon.request("PUT", API + f"tasks/{task_id}/cancel")
        self.assertEqual(status, 200)
        self.assertEqual(body["Status"], 2)
        status, body = self.daemon.request("GET", API + f"tasks/{task_id}/cancel")
        self.assertEqual(status, 405)
        self.assertEqual(body["ExceptionType"], "MethodNotAllowed")

    def test_cancel_stops_between_batches(self):
        status, body = self.daemon.register({"StorageProfile": "LocalExports", "BatchSize": 1,
                                             "DefaultSplitItemCount": 1})
        task_id = body["TaskId"]
        status, body = self.daemon.request("PUT", API + f"tasks/{task_id}/cancel")
        self.assertEqual(status, 200)
        final = self.daemon.wait_final(task_id)
        self.assertEqual(final["Status"], 5)
        self.assertFalse(os.path.exists(os.path.join(self.ws.exports, f"{task_id}_manifest.json")))
        time.sleep(0.5)
        files = [n for n in os.listdir(self.ws.exports) if n.startswith(task_id)]
        self.assertEqual(len(files), self.daemon.progress(task_id)[1]["Progress"])  # one item per file, none after

    def test_cancel_mid_export_leaves_exactly_the_recorded_files(self):
        # Workers store batches in groups: a cancel lets the groups in flight finish, and every file they wrote
        # is recorded, so the files on disk and Progress agree (one item per file here).
        status, body = self.daemon.register({"StorageProfile": "LocalExports", "BatchSize": 1,
                                             "DefaultSplitItemCount": 10})
        task_id = body["TaskId"]
        deadline = time.monotonic() + 30
        while self.daemon.progress(task_id)[1].get("Total") is None and time.monotonic() < deadline:
            time.sleep(0.005)
        status, body = self.daemon.request("PUT", API + f"tasks/{task_id}/cancel")
        self.assertEqual(status, 200)
        if body["Status"] == 1:  # batches in flight: the answer says the cancel is pending
            self.assertTrue(body["Description"].startswith("Cancel requested: "), body)
        final = self.daemon.wait_final(task_id)
        self.assertIn(final["Status"], (2, 5), final)  # 2 only if the export finished before the cancel
        time.sleep(0.5)
        files = [n for n in os.listdir(self.ws.exports) if n.startswith(task_id + "_") and
                 not n.endswith("_manifest.json")]
        after = self.daemon.progress(task_id)[1]
        self.assertEqual(len(files), after["Progress"])
        if after["Status"] == 5:
            self.assertTrue(after["Description"].startswith("Canceled: "), after)
            self.assertTrue(after["Description"].endswith(f": {after['Progress']} item(s) stored before the cancel"),
                            after)
        lost = [line for line in self.daemon.log_text().splitlines() if task_id in line and "lease was lost" in line]
        self.assertEqual(lost, [])  # a cancel is not a lost lease

    def test_cli_submit_is_picked_up_and_status_lists_it(self):
        result = run_cli("submit", "interactions", "--storage-profile", "LocalExports", "--data-dir",
                         self.ws.data_dir, "--profiles", self.ws.profiles, "--batch-size", "500",
                         "--start-percentile", "0.3", "--end-percentile", "0.6")
        task_id = result.stdout.strip()
        self.assertRegex(task_id, "^" + GUID + "$")
        final = self.daemon.wait_final(task_id)
        self.assertEqual(final["Status"], 2, final)
        ids, _ = self.read_export(task_id, 500)
        self.assertEqual(set(ids), self.oracle(final["Created"], start=0.3, end=0.6))
        table = run_cli("status", "--data-dir", self.ws.data_dir).stdout
        self.assertRegex(table, task_id + r"\s+Completed")
        bad = run_cli("submit", "interactions", "--storage-profile", "Nope", "--data-dir", self.ws.data_dir,
                      "--profiles", self.ws.profiles, check=False)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("--storage-profile", bad.stderr)  # the CLI names its flags, not the API's parameters
        wrong = run_cli("estimate", "interactions", "--cutoff-days", "30", "--collection", self.ws.collection,
                        check=False)
        self.assertEqual(wrong.returncode, 2)
        self.assertIn("--cutoff-days is not for interactions; use --started-days-cutoff", wrong.stderr)
        negative = run_cli("submit", "interactions", "--storage-profile", "LocalExports", "--batch-size", "-5",
                           "--data-dir", self.ws.data_dir, "--profiles", self.ws.profiles, check=False)
        self.assertEqual(negative.returncode, 2)
        self.assertIn("--batch-size: ", negative.stderr)


class RestartTest(unittest.TestCase):
    """Tasks acknowledged before a stop are finished by the next start; the status table shows them."""

    def test_pending_tasks_survive_a_restart(self):
        ws = Workspace()
        try:
            run_cli("generate", "--collection", ws.collection, "--contacts", "200", "--interactions-per-contact", "5",
                    "--seed", "3")
            time.sleep(0.01)
            # Submitted with no daemon running: it waits in the queue.
            task_id = run_cli("submit", "interactions", "--storage-profile", "LocalExports", "--data-dir",
                              ws.data_dir, "--profiles", ws.profiles, "--batch-size", "10").stdout.strip()
            with sqlite3.connect(os.path.join(ws.data_dir, "tasks.db")) as conn:
                self.assertEqual(conn.execute("SELECT Status FROM TaskStatus WHERE Id = ?", (task_id,)).fetchone()[0],
                                 "Pending")
            daemon = Daemon(ws, workers=1)
            try:
                final = daemon.wait_final(task_id)
                self.assertEqual(final["Status"], 2)
                self.assertEqual(final["Progress"], 1000)
                self.assertEqual(daemon.stop(signal.SIGTERM), 0)
            finally:
                daemon.stop()
            with sqlite3.connect(os.path.join(ws.data_dir, "tasks.db")) as conn:
                row = conn.execute("SELECT Status, PercentDone, Progress FROM TaskStatus WHERE Id = ?",
                                   (task_id,)).fetchone()
            self.assertEqual(row, ("Completed", 100.0, 1000))
        finally:
            ws.remove()


if __name__ == "__main__":
    unittest.main()
