// Multi-row inserts of the generator's batches.
#include "collection/generated_rows_sql.h"

#include <charconv>

namespace cortex::generated {
namespace {

std::string sql_literal(std::string_view text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

constexpr std::string_view kTracker = "xDB.Tracker";

}  // namespace

Error sqlite_error(sqlite3* db, int rc, const std::string& what) {
  rc &= 0xff;
  ErrorCode code = (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) ? ErrorCode::Unavailable : ErrorCode::IOError;
  if (rc == SQLITE_CONSTRAINT) code = ErrorCode::Conflict;
  if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB) code = ErrorCode::Corruption;
  return make_error(code, "SQLite: " + std::string(sqlite3_errmsg(db)) + " (" + what + ")");
}

Status exec(sqlite3* db, const std::string& sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return Status::OK();
  Error e = sqlite_error(db, rc, sql);
  if (message) e.message = "SQLite: " + std::string(message) + " (" + sql + ")";
  sqlite3_free(message);
  return e;
}

// ---- MultiInsert ----

MultiInsert::~MultiInsert() {
  for (auto* statement : statements_) sqlite3_finalize(statement);
}

void MultiInsert::define(sqlite3* db, std::string head, std::string row, int params, bool rowid) {
  db_ = db;
  head_ = std::move(head);
  row_ = std::move(row);
  params_ = params;
  rowid_ = rowid;
}

Status MultiInsert::start(int rows) {
  sqlite3_stmt*& statement = statements_[static_cast<std::size_t>(rows - 1)];
  if (!statement) {
    std::string sql = head_;
    for (int r = 0; r < rows; ++r) {
      if (r) sql += ", ";
      sql += row_;
    }
    int rc = sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &statement, nullptr);
    if (rc != SQLITE_OK) return sqlite_error(db_, rc, "preparing " + head_ + row_ + " x " + std::to_string(rows));
  }
  current_ = statement;
  return Status::OK();
}

Result<std::int64_t> MultiInsert::run() {
  int rc = sqlite3_step(current_);
  sqlite3_reset(current_);
  if (rc != SQLITE_DONE) return sqlite_error(db_, rc, head_ + "...");
  return sqlite3_last_insert_rowid(db_);
}

// ---- Transactions ----

Transactions::Transactions(sqlite3* db, std::int64_t rows_per_transaction, const char* begin,
                           std::function<void()> after_commit)
    : db_(db), rows_per_transaction_(rows_per_transaction), begin_(begin), after_commit_(std::move(after_commit)) {}

Status Transactions::boundary() {
  if (open_ && rows_ >= rows_per_transaction_) CORTEX_RETURN_IF_ERROR(commit());
  if (open_) return Status::OK();
  CORTEX_RETURN_IF_ERROR(exec(db_, begin_));
  open_ = true;
  rows_ = 0;
  return Status::OK();
}

Status Transactions::commit() {
  if (!open_) return Status::OK();
  CORTEX_RETURN_IF_ERROR(exec(db_, "COMMIT"));
  open_ = false;
  if (after_commit_) after_commit_();
  return Status::OK();
}

void Transactions::abandon() {
  if (open_) (void)exec(db_, "ROLLBACK");
  open_ = false;
}

// ---- ContactWriter ----

void ContactWriter::define(sqlite3* db, const std::string& added) {
  contacts_.define(db, "INSERT INTO Contacts (Id, Created, LastModified, ConcurrencyToken, Percentile, Added) VALUES ",
                   "(?, ?, ?, ?, ?, " + sql_literal(added) + ")", 5);
  identifiers_.define(db, "INSERT INTO ContactIdentifiers (ContactSeq, Source, Identifier, IdentifierType) VALUES ",
                      "(?, ?, ?, ?)", 4);
  facets_.define(db, "INSERT INTO ContactFacets (ContactSeq, FacetKey, Data) VALUES ", "(?, ?, ?)", 3, false);
}

