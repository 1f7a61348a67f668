#include "validation/validator.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "validation/embedded_schemas.h"

namespace studybot::validation {
namespace {

TEST(ValidatorTest, AcceptsValidAndReportsEachFailingField) {
  Validator v;
  ASSERT_TRUE(v.Has("login_request"));
  EXPECT_TRUE(
      v.Validate("login_request", boost::json::parse(R"({"email":"a@b.co","password":"x"})")).ok());

  auto bad =
      v.Validate("login_request", boost::json::parse(R"({"email":7,"password":"","extra":1})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().slug, "validation_failed");
  std::set<std::string> paths;
  for (const auto& d : bad.error().details)
    paths.insert(d.path);
  EXPECT_TRUE(paths.count("/email")) << bad.error().details.size();
  EXPECT_TRUE(paths.count("/password"));
  EXPECT_TRUE(paths.count("/extra"));

  auto missing = v.Validate("login_request", boost::json::parse(R"({})"));
  ASSERT_FALSE(missing.ok());
  EXPECT_FALSE(missing.error().details.empty());

  auto too_long =
      v.Validate("login_request",
                 boost::json::value{{"email", "a@b.co"}, {"password", std::string(2000, 'x')}});
  EXPECT_FALSE(too_long.ok());
  auto not_object = v.Validate("login_request", boost::json::parse("[1,2]"));
  EXPECT_FALSE(not_object.ok());
}

// Every object refuses unknown fields and every string has a length limit.
void CheckConventions(const std::string& schema, const boost::json::value& node,
                      const std::string& where) {
  if (!node.is_object()) {
    if (node.is_array()) {
      for (const auto& e : node.as_array())
        CheckConventions(schema, e, where + "[]");
    }
    return;
  }
  const auto& o = node.as_object();
  if (const auto* type = o.if_contains("type")) {
    auto has_type = [&](std::string_view t) {
      if (type->is_string()) return type->as_string() == t;
      if (type->is_array()) {
        for (const auto& x : type->as_array()) {
          if (x.is_string() && x.as_string() == t) return true;
        }
      }
      return false;
    };
    if (has_type("object")) {
      // Either a record (no unknown fields) or a map whose keys are bounded.
      const auto* ap = o.if_contains("additionalProperties");
      const auto* names = o.if_contains("propertyNames");
      bool record = ap != nullptr && ap->is_bool() && !ap->as_bool();
      bool map = ap != nullptr && ap->is_object() && names != nullptr && names->is_object() &&
                 names->as_object().contains("maxLength") && o.contains("maxProperties");
      EXPECT_TRUE(record || map) << schema << where
                                 << ": objects must set additionalProperties: false, or be maps "
                                    "with propertyNames.maxLength and maxProperties";
    }
    if (has_type("array")) {
      EXPECT_TRUE(o.contains("maxItems")) << schema << where << ": arrays need maxItems";
    }
    if (has_type("string") && !o.contains("enum") && !o.contains("const")) {
      EXPECT_TRUE(o.contains("maxLength")) << schema << where << ": strings need maxLength";
    }
  }
  for (const auto& kv : o)
    CheckConventions(schema, kv.value(), where + "/" + std::string(kv.key()));
}

TEST(ValidatorTest, EverySchemaFollowsTheConventionsAndIsPublished) {
  std::ifstream in(std::string(STUDYBOT_SOURCE_DIR) + "/docs/openapi.yaml");
  std::stringstream openapi;
  openapi << in.rdbuf();
  ASSERT_FALSE(EmbeddedSchemas().empty());
  for (const auto& s : EmbeddedSchemas()) {
    CheckConventions(std::string(s.name), boost::json::parse(s.text), "");
    EXPECT_NE(openapi.str().find("schemas/" + std::string(s.name) + ".json"), std::string::npos)
        << s.name << " is not referenced from docs/openapi.yaml";
  }
}

// The size of the error envelope a client would get for `st`.
std::size_t AnswerBytes(const Status& st) {
  boost::json::array details;
  for (const auto& d : st.error().details)
    details.push_back({{"path", d.path}, {"reason", d.reason}});
  return boost::json::serialize(
             boost::json::object{
                 {"error", {{"message", st.error().message}, {"details", std::move(details)}}}})
      .size();
}

boost::json::array Repeat(const boost::json::value& v, std::size_t n) {
  boost::json::array a;
  a.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    a.push_back(v);
  return a;
}

// Security review finding 1: 16,000 duplicate events made a 15 GB answer; 500k domains 46 MB.
TEST(ValidatorTest, HugeArraysOfDuplicatesGetOneSmallError) {
  Validator v;
  boost::json::object hook{{"url", "https://h.example.com/x"}, {"events", Repeat("*", 16000)}};
  auto r = v.Validate("create_webhook_request", hook);
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.error().details.size(), 1u);
  EXPECT_EQ(r.error().details[0].path, "/events");
  EXPECT_NE(r.error().details[0].reason.find("at most 20 items"), std::string::npos);

  boost::json::object bot{{"allowed_domains", Repeat("a", 500000)}};
  auto b = v.Validate("update_chatbot_request", bot);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().details.size(), 1u);

  // Within maxItems, duplicates are still refused, with a bounded list.
  boost::json::object few{{"url", "https://h.example.com/x"}, {"events", Repeat("*", 20)}};
  auto f = v.Validate("create_webhook_request", few);
  ASSERT_FALSE(f.ok());
  EXPECT_LE(f.error().details.size(), 20u);
  EXPECT_LT(AnswerBytes(f), 8 * 1024u);
}

TEST(ValidatorTest, ThousandsOfUnknownFieldsGetABoundedList) {
  Validator v;
  boost::json::object body{{"email", "a@b.co"}, {"password", "x"}};
  for (int i = 0; i < 100000; ++i)
    body["k" + std::to_string(i)] = i;
  auto r = v.Validate("login_request", body);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().details.size(), 20u);
  EXPECT_EQ(r.error().details[0].reason, "unknown field");
  EXPECT_LT(AnswerBytes(r), 4 * 1024u);

