// The tools' JSON writer: escaping, commas and nesting; checked by parsing
// the output back with the tests' JSON reader.
#include <gtest/gtest.h>

#include <string>

#include "json_writer.h"
#include "stat_json.h"

namespace localio::tools {
namespace {

TEST(JsonQuote, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(JsonQuote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(JsonQuote("\n\t\r\b\f"), "\"\\n\\t\\r\\b\\f\"");
  EXPECT_EQ(JsonQuote(std::string("\x01\x1f\x7f", 3)), "\"\\u0001\\u001f\\u007f\"");
  EXPECT_EQ(JsonQuote(std::string("a\0b", 3)), "\"a\\u0000b\"");
}

TEST(JsonQuote, PassesValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(JsonQuote("caf\xc3\xa9 \xf0\x9f\x98\x80"), "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
  // A lone continuation byte, a truncated sequence, an overlong '/' and a
  // UTF-16 surrogate encoded in UTF-8 are not UTF-8.
  EXPECT_EQ(JsonQuote("\x80"), "\"\xef\xbf\xbd\"");
  EXPECT_EQ(JsonQuote("a\xc3"), "\"a\xef\xbf\xbd\"");
  EXPECT_EQ(JsonQuote("\xc0\xaf"), "\"\xef\xbf\xbd\xef\xbf\xbd\"");
  EXPECT_EQ(JsonQuote("\xed\xa0\x80"), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
}

TEST(JsonWriter, NestedContainersGetCommasOnlyBetweenItems) {
  JsonWriter w;
  w.BeginObject();
  w.Field("a", uint64_t{1});
  w.Key("list");
  w.BeginArray();
  w.Uint(1);
  w.BeginObject();
  w.EndObject();
  w.BeginArray();
  w.EndArray();
  w.Null();
  w.EndArray();
  w.Field("ok", true);
  w.Key("n");
  w.Int(-5);
  w.EndObject();
  EXPECT_EQ(w.text(), "{\"a\":1,\"list\":[1,{},[],null],\"ok\":true,\"n\":-5}");
}

TEST(JsonWriter, OutputParsesBackToTheSameStrings) {
  const std::string tricky = std::string("dir/\"x\"\\y\n\x01z\xc3\xa9", 15);
  JsonWriter w;
  w.BeginObject();
  w.Field("path", tricky);
  w.Field("big", uint64_t{18446744073709551615ull});
  w.EndObject();
  JsonValue doc;
  std::string error;
  ASSERT_TRUE(ParseJson(w.text(), &doc, &error)) << error << ": " << w.text();
  ASSERT_NE(doc.Find("path"), nullptr);
  EXPECT_EQ(doc.Find("path")->text, tricky);
  EXPECT_EQ(doc.Find("big")->Uint(), 18446744073709551615ull);
}

TEST(JsonReader, RejectsMalformedDocuments) {
  JsonValue doc;
  std::string error;
  for (const char* bad : {"", "{", "{\"a\" 1}", "[1,]", "{\"a\":1}x", "\"\\q\"", "\"\\ud800\"",
                          "tru", "-", "{\"a\":\"b}"}) {
    EXPECT_FALSE(ParseJson(bad, &doc, &error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

}  // namespace
}  // namespace localio::tools
