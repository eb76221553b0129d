// Importing xConnect records: checking each record field by field, then upserting it into the collection tables.
#include "collection/collection_importer.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <variant>

#include "common/guid.h"

namespace cortex {
namespace {

using nlohmann::json;

// Records per transaction: large enough that commits cost nothing, small enough to keep the WAL modest.
constexpr std::int64_t kCommitEvery = 10'000;
// Deeper Events or facets are refused, so that copying, stripping and dumping them cannot exhaust the stack.
constexpr int kMaxDepth = 64;

enum class Kind { Unknown, Contact, Interaction };

constexpr std::string_view kContactFields[] = {"Id",         "Created",     "LastModified", "ConcurrencyToken",
                                               "Percentile", "Identifiers", "Facets",       "Interactions"};
constexpr std::string_view kInteractionFields[] = {
    "Id",          "ContactId", "Contact",         "DeviceProfile", "DeviceProfileId",  "StartDateTime",
    "EndDateTime", "Duration",  "LastModified",    "ChannelId",     "Initiator",        "UserAgent",
    "CampaignId",  "VenueId",   "EngagementValue", "Events",        "ConcurrencyToken", "Percentile",
    "Facets"};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool istarts_with(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

// xConnect member names are PascalCase, but hand-written files vary; a null member counts as absent.
const json* member(const json& object, std::string_view name) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (iequals(it.key(), name)) return it->is_null() ? nullptr : &*it;
  }
  return nullptr;
}

const std::string& str(const json& value) { return value.get_ref<const std::string&>(); }

// A value as it can appear in a message: short, and containers only named, since dumping one recurses.
std::string excerpt(const json& value) {
  if (value.is_object()) return "an object";
  if (value.is_array()) return "an array";
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > 80) text = text.substr(0, 77) + "...";
  return text;
}

bool is_default(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return true;
    case json::value_t::boolean:
      return !value.get<bool>();
    case json::value_t::number_integer:
      return value.get<std::int64_t>() == 0;
    case json::value_t::number_unsigned:
      return value.get<std::uint64_t>() == 0;
    case json::value_t::number_float:
      return value.get<double>() == 0.0;
    case json::value_t::string:
      return str(value).empty();
    case json::value_t::array:
    case json::value_t::object:
      return value.empty();
    default:
      return false;
  }
}

// Checked before anything recursive (copy, stripping, dump) touches the value.
bool within_depth(const json& value, int depth) {
  if (depth > kMaxDepth) return false;
  if (value.is_structured()) {
    for (const auto& element : value) {
      if (!within_depth(element, depth + 1)) return false;
    }
  }
  return true;
}

// Children first, so that an object left empty by stripping is itself removed. Array elements are values, not
// members, and stay. The type annotation is found whatever its case (as every member is) and is stored as
// "@odata.type", the spelling readers of the export look for.
void strip_defaults(json& value) {
  if (value.is_object()) {
    if (!value.contains("@odata.type")) {
      for (auto it = value.begin(); it != value.end(); ++it) {
        if (iequals(it.key(), "@odata.type")) {
          json type = std::move(*it);
          value.erase(it);
          value["@odata.type"] = std::move(type);
          break;
        }
      }
    }
    for (auto it = value.begin(); it != value.end();) {
      strip_defaults(*it);
      if (!iequals(it.key(), "@odata.type") && is_default(*it)) {
        it = value.erase(it);
      } else {
        ++it;
      }
    }
  } else if (value.is_array()) {
    for (auto& element : value) strip_defaults(element);
  }
}

// "/Contacts(eb98205c-...)", "Contacts('...')" or a full URL ending so: the GUID key, when the entity set matches.
std::optional<std::string> odata_reference_key(std::string_view ref, std::string_view entity_set) {
  std::size_t open = ref.rfind('(');
  if (open == std::string_view::npos || ref.back() != ')') return std::nullopt;
  std::size_t slash = ref.rfind('/', open);
  std::size_t name_start = slash == std::string_view::npos ? 0 : slash + 1;
  if (!iequals(ref.substr(name_start, open - name_start), entity_set)) return std::nullopt;
  std::string_view key = ref.substr(open + 1, ref.size() - open - 2);
  if (key.size() >= 2 && key.front() == '\'' && key.back() == '\'') key = key.substr(1, key.size() - 2);
  return normalize_guid(key);
}