Result<std::int64_t> ContactWriter::write(const RowBatch& batch) {
  const auto& contacts = batch.contacts;
  auto first = insert_all(contacts_, contacts.size(), [&](int r, std::size_t i) {
    const ContactRow& c = contacts[i];
    contacts_.text(r, 1, batch.view(c.id));
    contacts_.text(r, 2, batch.view(c.created));
    contacts_.text(r, 3, batch.view(c.modified));
    contacts_.text(r, 4, batch.view(c.token));
    contacts_.real(r, 5, c.percentile);
  });
  if (!first.ok()) return first.error();

  // The rows that follow, in the order the generator has always written them. The texts that carry the Seq are all
  // built before any is bound, since texts_ may move while it grows. The email has the Seq, which keeps it unique
  // when several seeds share a collection.
  identifier_rows_.clear();
  facet_rows_.clear();
  texts_.clear();
  for (std::size_t i = 0; i < contacts.size(); ++i) {
    const ContactRow& c = contacts[i];
    const std::int64_t seq = *first + static_cast<std::int64_t>(i);
    identifier_rows_.push_back({seq, kTracker, batch.view(c.tracker), {}, 0});
    Piece email;
    if (c.known) {
      email.offset = texts_.size();
      texts_.append(batch.view(c.email_local));
      char digits[24];
      auto [end, ec] = std::to_chars(digits, digits + sizeof digits, seq);
      (void)ec;
      texts_.append(digits, end);
      texts_.append(kEmailDomain);
      email.size = texts_.size() - email.offset;
      identifier_rows_.push_back({seq, "email", {}, email, 1});
    }
    if (c.second_tracker.size) identifier_rows_.push_back({seq, kTracker, batch.view(c.second_tracker), {}, 0});
    if (c.personal.size) facet_rows_.push_back({seq, "Personal", batch.view(c.personal), {}});
    if (c.known) {
      Piece data{texts_.size(), 0};
      texts_.append(email_facet_prefix(c.work_email));
      texts_.append(texts_, email.offset, email.size);
      texts_.append(email_facet_suffix(c.work_email));
      data.size = texts_.size() - data.offset;
      facet_rows_.push_back({seq, "Emails", {}, data});
    }
  }
  auto identifiers = insert_all(identifiers_, identifier_rows_.size(), [&](int r, std::size_t i) {
    const Identifier& id = identifier_rows_[i];
    identifiers_.integer(r, 1, id.seq);
    identifiers_.text(r, 2, id.source);
    identifiers_.text(r, 3, id.value.empty() ? view(id.built) : id.value);
    identifiers_.integer(r, 4, id.type);
  });
  if (!identifiers.ok()) return identifiers.error();
  auto facets = insert_all(facets_, facet_rows_.size(), [&](int r, std::size_t i) {
    const Facet& f = facet_rows_[i];
    facets_.integer(r, 1, f.seq);
    facets_.text(r, 2, f.key);
    facets_.text(r, 3, f.data.empty() ? view(f.built) : f.data);
  });
  if (!facets.ok()) return facets.error();
  return static_cast<std::int64_t>(contacts.size() + identifier_rows_.size() + facet_rows_.size());
}

// ---- InteractionWriter ----

void InteractionWriter::define(sqlite3* db, const std::string& added) {
  interactions_.define(db,
                       "INSERT INTO Interactions (Id, ContactId, StartDateTime, EndDateTime, DurationTicks, "
                       "LastModified, ChannelId, Initiator, UserAgent, CampaignId, VenueId, DeviceProfileId, "
                       "ConcurrencyToken, EngagementValue, Events, Percentile, Added) VALUES ",
                       "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, " + sql_literal(added) + ")", 16);
}

Result<std::int64_t> InteractionWriter::write(const RowBatch& batch) {
  return insert_all(interactions_, batch.interactions.size(), [&](int r, std::size_t i) {
    const InteractionRow& row = batch.interactions[i];
    interactions_.text(r, 1, batch.view(row.id));
    interactions_.text(r, 2, batch.view(row.contact_id));
    interactions_.text(r, 3, batch.view(row.start));
    interactions_.text(r, 4, batch.view(row.end));
    interactions_.integer(r, 5, row.duration);
    interactions_.text(r, 6, batch.view(row.modified));
    interactions_.text(r, 7, row.channel);
    interactions_.text(r, 8, row.initiator);
    interactions_.text(r, 9, row.user_agent);
    interactions_.optional_text(r, 10, row.campaign);
    interactions_.optional_text(r, 11, row.venue);
    interactions_.text(r, 12, batch.view(row.device));
    interactions_.text(r, 13, batch.view(row.token));
    interactions_.integer(r, 14, row.engagement);
    interactions_.text(r, 15, batch.view(row.events));
    interactions_.real(r, 16, row.percentile);
  });
}

// ---- InteractionFacetWriter ----

void InteractionFacetWriter::define(sqlite3* db) {
  facets_.define(db, "INSERT INTO InteractionFacets (InteractionSeq, FacetKey, Data) VALUES ", "(?, 'WebVisit', ?)",
                 2, false);
}

Result<std::int64_t> InteractionFacetWriter::write(const RowBatch& batch, std::int64_t first) {
  with_facet_.clear();
  for (std::size_t i = 0; i < batch.interactions.size(); ++i)
    if (batch.interactions[i].web_visit.size) with_facet_.push_back(i);
  auto written = insert_all(facets_, with_facet_.size(), [&](int r, std::size_t i) {
    const std::size_t index = with_facet_[i];
    facets_.integer(r, 1, first + static_cast<std::int64_t>(index));
    facets_.text(r, 2, batch.view(batch.interactions[index].web_visit));
  });
  if (!written.ok()) return written.error();
  return static_cast<std::int64_t>(with_facet_.size());
}

}  // namespace cortex::generated
