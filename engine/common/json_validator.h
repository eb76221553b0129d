// is_valid_json: a fast, allocation-free check that text is one well-formed JSON value (RFC 8259).
// The export runs it over every stored Events and facet document, so a corrupt record is skipped and
// reported instead of breaking the batch file it would land in.
#pragma once

#include <string_view>

namespace cortex {

bool is_valid_json(std::string_view text);

}  // namespace cortex