  boost::json::object long_key{{std::string(100000, 'k'), 1}};
  auto l = v.Validate("login_request", long_key);
  ASSERT_FALSE(l.ok());
  EXPECT_LT(AnswerBytes(l), 4 * 1024u);
}

// Finding 8: U+0000 was stored in names. Single-line fields refuse every control character;
// multi-line text keeps its newlines.
TEST(ValidatorTest, ControlCharactersAreRefusedInNamesTitlesAndEmails) {
  Validator v;
  for (std::string bad : {std::string("a\0b", 3), std::string("a\nb"), std::string("a\x1b[31m"),
                          std::string("a\x7f")}) {
    auto r = v.Validate("create_chatbot_request", boost::json::object{{"name", bad}});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().details[0].path, "/name");
    EXPECT_FALSE(v.Validate("login_request",
                            boost::json::object{{"email", "a" + bad + "@b.co"}, {"password", "x"}})
                     .ok());
    EXPECT_FALSE(v.Validate("update_chatbot_request",
                            boost::json::object{{"widget", boost::json::object{{"title", bad}}}})
                     .ok());
  }
  EXPECT_TRUE(v.Validate("create_chatbot_request",
                         boost::json::object{{"name", "Bot"}, {"description", "two\nlines\tok"}})
                  .ok());
  EXPECT_FALSE(
      v.Validate("create_chatbot_request",
                 boost::json::object{{"name", "Bot"}, {"description", std::string("a\0", 2)}})
          .ok());
}

// Every property of every schema, given an oversized array of duplicates, of invalid items, an
// oversized string, or an oversized object: answered with a small error list.
void SweepNode(const Validator& v, const std::string& schema, const boost::json::value& node,
               const std::vector<std::string>& path, int& checked) {
  if (!node.is_object()) return;
  const auto* props = node.as_object().if_contains("properties");
  if (props == nullptr || !props->is_object()) return;
  for (const auto& kv : props->as_object()) {
    auto where = path;
    where.emplace_back(kv.key());
    for (const boost::json::value& hostile :
         {boost::json::value(Repeat("dup", 200000)), boost::json::value(Repeat(7, 200000)),
          boost::json::value(Repeat(boost::json::object{{"x", 1}}, 50000)),
          boost::json::value(std::string(900000, 'x')), boost::json::value(Repeat(nullptr, 1))}) {
      // Build {a: {b: hostile}} along the path.
      boost::json::value doc = hostile;
      for (auto it = where.rbegin(); it != where.rend(); ++it)
        doc = boost::json::object{{*it, std::move(doc)}};
      auto r = v.Validate(schema, doc);
      if (r.ok()) continue;
      ++checked;
      EXPECT_LE(r.error().details.size(), 20u) << schema;
      EXPECT_LT(AnswerBytes(r), 64 * 1024u) << schema;
    }
    SweepNode(v, schema, kv.value(), where, checked);
  }
}

TEST(ValidatorTest, SweepOfHostileValuesOverEverySchemaStaysSmall) {
  Validator v;
  int checked = 0;
  for (const auto& s : EmbeddedSchemas())
    SweepNode(v, std::string(s.name), boost::json::parse(s.text), {}, checked);
  EXPECT_GT(checked, 100);
}

}  // namespace
}  // namespace studybot::validation
