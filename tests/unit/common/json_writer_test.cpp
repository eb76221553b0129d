// Compact JSON output and string escaping.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/json_writer.h"

namespace cortex {
namespace {

TEST(JsonWriter, WritesNestedCompactJson) {
  std::string out;
  JsonWriter w(out);
  w.begin_array();
  w.begin_object();
  w.key("A");
  w.integer(-5);
  w.key("B");
  w.raw("[{\"x\":1}]");
  w.key("C");
  w.begin_object();
  w.end_object();
  w.end_object();
  w.string("s");
  w.null();
  w.boolean(true);
  w.end_array();
  EXPECT_EQ(out, R"([{"A":-5,"B":[{"x":1}],"C":{}},"s",null,true])");
}

TEST(JsonWriter, EscapesQuotesControlsAndKeepsUnicode) {
  std::string value = "Mozilla \"Ünïcødé\" \\ \n\t\x01 😀";
  std::string out;
  JsonWriter::append_escaped(out, value);
  EXPECT_EQ(nlohmann::json::parse(out).get<std::string>(), value);
  EXPECT_NE(out.find("Ünïcødé"), std::string::npos);
  EXPECT_NE(out.find("\\u0001"), std::string::npos);
}

}  // namespace
}  // namespace cortex
