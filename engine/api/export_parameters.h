// Parsing and validation of the parameters of the export (and estimate) requests, SPEC 2.1.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "queue/task.h"

namespace cortex {

// One rule a request broke, naming the parameter with the SPEC's PascalCase spelling
// (or, for an unknown parameter, as the client spelled it).
struct ParameterError {
  std::string parameter;
  std::string error;
  friend bool operator==(const ParameterError&, const ParameterError&) = default;
};

enum class BodyEncoding { Json, Form };

// The media type of a request body: "application/json" or "application/x-www-form-urlencoded",
// any case, with parameters such as "; charset=utf-8". A charset other than UTF-8 (or its ASCII
// subset) is refused: the parameters are read as UTF-8. nullopt: an unsupported media type.
std::optional<BodyEncoding> body_encoding(std::string_view content_type);

// Exactly one of the three is set: options (valid request), errors (400 ModelValidationException),
// bad_request (400 BadRequest: the body cannot be read at all), unsupported_media_type (415).
struct ExportRequestOutcome {
  std::optional<ExportOptions> options;
  std::vector<ParameterError> errors;
  std::optional<std::string> bad_request;
  std::optional<std::string> unsupported_media_type;
};

// Maps a profile name as given to its registered (canonical) spelling, or nullopt when none matches.
using ProfileNameLookup = std::function<std::optional<std::string>(const std::string&)>;

// Reads the body of POST export/tasks/{interactions,contacts}. An empty body counts as an empty
// object; so does a missing Content-Type when the body is empty. Every broken rule is reported.
// storage_profile_required is false for the estimate endpoints: there a given profile must still exist.
ExportRequestOutcome parse_export_request(ExportKind kind, std::string_view content_type, std::string_view body,
                                          const ProfileNameLookup& canonical_profile_name,
                                          bool storage_profile_required = true);

}  // namespace cortex
