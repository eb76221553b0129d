// The rules of SPEC 2.1 at their boundaries, in both body encodings.
#include "api/export_parameters.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

namespace cortex {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;
using Fields = std::vector<std::pair<std::string, json>>;

constexpr const char* kJson = "application/json";
constexpr const char* kForm = "application/x-www-form-urlencoded";

std::optional<std::string> lookup(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "localexports") return "LocalExports";
  if (lower == "my profile") return "My Profile";
  return std::nullopt;
}

std::string percent_encode(const std::string& text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

enum class Encoding { Json, Form };

// Builds a body in the given encoding. In a form, JSON null becomes an empty value, strings go raw.
std::string body_of(Encoding encoding, const Fields& fields) {
  if (encoding == Encoding::Json) {
    // Built by hand (not via json) so that a test can repeat a key.
    std::string out = "{";
    for (const auto& [name, value] : fields) {
      if (out.size() > 1) out += ',';
      out += json(name).dump();
      out += ':';
      out += value.dump();
    }
    out += '}';
    return out;
  }
  std::string out;
  for (const auto& [name, value] : fields) {
    std::string text = value.is_null() ? "" : value.is_string() ? value.get<std::string>() : value.dump();
    if (!out.empty()) out += '&';
    out += percent_encode(name);
    out += '=';
    out += percent_encode(text);
  }
  return out;
}

ExportRequestOutcome parse(ExportKind kind, std::string_view content_type, std::string_view body,
                           bool profile_required = true) {
  return parse_export_request(kind, content_type, body, lookup, profile_required);
}

ExportRequestOutcome parse_json(std::string_view body, ExportKind kind = ExportKind::Interactions) {
  return parse(kind, kJson, body);
}

std::string describe(const ExportRequestOutcome& o) {
  std::string out;
  if (o.bad_request) out += "bad_request: " + *o.bad_request + "; ";
  if (o.unsupported_media_type) out += "unsupported: " + *o.unsupported_media_type + "; ";
  for (const auto& e : o.errors) out += e.parameter + ": " + e.error + "; ";
  return out;
}

class BothEncodings : public ::testing::TestWithParam<Encoding> {
 protected:
  ExportRequestOutcome run(Fields fields, ExportKind kind = ExportKind::Interactions, bool profile_required = true) {
    return parse(kind, GetParam() == Encoding::Json ? kJson : kForm, body_of(GetParam(), fields), profile_required);
  }
  // Runs with a valid StorageProfile added, so the only errors are the ones under test.
  ExportRequestOutcome run_with_profile(Fields fields, ExportKind kind = ExportKind::Interactions) {
    fields.insert(fields.begin(), {"StorageProfile", "LocalExports"});
    return run(fields, kind);
  }
  void expect_only_error(const ExportRequestOutcome& o, const std::string& parameter) {
    ASSERT_FALSE(o.options) << describe(o);
    ASSERT_FALSE(o.bad_request) << describe(o);
    ASSERT_EQ(o.errors.size(), 1u) << describe(o);
    EXPECT_EQ(o.errors[0].parameter, parameter) << describe(o);
  }
};

INSTANTIATE_TEST_SUITE_P(Encodings, BothEncodings, ::testing::Values(Encoding::Json, Encoding::Form),
                         [](const auto& info) { return info.param == Encoding::Json ? "Json" : "Form"; });

TEST_P(BothEncodings, AppliesDefaultsWhenOnlyProfileGiven) {
  auto o = run({{"StorageProfile", "LocalExports"}});
  ASSERT_TRUE(o.options) << describe(o);
  EXPECT_EQ(o.options->kind, ExportKind::Interactions);
  EXPECT_EQ(o.options->batch_size, 100);
  EXPECT_EQ(o.options->default_split_item_count, 100);
  EXPECT_EQ(o.options->expires_after_hours, 24);
  EXPECT_EQ(o.options->storage_profile, "LocalExports");
  EXPECT_FALSE(o.options->cutoff_days);
  EXPECT_FALSE(o.options->start_percentile);
  EXPECT_FALSE(o.options->end_percentile);
}

TEST_P(BothEncodings, StoresCanonicalProfileName) {
  auto o = run({{"StorageProfile", "LOCALEXPORTS"}});
  ASSERT_TRUE(o.options) << describe(o);
  EXPECT_EQ(o.options->storage_profile, "LocalExports");
}

TEST_P(BothEncodings, ReadsEveryParameter) {
  auto o = run({{"BatchSize", 7},
                {"DefaultSplitItemCount", 9},
                {"ExpiresAfterHours", 0},
                {"StorageProfile", "LocalExports"},
                {"StartedDaysCutoff", 30},
                {"StartPercentile", 0.25},
                {"EndPercentile", 0.5}});
  ASSERT_TRUE(o.options) << describe(o);
  EXPECT_EQ(o.options->batch_size, 7);
  EXPECT_EQ(o.options->default_split_item_count, 9);
  EXPECT_EQ(o.options->expires_after_hours, 0);
  EXPECT_EQ(o.options->cutoff_days, 30);
  EXPECT_EQ(o.options->start_percentile, 0.25);
  EXPECT_EQ(o.options->end_percentile, 0.5);
}

TEST_P(BothEncodings, BatchSizeBoundaries) {
  expect_only_error(run_with_profile({{"BatchSize", 0}}), "BatchSize");
  EXPECT_EQ(run_with_profile({{"BatchSize", 1}}).options->batch_size, 1);
  EXPECT_EQ(run_with_profile({{"BatchSize", 100000}}).options->batch_size, 100000);
  auto over = run_with_profile({{"BatchSize", 100001}});
  expect_only_error(over, "BatchSize");
  EXPECT_EQ(over.errors[0].error, "must be an integer between 1 and 100000");
}

TEST_P(BothEncodings, DefaultSplitItemCountBoundaries) {
  expect_only_error(run_with_profile({{"DefaultSplitItemCount", 0}}), "DefaultSplitItemCount");
  EXPECT_EQ(run_with_profile({{"DefaultSplitItemCount", 1}}).options->default_split_item_count, 1);
  EXPECT_EQ(run_with_profile({{"DefaultSplitItemCount", 10000000}}).options->default_split_item_count, 10000000);
  auto over = run_with_profile({{"DefaultSplitItemCount", 10000001}});
  expect_only_error(over, "DefaultSplitItemCount");
  EXPECT_EQ(over.errors[0].error, "must be an integer between 1 and 10000000");
}

TEST_P(BothEncodings, ExpiresAfterHoursBoundaries) {
  expect_only_error(run_with_profile({{"ExpiresAfterHours", -1}}), "ExpiresAfterHours");
  EXPECT_EQ(run_with_profile({{"ExpiresAfterHours", 0}}).options->expires_after_hours, 0);
  EXPECT_EQ(run_with_profile({{"ExpiresAfterHours", 87600}}).options->expires_after_hours, 87600);
  expect_only_error(run_with_profile({{"ExpiresAfterHours", 87601}}), "ExpiresAfterHours");
}

TEST_P(BothEncodings, StartedDaysCutoffBoundaries) {
  expect_only_error(run_with_profile({{"StartedDaysCutoff", -1}}), "StartedDaysCutoff");
  EXPECT_EQ(run_with_profile({{"StartedDaysCutoff", 0}}).options->cutoff_days, 0);
  EXPECT_EQ(run_with_profile({{"StartedDaysCutoff", 2147483647}}).options->cutoff_days, 2147483647);
  auto over = run_with_profile({{"StartedDaysCutoff", 2147483648LL}});
  expect_only_error(over, "StartedDaysCutoff");
  EXPECT_EQ(over.errors[0].error, "must be null or an integer between 0 and 2147483647");
}

TEST_P(BothEncodings, ContactsTakeCutoffDays) {
  auto o = run_with_profile({{"CutoffDays", 2147483647}}, ExportKind::Contacts);
  ASSERT_TRUE(o.options) << describe(o);
  EXPECT_EQ(o.options->kind, ExportKind::Contacts);
  EXPECT_EQ(o.options->cutoff_days, 2147483647);
  expect_only_error(run_with_profile({{"CutoffDays", -1}}, ExportKind::Contacts), "CutoffDays");
  expect_only_error(run_with_profile({{"CutoffDays", 2147483648LL}}, ExportKind::Contacts), "CutoffDays");
}

TEST_P(BothEncodings, CutoffNameBelongsToItsKind) {
  expect_only_error(run_with_profile({{"StartedDaysCutoff", 1}}, ExportKind::Contacts), "StartedDaysCutoff");
  expect_only_error(run_with_profile({{"CutoffDays", 1}}, ExportKind::Interactions), "CutoffDays");
}

TEST_P(BothEncodings, AcceptsPercentileRangeEnds) {
  auto o = run_with_profile({{"StartPercentile", 0}, {"EndPercentile", 1}});
  ASSERT_TRUE(o.options) << describe(o);
  EXPECT_EQ(o.options->start_percentile, 0.0);
  EXPECT_EQ(o.options->end_percentile, 1.0);
}

TEST_P(BothEncodings, RejectsPercentilesOutsideZeroToOne) {
  auto below = run_with_profile({{"StartPercentile", -0.01}, {"EndPercentile", 0.5}});
  expect_only_error(below, "StartPercentile");
  EXPECT_EQ(below.errors[0].error, "must be null or a number between 0 and 1");
  expect_only_error(run_with_profile({{"StartPercentile", 0.5}, {"EndPercentile", 1.01}}), "EndPercentile");
}

TEST_P(BothEncodings, RejectsStartPercentileWithoutEnd) {
  auto o = run_with_profile({{"StartPercentile", 0.2}});
  expect_only_error(o, "EndPercentile");
  EXPECT_EQ(o.errors[0].error, "must be given together with StartPercentile");
  expect_only_error(run_with_profile({{"StartPercentile", 0.2}, {"EndPercentile", nullptr}}), "EndPercentile");
}

TEST_P(BothEncodings, RejectsEndPercentileWithoutStart) {
  expect_only_error(run_with_profile({{"EndPercentile", 0.2}}), "StartPercentile");
}

TEST_P(BothEncodings, RejectsStartPercentileEqualToEnd) {
  auto o = run_with_profile({{"StartPercentile", 0.5}, {"EndPercentile", 0.5}});
  expect_only_error(o, "EndPercentile");
  EXPECT_EQ(o.errors[0].error, "must be greater than StartPercentile");
}

TEST_P(BothEncodings, RejectsStartPercentileAboveEnd) {
  expect_only_error(run_with_profile({{"StartPercentile", 0.6}, {"EndPercentile", 0.5}}), "EndPercentile");
}

TEST_P(BothEncodings, NullOnNullableParametersMeansNotGiven) {
  auto o = run_with_profile({{"StartedDaysCutoff", nullptr}, {"StartPercentile", nullptr}, {"EndPercentile", nullptr}});
  ASSERT_TRUE(o.options) << describe(o);
  EXPECT_FALSE(o.options->cutoff_days);
  EXPECT_FALSE(o.options->start_percentile);
}

TEST_P(BothEncodings, NullOnNonNullableParameterIsAnError) {
  auto o = run_with_profile({{"BatchSize", nullptr}});
  expect_only_error(o, "BatchSize");
  EXPECT_EQ(o.errors[0].error, "must be an integer between 1 and 100000, not null");
  expect_only_error(run({{"StorageProfile", nullptr}}), "StorageProfile");
}

TEST_P(BothEncodings, MatchesNamesCaseInsensitively) {
  auto o = run({{"storageprofile", "LocalExports"}, {"BATCHSIZE", 5}, {"startPercentile", 0.1}, {"endpercentile", 0.2}});
  ASSERT_TRUE(o.options) << describe(o);
  EXPECT_EQ(o.options->batch_size, 5);
  EXPECT_EQ(o.options->end_percentile, 0.2);
}

TEST_P(BothEncodings, RejectsUnknownParameterNamingIt) {
  auto o = run_with_profile({{"StartPercentil", 0.1}});
  expect_only_error(o, "StartPercentil");
  EXPECT_NE(o.errors[0].error.find("is not a parameter"), std::string::npos);
  EXPECT_NE(o.errors[0].error.find("StartPercentile"), std::string::npos) << "lists the known names";
}

TEST_P(BothEncodings, ListsAtMostTwentyUnknownNamesThenSummarises) {
  Fields fields{{"StorageProfile", "LocalExports"}};
  for (int i = 0; i < 30; ++i) fields.push_back({"Unknown" + std::to_string(i), 1});
  auto o = run(fields);
  ASSERT_EQ(o.errors.size(), 21u) << describe(o);
  EXPECT_EQ(o.errors[19].parameter, "Unknown19");
  EXPECT_EQ(o.errors[20].parameter, "Unknown20");
  EXPECT_NE(o.errors[20].error.find("9 more unknown parameters"), std::string::npos) << o.errors[20].error;
}

TEST_P(BothEncodings, RejectsParameterGivenTwiceInDifferentCase) {
  auto o = run_with_profile({{"BatchSize", 5}, {"batchsize", 6}});
  expect_only_error(o, "BatchSize");
  EXPECT_EQ(o.errors[0].error, "is given more than once");
}

TEST_P(BothEncodings, RejectsUnregisteredProfile) {
  auto o = run({{"StorageProfile", "Nowhere"}});
  expect_only_error(o, "StorageProfile");
  EXPECT_EQ(o.errors[0].error, "'Nowhere' is not a registered storage profile");
}

TEST_P(BothEncodings, RequiresStorageProfile) {
  auto o = run({{"BatchSize", 5}});
  expect_only_error(o, "StorageProfile");
  expect_only_error(run({{"StorageProfile", ""}}), "StorageProfile");
}

TEST_P(BothEncodings, EstimateMakesStorageProfileOptionalButChecksAGivenOne) {
  auto o = run({{"StartPercentile", 0.1}, {"EndPercentile", 0.9}}, ExportKind::Interactions, false);
  ASSERT_TRUE(o.options) << describe(o);
  EXPECT_EQ(o.options->storage_profile, "");
  auto bad = run({{"StorageProfile", "Nowhere"}}, ExportKind::Contacts, false);
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_EQ(bad.errors[0].parameter, "StorageProfile");
}

TEST_P(BothEncodings, AcceptsNumericStrings) {
  auto o = run_with_profile({{"BatchSize", "100"}, {"StartPercentile", "0.25"}, {"EndPercentile", " 0.75 "}});
  ASSERT_TRUE(o.options) << describe(o);
  EXPECT_EQ(o.options->batch_size, 100);
  EXPECT_EQ(o.options->start_percentile, 0.25);
  EXPECT_EQ(o.options->end_percentile, 0.75);
}

TEST_P(BothEncodings, RejectsNonNumericStrings) {
  for (const char* text : {"abc", "1.5", "1e3", "0x10", "NaN", "Infinity", "99999999999999999999", "12abc"}) {
    SCOPED_TRACE(text);
    expect_only_error(run_with_profile({{"BatchSize", text}}), "BatchSize");
  }
  for (const char* text : {"abc", "NaN", "nan", "Infinity", "-inf", "1e400", "0,5"}) {
    SCOPED_TRACE(text);
    expect_only_error(run_with_profile({{"StartPercentile", text}, {"EndPercentile", 1}}), "StartPercentile");
  }
}

TEST_P(BothEncodings, CollectsAllErrorsOfARequest) {
  auto o = run({{"BatchSize", 0},
                {"DefaultSplitItemCount", 10000001},
                {"ExpiresAfterHours", -1},
                {"StartedDaysCutoff", -5},
                {"StartPercentile", 2},
                {"Bogus", 1}});
  ASSERT_FALSE(o.options);
  std::vector<std::string> named;
  for (const auto& e : o.errors) named.push_back(e.parameter);
  EXPECT_EQ(named, (std::vector<std::string>{"Bogus", "BatchSize", "DefaultSplitItemCount", "ExpiresAfterHours",
                                             "StorageProfile", "StartedDaysCutoff", "StartPercentile", "EndPercentile"}))
      << describe(o);
}

TEST_P(BothEncodings, EmptyBodyCountsAsEmptyObject) {
  auto o = parse(ExportKind::Interactions, GetParam() == Encoding::Json ? kJson : kForm, "");
  ASSERT_FALSE(o.bad_request);
  ASSERT_EQ(o.errors.size(), 1u);
  EXPECT_EQ(o.errors[0].parameter, "StorageProfile");
}

// --- JSON only: types JSON can express and forms cannot ---

TEST(JsonParameters, RejectsWrongTypesForIntegers) {
  for (const char* value : {"1.5", "true", "false", "{}", "[]", "[5]", "{\"a\":1}", "1e400", "99999999999999999999",
                            "-99999999999999999999", "\"NaN\""}) {
    SCOPED_TRACE(value);
    auto o = parse_json(std::string(R"({"StorageProfile":"LocalExports","BatchSize":)") + value + "}");
    ASSERT_FALSE(o.bad_request) << describe(o);
    ASSERT_EQ(o.errors.size(), 1u) << describe(o);
    EXPECT_EQ(o.errors[0].parameter, "BatchSize");
  }
}

TEST(JsonParameters, AcceptsIntegralFloatForInteger) {
  // JSON has one number type: 100.0 and 1e2 are the integer 100.
  auto o = parse_json(R"({"StorageProfile":"LocalExports","BatchSize":100.0,"DefaultSplitItemCount":1e2})");
  ASSERT_TRUE(o.options) << describe(o);
  EXPECT_EQ(o.options->batch_size, 100);
  EXPECT_EQ(o.options->default_split_item_count, 100);
}

TEST(JsonParameters, RejectsWrongTypesForPercentiles) {
  for (const char* value : {"true", "{}", "[]", "\"Infinity\"", "\"NaN\"", "1e400"}) {
    SCOPED_TRACE(value);
    auto o = parse_json(std::string(R"({"StorageProfile":"LocalExports","EndPercentile":1,"StartPercentile":)") +
                        value + "}");
    ASSERT_EQ(o.errors.size(), 1u) << describe(o);
    EXPECT_EQ(o.errors[0].parameter, "StartPercentile");
  }
}

TEST(JsonParameters, RejectsNonStringProfile) {
  for (const char* value : {"5", "true", "[\"LocalExports\"]", "{}"}) {
    SCOPED_TRACE(value);
    auto o = parse_json(std::string(R"({"StorageProfile":)") + value + "}");
    ASSERT_EQ(o.errors.size(), 1u) << describe(o);
    EXPECT_EQ(o.errors[0].parameter, "StorageProfile");
    EXPECT_EQ(o.errors[0].error, "must be a string naming a registered storage profile");
  }
}

TEST(JsonParameters, RejectsExactlyRepeatedKey) {
  auto o = parse_json(R"({"StorageProfile":"LocalExports","BatchSize":5,"BatchSize":6})");
  ASSERT_EQ(o.errors.size(), 1u) << describe(o);
  EXPECT_EQ(o.errors[0].parameter, "BatchSize");
  EXPECT_EQ(o.errors[0].error, "is given more than once");
}

TEST(JsonParameters, NestedKeysAreNotParameters) {
  // Only top-level keys name parameters; a nested object is a wrong-typed value, not duplicates.
  auto o = parse_json(R"({"StorageProfile":"LocalExports","BatchSize":{"BatchSize":1,"BatchSize":2}})");
  ASSERT_EQ(o.errors.size(), 1u) << describe(o);
  EXPECT_EQ(o.errors[0].error, "must be an integer between 1 and 100000");
}

TEST(JsonParameters, MalformedJsonIsBadRequest) {
  for (const char* body : {"{", "{\"BatchSize\":}", "{'BatchSize':1}", "{\"a\":1}x", "{\"a\":NaN}", "nul"}) {
    SCOPED_TRACE(body);
    auto o = parse_json(body);
    ASSERT_TRUE(o.bad_request);
    EXPECT_FALSE(o.options);
    EXPECT_TRUE(o.errors.empty());
  }
}

TEST(JsonParameters, NonObjectBodyIsBadRequest) {
  for (const char* body : {"[]", "[{\"StorageProfile\":\"LocalExports\"}]", "\"x\"", "5", "null", "true"}) {
    SCOPED_TRACE(body);
    auto o = parse_json(body);
    ASSERT_TRUE(o.bad_request);
    EXPECT_EQ(*o.bad_request, "the body must be a JSON object");
  }
}

TEST(JsonParameters, WhitespaceBodyCountsAsEmptyObject) {
  auto o = parse_json(" \r\n");
  ASSERT_FALSE(o.bad_request);
  ASSERT_EQ(o.errors.size(), 1u);
}

// --- Form only ---

TEST(FormParameters, DecodesPercentEscapesAndPlus) {
  auto o = parse(ExportKind::Interactions, kForm, "Storage%50rofile=my+profile&Batch%53ize=%31%30");
  ASSERT_TRUE(o.options) << describe(o);
  EXPECT_EQ(o.options->storage_profile, "My Profile");
  EXPECT_EQ(o.options->batch_size, 10);
}

TEST(FormParameters, MalformedEscapesAreBadRequest) {
  for (const char* body : {"StorageProfile=%", "StorageProfile=%4", "StorageProfile=%zz", "Storage%G0Profile=x",
                           "StorageProfile=%C3", "StorageProfile=%FF"}) {
    SCOPED_TRACE(body);
    auto o = parse(ExportKind::Interactions, kForm, body);
    ASSERT_TRUE(o.bad_request);
    EXPECT_TRUE(o.errors.empty());
  }
}

TEST(FormParameters, SkipsEmptyFieldsAndReadsFieldWithoutEquals) {
  auto o = parse(ExportKind::Interactions, kForm, "&StorageProfile=LocalExports&&StartedDaysCutoff&");
  ASSERT_TRUE(o.options) << describe(o);
  EXPECT_FALSE(o.options->cutoff_days) << "a bare name is an empty value: null";
}

TEST(FormParameters, EmptyValueOnNonNullableIsAnError) {
  auto o = parse(ExportKind::Interactions, kForm, "StorageProfile=LocalExports&BatchSize=");
  ASSERT_EQ(o.errors.size(), 1u) << describe(o);
  EXPECT_EQ(o.errors[0].parameter, "BatchSize");
}

// --- Content types ---

TEST(ContentType, AcceptsParametersAndAnyCase) {
  EXPECT_EQ(body_encoding("application/json; charset=utf-8"), BodyEncoding::Json);
  EXPECT_EQ(body_encoding("Application/JSON;Charset=\"UTF-8\""), BodyEncoding::Json);
  EXPECT_EQ(body_encoding("application/x-www-form-urlencoded; charset=UTF-8"), BodyEncoding::Form);
  EXPECT_EQ(body_encoding(" application/json "), BodyEncoding::Json);
}

TEST(ContentType, RefusesOtherMediaTypesAndCharsets) {
  EXPECT_FALSE(body_encoding("text/plain"));
  EXPECT_FALSE(body_encoding("application/xml"));
  EXPECT_FALSE(body_encoding("multipart/form-data; boundary=x"));
  EXPECT_FALSE(body_encoding("application/json; charset=iso-8859-1"));
  EXPECT_FALSE(body_encoding(""));
  auto o = parse(ExportKind::Interactions, "text/plain", "StorageProfile=LocalExports");
  EXPECT_TRUE(o.unsupported_media_type);
  EXPECT_FALSE(o.options);
}

TEST(ContentType, MissingTypeWithEmptyBodyIsAnEmptyObject) {
  auto o = parse(ExportKind::Interactions, "", "");
  EXPECT_FALSE(o.unsupported_media_type);
  ASSERT_EQ(o.errors.size(), 1u);
  EXPECT_TRUE(parse(ExportKind::Interactions, "", "{}").unsupported_media_type);
}

}  // namespace
}  // namespace cortex

// Found by fuzz_http_request (tests/fuzz/regressions/fuzz_http_request/form-value-error-echoes-whole-name.http).
TEST(FormDecodingRegression, ABadValueErrorClipsALongParameterName) {
  std::string name(5000, 'N');
  auto outcome = cortex::parse_export_request(cortex::ExportKind::Interactions, "application/x-www-form-urlencoded",
                                              name + "=%zz", [](const std::string& n) { return std::optional<std::string>(n); });
  ASSERT_TRUE(outcome.bad_request);
  EXPECT_LT(outcome.bad_request->size(), 300u);
  EXPECT_NE(outcome.bad_request->find("NNNN..."), std::string::npos);
}
