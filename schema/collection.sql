-- The embedded contact/interaction collection, modelled on the xConnect collection tables.
-- Every timestamp is UTC text in one fixed form, 'YYYY-MM-DDTHH:MM:SS.fffffffZ', so that text
-- comparison is time comparison and export copies it as is.
-- Seq is the extraction order (the key range the scheduler cuts into cursors); Id is the xConnect GUID.
-- Percentile is in [0, 1), or -1 for a legacy record that matches no percentile range.
-- Added is when the record first entered this collection: a task exports only what was added before it.

CREATE TABLE IF NOT EXISTS Contacts (
  Seq              INTEGER PRIMARY KEY,
  Id               TEXT    NOT NULL UNIQUE,
  Created          TEXT,
  LastModified     TEXT,
  ConcurrencyToken TEXT,
  Percentile       REAL    NOT NULL,
  Added            TEXT    NOT NULL
);

-- IdentifierType: 0 = Anonymous, 1 = Known (the xConnect ContactIdentifierType).
CREATE TABLE IF NOT EXISTS ContactIdentifiers (
  ContactSeq     INTEGER NOT NULL REFERENCES Contacts(Seq) ON DELETE CASCADE,
  Source         TEXT    NOT NULL,
  Identifier     TEXT    NOT NULL,
  IdentifierType INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (Source, Identifier)
);
CREATE INDEX IF NOT EXISTS ContactIdentifiers_Contact ON ContactIdentifiers (ContactSeq);

-- One row per facet; Data is the facet's JSON object (with its @odata.type), defaults removed.
CREATE TABLE IF NOT EXISTS ContactFacets (
  ContactSeq INTEGER NOT NULL REFERENCES Contacts(Seq) ON DELETE CASCADE,
  FacetKey   TEXT    NOT NULL,
  Data       TEXT    NOT NULL,
  PRIMARY KEY (ContactSeq, FacetKey)
) WITHOUT ROWID;

-- Events is the JSON array of the interaction's events (each with @odata.type), defaults removed.
-- DurationTicks is in 100 ns units, as .NET TimeSpan ticks.
CREATE TABLE IF NOT EXISTS Interactions (
  Seq              INTEGER PRIMARY KEY,
  Id               TEXT    NOT NULL UNIQUE,
  ContactId        TEXT    NOT NULL,
  StartDateTime    TEXT    NOT NULL,
  EndDateTime      TEXT,
  DurationTicks    INTEGER NOT NULL DEFAULT 0,
  LastModified     TEXT,
  ChannelId        TEXT,
  Initiator        TEXT,
  UserAgent        TEXT,
  CampaignId       TEXT,
  VenueId          TEXT,
  DeviceProfileId  TEXT,
  ConcurrencyToken TEXT,
  EngagementValue  INTEGER NOT NULL DEFAULT 0,
  Events           TEXT    NOT NULL DEFAULT '[]',
  Percentile       REAL    NOT NULL,
  Added            TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS Interactions_Contact ON Interactions (ContactId);

CREATE TABLE IF NOT EXISTS InteractionFacets (
  InteractionSeq INTEGER NOT NULL REFERENCES Interactions(Seq) ON DELETE CASCADE,
  FacetKey       TEXT    NOT NULL,
  Data           TEXT    NOT NULL,
  PRIMARY KEY (InteractionSeq, FacetKey)
) WITHOUT ROWID;
