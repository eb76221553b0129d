#!/usr/bin/env python3
"""Export benchmark for cortexd (issue 6): generate, export side by side with sqlite3 and DuckDB, scaling.

Run it through bench/export.sh (which checks the tools); `bash bench/export.sh --help` lists the options.

What one run does, in a temp folder on the disk of the build folder (removed at the end):
  1. dd: the disk's raw sequential write speed (dd ... conv=fdatasync), the yardstick for every output MB/s.
  2. For each collection size (ascending): `cortexd generate` (its rate), then
       - the sqlite3 baseline: `sqlite3 -json COLLECTION "<the query cortexd runs for a task with no filters>"`,
       - at the scaling sizes: cortexd, 2 workers, BatchSize 5000 (split: see --scaling-split),
       - at the main size: the DuckDB peer and the four cortexd cases (1/2 workers x default batch/BatchSize 5000).
     Every cortexd case is a fresh `cortexd serve` with a fresh data dir and export folder; the wall time runs from
     the POST until the progress endpoint says Completed; a separate keep-alive client polls the progress endpoint
     all the while (its latencies are the progress latency); the export is checked complete against the manifest;
     the peak RSS is the daemon's VmHWM at the end.
  3. The targets as PASS/FAIL lines, one table on stdout, everything as JSON in bench/results/.

Exit code: 0 when the benchmark ran (whatever the targets say), 1 when something broke (a failed or incomplete
export, a tool that crashed), 2 for a usage or setup error.
"""
import argparse
import datetime
import http.client
import json
import math
import os
import platform
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import types
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "e2e"))
import daemon_harness  # noqa: E402  (the e2e tests' daemon wrapper: start, token, requests)

API = daemon_harness.API
COLUMNS = ["Id", "ContactId", "StartDateTime", "EndDateTime", "DurationTicks", "LastModified", "ChannelId",
           "Initiator", "UserAgent", "CampaignId", "VenueId", "EngagementValue", "Events"]
MB = 1e6       # throughput in decimal MB/s, as dd prints it
MIB = 1 << 20  # memory in MiB
FINAL = {2: "Completed", 3: "Failed", 4: "Expired", 5: "Canceled"}
PROFILE = "LocalExports"

DEFAULT_BATCH = {"BatchSize": 100, "DefaultSplitItemCount": 100}
BIG_BATCH = {"BatchSize": 5000, "DefaultSplitItemCount": 100000}
MAIN_CASES = [  # (name, workers, parameters)
    ("cortexd 1w b100", 1, DEFAULT_BATCH),
    ("cortexd 2w b100", 2, DEFAULT_BATCH),
    ("cortexd 1w b5000", 1, BIG_BATCH),
    ("cortexd 2w b5000", 2, BIG_BATCH),
    ("cortexd 2w b5000 nosync", 2, BIG_BATCH),
]
# Folder profile settings of a case beyond its path. The "nosync" case writes like the sqlite3 baseline, into the
# page cache without waiting for the disk (the profile's fsync: false): what the code does when the disk is not the
# limit. Every other case uses the default, fsync: true, and counts a file only once it is durable.
PROFILE_SETTINGS = {"cortexd 2w b5000 nosync": {"fsync": "false"}}

TARGETS = {
    "big_batch_vs_baseline": 2.0,      # 2 workers, BatchSize 5000: >= 2.0x the sqlite3 baseline's throughput
    "default_batch_vs_baseline": 1.0,  # 2 workers, default batch: >= 1.0x
    "peak_rss_mib": 150.0,             # every cortexd case at the main size
    "rss_growth": 1.25,                # peak RSS at the largest scaling size <= 1.25x (or +16 MiB) the smallest's
    "rss_growth_slack_mib": 16.0,
    "progress_p99_ms": 10.0,
    "generate_per_s": 200_000.0,
    "scaling_per_item": 1.3,           # time per interaction at the largest size <= 1.3x that at the smallest
}


def log(msg=""):
    print(msg, file=sys.stderr, flush=True)


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc)


def stored_timestamp(dt):
    """The collection's timestamp form (seven fractional digits and Z), so text comparison is time comparison."""
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def export_query(registered):
    return (f"SELECT {', '.join(COLUMNS)} FROM Interactions WHERE Added <= '{registered}' ORDER BY Seq")


class BenchError(Exception):
    pass


# ---------------------------------------------------------------------------------------------- measuring processes

def read_status_kib(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def run_measured(cmd, stdout_path=None, cwd=None, timeout=3600):
    """Runs cmd; returns wall seconds, return code, peak RSS (KiB), stdout (when not to a file) and stderr.

    The peak RSS comes from GNU time (`/usr/bin/time -f %M`, the child's ru_maxrss, what `time -v` prints as
    "Maximum resident set size"); without it, from sampling the child's VmHWM every 20 ms."""
    gnu_time = shutil.which("time", path="/usr/bin:/bin")
    rss_file = None
    full = list(cmd)
    if gnu_time:
        fd, rss_file = tempfile.mkstemp(prefix="bench-rss-", suffix=".txt")
        os.close(fd)
        full = [gnu_time, "-f", "%M", "-o", rss_file, *cmd]
    out = open(stdout_path, "wb") if stdout_path else subprocess.PIPE
    try:
        started = time.perf_counter()
        proc = subprocess.Popen(full, stdout=out, stderr=subprocess.PIPE, cwd=cwd)
        sampled = [0]
        done = threading.Event()

        def sample():  # only without GNU time: then proc is the measured command itself
            while not done.is_set():
                v = read_status_kib(proc.pid, "VmHWM")
                if v:
                    sampled[0] = max(sampled[0], v)
                done.wait(0.02)

        sampler = None
        if not gnu_time:
            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise BenchError(f"{cmd[0]} did not finish within {timeout} s")
        wall = time.perf_counter() - started
        done.set()
        if sampler:
            sampler.join()
        rss = sampled[0] or None
        if rss_file:
            with open(rss_file) as f:
                lines = [l.strip() for l in f if l.strip()]
            rss = int(lines[-1]) if lines and lines[-1].isdigit() else None
        return {"wall": wall, "rc": proc.returncode, "rss_kib": rss,
                "stdout": stdout.decode(errors="replace") if stdout else "",
                "stderr": stderr.decode(errors="replace") if stderr else "",
                "rss_source": "GNU time %M (ru_maxrss)" if gnu_time else "/proc VmHWM sampler (20 ms)"}
    finally:
        if stdout_path:
            out.close()
        if rss_file:
            os.unlink(rss_file)


def fsync_seconds(path):
    started = time.perf_counter()
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return time.perf_counter() - started


def count_newlines(path):
    n = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 24):
            n += chunk.count(b"\n")
    return n


