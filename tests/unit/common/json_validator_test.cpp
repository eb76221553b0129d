// The JSON checker agrees with nlohmann's parser on valid and broken documents.
#include "common/json_validator.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace cortex {
namespace {

TEST(JsonValidator, AcceptsValidDocuments) {
  for (const char* text : {"[]", "{}", "[1,-2.5e10,0,true,false,null]", R"({"a":{"b":["c",{"d":"\u00e9\n"}]}})",
                           " [ 1 , 2 ] ", "\"Ünïcødé 😀\"", "0", "-0.0E+1",
                           R"([{"@odata.type":"#Sitecore.XConnect.Collection.Model.PageViewEvent","Url":"/"}])"}) {
    EXPECT_TRUE(is_valid_json(text)) << text;
    EXPECT_TRUE(nlohmann::json::accept(text)) << text;
  }
}

TEST(JsonValidator, RejectsBrokenDocuments) {
  for (const char* text : {"", "[", "[1,]", "{\"a\":}", "{\"a\" 1}", "[01]", "[1.]", "[.5]", "tru", "[1] x",
                           "{'a':1}", "\"unterminated", "[\"\x01\"]", "[\"\\x\"]", "[\"\\u12\"]", "{1:2}",
                           "[\"\xC0\xAF\"]", "[\"\xED\xA0\x80\"]", "[\"\xFF\"]", "NaN", "[Infinity]"}) {
    EXPECT_FALSE(is_valid_json(text)) << text;
    EXPECT_FALSE(nlohmann::json::accept(text)) << text;
  }
}

TEST(JsonValidator, LimitsNestingDepth) {
  std::string deep(300, '[');
  deep += std::string(300, ']');
  EXPECT_FALSE(is_valid_json(deep));
  std::string fine(100, '[');
  fine += std::string(100, ']');
  EXPECT_TRUE(is_valid_json(fine));
}

}  // namespace
}  // namespace cortex