// "https://host/odata/$metadata#Interactions" (a collection) or "...#Contacts/$entity" (a single entity).
Kind kind_from_context(const json& object) {
  const json* context = member(object, "@odata.context");
  if (!context || !context->is_string()) return Kind::Unknown;
  std::string_view text = str(*context);
  std::size_t hash = text.rfind('#');
  if (hash == std::string_view::npos) return Kind::Unknown;
  std::string_view set = text.substr(hash + 1);
  set = set.substr(0, set.find_first_of("/("));
  if (iequals(set, "Interactions")) return Kind::Interaction;
  if (iequals(set, "Contacts")) return Kind::Contact;
  return Kind::Unknown;
}

// A record's own context wins, then its envelope's, then its shape: only interactions have these members.
Kind kind_of(const json& record, Kind envelope_kind) {
  if (Kind own = kind_from_context(record); own != Kind::Unknown) return own;
  if (envelope_kind != Kind::Unknown) return envelope_kind;
  for (std::string_view name : {"StartDateTime", "Events", "Contact", "ContactId"}) {
    if (member(record, name)) return Kind::Interaction;
  }
  return Kind::Contact;
}

struct Identifier {
  std::string source;
  std::string identifier;
  int type = 0;  // 1 Known, 0 Anonymous
};

struct Facet {
  std::string key;
  std::string data;
};

struct ContactRow {
  std::string id;
  std::optional<Timestamp> created;
  std::optional<Timestamp> last_modified;
  std::optional<std::string> concurrency_token;
  double percentile = 0;
  std::vector<Identifier> identifiers;
  std::vector<Facet> facets;
};

struct InteractionRow {
  std::string id;
  std::string contact_id;
  Timestamp start{};
  std::optional<Timestamp> end;
  std::int64_t duration_ticks = 0;
  std::optional<Timestamp> last_modified;
  std::optional<std::string> channel_id, initiator, user_agent, campaign_id, venue_id, device_profile_id,
      concurrency_token;
  std::int64_t engagement_value = 0;
  std::string events;
  double percentile = 0;
  std::vector<Facet> facets;
};

// Reads one record's fields. The first problem is kept, naming its field; reads after it still return harmless
// values, so a reader can take every field and check once at the end.
class FieldReader {
 public:
  explicit FieldReader(const json& record) : record_(record) {}

  bool failed() const { return !error_.empty(); }
  Error error() const { return make_error(ErrorCode::InvalidArgument, error_); }
  void fail(std::string_view field, const std::string& what) {
    if (error_.empty()) error_ = std::string(field) + ": " + what;
  }

  const json* get(std::string_view field) const { return member(record_, field); }

  std::string required_guid(std::string_view field) {
    if (!get(field)) fail(field, "missing");
    return guid(field).value_or("");
  }

  std::optional<std::string> guid(std::string_view field) {
    const json* value = get(field);
    return value ? guid_value(*value, field) : std::nullopt;
  }

  std::optional<std::string> guid_value(const json& value, std::string_view field) {
    if (value.is_string()) {
      if (auto id = normalize_guid(str(value))) return id;
    }
    fail(field, "not a GUID: " + excerpt(value));
    return std::nullopt;
  }

  // ContactId / DeviceProfileId, or Contact / DeviceProfile as an OData reference ({"@odata.id": "/Contacts(...)"}
  // or the bare reference text), an expanded entity with its Id, or a bare GUID.
  std::optional<std::string> reference(std::string_view id_field, std::string_view nav_field,
                                       std::string_view entity_set) {
    if (get(id_field)) return guid(id_field);
    const json* nav = get(nav_field);
    if (!nav) return std::nullopt;
    const json* ref = nav->is_object() ? member(*nav, "@odata.id") : nav;
    if (ref && ref->is_string()) {
      if (auto key = odata_reference_key(str(*ref), entity_set)) return key;
      if (auto id = normalize_guid(str(*ref)); id && ref == nav) return id;  // a bare GUID for the reference
    } else if (const json* id = nav->is_object() ? member(*nav, "Id") : nullptr) {
      return guid_value(*id, std::string(nav_field) + ".Id");
    }
    fail(nav_field, "not a reference to " + std::string(entity_set) + ": " + excerpt(*nav));
    return std::nullopt;
  }

  std::optional<Timestamp> timestamp(std::string_view field) {
    const json* value = get(field);
    if (!value) return std::nullopt;
    if (value->is_string()) {
      if (auto t = parse_timestamp(str(*value))) return t;
    }
    fail(field, "not an ISO-8601 date-time: " + excerpt(*value));
    return std::nullopt;
  }