# ---------------------------------------------------------------------------------------------- the steps

def measure_dd(workdir, mib):
    target = os.path.join(workdir, "dd.bin")
    try:
        r = run_measured(["dd", "if=/dev/zero", f"of={target}", "bs=1M", f"count={mib}", "conv=fdatasync"])
    finally:
        if os.path.exists(target):
            os.unlink(target)
    if r["rc"] != 0:
        raise BenchError(f"dd failed: {r['stderr'].strip()}")
    m = re.search(r"^(\d+) bytes.*copied, ([\d.,]+) s", r["stderr"], re.M)
    if not m:
        raise BenchError(f"cannot read dd's output: {r['stderr'].strip()}")
    nbytes, secs = int(m.group(1)), float(m.group(2).replace(",", "."))
    line = r["stderr"].strip().splitlines()[-1]
    return {"name": "dd write (fdatasync)", "kind": "dd", "bytes": nbytes, "wall": secs,
            "mb_per_s": nbytes / secs / MB, "dd_output": line, "command": f"dd if=/dev/zero of=F bs=1M count={mib} conv=fdatasync"}


def generate(binary, path, contacts, per_contact, workdir):
    for suffix in ("", "-wal", "-shm", "-journal"):
        if os.path.exists(path + suffix):
            os.unlink(path + suffix)
    cmd = [binary, "generate", "--collection", path, "--contacts", str(contacts),
           "--interactions-per-contact", str(per_contact), "--seed", "1"]
    r = run_measured(cmd, cwd=workdir)
    if r["rc"] != 0:
        raise BenchError(f"cortexd generate exited {r['rc']}: {r['stdout']}{r['stderr']}")
    m = re.search(r"generated (\d+) contact\(s\) and (\d+) interaction\(s\).* in ([\d.e+-]+) s", r["stdout"])
    interactions = int(m.group(2)) if m else contacts * per_contact
    size = sum(os.path.getsize(path + s) for s in ("", "-wal") if os.path.exists(path + s))
    return {"name": f"generate {interactions // 1000}k", "kind": "generate", "contacts": contacts,
            "items": interactions, "wall": r["wall"], "items_per_s": interactions / r["wall"],
            "generator_seconds": float(m.group(3)) if m else None,
            "bytes": size, "mb_per_s": size / r["wall"] / MB, "rss_mib": (r["rss_kib"] or 0) / 1024 or None,
            "command": " ".join(cmd[1:])}


def count_rows(collection, registered):
    with sqlite3.connect(f"file:{collection}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT count(*) FROM Interactions WHERE Added <= ?", (registered,)).fetchone()[0]


def run_baseline(sqlite_bin, collection, out_path, registered, expected_rows):
    query = export_query(registered)
    r = run_measured([sqlite_bin, "-json", collection, query], stdout_path=out_path)
    if r["rc"] != 0:
        raise BenchError(f"sqlite3 exited {r['rc']}: {r['stderr'].strip()}")
    size = os.path.getsize(out_path)
    rows = count_newlines(out_path) if size else 0  # sqlite3 -json writes one row per line
    sync = fsync_seconds(out_path)
    res = {"name": "sqlite3 -json", "kind": "baseline", "items": rows, "wall": r["wall"], "bytes": size,
           "rss_mib": (r["rss_kib"] or 0) / 1024 or None, "rss_source": r["rss_source"],
           "fsync_after_seconds": sync, "query": query,
           "command": "sqlite3 -json COLLECTION \"<query>\" > FILE"}
    if rows != expected_rows:
        res["error"] = f"sqlite3 wrote {rows} rows, expected {expected_rows}"
    os.unlink(out_path)
    return res


