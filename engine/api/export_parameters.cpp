// Export request parameters: body decoding (JSON or form), the rules of SPEC 2.1, all errors at once.
#include "api/export_parameters.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

#include "api/form_decoding.h"

namespace cortex {
namespace {

using nlohmann::json;

std::string lower_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string_view trim(std::string_view text) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// Echoing client text back is useful for typos; bounding it keeps error bodies small.
std::string clip(std::string_view text) {
  constexpr std::size_t limit = 100;
  if (text.size() <= limit) return std::string(text);
  std::size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // keep UTF-8 whole
  return std::string(text.substr(0, cut)) + "...";
}

// A parameter as the body gave it. Form values arrive as JSON strings, so one reader serves both.
struct RawParameter {
  std::string name;
  json value;
};

enum class Kind { Integer, Percentile, Profile };
enum class Field { BatchSize, DefaultSplitItemCount, ExpiresAfterHours, StorageProfile, Cutoff, StartPercentile, EndPercentile };

struct Rule {
  const char* name;
  Field field;
  Kind kind;
  bool nullable;
  std::int64_t min;
  std::int64_t max;
};

constexpr Rule kBatchSize{"BatchSize", Field::BatchSize, Kind::Integer, false, 1, 100'000};
constexpr Rule kDefaultSplitItemCount{"DefaultSplitItemCount", Field::DefaultSplitItemCount, Kind::Integer, false, 1, 10'000'000};
constexpr Rule kExpiresAfterHours{"ExpiresAfterHours", Field::ExpiresAfterHours, Kind::Integer, false, 0, 87'600};
constexpr Rule kStorageProfile{"StorageProfile", Field::StorageProfile, Kind::Profile, false, 0, 0};
constexpr Rule kStartedDaysCutoff{"StartedDaysCutoff", Field::Cutoff, Kind::Integer, true, 0, 2'147'483'647};
constexpr Rule kCutoffDays{"CutoffDays", Field::Cutoff, Kind::Integer, true, 0, 2'147'483'647};
constexpr Rule kStartPercentile{"StartPercentile", Field::StartPercentile, Kind::Percentile, true, 0, 1};
constexpr Rule kEndPercentile{"EndPercentile", Field::EndPercentile, Kind::Percentile, true, 0, 1};

std::vector<Rule> rules_for(ExportKind kind) {
  return {kBatchSize,         kDefaultSplitItemCount,
          kExpiresAfterHours, kStorageProfile,
          kind == ExportKind::Interactions ? kStartedDaysCutoff : kCutoffDays,
          kStartPercentile,   kEndPercentile};
}

std::string rule_text(const Rule& rule) {
  std::string prefix = rule.nullable ? "must be null or " : "must be ";
  if (rule.kind == Kind::Percentile) return prefix + "a number between 0 and 1";
  return prefix + "an integer between " + std::to_string(rule.min) + " and " + std::to_string(rule.max);
}

// A JSON string counts as null when empty (as an empty form field does): one rule for both encodings.
bool is_null_value(const json& value) {
  return value.is_null() || (value.is_string() && trim(value.get_ref<const std::string&>()).empty());
}

std::optional<std::int64_t> read_integer(const json& value) {
  if (value.is_number_integer() && !value.is_number_unsigned()) return value.get<std::int64_t>();
  if (value.is_number_unsigned()) {
    auto u = value.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
    return static_cast<std::int64_t>(u);
  }
  if (value.is_number_float()) {
    // JSON does not tell 1 from 1.0; an integral value is an integer. Bounds keep the cast defined.
    double d = value.get<double>();
    if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9.0e15) return std::nullopt;
    return static_cast<std::int64_t>(d);
  }
  if (value.is_string()) {
    std::string_view text = trim(value.get_ref<const std::string&>());
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    std::int64_t out = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return out;
  }
  return std::nullopt;  // booleans, objects, arrays
}

std::optional<double> read_number(const json& value) {
  double out = 0;
  if (value.is_number()) {
    out = value.get<double>();
  } else if (value.is_string()) {
    std::string_view text = trim(value.get_ref<const std::string&>());
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  } else {
    return std::nullopt;
  }
  if (!std::isfinite(out)) return std::nullopt;  // "NaN", "Infinity", overflow
  return out + 0.0;                              // -0 reads as 0
}

// Rewrites number tokens (outside strings) whose value overflows a double as "[]".
std::string replace_overflowing_numbers(std::string_view body) {
  std::string out;
  out.reserve(body.size());
  std::size_t i = 0;
  while (i < body.size()) {
    char c = body[i];
    if (c == '"') {
      std::size_t end = i + 1;
      while (end < body.size() && body[end] != '"') end += body[end] == '\\' ? 2 : 1;
      end = std::min(end + 1, body.size());
      out.append(body.substr(i, end - i));
      i = end;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      std::size_t end = i;
      while (end < body.size() && std::string_view("0123456789+-.eE").find(body[end]) != std::string_view::npos) ++end;
      std::string token(body.substr(i, end - i));
      double value = std::strtod(token.c_str(), nullptr);
      out += std::isinf(value) ? std::string("[]") : token;
      i = end;
    } else {
      out.push_back(c);
      ++i;
    }
  }
  return out;
}

Result<std::vector<RawParameter>> read_json_body(std::string_view body) {
  std::vector<RawParameter> out;
  if (trim(body).empty()) return out;
  // nlohmann keeps one value per key; the callback sees every top-level key so duplicates are caught.
  std::vector<std::string> keys;
  json::parser_callback_t record_keys = [&keys](int depth, json::parse_event_t event, json& parsed) {
    if (depth == 1 && event == json::parse_event_t::key) keys.push_back(parsed.get<std::string>());
    return true;
  };
  json document;
  try {
    try {
      document = json::parse(body, record_keys);
    } catch (const json::out_of_range&) {
      // nlohmann refuses numbers beyond double range (1e400) without saying where. They are valid
      // JSON, and a wrong value for any parameter: read them as [] so they become parameter errors.
      keys.clear();
      document = json::parse(replace_overflowing_numbers(body), record_keys);
    }
  } catch (const json::parse_error& e) {
    return make_error(ErrorCode::InvalidArgument,
                      "the body is not valid JSON (at byte " + std::to_string(e.byte) + ")");
  } catch (const json::exception&) {
    return make_error(ErrorCode::InvalidArgument, "the body is not valid JSON");
  }
  if (!document.is_object()) return make_error(ErrorCode::InvalidArgument, "the body must be a JSON object");
  std::set<std::string> seen;
  for (const auto& key : keys) {
    bool repeat = !seen.insert(key).second;
    // The value of an exactly repeated key is gone; the duplicate is an error either way.
    out.push_back({key, repeat ? json(nullptr) : document.at(key)});
  }
  return out;
}

Result<std::vector<RawParameter>> read_form_body(std::string_view body) {
  // curl -d sends form encoding unless told otherwise: a JSON body here is almost always that mistake.
  auto first = body.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && (body[first] == '{' || body[first] == '[')) {
    return make_error(ErrorCode::InvalidArgument,
                      "The body looks like JSON but was sent as application/x-www-form-urlencoded; "
                      "send it with Content-Type: application/json");
  }
  auto fields = decode_form(body);
  if (!fields.ok()) return fields.error();
  std::vector<RawParameter> out;
  for (auto& [name, value] : fields.value()) out.push_back({std::move(name), json(std::move(value))});
  return out;
}

std::string known_names(const std::vector<Rule>& rules) {
  std::string out;
  for (const auto& r : rules) out += (out.empty() ? "" : ", ") + std::string(r.name);
  return out;
}

}  // namespace

std::optional<BodyEncoding> body_encoding(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  std::string type = lower_ascii(trim(media));
  std::optional<BodyEncoding> encoding;
  if (type == "application/json") encoding = BodyEncoding::Json;
  else if (type == "application/x-www-form-urlencoded") encoding = BodyEncoding::Form;
  else return std::nullopt;
  // Parameters: only charset matters, and only UTF-8 (or plain ASCII) is read correctly.
  std::size_t pos = content_type.find(';');
  while (pos != std::string_view::npos) {
    std::size_t next = content_type.find(';', pos + 1);
    std::string_view param = trim(content_type.substr(pos + 1, next == std::string_view::npos ? next : next - pos - 1));
    std::size_t eq = param.find('=');
    if (eq != std::string_view::npos && lower_ascii(trim(param.substr(0, eq))) == "charset") {
      std::string_view charset = trim(param.substr(eq + 1));
      if (charset.size() >= 2 && charset.front() == '"' && charset.back() == '"')
        charset = charset.substr(1, charset.size() - 2);
      std::string cs = lower_ascii(charset);
      if (cs != "utf-8" && cs != "utf8" && cs != "us-ascii") return std::nullopt;
    }
    pos = next;
  }
  return encoding;
}

ExportRequestOutcome parse_export_request(ExportKind kind, std::string_view content_type, std::string_view body,
                                          const ProfileNameLookup& canonical_profile_name,
                                          bool storage_profile_required) {
  ExportRequestOutcome outcome;
  // A bodiless POST (curl -X POST) deserves the parameter errors, not a media type complaint.
  std::optional<BodyEncoding> encoding =
      trim(content_type).empty() && body.empty() ? std::optional(BodyEncoding::Json) : body_encoding(content_type);
  if (!encoding) {
    outcome.unsupported_media_type = "the body must be application/json or application/x-www-form-urlencoded (UTF-8)";
    return outcome;
  }
  auto raw = *encoding == BodyEncoding::Json ? read_json_body(body) : read_form_body(body);
  if (!raw.ok()) {
    outcome.bad_request = raw.error().message;
    return outcome;
  }

  const std::vector<Rule> rules = rules_for(kind);
  std::vector<ParameterError>& errors = outcome.errors;
  // For each rule: the given value (first occurrence) and whether it was given more than once.
  std::vector<const json*> given(rules.size(), nullptr);
  std::vector<int> count(rules.size(), 0);
  // A body of thousands of unknown names would otherwise earn an answer many times its size.
  constexpr std::size_t kListedUnknown = 20;
  std::size_t unknown = 0;
  std::optional<std::string> first_unlisted;
  for (const auto& p : raw.value()) {
    std::string lower = lower_ascii(p.name);
    bool known = false;
    for (std::size_t i = 0; i < rules.size(); ++i) {
      if (lower_ascii(rules[i].name) != lower) continue;
      known = true;
      if (count[i]++ == 0) given[i] = &p.value;
      else if (count[i] == 2) errors.push_back({rules[i].name, "is given more than once"});
    }
    if (known) continue;
    if (++unknown <= kListedUnknown)
      errors.push_back({clip(p.name), "is not a parameter of this request (known: " + known_names(rules) + ")"});
    else if (!first_unlisted)
      first_unlisted = clip(p.name);
  }
  if (first_unlisted) {
    errors.push_back({*first_unlisted, "is not a parameter of this request; " + std::to_string(unknown - kListedUnknown - 1) +
                                           " more unknown parameters are not listed"});
  }

  ExportOptions options;
  options.kind = kind;
  // Whether each percentile was given with a non-null value, valid or not: pairing is about presence.
  bool start_given = false, end_given = false;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const Rule& rule = rules[i];
    const json* value = given[i];
    bool present = value != nullptr && !is_null_value(*value);
    if (rule.field == Field::StartPercentile) start_given = present;
    if (rule.field == Field::EndPercentile) end_given = present;
    if (count[i] > 1) continue;  // already reported; which value would count is ambiguous

    if (rule.kind == Kind::Profile) {
      if (value == nullptr || value->is_null() || (value->is_string() && trim(value->get<std::string>()).empty())) {
        if (storage_profile_required) errors.push_back({rule.name, "is required: the name of a registered storage profile"});
        continue;
      }
      if (!value->is_string()) {
        errors.push_back({rule.name, "must be a string naming a registered storage profile"});
        continue;
      }
      std::string name(trim(value->get<std::string>()));
      auto canonical = canonical_profile_name(name);
      if (!canonical) errors.push_back({rule.name, "'" + clip(name) + "' is not a registered storage profile"});
      else options.storage_profile = *canonical;
      continue;
    }

    if (value == nullptr) continue;  // not given: the default stands
    if (is_null_value(*value)) {
      if (!rule.nullable) errors.push_back({rule.name, rule_text(rule) + ", not null"});
      continue;
    }
    if (rule.kind == Kind::Integer) {
      auto n = read_integer(*value);
      if (!n || *n < rule.min || *n > rule.max) {
        errors.push_back({rule.name, rule_text(rule)});
        continue;
      }
      if (rule.field == Field::BatchSize) options.batch_size = *n;
      else if (rule.field == Field::DefaultSplitItemCount) options.default_split_item_count = *n;
      else if (rule.field == Field::ExpiresAfterHours) options.expires_after_hours = *n;
      else options.cutoff_days = *n;
    } else {
      auto d = read_number(*value);
      if (!d || *d < 0.0 || *d > 1.0) {
        errors.push_back({rule.name, rule_text(rule)});
        continue;
      }
      (rule.field == Field::StartPercentile ? options.start_percentile : options.end_percentile) = *d;
    }
  }

  if (start_given && !end_given) errors.push_back({kEndPercentile.name, "must be given together with StartPercentile"});
  if (end_given && !start_given) errors.push_back({kStartPercentile.name, "must be given together with EndPercentile"});
  if (options.start_percentile && options.end_percentile && !(*options.end_percentile > *options.start_percentile))
    errors.push_back({kEndPercentile.name, "must be greater than StartPercentile"});

  if (errors.empty()) outcome.options = std::move(options);
  return outcome;
}

}  // namespace cortex
