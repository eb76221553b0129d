// A form body that cannot be decoded: the BadRequest message names the field, clipped like every echoed name.
// The long-name case breaks fuzz_http_request's bound on echoed text (its regression input is in
// tests/fuzz/regressions/fuzz_http_request/).
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "api/api_handler.h"
#include "api/export_parameters.h"
#include "api/form_decoding.h"

namespace cortex {
namespace {

constexpr const char* kForm = "application/x-www-form-urlencoded";

std::optional<std::string> no_profiles(const std::string&) { return std::nullopt; }

TEST(BadFormField, NamesTheFieldWhoseValueCannotBeDecoded) {
  auto outcome = parse_export_request(ExportKind::Contacts, kForm, "BatchSize=%ZZ", no_profiles);
  ASSERT_TRUE(outcome.bad_request.has_value());
  EXPECT_NE(outcome.bad_request->find("BatchSize"), std::string::npos) << *outcome.bad_request;
}

// Echoed client text is clipped (unknown names, profile names), so that an error answer stays small however large
// the request; a bad value under a 60 KiB name used to be answered with the whole name.
TEST(BadFormField, ClipsALongFieldNameInTheMessage) {
  const std::string name(60 * 1024, 'N');
  auto outcome = parse_export_request(ExportKind::Interactions, kForm, name + "=%ZZ", no_profiles);
  ASSERT_TRUE(outcome.bad_request.has_value());
  EXPECT_NE(outcome.bad_request->find("NNNN"), std::string::npos) << "the message still names the field";
  EXPECT_LE(outcome.bad_request->size(), 300u) << outcome.bad_request->substr(0, 300) << "...";
  auto answer = rejection_of(outcome, kForm);
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 400u);
  EXPECT_LE(answer->body_text().size(), 1024u);
}

// A cut inside a multi-byte character would leave invalid UTF-8, which the answer shows as a replacement character.
TEST(BadFormField, ClipsALongFieldNameAtACharacterBoundary) {
  for (std::size_t before = 60; before <= 104; ++before) {
    const std::string name = std::string(before, 'N') + "\xE2\x82\xAC" + std::string(200, 'x');  // U+20AC, 3 bytes
    auto outcome = parse_export_request(ExportKind::Contacts, kForm, name + "=%ZZ", no_profiles);
    ASSERT_TRUE(outcome.bad_request.has_value());
    EXPECT_TRUE(is_valid_utf8(*outcome.bad_request)) << before << " ASCII bytes first: " << *outcome.bad_request;
  }
}

}  // namespace
}  // namespace cortex
