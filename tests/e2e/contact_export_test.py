"""End to end: contact exports and the estimate endpoints against the real daemon, checked against an
independent reading of the collection."""
import json
import os
import sqlite3
import time
import unittest

from daemon_harness import API, Daemon, Workspace, run_cli
from interaction_export_test import DAY, ticks

MANY_ID = "f0000000-0000-0000-0000-000000000001"
NO_PREFERRED_ID = "f0000000-0000-0000-0000-000000000002"

EDGE_CONTACTS = [
    {"Id": MANY_ID, "Created": "2018-01-01T00:00:00Z", "LastModified": "2018-02-01T00:00:00Z", "Percentile": 0.42,
     "Identifiers": [{"Source": f"source{i % 5}", "Identifier": f"many-{i}@example.com",
                      "IdentifierType": "Known" if i % 2 else "Anonymous"} for i in range(40)],
     "Facets": {f"Custom{i}": {"@odata.type": f"#Acme.Facet{i}", "Value": i + 1} for i in range(12)}},
    {"Id": NO_PREFERRED_ID, "Created": "2018-01-01T00:00:00Z", "LastModified": "2018-02-01T00:00:00Z",
     "Identifiers": [{"Source": "email", "Identifier": "nopref@example.com", "IdentifierType": "Known"}],
     "Emails": {"@odata.type": "#Sitecore.XConnect.Collection.Model.EmailAddressList", "PreferredKey": "Work",
                "Emails": {"Home": {"SmtpAddress": "nopref@example.com"}}},
     "Personal": {"@odata.type": "#Sitecore.XConnect.Collection.Model.PersonalInformation", "FirstName": "Zoë",
                  "LastName": "O'Brien \"Quote\""}},
]


class ContactExportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ws = Workspace()
        run_cli("generate", "--collection", cls.ws.collection, "--contacts", "400", "--interactions-per-contact", "2",
                "--seed", "11")
        edge = os.path.join(cls.ws.root, "contacts.ndjson")
        with open(edge, "w", encoding="utf-8") as f:
            for record in EDGE_CONTACTS:
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
        run_cli("import", "--collection", cls.ws.collection, edge)
        time.sleep(0.01)
        cls.daemon = Daemon(cls.ws)

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()
        cls.ws.remove()

    def oracle(self, registered, cutoff_days=None, start=None, end=None):
        with sqlite3.connect(self.ws.collection) as conn:
            contacts = conn.execute("SELECT Seq, Id, LastModified, Percentile, Added FROM Contacts").fetchall()
            identifiers = {}
            for seq, source, ident, kind in conn.execute(
                    "SELECT ContactSeq, Source, Identifier, IdentifierType FROM ContactIdentifiers"):
                identifiers.setdefault(seq, set()).add((source, ident, "Known" if kind == 1 else "Anonymous"))
            facets = {}
            for seq, key in conn.execute("SELECT ContactSeq, FacetKey FROM ContactFacets"):
                facets.setdefault(seq, set()).add(key)
        reg = ticks(registered)
        expected = {}
        for seq, id_, modified, percentile, added in contacts:
            if ticks(added) > reg:
                continue
            if cutoff_days is not None and (modified is None or ticks(modified) > reg - cutoff_days * DAY):
                continue
            if start is not None and not (start <= percentile < end):
                continue
            expected[id_] = (identifiers.get(seq, set()), facets.get(seq, set()))
        return expected

    def export(self, params):
        status, body = self.daemon.register(params, kind="contacts")
        self.assertEqual(status, 200, body)
        task_id = body["TaskId"]
        final = self.daemon.wait_final(task_id)
        self.assertEqual(final["Status"], 2, final)
        with open(os.path.join(self.ws.exports, f"{task_id}_manifest.json")) as f:
            manifest = json.load(f)
        contacts = []
        for entry in manifest["Files"]:
            with open(os.path.join(self.ws.exports, entry["Name"]), encoding="utf-8") as f:
                items = json.load(f)
            self.assertEqual(len(items), entry["Items"])
            self.assertLessEqual(len(items), int(params.get("BatchSize", 100)))
            contacts.extend(items)
        return task_id, final, manifest, contacts

    def estimate(self, kind, params):
        status, body = self.daemon.request("POST", API + f"estimate/{kind}", params)
        self.assertEqual(status, 200, body)
        self.assertEqual(set(body), {"TotalCount"})
        return body["TotalCount"]

    def check(self, params, cutoff=None, start=None, end=None):
        before = self.ws.tasks_db_count()
        estimate_params = {k: v for k, v in params.items() if k not in ("BatchSize", "DefaultSplitItemCount")}
        estimated = self.estimate("contacts", estimate_params)
        self.assertEqual(self.ws.tasks_db_count(), before, "an estimate registered a task")
        task_id, final, manifest, contacts = self.export(params)
        expected = self.oracle(final["Created"], cutoff, start, end)
        ids = [c["Id"] for c in contacts]
        self.assertEqual(len(ids), len(set(ids)), "a contact was exported more than once")
        self.assertEqual(set(ids), set(expected))
        for c in contacts:
            want_identifiers, want_facets = expected[c["Id"]]
            got = {(i["Source"], i["Identifier"], i["IdentifierType"]) for i in c.get("Identifiers", [])}
            self.assertEqual(got, want_identifiers, c["Id"])
            self.assertEqual(set(c.get("Facets", {})), want_facets, c["Id"])
        for value in (estimated, final["Total"], final["Progress"], manifest["TotalItems"]):
            self.assertEqual(value, len(expected))
        return contacts

    def test_contact_exports_for_cutoff_and_percentile_combinations(self):
        combos = [({}, None, None, None),
                  ({"CutoffDays": 0}, 0, None, None),
                  ({"CutoffDays": 400}, 400, None, None),
                  ({"StartPercentile": 0.1, "EndPercentile": 0.6}, None, 0.1, 0.6),
                  ({"CutoffDays": 200, "StartPercentile": 0.0, "EndPercentile": 0.5}, 200, 0.0, 0.5),
                  ({"CutoffDays": 2147483647}, 2147483647, None, None)]
        for extra, cutoff, start, end in combos:
            with self.subTest(**extra):
                params = {"StorageProfile": "LocalExports", "BatchSize": 37, "DefaultSplitItemCount": 90, **extra}
                self.check(params, cutoff, start, end)

    def test_contact_with_many_identifiers_and_facets_is_exported_once(self):
        contacts = self.check({"StorageProfile": "LocalExports", "BatchSize": 1000})
        many = [c for c in contacts if c["Id"] == MANY_ID]
        self.assertEqual(len(many), 1)
        self.assertEqual(len(many[0]["Identifiers"]), 40)
        self.assertEqual(len(many[0]["Facets"]), 12)
        self.assertEqual(many[0]["Facets"]["Custom3"]["Value"], 4)

    def test_emails_facet_without_its_preferred_entry_exports(self):
        contacts = self.check({"StorageProfile": "LocalExports", "StartPercentile": 0.0, "EndPercentile": 1.0,
                               "BatchSize": 1000}, start=0.0, end=1.0)
        by_id = {c["Id"]: c for c in contacts}
        self.assertIn(NO_PREFERRED_ID, by_id)  # a derived percentile is always inside [0, 1)
        c = by_id[NO_PREFERRED_ID]
        self.assertEqual(c["Facets"]["Emails"]["PreferredKey"], "Work")
        self.assertEqual(c["Facets"]["Emails"]["Emails"]["Home"]["SmtpAddress"], "nopref@example.com")
        self.assertEqual(c["Facets"]["Personal"]["LastName"], "O'Brien \"Quote\"")
        self.assertEqual(c["Identifiers"][0]["IdentifierType"], "Known")

    def test_interaction_estimate_equals_the_export_total(self):
        for extra in ({}, {"StartedDaysCutoff": 365}, {"StartPercentile": 0.3, "EndPercentile": 0.9},
                      {"StartedDaysCutoff": 30, "StartPercentile": 0.0, "EndPercentile": 0.5}):
            with self.subTest(**extra):
                estimated = self.estimate("interactions", extra)
                status, body = self.daemon.register({"StorageProfile": "LocalExports", "BatchSize": 500, **extra})
                final = self.daemon.wait_final(body["TaskId"])
                self.assertEqual(final["Status"], 2)
                self.assertEqual(final["Total"], estimated)
                self.assertEqual(final["Progress"], estimated)

    def test_estimate_validation_and_cli(self):
        status, body = self.daemon.request("POST", API + "estimate/contacts", {"StartedDaysCutoff": 3})
        self.assertEqual(status, 400)
        self.assertIn("StartedDaysCutoff", [e["Parameter"] for e in body["Errors"]])
        status, body = self.daemon.request("POST", API + "estimate/interactions", {"StorageProfile": "Nope"})
        self.assertEqual(status, 400)
        self.assertEqual(body["ExceptionType"], "ModelValidationException")
        via_api = self.estimate("contacts", {"CutoffDays": 100})
        via_cli = run_cli("estimate", "contacts", "--cutoff-days", "100", "--collection", self.ws.collection,
                          "--data-dir", self.ws.data_dir, "--profiles", self.ws.profiles).stdout.strip()
        self.assertEqual(int(via_cli), via_api)
        task_id = run_cli("submit", "contacts", "--storage-profile", "localexports", "--cutoff-days", "100",
                          "--data-dir", self.ws.data_dir, "--profiles", self.ws.profiles).stdout.strip()
        final = self.daemon.wait_final(task_id)
        self.assertEqual((final["Status"], final["Total"]), (2, via_api))


if __name__ == "__main__":
    unittest.main()