  std::optional<std::string> text(std::string_view field) {
    const json* value = get(field);
    if (!value) return std::nullopt;
    if (value->is_string()) return str(*value);
    fail(field, "not a string: " + excerpt(*value));
    return std::nullopt;
  }

  std::int64_t integer(std::string_view field) {
    const json* value = get(field);
    if (!value) return 0;
    bool too_big = value->is_number_unsigned() &&
                   value->get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (value->is_number_integer() && !too_big) return value->get<std::int64_t>();
    fail(field, "not a 64-bit integer: " + excerpt(*value));
    return 0;
  }

  // [0, 1), or -1 for a legacy record; a record without one gets a stable value from its id.
  double percentile(const std::string& id) {
    const json* value = get("Percentile");
    if (!value) return percentile_from_id(id);
    if (value->is_number()) {
      double p = value->get<double>();
      if ((p >= 0.0 && p < 1.0) || p == -1.0) return p;
    }
    fail("Percentile", excerpt(*value) + " is neither in [0, 1) nor -1");
    return 0;
  }

  std::string stored(const json& value, std::string_view field) {
    auto text = stored_json(value);
    if (!text) fail(field, "nested deeper than " + std::to_string(kMaxDepth) + " levels");
    return text.value_or("");
  }

  std::string events() {
    const json* value = get("Events");
    if (!value) return "[]";
    if (!value->is_array()) {
      fail("Events", "not an array: " + excerpt(*value));
      return "[]";
    }
    for (std::size_t i = 0; i < value->size(); ++i) {
      const json& event = (*value)[i];
      std::string field = "Events[" + std::to_string(i) + "]";
      if (!event.is_object()) {
        fail(field, "not an object: " + excerpt(event));
        continue;
      }
      const json* type = member(event, "@odata.type");
      if (!type || !type->is_string() || str(*type).empty()) fail(field, "has no @odata.type");
    }
    return stored(*value, "Events");
  }

  std::vector<Identifier> identifiers() {
    std::vector<Identifier> out;
    const json* list = get("Identifiers");
    if (!list) return out;
    if (!list->is_array()) {
      fail("Identifiers", "not an array: " + excerpt(*list));
      return out;
    }
    for (std::size_t i = 0; i < list->size(); ++i) {
      const json& item = (*list)[i];
      std::string field = "Identifiers[" + std::to_string(i) + "]";
      if (!item.is_object()) {
        fail(field, "not an object: " + excerpt(item));
        continue;
      }
      Identifier id;
      for (auto [name, target] : {std::pair{"Source", &id.source}, std::pair{"Identifier", &id.identifier}}) {
        const json* value = member(item, name);
        if (!value || !value->is_string() || str(*value).empty()) {
          fail(field + "." + name, "missing or not a non-empty string");
        } else {
          *target = str(*value);
        }
      }
      id.type = identifier_type(member(item, "IdentifierType"), field + ".IdentifierType");
      for (const auto& earlier : out) {
        if (earlier.source == id.source && earlier.identifier == id.identifier) fail(field, "repeats an identifier");
      }
      out.push_back(std::move(id));
    }
    return out;
  }

  // Facets inside a "Facets" object, and object-valued members that are not known fields (xConnect's expanded form).
  template <std::size_t N>
  std::vector<Facet> facets(const std::string_view (&known_fields)[N]) {
    std::vector<Facet> out;
    auto add = [&](const std::string& key, const json& value, const std::string& field) {
      if (!value.is_object()) return fail(field, "a facet must be a JSON object: " + excerpt(value));
      for (const auto& earlier : out) {
        if (iequals(earlier.key, key)) return fail(field, "the facet is given twice");
      }
      out.push_back({key, stored(value, field)});
    };
    for (auto it = record_.begin(); it != record_.end(); ++it) {
      if (it->is_null()) continue;
      if (iequals(it.key(), "Facets")) {
        if (!it->is_object()) {
          fail("Facets", "not an object: " + excerpt(*it));
          continue;
        }
        for (auto facet = it->begin(); facet != it->end(); ++facet) {
          if (!facet->is_null()) add(facet.key(), *facet, "Facets." + facet.key());
        }
      } else if (it->is_object() && !istarts_with(it.key(), "@odata") &&
                 std::none_of(std::begin(known_fields), std::end(known_fields),
                              [&](std::string_view known) { return iequals(known, it.key()); })) {
        add(it.key(), *it, it.key());
      }
    }
    return out;
  }

