-- The task store: the persistent queue of export tasks, their cursors and dependencies.
-- It mirrors the processing-tasks database of the Cortex engine (Tasks, TaskDependencies, Cursors).
-- Timestamps are UTC text 'YYYY-MM-DDTHH:MM:SS.fffffffZ'; Ids are lowercase GUIDs with dashes.

-- Status: 0 Pending, 1 Processing, 2 Completed, 3 Failed, 4 Expired, 5 Canceled.
-- Type: 0 DeferredAction, 1 DistributedProcessing.
-- Added is the registration instant: day cutoffs are measured from it.
-- Expiration is set when the task reaches a final state: then + ExpiresAfterHours.
-- Options is the JSON of the validated parameters (never a secret: profiles are named, not copied).
-- LeaseOwner/LeaseExpires guard the split and the final manifest, which one scheduler does at a time.
CREATE TABLE IF NOT EXISTS Tasks (
  Id               TEXT    PRIMARY KEY,
  Added            TEXT    NOT NULL,
  Updated          TEXT    NOT NULL,
  ConcurrencyToken TEXT    NOT NULL,
  Expiration       TEXT,
  Status           INTEGER NOT NULL DEFAULT 0,
  Type             INTEGER NOT NULL DEFAULT 1,
  Progress         INTEGER NOT NULL DEFAULT 0,
  Total            INTEGER,
  Error            TEXT,
  Description      TEXT,
  Options          TEXT    NOT NULL,
  CancelRequested  INTEGER NOT NULL DEFAULT 0,
  Started          TEXT,
  Finished         TEXT,
  LeaseOwner       TEXT,
  LeaseExpires     TEXT
);
CREATE INDEX IF NOT EXISTS Tasks_Status ON Tasks (Status, Added);
-- The scheduler's picks, each through a partial index of just the tasks it looks for, so that a pick
-- does not walk the whole queue: tasks to split (Pending, or Processing without a Total), split tasks
-- (whose cursors may all be done), and cancels not yet applied.
CREATE INDEX IF NOT EXISTS Tasks_ToSplit ON Tasks (Added, Id) WHERE Status IN (0, 1) AND Total IS NULL;
CREATE INDEX IF NOT EXISTS Tasks_Split ON Tasks (Added, Id) WHERE Status = 1 AND Total IS NOT NULL;
CREATE INDEX IF NOT EXISTS Tasks_ToCancel ON Tasks (Added) WHERE Status IN (0, 1) AND CancelRequested = 1;

CREATE TABLE IF NOT EXISTS TaskDependencies (
  TaskId             TEXT NOT NULL REFERENCES Tasks(Id) ON DELETE CASCADE,
  PrerequisiteTaskId TEXT NOT NULL,
  PRIMARY KEY (TaskId, PrerequisiteTaskId)
);

-- A cursor covers the collection keys FirstKey..LastKey (inclusive) holding ItemCount matching items.
-- Position is the last key whose batch is durably stored (FirstKey - 1 before the first batch).
-- State: 0 Ready, 1 Leased, 2 Done. A lease whose LeaseExpires has passed counts as Ready.
CREATE TABLE IF NOT EXISTS Cursors (
  TaskId       TEXT    NOT NULL REFERENCES Tasks(Id) ON DELETE CASCADE,
  CursorIndex  INTEGER NOT NULL,
  FirstKey     INTEGER NOT NULL,
  LastKey      INTEGER NOT NULL,
  ItemCount    INTEGER NOT NULL,
  Position     INTEGER NOT NULL,
  BatchesDone  INTEGER NOT NULL DEFAULT 0,
  ItemsDone    INTEGER NOT NULL DEFAULT 0,
  State        INTEGER NOT NULL DEFAULT 0,
  LeaseOwner   TEXT,
  LeaseExpires TEXT,
  PRIMARY KEY (TaskId, CursorIndex)
);
CREATE INDEX IF NOT EXISTS Cursors_State ON Cursors (State, LeaseExpires);
-- A worker leases the lowest ready cursors of a task: found without walking the done ones.
CREATE INDEX IF NOT EXISTS Cursors_Work ON Cursors (TaskId, State, CursorIndex);

-- One row per stored batch file: what the manifest lists.
CREATE TABLE IF NOT EXISTS StoredBatches (
  TaskId      TEXT    NOT NULL REFERENCES Tasks(Id) ON DELETE CASCADE,
  CursorIndex INTEGER NOT NULL,
  BatchNumber INTEGER NOT NULL,
  FileName    TEXT    NOT NULL,
  ItemCount   INTEGER NOT NULL,
  Bytes       INTEGER NOT NULL,
  Sha256      TEXT    NOT NULL,
  PRIMARY KEY (TaskId, CursorIndex, BatchNumber)
);

-- Corrupt source records a task left out (invalid stored JSON, a bad date): listed in its manifest.
CREATE TABLE IF NOT EXISTS SkippedRecords (
  TaskId      TEXT    NOT NULL REFERENCES Tasks(Id) ON DELETE CASCADE,
  CursorIndex INTEGER NOT NULL,
  RecordKey   INTEGER NOT NULL,
  RecordId    TEXT    NOT NULL,
  Reason      TEXT    NOT NULL,
  PRIMARY KEY (TaskId, CursorIndex, RecordKey)
);

-- The operators' status table: `sqlite3 tasks.db 'select * from TaskStatus'`.
DROP VIEW IF EXISTS TaskStatus;
CREATE VIEW TaskStatus AS
SELECT
  Id,
  CASE Status WHEN 0 THEN 'Pending' WHEN 1 THEN 'Processing' WHEN 2 THEN 'Completed'
              WHEN 3 THEN 'Failed' WHEN 4 THEN 'Expired' WHEN 5 THEN 'Canceled' END
    || CASE WHEN CancelRequested = 1 AND Status IN (0, 1) THEN ' (cancel requested)' ELSE '' END AS Status,
  json_extract(Options, '$.Kind') AS Kind,
  json_extract(Options, '$.StorageProfile') AS Profile,
  Progress,
  Total,
  CASE WHEN Total > 0 THEN round(100.0 * Progress / Total, 1)
       WHEN Total = 0 THEN 100.0 END AS PercentDone,
  CASE WHEN Started IS NULL THEN NULL
       ELSE round(Progress / max((julianday(coalesce(Finished, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))
                                  - julianday(Started)) * 86400.0, 0.001), 1) END AS ItemsPerSecond,
  Added,
  Updated,
  Error
FROM Tasks
ORDER BY Added;