class NodePeer:
    """The DuckDB peer: npm packages in a cache folder, probed once, then one timed run per collection."""

    def __init__(self, node_dir):
        self.node_dir = Path(node_dir)
        self.script = REPO / "bench" / "node" / "duckdb_export.js"
        self.method = None
        self.probe = None
        self.reason = None
        self.setup_log = []

    def _npm(self, *args, timeout=900):
        log(f"  npm {' '.join(args)} (in {self.node_dir})")
        r = subprocess.run(["npm", *args, "--no-audit", "--no-fund"], cwd=self.node_dir, capture_output=True,
                           text=True, timeout=timeout)
        self.setup_log.append({"npm": list(args), "rc": r.returncode, "tail": (r.stdout + r.stderr)[-2000:]})
        return r

    def _probe(self):
        r = subprocess.run(["node", str(self.script), "--modules", str(self.node_dir), "--probe"],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            return None, (r.stderr.strip().splitlines() or ["probe failed"])[-1]
        return json.loads(r.stdout.strip().splitlines()[-1]), None

    def setup(self):
        if not shutil.which("node") or not shutil.which("npm"):
            self.reason = "node or npm is not installed"
            return False
        try:
            self.node_dir.mkdir(parents=True, exist_ok=True)
            src = REPO / "bench" / "node" / "package.json"
            dst = self.node_dir / "package.json"
            changed = not dst.exists() or dst.read_bytes() != src.read_bytes()
            if changed:
                shutil.copyfile(src, dst)
            have = all((self.node_dir / "node_modules" / p / "package.json").exists()
                       for p in ("@duckdb/node-api", "better-sqlite3"))
            if changed or not have:
                r = self._npm("install")
                if r.returncode != 0:
                    self.reason = "npm install failed (offline?): " + (r.stderr.strip().splitlines() or ["?"])[-1]
                    return False
            probe, err = self._probe()
            if probe and not probe["scanner"]["ok"] and not probe["better_sqlite3"]["ok"]:
                # npm 11 may skip the native build of better-sqlite3 (no prebuilt binary offline); build it.
                self._npm("rebuild", "better-sqlite3", "--foreground-scripts")
                probe, err = self._probe()
            if not probe:
                self.reason = f"DuckDB does not load: {err}"
                return False
            self.probe = probe
            if probe["scanner"]["ok"]:
                self.method = "scanner"
            elif probe["better_sqlite3"]["ok"]:
                self.method = "appender"
            else:
                self.reason = ("neither DuckDB's sqlite extension (" + probe["scanner"].get("reason", "?") +
                               ") nor better-sqlite3 (" + probe["better_sqlite3"].get("reason", "?") + ") works")
                return False
            return True
        except (OSError, subprocess.TimeoutExpired, ValueError) as e:
            self.reason = f"setup failed: {e}"
            return False

    def describe(self):
        if self.method == "scanner":
            return "DuckDB reads the SQLite file with its sqlite extension and COPYs the query result to NDJSON"
        reason = (self.probe or {}).get("scanner", {}).get("reason", "")
        return ("DuckDB's sqlite extension is not available offline (" + reason + "), so node reads the rows "
                "with better-sqlite3 " + self.probe["better_sqlite3"].get("version", "") + ", DuckDB's appender "
                "loads them into an in-memory table and DuckDB COPYs that table to NDJSON; the time is the whole "
                "node process (read + load + write)")

    def run(self, collection, out_path, registered, expected_rows):
        cmd = ["node", str(self.script), "--modules", str(self.node_dir), "--db", collection, "--out", out_path,
               "--registered", registered, "--method", self.method]
        r = run_measured(cmd)
        if r["rc"] != 0:
            raise BenchError(f"the DuckDB peer exited {r['rc']}: {r['stderr'].strip()[-1500:]}")
        info = json.loads(r["stdout"].strip().splitlines()[-1])
        size = os.path.getsize(out_path)
        sync = fsync_seconds(out_path)
        res = {"name": f"duckdb {info['duckdb_version']}", "kind": "duckdb", "items": info["rows"],
               "wall": r["wall"], "bytes": size, "rss_mib": (r["rss_kib"] or 0) / 1024 or None,
               "rss_source": r["rss_source"], "method": self.method, "phases": info, "fsync_after_seconds": sync,
               "command": "node bench/node/duckdb_export.js --method " + self.method}
        if info["rows"] != expected_rows:
            res["error"] = f"DuckDB wrote {info['rows']} rows, expected {expected_rows}"
        os.unlink(out_path)
        return res


class ProgressPoller(threading.Thread):
    """A separate keep-alive client that polls one task's progress until it is final; keeps every latency."""

    def __init__(self, port, token, task_id, interval):
        super().__init__(daemon=True)
        self.port, self.token, self.task_id, self.interval = port, token, task_id, interval
        self.latencies = []
        self.final = None
        self.final_at = None
        self.reconnects = 0
        self.errors = []
        self.done = threading.Event()
        self.stop_flag = threading.Event()

    def run(self):
        path = API + f"tasks/{self.task_id}/progress"
        headers = {"Authorization": f"Bearer {self.token}"}
        conn = None
        try:
            while not self.stop_flag.is_set():
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                    self.reconnects += 1
                try:
                    t0 = time.perf_counter()
                    conn.request("GET", path, headers=headers)
                    resp = conn.getresponse()
                    body = resp.read()
                    t1 = time.perf_counter()
                except (OSError, http.client.HTTPException) as e:
                    self.errors.append(repr(e))
                    conn.close()
                    conn = None
                    if len(self.errors) > 20:
                        return
                    time.sleep(0.05)
                    continue
                self.latencies.append(t1 - t0)
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
                if resp.status != 200:
                    self.errors.append(f"HTTP {resp.status}: {body[:200]!r}")
                    if len(self.errors) > 20:
                        return
                else:
                    progress = json.loads(body)
                    if progress.get("Status") in FINAL:
                        self.final, self.final_at = progress, t1
                        return
                if self.interval:
                    time.sleep(self.interval)
        finally:
            if conn:
                conn.close()
            self.done.set()

    def stats(self):
        if not self.latencies:
            return None
        return dict(latency_stats(self.latencies), connections=self.reconnects)


def latency_stats(seconds):
    ms = sorted(x * 1000 for x in seconds)

    def pct(p):  # nearest rank
        return ms[min(len(ms) - 1, max(0, math.ceil(p / 100 * len(ms)) - 1))]
    return {"samples": len(ms), "p50_ms": pct(50), "p99_ms": pct(99), "max_ms": ms[-1], "mean_ms": statistics.fmean(ms)}


def verify_export(exports, task_id, progress, expected_rows):
    """The export is complete: the manifest exists and agrees with the files on disk, the progress and the rows."""
    problems = []
    manifest_path = os.path.join(exports, f"{task_id}_manifest.json")
    names = os.listdir(exports) if os.path.isdir(exports) else []
    temps = [n for n in names if n.startswith(".cortexd-tmp-")]
    batch_files = sorted(n for n in names if n.startswith(task_id + "_") and n.endswith(".json")
                         and n != os.path.basename(manifest_path))
    disk_bytes = sum(os.path.getsize(os.path.join(exports, n)) for n in batch_files)
    result = {"files": len(batch_files), "bytes": disk_bytes, "manifest": os.path.exists(manifest_path)}
    if temps:
        problems.append(f"{len(temps)} temp file(s) left in the export folder")
    if not result["manifest"]:
        problems.append("no manifest")
    else:
        with open(manifest_path) as f:
            m = json.load(f)
        listed = {e["Name"] for e in m.get("Files", [])}
        result.update({"manifest_items": m.get("TotalItems"), "manifest_files": m.get("FileCount"),
                       "manifest_bytes": m.get("TotalBytes"), "skipped": m.get("SkippedCount"),
                       "parameters": m.get("Parameters")})
        if m.get("FileCount") != len(batch_files) or listed != set(batch_files):
            problems.append(f"manifest lists {m.get('FileCount')} file(s), the folder has {len(batch_files)}")
        if m.get("TotalBytes") != disk_bytes:
            problems.append(f"manifest says {m.get('TotalBytes')} bytes, the files hold {disk_bytes}")
        if m.get("TotalItems") != expected_rows:
            problems.append(f"manifest says {m.get('TotalItems')} items, the collection has {expected_rows} rows")
        if m.get("SkippedCount"):
            problems.append(f"{m.get('SkippedCount')} record(s) skipped")
        try:
            reg = datetime.datetime.fromisoformat(m["Registered"][:26] + "+00:00")
            done = datetime.datetime.fromisoformat(m["Completed"][:26] + "+00:00")
            result["daemon_seconds"] = (done - reg).total_seconds()
        except (KeyError, ValueError):
            pass
        # Spot check: the first and the last file are JSON arrays with the listed item counts.
        counts = {e["Name"]: e["Items"] for e in m.get("Files", [])}
        for n in {batch_files[0], batch_files[-1]} if batch_files else ():
            with open(os.path.join(exports, n), "rb") as f:
                data = json.load(f)
            if not isinstance(data, list) or len(data) != counts.get(n):
                problems.append(f"{n} does not hold the {counts.get(n)} items the manifest lists")
    if progress.get("Progress") != expected_rows or progress.get("Total") != expected_rows:
        problems.append(f"Progress/Total {progress.get('Progress')}/{progress.get('Total')}, expected {expected_rows}")
    result["complete"] = not problems
    result["problems"] = problems
    return result


# A case that wrote more files than this keeps its export folder until the end of the run. Deleting 10,000
# files makes the next files created on the same ext4 file system (without a journal, as on this benchmark's
# machine) slow for minutes: the inode allocator checks every freed inode that is still "recently deleted" and
# skips it, measured about 400 us per file create after 10k-30k deletions against 26-38 us otherwise. Deleting
# right after a case would charge the benchmark's own cleanup to the next case.
MANY_FILES = 1000


def run_cortexd(binary, name, collection, workers, params, expected_rows, workdir, poll_interval, timeout, keep):
    """One case; a case that breaks is reported in its row ("error") and the benchmark goes on."""
    try:
        return _run_cortexd(binary, name, collection, workers, params, expected_rows, workdir, poll_interval,
                            timeout, keep)
    except (BenchError, AssertionError, OSError, ValueError, KeyError, http.client.HTTPException) as e:
        return {"name": name, "kind": "cortexd", "workers": workers, "parameters": dict(params),
                "error": f"{type(e).__name__}: {e}"}


def _run_cortexd(binary, name, collection, workers, params, expected_rows, workdir, poll_interval, timeout, keep):
    root = tempfile.mkdtemp(prefix="case-", dir=workdir)
    ws = types.SimpleNamespace(root=root, collection=collection, data_dir=os.path.join(root, "data"),
                               profiles=os.path.join(root, "profiles"), exports=os.path.join(root, "exports"))
    os.makedirs(ws.profiles)
    os.makedirs(ws.exports)
    with open(os.path.join(ws.profiles, "local.yaml"), "w") as f:
        f.write(f"name: {PROFILE}\nprovider: folder\nsettings:\n  path: {ws.exports}\n"
                + "".join(f"  {k}: {v}\n" for k, v in PROFILE_SETTINGS.get(name, {}).items()))
    daemon_harness.BIN = binary
    res = {"name": name, "kind": "cortexd", "workers": workers, "parameters": dict(params)}
    daemon = daemon_harness.Daemon(ws, workers=workers)
    poller = None
    try:
        deadline = time.monotonic() + 30
        while True:  # ready means the task queue and the collection are open
            status, _ = daemon.request("GET", "/readyz", raw=True)
            if status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        started = time.perf_counter()
        status, body = daemon.register({"StorageProfile": PROFILE, **params})
        registered_at = time.perf_counter()
        if status != 200:
            raise BenchError(f"{name}: registration answered {status}: {body}")
        task_id = body["TaskId"]
        res["task_id"] = task_id
        res["register_ms"] = (registered_at - started) * 1000
        poller = ProgressPoller(daemon.port, daemon.token, task_id, poll_interval)
        poller.start()
        if not poller.done.wait(timeout):
            raise BenchError(f"{name}: task not final after {timeout} s")
        if poller.final is None:
            raise BenchError(f"{name}: the progress client gave up: {poller.errors[-3:]}")
        final = poller.final
        res["wall"] = poller.final_at - started
        res["status"] = final["Status"]
        res["progress"] = {k: final.get(k) for k in ("Status", "Progress", "Total", "Description")}
        res["rss_mib"] = (read_status_kib(daemon.proc.pid, "VmHWM") or 0) / 1024 or None
        res["rss_end_mib"] = (read_status_kib(daemon.proc.pid, "VmRSS") or 0) / 1024 or None
        res["rss_source"] = "VmHWM of the daemon at the end"
        res["latency"] = poller.stats()
        res["_latencies"] = poller.latencies
        res["poll_errors"] = poller.errors[:5]
        if final["Status"] != 2:
            res["error"] = f"task {FINAL[final['Status']]}: {final.get('Description')}"
    finally:
        if poller:
            poller.stop_flag.set()
            poller.join(5)
        rc = daemon.stop()
        res["daemon_exit"] = rc
    if "error" not in res:
        check = verify_export(ws.exports, res["task_id"], final, expected_rows)
        res["check"] = check
        res["items"] = final.get("Progress")
        res["bytes"] = check["bytes"]
        res["files"] = check["files"]
        if not check["complete"]:
            res["error"] = "incomplete export: " + "; ".join(check["problems"])
    if "error" in res:
        try:
            res["daemon_log_tail"] = daemon.log_text()[-3000:]
        except OSError:
            pass
    if keep:
        res["kept_in"] = root
    elif (res.get("files") or 0) > MANY_FILES:
        # Left for the end of the run (the work folder goes then): see the note on MANY_FILES.
        shutil.rmtree(ws.data_dir, ignore_errors=True)
        res["exports_removed"] = "at the end of the run"
    else:
        shutil.rmtree(root, ignore_errors=True)
    return res


def combine_rounds(runs):
    """One row from a job's rounds: the fastest good round's numbers, the worst peak RSS, the pooled poll latencies,
    and every round's wall time; any failed round makes the row an error."""
    good = [r for r in runs if not r.get("error")]
    failed = [r for r in runs if r.get("error")]
    best = dict(min(good, key=lambda r: r["wall"]) if good else failed[0])
    if len(runs) > 1:
        best["rounds"] = [{k: r.get(k) for k in ("wall", "rss_mib", "error")} for r in runs]
        for r, summary in zip(runs, best["rounds"]):
            if r.get("latency"):
                summary["poll_p99_ms"] = r["latency"]["p99_ms"]
        if good:
            best["rss_mib"] = max(r["rss_mib"] for r in good if r.get("rss_mib")) if any(
                r.get("rss_mib") for r in good) else None
            pooled = [x for r in good for x in r.get("_latencies", [])]
            if pooled:
                best["latency"] = latency_stats(pooled)
                best["latency"]["connections"] = sum(r["latency"]["connections"] for r in good if r.get("latency"))
        best["wall_spread"] = [min(r["wall"] for r in good), max(r["wall"] for r in good)] if good else None
    if failed:
        best["error"] = "; ".join(f"round {runs.index(r) + 1}: {r['error']}" for r in failed)
    best.pop("_latencies", None)
    return best


# ---------------------------------------------------------------------------------------------- reporting

def derive(row, baseline, dd):
    wall = row.get("wall")
    if wall and row.get("items"):
        row["items_per_s"] = row["items"] / wall
    if wall and row.get("bytes"):
        row["mb_per_s"] = row["bytes"] / wall / MB
        if dd:
            row["dd_fraction"] = row["mb_per_s"] / dd["mb_per_s"]
    if baseline and row is not baseline and row.get("items_per_s") and baseline.get("items_per_s"):
        row["x_baseline"] = row["items_per_s"] / baseline["items_per_s"]
    return row


def fmt(v, spec, width):
    if v is None:
        return "-".rjust(width)
    return format(v, spec).rjust(width)


def print_table(rows):
    head = (f"{'case':<34}{'items':>9}{'wall s':>9}{'items/s':>10}{'MB/s':>8}{'RSS MiB':>9}{'x base':>8}"
            f"{'x dd':>7}{'files':>7}{'poll p50/p99/max ms':>22}")
    print(head)
    print("-" * len(head))
    for r in rows:
        if r is None:
            print()
            continue
        lat = r.get("latency")
        lat_s = f"{lat['p50_ms']:.2f}/{lat['p99_ms']:.2f}/{lat['max_ms']:.1f}" if lat else "-"
        name = r["label"] + ("  [FAILED]" if r.get("error") else "")
        print(f"{name:<34}{fmt(r.get('items'), 'd', 9)}{fmt(r.get('wall'), '.2f', 9)}"
              f"{fmt(r.get('items_per_s'), ',.0f', 10)}{fmt(r.get('mb_per_s'), '.1f', 8)}"
              f"{fmt(r.get('rss_mib'), '.1f', 9)}{fmt(r.get('x_baseline'), '.2f', 8)}"
              f"{fmt(r.get('dd_fraction'), '.2f', 7)}{fmt(r.get('files'), 'd', 7)}{lat_s:>22}")


def evaluate_targets(report):
    out = []
    main = report.get("main") or {}
    by_name = {c["name"]: c for c in main.get("cortexd", [])}
    base = main.get("baseline")

    def ratio_target(key, case, want, label):
        c = by_name.get(case)
        if not c or c.get("error") or not c.get("x_baseline"):
            out.append({"id": key, "target": label, "pass": False, "detail": "not measured"})
            return
        out.append({"id": key, "target": label, "pass": c["x_baseline"] >= want,
                    "detail": f"{c['x_baseline']:.2f}x ({c['items_per_s']:,.0f}/s vs sqlite3 "
                              f"{base['items_per_s']:,.0f}/s), want >= {want:.1f}x"})

    ratio_target("big_batch_vs_baseline", "cortexd 2w b5000", TARGETS["big_batch_vs_baseline"],
                 "2 workers + BatchSize 5000 vs sqlite3 -json")
    ratio_target("default_batch_vs_baseline", "cortexd 2w b100", TARGETS["default_batch_vs_baseline"],
                 "2 workers + default batch vs sqlite3 -json")
    ratio_target("big_batch_page_cache_vs_baseline", "cortexd 2w b5000 nosync", TARGETS["big_batch_vs_baseline"],
                 "2 workers + BatchSize 5000, both into the page cache (profile fsync: false) vs sqlite3 -json")
    # Where the disk is the limit: the durable case's output rate against dd's on the same disk, and the rate the
    # 2.0x target would need from it.
    big, dd = by_name.get("cortexd 2w b5000"), report.get("dd")
    if big and not big.get("error") and big.get("mb_per_s") and dd and base and base.get("items_per_s"):
        needed = TARGETS["big_batch_vs_baseline"] * base["items_per_s"] * big["bytes"] / big["items"] / MB
        out.append({"id": "big_batch_disk", "info": True, "target": "2 workers + BatchSize 5000 against the disk",
                    "detail": f"wrote {big['mb_per_s']:.0f} MB/s durably = {big['dd_fraction']:.2f}x dd's "
                              f"{dd['mb_per_s']:.0f} MB/s; 2.0x the baseline would need {needed:.0f} MB/s "
                              f"({needed / dd['mb_per_s']:.2f}x dd)"})

    cases = [c for c in main.get("cortexd", []) if c.get("rss_mib")]
    if cases:
        worst = max(cases, key=lambda c: c["rss_mib"])
        out.append({"id": "peak_rss", "target": f"peak RSS < {TARGETS['peak_rss_mib']:.0f} MiB at "
                    f"{main['items']:,} interactions", "pass": worst["rss_mib"] < TARGETS["peak_rss_mib"],
                    "detail": ", ".join(f"{c['name']} {c['rss_mib']:.1f}" for c in cases) + " MiB"})
    else:
        out.append({"id": "peak_rss", "target": "peak RSS", "pass": False, "detail": "not measured"})

    scaling = [s for s in report.get("scaling", []) if s.get("cortexd") and not s["cortexd"].get("error")]
    if len(scaling) >= 2:
        lo, hi = scaling[0]["cortexd"], scaling[-1]["cortexd"]
        limit = max(lo["rss_mib"] * TARGETS["rss_growth"], lo["rss_mib"] + TARGETS["rss_growth_slack_mib"])
        out.append({"id": "rss_growth", "target": "peak RSS does not grow with the collection",
                    "pass": hi["rss_mib"] <= limit,
                    "detail": f"{hi['rss_mib']:.1f} MiB at {hi['items']:,} vs {lo['rss_mib']:.1f} MiB at "
                              f"{lo['items']:,} (limit {limit:.1f}); every size: " +
                              ", ".join(f"{s['cortexd']['items'] // 1000}k {s['cortexd']['rss_mib']:.1f}"
                                        for s in scaling) + " MiB"})
        per_lo, per_hi = lo["wall"] / lo["items"], hi["wall"] / hi["items"]
        # The marginal cost between neighbouring sizes leaves out the fixed start-up of a task (split, first lease),
        # which makes small runs look slow per item; shown for information.
        steps = [(a["cortexd"], b["cortexd"]) for a, b in zip(scaling, scaling[1:])]
        marginal = [((b["wall"] - a["wall"]) / (b["items"] - a["items"]) * 1e6, a["items"], b["items"])
                    for a, b in steps if b["items"] > a["items"]]
        with_dd = [s for s in scaling if s.get("dd_same_bytes")]
        if len(with_dd) >= 2:
            parts = [f"{s['cortexd']['wall'] / s['dd_same_bytes']['wall']:.2f}x at {s['items'] // 1000}k" for s in with_dd]
            out.append({"id": "scaling_vs_disk", "info": True, "target": "scaling: cortexd time / dd time of the same bytes",
                        "detail": ", ".join(parts) + " (flat = the growth per item is the disk's)"})
        out.append({"id": "scaling", "target": "time per interaction close to linear",
                    "pass": per_hi <= per_lo * TARGETS["scaling_per_item"],
                    "detail": f"{per_hi * 1e6:.2f} us at {hi['items']:,} vs {per_lo * 1e6:.2f} us at {lo['items']:,} "
                              f"= {per_hi / per_lo:.2f}x, want <= {TARGETS['scaling_per_item']}x (marginal: " +
                              ", ".join(f"{m:.2f} us/item {a // 1000}k->{b // 1000}k" for m, a, b in marginal) + ")",
                    "marginal_us_per_item": [{"from": a, "to": b, "us": m} for m, a, b in marginal]})
    else:
        for key in ("rss_growth", "scaling"):
            out.append({"id": key, "target": key, "pass": False, "detail": "not measured (needs 2 scaling sizes)"})

    lats = [c for c in main.get("cortexd", []) + [s["cortexd"] for s in scaling] if c.get("latency")]
    if lats:
        worst = max(lats, key=lambda c: c["latency"]["p99_ms"])
        out.append({"id": "progress_p99", "target": f"progress p99 < {TARGETS['progress_p99_ms']:.0f} ms",
                    "pass": worst["latency"]["p99_ms"] < TARGETS["progress_p99_ms"],
                    "detail": f"worst p99 {worst['latency']['p99_ms']:.2f} ms ({worst['label']}); "
                              f"{sum(c['latency']['samples'] for c in lats):,} polls in all"})
    else:
        out.append({"id": "progress_p99", "target": "progress p99", "pass": False, "detail": "not measured"})

    gen = main.get("generate")
    if gen:
        out.append({"id": "generate", "target": f"generate >= {TARGETS['generate_per_s']:,.0f} interactions/s",
                    "pass": gen["items_per_s"] >= TARGETS["generate_per_s"],
                    "detail": f"{gen['items_per_s']:,.0f}/s ({gen['items']:,} in {gen['wall']:.2f} s)"})
    return out


def host_info(binary):
    info = {"machine": platform.machine(), "kernel": platform.release(), "cpus": os.cpu_count(),
            "python": platform.python_version()}
    try:
        with open("/proc/meminfo") as f:
            info["mem_gib"] = round(int(f.readline().split()[1]) / (1 << 20), 1)
        with open("/proc/cpuinfo") as f:
            m = re.search(r"model name\s*:\s*(.*)", f.read())
            info["cpu"] = m.group(1) if m else None
    except OSError:
        pass
    try:
        info["sqlite3"] = subprocess.run(["sqlite3", "--version"], capture_output=True, text=True).stdout.split()[0]
    except (OSError, IndexError):
        pass
    try:
        info["git_head"] = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True,
                                          text=True).stdout.strip()
    except OSError:
        pass
    st = os.stat(binary)
    info["binary"] = binary
    info["binary_mtime"] = datetime.datetime.fromtimestamp(st.st_mtime, datetime.timezone.utc).isoformat()
    return info