 private:
  int identifier_type(const json* value, const std::string& field) {
    if (!value) return 0;  // xConnect's default is Anonymous
    if (value->is_string() && iequals(str(*value), "Known")) return 1;
    if (value->is_string() && iequals(str(*value), "Anonymous")) return 0;
    if (value->is_number_integer() && (value->get<std::int64_t>() == 0 || value->get<std::int64_t>() == 1)) {
      return static_cast<int>(value->get<std::int64_t>());
    }
    fail(field, "neither Known (1) nor Anonymous (0): " + excerpt(*value));
    return 0;
  }

  const json& record_;
  std::string error_;
};

Result<ContactRow> read_contact(const json& record) {
  FieldReader f(record);
  ContactRow row;
  row.id = f.required_guid("Id");
  row.created = f.timestamp("Created");
  row.last_modified = f.timestamp("LastModified");
  row.concurrency_token = f.guid("ConcurrencyToken");
  row.percentile = f.percentile(row.id);
  row.identifiers = f.identifiers();
  row.facets = f.facets(kContactFields);
  if (f.failed()) return f.error();
  return row;
}

Result<InteractionRow> read_interaction(const json& record) {
  FieldReader f(record);
  InteractionRow row;
  row.id = f.required_guid("Id");
  auto contact_id = f.reference("ContactId", "Contact", "Contacts");
  if (!contact_id && !f.failed()) f.fail("ContactId", "missing (neither Contact nor ContactId is given)");
  row.contact_id = contact_id.value_or("");
  row.device_profile_id = f.reference("DeviceProfileId", "DeviceProfile", "DeviceProfiles");
  auto start = f.timestamp("StartDateTime");
  if (!start && !f.get("StartDateTime")) f.fail("StartDateTime", "missing");
  row.start = start.value_or(Timestamp{});
  row.end = f.timestamp("EndDateTime");
  if (start && row.end && *row.end < *start) f.fail("EndDateTime", "before StartDateTime");
  if (const json* duration = f.get("Duration")) {
    auto ticks = duration->is_string() ? parse_duration_ticks(str(*duration)) : std::nullopt;
    if (!ticks || *ticks < 0) f.fail("Duration", "not a non-negative ISO-8601 or .NET duration: " + excerpt(*duration));
    row.duration_ticks = ticks.value_or(0);
  } else if (start && row.end) {
    row.duration_ticks = (*row.end - *start).count();
  }
  row.last_modified = f.timestamp("LastModified");
  row.channel_id = f.guid("ChannelId");
  row.initiator = f.text("Initiator");
  row.user_agent = f.text("UserAgent");
  row.campaign_id = f.guid("CampaignId");
  row.venue_id = f.guid("VenueId");
  row.concurrency_token = f.guid("ConcurrencyToken");
  row.engagement_value = f.integer("EngagementValue");
  row.events = f.events();
  row.percentile = f.percentile(row.id);
  row.facets = f.facets(kInteractionFields);
  if (f.failed()) return f.error();
  return row;
}

std::optional<std::string> text_of(const std::optional<Timestamp>& t) {
  if (!t) return std::nullopt;
  return format_timestamp(*t);
}

struct ParseFailure {
  std::size_t byte = 0;
  std::string message;
};

std::variant<json, ParseFailure> parse_json(std::string_view text) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    std::string what = e.what();
    return ParseFailure{e.byte, what.substr(what.find("] ") == std::string::npos ? 0 : what.find("] ") + 2)};
  } catch (const json::exception& e) {  // e.g. a number too large for a double
    return ParseFailure{0, e.what()};
  }
}

std::string line_at(std::string_view text, std::size_t byte) {
  std::size_t end = std::min(byte, text.size());
  return "line " + std::to_string(1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(end), '\n'));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Decided: text that is not one JSON document is NDJSON when its first line is a complete-looking object.
// A broken pretty-printed document starts with "{" or "[" alone and so stays one malformed file.
bool looks_like_ndjson(std::string_view text) {
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    std::string_view line = trim(text.substr(0, end));
    if (!line.empty()) return line.size() >= 2 && line.front() == '{' && line.back() == '}';
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return false;
}

