#include "validation/validator.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

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

}  // namespace
}  // namespace studybot::validation
