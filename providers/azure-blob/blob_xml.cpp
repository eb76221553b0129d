// A purpose-built reader for the service's flat, well-formed XML (no general parser is needed).
#include "azure-blob/blob_xml.h"

#include <cctype>
#include <cstdint>

#include "azure-blob/connection_string.h"

namespace cortex::providers::azure {
namespace {

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp <= 0x10FFFF) {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// The element `tag` starting at or after `from`: its attributes text and content. Handles <Tag/>.
struct Element {
  std::string_view attributes;
  std::string_view content;
  std::size_t end = std::string_view::npos;  // just past the element
};

std::optional<Element> find_element(std::string_view xml, std::string_view tag, std::size_t from = 0) {
  std::string open = "<";
  open += tag;
  std::size_t pos = from;
  while (true) {
    pos = xml.find(open, pos);
    if (pos == std::string_view::npos) return std::nullopt;
    std::size_t after = pos + open.size();
    if (after < xml.size() && (xml[after] == '>' || xml[after] == ' ' || xml[after] == '/')) break;
    pos = after;  // a longer tag with the same start (<BlobPrefix> for <Blob>)
  }
  std::size_t gt = xml.find('>', pos);
  if (gt == std::string_view::npos) return std::nullopt;
  Element e;
  std::size_t attr_start = pos + open.size();
  if (xml[gt - 1] == '/') {
    e.attributes = xml.substr(attr_start, gt - 1 - attr_start);
    e.end = gt + 1;
    return e;
  }
  e.attributes = xml.substr(attr_start, gt - attr_start);
  std::string close = "</";
  close += tag;
  close += '>';
  std::size_t close_pos = xml.find(close, gt + 1);
  if (close_pos == std::string_view::npos) return std::nullopt;
  e.content = xml.substr(gt + 1, close_pos - gt - 1);
  e.end = close_pos + close.size();
  return e;
}

}  // namespace

std::string xml_unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out += text[i];
      continue;
    }
    std::size_t semi = text.find(';', i);
    if (semi == std::string_view::npos || semi - i > 10) {
      out += text[i];
      continue;
    }
    std::string_view entity = text.substr(i + 1, semi - i - 1);
    if (entity == "amp") out += '&';
    else if (entity == "lt") out += '<';
    else if (entity == "gt") out += '>';
    else if (entity == "quot") out += '"';
    else if (entity == "apos") out += '\'';
    else if (entity.size() > 1 && entity[0] == '#') {
      try {
        std::uint32_t cp = (entity[1] == 'x' || entity[1] == 'X')
                               ? static_cast<std::uint32_t>(std::stoul(std::string(entity.substr(2)), nullptr, 16))
                               : static_cast<std::uint32_t>(std::stoul(std::string(entity.substr(1)), nullptr, 10));
        append_utf8(out, cp);
      } catch (...) {
        out += text.substr(i, semi - i + 1);
      }
    } else {
      out += text.substr(i, semi - i + 1);
    }
    i = semi;
  }
  return out;
}

std::optional<BlobListPage> parse_blob_list(std::string_view xml) {
  auto results = find_element(xml, "EnumerationResults");
  if (!results) return std::nullopt;
  std::string_view body = results->content;
  BlobListPage page;
  if (auto blobs = find_element(body, "Blobs")) {
    std::size_t pos = 0;
    while (auto blob = find_element(blobs->content, "Blob", pos)) {
      auto name = find_element(blob->content, "Name");
      if (name) {
        std::string text = xml_unescape(name->content);
        // Names with characters XML cannot carry come percent-encoded, marked Encoded="true".
        if (name->attributes.find("Encoded=\"true\"") != std::string_view::npos) text = url_decode(text);
        page.names.push_back(std::move(text));
      }
      pos = blob->end;
    }
  }
  // NextMarker is a direct child of EnumerationResults, after <Blobs>.
  std::size_t after_blobs = 0;
  if (auto blobs = find_element(body, "Blobs")) after_blobs = blobs->end;
  if (auto marker = find_element(body, "NextMarker", after_blobs)) page.next_marker = xml_unescape(marker->content);
  return page;
}

std::string parse_error_code(std::string_view xml) {
  auto error = find_element(xml, "Error");
  if (!error) return {};
  auto code = find_element(error->content, "Code");
  if (!code) return {};
  std::string text = xml_unescape(code->content);
  // A code is a word; anything else is not trusted into a message.
  for (char c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c))) return {};
  }
  return text.size() <= 64 ? text : std::string();
}

std::string block_list_xml(const std::vector<std::string>& block_ids) {
  std::string out = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>";
  for (const auto& id : block_ids) out += "<Latest>" + id + "</Latest>";  // base64 needs no escaping
  out += "</BlockList>";
  return out;
}

}  // namespace cortex::providers::azure