def write_json(report, path, history):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report, indent=2) + "\n"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
    written = [str(path)]
    if history:
        stamp = report["started"].replace(":", "").replace("-", "")[:15]
        copy = path.with_name(f"{path.stem}-{stamp}.json")
        copy.write_text(text)
        written.append(str(copy))
    return written


# ---------------------------------------------------------------------------------------------- main

def parse_args(argv):
    p = argparse.ArgumentParser(prog="bench/export.sh", description="cortexd export benchmark (see bench/README.md)")
    p.add_argument("--quick", action="store_true", help="a small smoke run (20k interactions, seconds not minutes)")
    p.add_argument("--contacts", type=int, help="contacts of the main collection (default 200000; quick 4000)")
    p.add_argument("--per-contact", type=int, default=5, help="interactions per contact (default 5)")
    p.add_argument("--scaling", help="comma-separated interaction counts for the scaling runs "
                                     "(default 100000,200000,300000,1000000; quick 20000,60000); 'none' to skip")
    p.add_argument("--scaling-split", type=int,
                   help="DefaultSplitItemCount of the scaling runs (default: the smallest size / 10, so every size "
                        "has >= 10 cursors and both workers stay busy; 100000 would give the 100k run one cursor)")
    p.add_argument("--repeat", type=int, help="rounds of the baseline and cortexd runs at each size, interleaved; "
                                               "the fastest round counts, all are in the JSON (default 2; quick 1)")
    p.add_argument("--no-duckdb", action="store_true", help="skip the DuckDB peer")
    p.add_argument("--poll-interval-ms", type=float, default=5.0,
                   help="pause between two progress polls of the latency client (default 5; 0 = back to back)")
    p.add_argument("--dd-mib", type=int, help="MiB written by dd (default 2048; quick 256)")
    p.add_argument("--workdir", help="parent of the temp folder (default $BENCH_TMPDIR, else the build dir)")
    p.add_argument("--keep", action="store_true", help="keep the temp folder (collections, exports, logs)")
    p.add_argument("--output", help="the JSON report (default bench/results/export.json; quick: export-quick.json)")
    p.add_argument("--no-history", action="store_true", help="do not keep a dated copy of the JSON report")
    p.add_argument("--timeout", type=float, default=1800, help="seconds one export may take (default 1800)")
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    build_dir = Path(os.environ.get("CORTEXD_BUILD_DIR") or (REPO / "build"))
    if not build_dir.is_absolute():
        build_dir = (Path.cwd() / build_dir).resolve()
    binary = os.environ.get("CORTEXD_BIN") or str(build_dir / "cortexd")
    if not os.access(binary, os.X_OK):
        log(f"export bench: no cortexd binary at {binary}; build it (cmake -S . -B {build_dir} "
            f"-DCMAKE_BUILD_TYPE=Release && cmake --build {build_dir} --target cortexd) or set CORTEXD_BUILD_DIR")
        return 2
    sqlite_bin = shutil.which("sqlite3")
    if not sqlite_bin:
        log("export bench: sqlite3 is not installed (apt-get install sqlite3)")
        return 2

    per = args.per_contact
    main_contacts = args.contacts or (4000 if args.quick else 200_000)
    main_items = main_contacts * per
    if args.scaling == "none":
        scaling = []
    else:
        spec = args.scaling or ("20000,60000" if args.quick else "100000,200000,300000,1000000")
        scaling = sorted({int(x) for x in spec.split(",") if x.strip()})
    scaling = [n - n % per for n in scaling]
    split = args.scaling_split or (max(1, scaling[0] // 10) if scaling else 0)
    scaling_params = {"BatchSize": 5000, "DefaultSplitItemCount": split}
    repeat = max(1, args.repeat or (1 if args.quick else 2))
    dd_mib = args.dd_mib or (256 if args.quick else 2048)
    output = args.output or str(REPO / "bench" / "results" / ("export-quick.json" if args.quick else "export.json"))
    node_dir = os.environ.get("BENCH_NODE_DIR") or str(build_dir / "bench-node")
    parent = args.workdir or os.environ.get("BENCH_TMPDIR") or str(build_dir)
    os.makedirs(parent, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="bench-export-", dir=parent)
    poll_interval = args.poll_interval_ms / 1000

    notes = [
        "throughput in decimal MB/s (1e6 bytes, as dd prints it); memory in MiB",
        "the sqlite3 baseline runs the query cortexd runs for a task with no filters (the 13 Interactions columns, "
        "Added <= the registration time, ORDER BY Seq) without the InteractionFacets join, so its output lacks the "
        "Facets member cortexd writes (and is a little smaller); its time is the sqlite3 process alone, written to "
        "the page cache (the fsync after it is recorded as fsync_after_seconds, not counted), while cortexd fsyncs "
        "every file before it counts it",
        "cortexd wall time: from the POST until the progress client sees Status 2 (Completed); daemon_seconds in the "
        "JSON is the manifest's Completed - Registered",
        "BatchSize 5000 cases use DefaultSplitItemCount 100000: a cursor never spans more than DefaultSplitItemCount "
        "items, so with the default split of 100 a BatchSize of 5000 would still write 100-item files",
        f"scaling runs: 2 workers, BatchSize 5000, DefaultSplitItemCount {split} (the smallest size / 10, so each "
        "size has >= 10 cursors and both workers are busy at every size; with 100000 the 100k run would have a "
        "single cursor, one idle worker, and the linearity check would flatter the large run)",
        f"progress latency: a separate keep-alive client polls GET tasks/{{id}}/progress every "
        f"{args.poll_interval_ms:g} ms (plus the request time) for the whole export",
        "peak RSS: cortexd = VmHWM of the daemon at the end of the case (fresh daemon per case); sqlite3, DuckDB and "
        "generate = ru_maxrss via GNU time (what `time -v` reports)",
        f"cases that write more than {MANY_FILES:,} files keep their export folder until the end of the run (the "
        "others delete theirs at once): on ext4 without a journal, creating files soon after deleting thousands is "
        "about 10x slower per file (the allocator skips recently freed inodes), which would charge the benchmark's "
        "cleanup to the next case; the run needs about that many exports' worth of free disk (4 x 1.6 GB at 1M)",
    ]
    if repeat > 1:
        notes.append(f"each baseline and cortexd row is the fastest of {repeat} interleaved rounds (every round's wall "
                     "time is in the JSON); its peak RSS is the largest of the rounds and its poll latencies are "
                     "pooled; the DuckDB peer and generate run once")
    if args.quick:
        notes.append("QUICK run: the sizes are too small for the targets to mean much")
    bench_started = time.monotonic()
    load = os.getloadavg()
    if load[0] > 1.0:
        log(f"note: load average {load[0]:.2f} at start: other work on this {os.cpu_count()}-CPU machine skews times")

    report = {"schema": 1, "started": utc_now().isoformat(timespec="seconds"), "quick": args.quick,
              "host": host_info(binary), "load_average_start": load,
              "settings": {"main_contacts": main_contacts, "per_contact": per, "main_interactions": main_items,
                           "scaling_interactions": scaling, "scaling_parameters": scaling_params,
                           "main_cases": [{"name": n, "workers": w, "parameters": p} for n, w, p in MAIN_CASES],
                           "repeat": repeat, "poll_interval_ms": args.poll_interval_ms, "dd_mib": dd_mib, "workdir": workdir,
                           "targets": TARGETS},
              "notes": notes, "errors": [], "generate": [], "scaling": []}
    errors = report["errors"]
    rows_for_table = []
    interrupted = [False]

    def on_signal(signum, _frame):
        interrupted[0] = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        log(f"export bench: cortexd {binary}; temp folder {workdir}")
        log(f"[dd] writing {dd_mib} MiB with conv=fdatasync")
        dd = measure_dd(workdir, dd_mib)
        report["dd"] = dd
        log(f"  {dd['dd_output']}")
        dd_row = dict(dd, label="dd bs=1M conv=fdatasync")
        rows_for_table.append(dd_row)

        peer = None
        if not args.no_duckdb:
            log("[duckdb] setting up the node peer")
            peer = NodePeer(node_dir)
            if peer.setup():
                log(f"  method: {peer.method}")
                report["duckdb_setup"] = {"method": peer.method, "probe": peer.probe, "description": peer.describe()}
            else:
                log(f"  DuckDB peer skipped: {peer.reason}")
                report["duckdb_setup"] = {"skipped": peer.reason, "npm": peer.setup_log}
                peer = None

        sizes = sorted(set(scaling) | {main_items})
        for n in sizes:
            contacts = n // per
            collection = os.path.join(workdir, f"collection-{n}.db")
            log(f"[{n:,} interactions] cortexd generate --contacts {contacts} --interactions-per-contact {per}")
            gen = generate(binary, collection, contacts, per, workdir)
            derive(gen, None, dd)
            gen["label"] = f"generate {n:,}"
            report["generate"].append(gen)
            log(f"  {gen['items_per_s']:,.0f} interactions/s ({gen['wall']:.2f} s, {gen['bytes'] / MB:.0f} MB)")
            registered = stored_timestamp(utc_now())
            expected = count_rows(collection, registered)
            if expected != n:
                errors.append(f"collection of {n} holds {expected} interactions")

            # The jobs at this size run in rounds (--repeat), interleaved, so that a burst of other work on the
            # machine hits every job alike; each job's best round counts (see combine_rounds).
            jobs = [("baseline", "sqlite3 -json", lambda: run_baseline(
                sqlite_bin, collection, os.path.join(workdir, "baseline.json"), registered, expected))]
            if n == main_items:
                for name, workers, params in MAIN_CASES:
                    jobs.append((name, name, lambda name=name, workers=workers, params=params: run_cortexd(
                        binary, name, collection, workers, params, expected, workdir, poll_interval, args.timeout,
                        args.keep)))
            if n in scaling:
                jobs.append(("scaling", "cortexd 2w b5000 (scaling)", lambda: run_cortexd(
                    binary, "cortexd 2w b5000 (scaling)", collection, 2, scaling_params, expected, workdir,
                    poll_interval, args.timeout, args.keep)))
            rounds = {key: [] for key, _, _ in jobs}
            for r in range(repeat):
                for key, title, job in jobs:
                    os.sync()  # start from a clean page cache: no earlier writeback in this job's time
                    log(f"  {title}" + (f" (round {r + 1}/{repeat})" if repeat > 1 else ""))
                    res = job()
                    rounds[key].append(res)
                    if res.get("error"):
                        log(f"    FAILED: {res['error']}")
                    else:
                        lat = res.get("latency")
                        log(f"    {res['wall']:.2f} s, {res['items'] / res['wall']:,.0f}/s, RSS {res['rss_mib']:.1f} MiB"
                            + (f", {res['files']} files, poll p99 {lat['p99_ms']:.2f} ms" if lat else ""))
            combined = {key: combine_rounds(rounds[key]) for key in rounds}
            base = derive(combined["baseline"], None, dd)
            base["label"] = f"sqlite3 -json @{n // 1000}k"
            if base.get("error"):
                errors.append(f"baseline {n}: {base['error']}")
            size_rows = [base]

            if n == main_items:
                main = {"items": n, "contacts": contacts, "generate": gen, "baseline": base, "cortexd": []}
                report["main"] = main
                for name, _, _ in MAIN_CASES:
                    c = derive(combined[name], base, dd)
                    c["label"] = f"{name} @{n // 1000}k"
                    main["cortexd"].append(c)
                    size_rows.append(c)
                    if c.get("error"):
                        errors.append(f"{name}: {c['error']}")
                if peer:
                    os.sync()
                    log(f"  DuckDB peer ({peer.method})")
                    try:
                        d = peer.run(collection, os.path.join(workdir, "duckdb.ndjson"), registered, expected)
                        derive(d, base, dd)
                        d["label"] = f"duckdb ({peer.method}) @{n // 1000}k"
                        d["description"] = peer.describe()
                        main["duckdb"] = d
                        size_rows.insert(1, d)
                        if d.get("error"):
                            errors.append(d["error"])
                        log(f"    {d['wall']:.2f} s, {d['items_per_s']:,.0f}/s, RSS {d['rss_mib']:.1f} MiB")
                    except BenchError as e:
                        main["duckdb"] = {"error": str(e)}
                        errors.append(str(e))
                        log(f"    FAILED: {e}")

            if n in scaling:
                c = derive(combined["scaling"], base, dd)
                c["label"] = f"cortexd 2w b5000 s{split // 1000}k @{n // 1000}k"
                if c.get("error"):
                    errors.append(f"scaling {n}: {c['error']}")
                entry = {"items": n, "baseline": base, "cortexd": c}
                if c.get("bytes"):
                    # The disk's own time for the same bytes at this size: whether time per item grows with the
                    # size because of the disk (a write cache that absorbs small runs) or because of cortexd.
                    os.sync()
                    mib = max(1, round(c["bytes"] / (1 << 20)))
                    entry["dd_same_bytes"] = measure_dd(workdir, mib)
                    log(f"  dd of the same {mib} MiB: {entry['dd_same_bytes']['wall']:.2f} s")
                report["scaling"].append(entry)
                size_rows.append(c)

            rows_for_table.append(None)
            rows_for_table.append(dict(gen))
            rows_for_table.extend(size_rows)
            if not args.keep:
                for suffix in ("", "-wal", "-shm", "-journal"):
                    if os.path.exists(collection + suffix):
                        os.unlink(collection + suffix)
    except KeyboardInterrupt:
        errors.append("interrupted")
        log("export bench: interrupted")
    except (BenchError, OSError, subprocess.SubprocessError, AssertionError, ValueError, KeyError) as e:
        errors.append(f"{type(e).__name__}: {e}")
        log(f"export bench: {type(e).__name__}: {e}")
    finally:
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    report["finished"] = utc_now().isoformat(timespec="seconds")
    report["elapsed_seconds"] = round(time.monotonic() - bench_started, 1)
    report["load_average_end"] = os.getloadavg()
    report["targets"] = evaluate_targets(report)

    print()
    end_load = report["load_average_end"]
    print(f"cortexd export benchmark  {report['started']}  {report['elapsed_seconds']:.0f} s  "
          f"({report['host'].get('cpus')} CPUs, load average {load[0]:.2f} at start, {end_load[0]:.2f} at end)"
          f"{'  QUICK' if args.quick else ''}")
    print(f"binary {binary}")
    print()
    print_table(rows_for_table)
    print()
    if report.get("scaling"):
        print(f"scaling (2 workers, BatchSize 5000, DefaultSplitItemCount {split}):")
        print(f"  {'interactions':>12}{'sqlite3 s':>11}{'us/item':>9}{'cortexd s':>11}{'us/item':>9}{'x base':>8}"
              f"{'RSS MiB':>9}{'time vs smallest':>18}")
        first = None
        for s in report["scaling"]:
            b, c = s["baseline"], s["cortexd"]
            if c.get("error"):
                print(f"  {s['items']:>12,}  FAILED: {c['error']}")
                continue
            per_item = c["wall"] / c["items"]
            first = first or (c["wall"], c["items"])
            grow = c["wall"] / first[0]
            print(f"  {s['items']:>12,}{b['wall']:>11.2f}{b['wall'] / b['items'] * 1e6:>9.2f}{c['wall']:>11.2f}"
                  f"{per_item * 1e6:>9.2f}{c['x_baseline']:>8.2f}{c['rss_mib']:>9.1f}"
                  f"{grow:>9.2f}x time for {s['items'] / first[1]:.0f}x items")
        print()
    if report.get("duckdb_setup"):
        ds = report["duckdb_setup"]
        print("DuckDB peer: " + (ds.get("description") or f"skipped: {ds.get('skipped')}"))
        print()
    for n in notes:
        print(f"note: {n}")
    print()
    for t in report["targets"]:
        verdict = "INFO" if t.get("info") else ("PASS" if t["pass"] else "FAIL")
        print(f"{verdict}  {t['target']}: {t['detail']}")
    if errors:
        print()
        for e in errors:
            print(f"ERROR  {e}")
    written = write_json(report, output, history=not args.no_history and not args.quick)
    print()
    print("results: " + ", ".join(os.path.relpath(w, Path.cwd()) if w.startswith(str(Path.cwd())) else w
                                  for w in written))
    if interrupted[0]:
        return 130
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
