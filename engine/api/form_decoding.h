// Percent-decoding of application/x-www-form-urlencoded bodies and URL path segments.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace cortex {

// Decodes %XX escapes (and '+' as a space when plus_is_space). A '%' without two hex digits, or a
// result that is not UTF-8, is InvalidArgument.
Result<std::string> percent_decode(std::string_view text, bool plus_is_space);

// "a=1&b=x+y" -> {{"a","1"},{"b","x y"}}, in body order. Empty fields ("a=1&&b=2", a trailing '&')
// are skipped; a field without '=' has an empty value.
Result<std::vector<std::pair<std::string, std::string>>> decode_form(std::string_view body);

bool is_valid_utf8(std::string_view text);

}  // namespace cortex