// One import call: its transaction, committed every kCommitEvery records, and the report it fills.
class ImportRun {
 public:
  ImportRun(Database& db, const std::string& source, ImportReport& report, std::string added)
      : db_(db), source_(source), report_(report), added_(std::move(added)) {}

  const std::string& added() const { return added_; }

  void bad_record(const std::string& position, const std::string& message) {
    report_.problems.push_back({source_, position, message});
    ++report_.skipped;
  }
  // A problem with the whole file: nothing of it loads, and no record is counted.
  void bad_file(const std::string& position, const std::string& message) {
    report_.problems.push_back({source_, position, message});
  }

  Status begin() {
    if (transaction_) return Status::OK();
    auto transaction = Transaction::begin(db_);
    if (!transaction.ok()) return transaction.error();
    transaction_ = std::move(*transaction);
    return Status::OK();
  }

  Status loaded(Kind kind) {
    ++(kind == Kind::Contact ? pending_contacts_ : pending_interactions_);
    if (pending_contacts_ + pending_interactions_ >= kCommitEvery) return commit();
    return Status::OK();
  }

  // Counts reach the report only once committed, so after a failure it tells what is really stored.
  Status commit() {
    if (!transaction_) return Status::OK();
    CORTEX_RETURN_IF_ERROR(transaction_->commit());
    transaction_.reset();
    report_.contacts += pending_contacts_;
    report_.interactions += pending_interactions_;
    pending_contacts_ = pending_interactions_ = 0;
    return Status::OK();
  }

 private:
  Database& db_;
  const std::string& source_;
  ImportReport& report_;
  std::string added_;
  std::unique_ptr<Transaction> transaction_;
  std::int64_t pending_contacts_ = 0;
  std::int64_t pending_interactions_ = 0;
};

}  // namespace

std::optional<std::string> stored_json(const json& value) {
  if (!within_depth(value, 0)) return std::nullopt;
  json copy = value;
  strip_defaults(copy);
  return copy.dump(-1, ' ', false, json::error_handler_t::replace);
}

