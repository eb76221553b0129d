// Percent-decoding and UTF-8 checks for form bodies and path segments.
#include "api/form_decoding.h"

#include <cstdint>

namespace cortex {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<std::uint8_t>(text[i]);
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      auto cc = static_cast<std::uint8_t>(text[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static constexpr std::uint32_t min_for_length[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_for_length[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

Result<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else if (c == '%') {
      int hi = i + 1 < text.size() ? hex_digit(text[i + 1]) : -1;
      int lo = i + 2 < text.size() ? hex_digit(text[i + 2]) : -1;
      if (hi < 0 || lo < 0)
        return make_error(ErrorCode::InvalidArgument, "malformed percent escape at byte " + std::to_string(i));
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  if (!is_valid_utf8(out)) return make_error(ErrorCode::InvalidArgument, "decoded text is not valid UTF-8");
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> decode_form(std::string_view body) {
  std::vector<std::pair<std::string, std::string>> fields;
  std::size_t start = 0;
  while (start <= body.size()) {
    std::size_t end = body.find('&', start);
    if (end == std::string_view::npos) end = body.size();
    std::string_view field = body.substr(start, end - start);
    start = end + 1;
    if (field.empty()) continue;
    std::size_t eq = field.find('=');
    auto name = percent_decode(field.substr(0, eq), true);
    auto value = percent_decode(eq == std::string_view::npos ? std::string_view() : field.substr(eq + 1), true);
    if (!name.ok()) return name.error().with_context("the form body has a bad field name");
    if (!value.ok()) {
      // The name is the client's text: clipped, so that an error answer stays small.
      std::string shown = name.value();
      if (shown.size() > 64) {
        std::size_t cut = 64;
        // Never inside a UTF-8 character: back up over continuation bytes.
        while (cut > 0 && (static_cast<unsigned char>(shown[cut]) & 0xC0) == 0x80) --cut;
        shown = shown.substr(0, cut) + "...";
      }
      return value.error().with_context("the form body has a bad value for '" + shown + "'");
    }
    fields.emplace_back(std::move(name.value()), std::move(value.value()));
  }
  return fields;
}

}  // namespace cortex