class CollectionImporter::Impl {
 public:
  Impl(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  Status import_text(std::string_view text, const std::string& source, ImportReport& report) {
    CORTEX_RETURN_IF_ERROR(prepare());
    ImportRun run(db_, source, report, format_timestamp(clock_.now()));
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // a UTF-8 byte order mark
    Status status = import_document(text, run);
    if (status.ok()) status = run.commit();
    if (!status.ok()) return status.error().with_context("importing " + source);
    return Status::OK();
  }

 private:
  Status import_document(std::string_view text, ImportRun& run) {
    auto parsed = parse_json(text);
    if (auto* failure = std::get_if<ParseFailure>(&parsed)) {
      if (looks_like_ndjson(text)) return import_lines(text, run);
      run.bad_file(line_at(text, failure->byte), "malformed JSON, nothing loaded: " + failure->message);
      return Status::OK();
    }
    const json& doc = std::get<json>(parsed);
    if (doc.is_array()) return import_array(doc, Kind::Unknown, run);
    if (doc.is_object()) {
      const json* value = member(doc, "value");
      if (value && value->is_array()) return import_array(*value, kind_from_context(doc), run);
      return import_record(doc, Kind::Unknown, "record 1", run);
    }
    run.bad_file("line 1", "the file holds neither a JSON object nor an array, nothing loaded");
    return Status::OK();
  }

  Status import_array(const json& records, Kind envelope_kind, ImportRun& run) {
    for (std::size_t i = 0; i < records.size(); ++i) {
      CORTEX_RETURN_IF_ERROR(import_record(records[i], envelope_kind, "record " + std::to_string(i + 1), run));
    }
    return Status::OK();
  }

  Status import_lines(std::string_view text, ImportRun& run) {
    std::size_t line_number = 0;
    for (std::size_t pos = 0; pos < text.size();) {
      std::size_t end = std::min(text.find('\n', pos), text.size());
      std::string_view line = trim(text.substr(pos, end - pos));
      pos = end + 1;
      ++line_number;
      if (line.empty()) continue;
      std::string position = "line " + std::to_string(line_number);
      auto parsed = parse_json(line);
      if (auto* failure = std::get_if<ParseFailure>(&parsed)) {
        run.bad_record(position, "malformed JSON: " + failure->message);
        continue;
      }
      CORTEX_RETURN_IF_ERROR(import_record(std::get<json>(parsed), Kind::Unknown, position, run));
    }
    return Status::OK();
  }

  Status import_record(const json& record, Kind envelope_kind, const std::string& position, ImportRun& run) {
    if (!record.is_object()) {
      run.bad_record(position, "not a JSON object: " + excerpt(record));
      return Status::OK();
    }
    Kind kind = kind_of(record, envelope_kind);
    if (kind == Kind::Interaction) {
      auto row = read_interaction(record);
      if (!row.ok()) {
        run.bad_record(position, "interaction: " + row.error().message);
        return Status::OK();
      }
      CORTEX_RETURN_IF_ERROR(run.begin());
      CORTEX_RETURN_IF_ERROR(write_interaction(*row, run.added()));
      return run.loaded(kind);
    }
    auto row = read_contact(record);
    if (!row.ok()) {
      run.bad_record(position, "contact: " + row.error().message);
      return Status::OK();
    }
    CORTEX_RETURN_IF_ERROR(run.begin());
    auto conflict = identifier_conflict(*row);
    if (!conflict.ok()) return conflict.error();
    if (!conflict->empty()) {
      run.bad_record(position, "contact: " + *conflict);
      return Status::OK();
    }
    CORTEX_RETURN_IF_ERROR(write_contact(*row, run.added()));
    return run.loaded(kind);
  }

  // An identifier names one contact; a record claiming another contact's identifier is refused, not merged.
  Result<std::string> identifier_conflict(const ContactRow& row) {
    for (std::size_t i = 0; i < row.identifiers.size(); ++i) {
      const auto& id = row.identifiers[i];
      identifier_owner_.bind(1, id.source).bind(2, id.identifier);
      auto found = identifier_owner_.step();
      if (!found.ok()) return found.error();
      std::string owner = *found ? identifier_owner_.text(0) : row.id;
      identifier_owner_.reset();
      if (owner != row.id) {
        return "Identifiers[" + std::to_string(i) + "]: " + id.source + " \"" + id.identifier +
               "\" already belongs to contact " + owner;
      }
    }
    return std::string();
  }

  Status write_contact(const ContactRow& row, const std::string& added) {
    upsert_contact_.bind(1, row.id)
        .bind(2, text_of(row.created))
        .bind(3, text_of(row.last_modified))
        .bind(4, row.concurrency_token)
        .bind(5, row.percentile)
        .bind(6, added);
    auto seq = upserted_seq(upsert_contact_);
    if (!seq.ok()) return seq.error();
    delete_identifiers_.bind(1, *seq);
    CORTEX_RETURN_IF_ERROR(delete_identifiers_.run());
    for (const auto& id : row.identifiers) {
      insert_identifier_.bind(1, *seq).bind(2, id.source).bind(3, id.identifier).bind(4, id.type);
      CORTEX_RETURN_IF_ERROR(insert_identifier_.run());
    }
    return replace_facets(delete_contact_facets_, insert_contact_facet_, *seq, row.facets);
  }

  Status write_interaction(const InteractionRow& row, const std::string& added) {
    upsert_interaction_.bind(1, row.id)
        .bind(2, row.contact_id)
        .bind(3, format_timestamp(row.start))
        .bind(4, text_of(row.end))
        .bind(5, row.duration_ticks)
        .bind(6, text_of(row.last_modified))
        .bind(7, row.channel_id)
        .bind(8, row.initiator)
        .bind(9, row.user_agent)
        .bind(10, row.campaign_id)
        .bind(11, row.venue_id)
        .bind(12, row.device_profile_id)
        .bind(13, row.concurrency_token)
        .bind(14, row.engagement_value)
        .bind(15, row.events)
        .bind(16, row.percentile)
        .bind(17, added);
    auto seq = upserted_seq(upsert_interaction_);
    if (!seq.ok()) return seq.error();
    return replace_facets(delete_interaction_facets_, insert_interaction_facet_, *seq, row.facets);
  }

  static Result<std::int64_t> upserted_seq(Statement& upsert) {
    auto row = upsert.step();
    if (!row.ok()) return row.error();
    if (!*row) return make_error(ErrorCode::Internal, "an upsert returned no Seq");
    std::int64_t seq = upsert.int64(0);
    upsert.reset();
    return seq;
  }

  static Status replace_facets(Statement& remove, Statement& insert, std::int64_t seq,
                               const std::vector<Facet>& facets) {
    remove.bind(1, seq);
    CORTEX_RETURN_IF_ERROR(remove.run());
    for (const auto& facet : facets) {
      insert.bind(1, seq).bind(2, facet.key).bind(3, facet.data);
      CORTEX_RETURN_IF_ERROR(insert.run());
    }
    return Status::OK();
  }

  Status prepare() {
    if (prepared_) return Status::OK();
    // On re-import Seq and Added stay, and so does Percentile: SPEC 4 fixes it when the record is first written.
    const std::pair<Statement*, const char*> statements[] = {
        {&identifier_owner_,
         "SELECT c.Id FROM ContactIdentifiers i JOIN Contacts c ON c.Seq = i.ContactSeq "
         "WHERE i.Source = ?1 AND i.Identifier = ?2"},
        {&upsert_contact_,
         "INSERT INTO Contacts (Id, Created, LastModified, ConcurrencyToken, Percentile, Added) "
         "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(Id) DO UPDATE SET Created = excluded.Created, "
         "LastModified = excluded.LastModified, ConcurrencyToken = excluded.ConcurrencyToken RETURNING Seq"},
        {&delete_identifiers_, "DELETE FROM ContactIdentifiers WHERE ContactSeq = ?1"},
        {&insert_identifier_,
         "INSERT INTO ContactIdentifiers (ContactSeq, Source, Identifier, IdentifierType) VALUES (?1, ?2, ?3, ?4)"},
        {&delete_contact_facets_, "DELETE FROM ContactFacets WHERE ContactSeq = ?1"},
        {&insert_contact_facet_, "INSERT INTO ContactFacets (ContactSeq, FacetKey, Data) VALUES (?1, ?2, ?3)"},
        {&upsert_interaction_,
         "INSERT INTO Interactions (Id, ContactId, StartDateTime, EndDateTime, DurationTicks, LastModified, ChannelId, "
         "Initiator, UserAgent, CampaignId, VenueId, DeviceProfileId, ConcurrencyToken, EngagementValue, Events, "
         "Percentile, Added) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) "
         "ON CONFLICT(Id) DO UPDATE SET ContactId = excluded.ContactId, StartDateTime = excluded.StartDateTime, "
         "EndDateTime = excluded.EndDateTime, DurationTicks = excluded.DurationTicks, "
         "LastModified = excluded.LastModified, ChannelId = excluded.ChannelId, Initiator = excluded.Initiator, "
         "UserAgent = excluded.UserAgent, CampaignId = excluded.CampaignId, VenueId = excluded.VenueId, "
         "DeviceProfileId = excluded.DeviceProfileId, ConcurrencyToken = excluded.ConcurrencyToken, "
         "EngagementValue = excluded.EngagementValue, Events = excluded.Events RETURNING Seq"},
        {&delete_interaction_facets_, "DELETE FROM InteractionFacets WHERE InteractionSeq = ?1"},
        {&insert_interaction_facet_,
         "INSERT INTO InteractionFacets (InteractionSeq, FacetKey, Data) VALUES (?1, ?2, ?3)"},
    };
    for (const auto& [target, sql] : statements) {
      auto statement = db_.prepare(sql);
      if (!statement.ok()) return statement.error();
      *target = std::move(*statement);
    }
    prepared_ = true;
    return Status::OK();
  }

  Database& db_;
  const Clock& clock_;
  bool prepared_ = false;
  Statement identifier_owner_, upsert_contact_, delete_identifiers_, insert_identifier_, delete_contact_facets_,
      insert_contact_facet_, upsert_interaction_, delete_interaction_facets_, insert_interaction_facet_;
};

CollectionImporter::CollectionImporter(Database& collection, const Clock& clock)
    : impl_(std::make_unique<Impl>(collection, clock)) {}

CollectionImporter::~CollectionImporter() = default;

Status CollectionImporter::import_text(std::string_view text, const std::string& source_name, ImportReport& report) {
  return impl_->import_text(text, source_name, report);
}

Status CollectionImporter::import_file(const std::string& path, ImportReport& report) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    return make_error(ec == std::errc::no_such_file_or_directory ? ErrorCode::NotFound : ErrorCode::IOError,
                      "cannot read " + path + ": " + ec.message());
  }
  std::ifstream in(path, std::ios::binary);
  std::string text(size, '\0');
  if (!in || !in.read(text.data(), static_cast<std::streamsize>(size))) {
    return make_error(ErrorCode::IOError, "cannot read " + path);
  }
  return import_text(text, path, report);
}

}  // namespace cortex
