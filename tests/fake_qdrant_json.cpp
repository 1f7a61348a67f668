#include "fake_qdrant_json.h"

#include <algorithm>
#include <cstdio>

#include <boost/json/serialize.hpp>

namespace studybot::testing::fake_qdrant {
namespace {

namespace json = boost::json;

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// The conditions of one clause: one Condition or an array of them (or null: none).
std::vector<const json::value*> Clause(const json::object& filter, std::string_view key) {
  std::vector<const json::value*> out;
  const json::value* v = Field(filter, key);
  if (v == nullptr) return out;
  if (v->is_array()) {
    for (const json::value& c : v->get_array())
      out.push_back(&c);
  } else {
    out.push_back(v);
  }
  return out;
}

bool IsFilterShaped(const json::object& o) {
  return o.contains("must") || o.contains("should") || o.contains("must_not") ||
         o.contains("min_should");
}

void CheckMatch(const json::value& v) {
  const json::object& m = AsObject(v, "enum Match");
  if (m.size() != 1) FormatError("data did not match any variant of untagged enum Match");
  const auto& [key, value] = *m.begin();
  if (key == "value") {
    if (!value.is_string() && !value.is_int64() && !value.is_uint64() && !value.is_bool()) {
      FormatError("data did not match any variant of untagged enum ValueVariants");
    }
  } else if (key == "any" || key == "except") {
    if (!value.is_array()) FormatError("data did not match any variant of untagged enum Match");
    const json::array& a = value.get_array();
    const bool strings = !a.empty() && a[0].is_string();
    for (const json::value& x : a) {
      if (strings ? !x.is_string() : !(x.is_int64() || x.is_uint64())) {
        FormatError("data did not match any variant of untagged enum AnyVariants");
      }
    }
  } else if (key == "prefix") {
    AsString(value);
  } else if (key == "text" || key == "phrase" || key == "text_any") {
    Unimplemented("full-text match");
  } else {
    FormatError("data did not match any variant of untagged enum Match");
  }
}

void CheckCondition(const json::value& v) {
  const json::object& c = AsObject(v, "enum Condition");
  if (c.contains("key")) {
    KnownFields(c, {"key", "match", "range", "geo_bounding_box", "geo_radius", "geo_polygon",
                    "values_count", "is_empty", "is_null"});
    AsString(Required(c, "key"));
    NotImplemented(c, {"range", "geo_bounding_box", "geo_radius", "geo_polygon", "values_count",
                       "is_empty", "is_null"});
    const json::value* match = Field(c, "match");
    if (match == nullptr) Unimplemented("field conditions without `match`");
    CheckMatch(*match);
  } else if (c.contains("has_id")) {
    KnownFields(c, {"has_id"});
    const json::value& ids = Required(c, "has_id");
    if (!ids.is_array()) FormatError("invalid type: " + Describe(ids) + ", expected a sequence");
    for (const json::value& id : ids.get_array())
      ParsePointId(id);
  } else if (IsFilterShaped(c)) {
    CheckFilter(v);
  } else if (c.contains("is_empty") || c.contains("is_null") || c.contains("has_vector") ||
             c.contains("nested")) {
    Unimplemented("is_empty, is_null, has_vector and nested conditions");
  } else {
    FormatError("data did not match any variant of untagged enum Condition");
  }
}

bool ValueMatches(const json::object& match, const json::value& v) {
  const auto& [key, want] = *match.begin();
  auto same = [](const json::value& a, const json::value& b) {
    if (a.is_number() && b.is_number()) {
      return (a.is_int64() || a.is_uint64()) && (b.is_int64() || b.is_uint64()) &&
             a.to_number<double>() == b.to_number<double>();
    }
    return a == b;
  };
  if (key == "value") return same(v, want);
  if (key == "prefix") return v.is_string() && v.get_string().starts_with(want.get_string());
  const json::array& set = want.get_array();
  const bool in =
      std::any_of(set.begin(), set.end(), [&](const json::value& x) { return same(v, x); });
  return key == "any" ? in : !in;  // except
}

bool ConditionHolds(const json::value& v, const std::string& id_key, const json::object& payload) {
  const json::object& c = v.get_object();
  if (const json::value* key = c.if_contains("key")) {
    const json::object& match = c.at("match").get_object();
    const json::value* field = payload.if_contains(key->get_string());
    if (field == nullptr || field->is_null()) return false;
    if (field->is_array()) {
      // Any element (for `except`: any element outside the set).
      const json::array& values = field->get_array();
      return std::any_of(values.begin(), values.end(),
                         [&](const json::value& x) { return ValueMatches(match, x); });
    }
    return ValueMatches(match, *field);
  }
  if (const json::value* ids = c.if_contains("has_id")) {
    for (const json::value& id : ids->get_array()) {
      if (ParsePointId(id).key == id_key) return true;
    }
    return false;
  }
  return Matches(v, id_key, payload);
}

}  // namespace

void FormatError(const std::string& what) {
  throw Refusal{400, "Format error in JSON body: " + what};
}
void WrongInput(const std::string& what) {
  throw Refusal{400, "Wrong input: " + what};
}
void Invalid(const std::string& what) {
  throw Refusal{422, "Validation error in JSON body: [" + what + "]"};
}
void Unimplemented(const std::string& what) {
  throw Refusal{400, "Fake Qdrant does not implement " + what};
}

std::string Describe(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return std::string("boolean `") + (v.get_bool() ? "true" : "false") + "`";
    case json::kind::int64:
    case json::kind::uint64:
      return "integer `" + json::serialize(v) + "`";
    case json::kind::double_:
      return "floating point `" + json::serialize(v) + "`";
    case json::kind::string:
      return "string " + json::serialize(v);
    case json::kind::array:
      return "sequence";
    case json::kind::object:
      return "map";
  }
  return "value";
}

const json::object& AsObject(const json::value& v, std::string_view what) {
  if (!v.is_object())
    FormatError("invalid type: " + Describe(v) + ", expected " + std::string(what));
  return v.get_object();
}

void KnownFields(const json::object& o, std::initializer_list<std::string_view> known) {
  for (const auto& field : o) {
    if (std::find(known.begin(), known.end(), field.key()) != known.end()) continue;
    std::string expected;
    for (std::string_view k : known)
      expected += (expected.empty() ? "`" : ", `") + std::string(k) + "`";
    FormatError("unknown field `" + std::string(field.key()) + "`, expected one of " + expected);
  }
}

const json::value* Field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v == nullptr || v->is_null() ? nullptr : v;
}

const json::value& Required(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) FormatError("missing field `" + std::string(key) + "`");
  return *v;
}

uint64_t AsUint(const json::value& v, uint64_t minimum) {
  uint64_t n = 0;
  if (v.is_uint64()) {
    n = v.get_uint64();
  } else if (v.is_int64() && v.get_int64() >= 0) {
    n = static_cast<uint64_t>(v.get_int64());
  } else if (v.is_int64()) {
    FormatError("invalid value: " + Describe(v) + ", expected u64");
  } else {
    FormatError("invalid type: " + Describe(v) + ", expected u64");
  }
  if (n < minimum) {
    Invalid("value " + std::to_string(n) + " invalid, must be " + std::to_string(minimum) +
            " or larger");
  }
  return n;
}

bool AsBool(const json::value& v) {
  if (!v.is_bool()) FormatError("invalid type: " + Describe(v) + ", expected a boolean");
  return v.get_bool();
}

std::string AsString(const json::value& v) {
  if (!v.is_string()) FormatError("invalid type: " + Describe(v) + ", expected a string");
  return std::string(v.get_string());
}

double AsNumber(const json::value& v) {
  if (!v.is_number()) FormatError("invalid type: " + Describe(v) + ", expected f32");
  return v.to_number<double>();
}

std::vector<float> AsFloats(const json::value& v) {
  if (!v.is_array()) FormatError("invalid type: " + Describe(v) + ", expected a sequence");
  std::vector<float> out;
  for (const json::value& x : v.get_array())
    out.push_back(static_cast<float>(AsNumber(x)));
  return out;
}

void NotImplemented(const json::object& o, std::initializer_list<std::string_view> keys) {
  for (std::string_view k : keys) {
    if (Field(o, k) != nullptr) Unimplemented("`" + std::string(k) + "`");
  }
}

PointId ParsePointId(const json::value& v) {
  if (v.is_uint64() || (v.is_int64() && v.get_int64() >= 0)) {
    const uint64_t n = v.is_uint64() ? v.get_uint64() : static_cast<uint64_t>(v.get_int64());
    char key[32];
    std::snprintf(key, sizeof key, "0%020llu", static_cast<unsigned long long>(n));
    return {key, json::value(n)};
  }
  if (v.is_string()) {
    // Hyphenated (8-4-4-4-12) or 32 plain hex digits, any case, as the uuid crate reads them.
    std::string s(v.get_string()), hex;
    const bool hyphenated =
        s.size() == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-';
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (hyphenated && (i == 8 || i == 13 || i == 18 || i == 23)) continue;
      if (!IsHex(s[i])) {
        hex.clear();
        break;
      }
      hex += static_cast<char>(s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 'a' : s[i]);
    }
    if (hex.size() == 32 && (hyphenated || s.size() == 32)) {
      std::string uuid = hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
                         hex.substr(16, 4) + "-" + hex.substr(20);
      return {"1" + uuid, json::value(uuid)};
    }
    FormatError("value " + s +
                " is not a valid point ID, valid values are either an unsigned integer or a UUID");
  }
  FormatError("data did not match any variant of untagged enum ExtendedPointId");
}

std::map<uint32_t, float> ParseSparse(const json::value& v) {
  const json::object& o = AsObject(v, "struct SparseVector");
  KnownFields(o, {"indices", "values"});
  const json::value& indices = Required(o, "indices");
  const json::value& values = Required(o, "values");
  if (!indices.is_array())
    FormatError("invalid type: " + Describe(indices) + ", expected a sequence");
  std::vector<float> vals = AsFloats(values);
  if (indices.get_array().size() != vals.size()) {
    Invalid("indices: must be the same length as values");
  }
  std::map<uint32_t, float> out;
  for (std::size_t i = 0; i < vals.size(); ++i) {
    const uint64_t index = AsUint(indices.get_array()[i]);
    if (index > UINT32_MAX) {
      FormatError("invalid value: integer `" + std::to_string(index) + "`, expected u32");
    }
    if (!out.emplace(static_cast<uint32_t>(index), vals[i]).second) {
      Invalid("indices: must be unique");
    }
  }
  return out;
}

void CheckFilter(const json::value& filter) {
  const json::object& f = AsObject(filter, "struct Filter");
  KnownFields(f, {"should", "min_should", "must", "must_not"});
  NotImplemented(f, {"min_should"});
  for (std::string_view clause : {"must", "should", "must_not"}) {
    for (const json::value* c : Clause(f, clause))
      CheckCondition(*c);
  }
}

bool Matches(const json::value& filter, const std::string& id_key, const json::object& payload) {
  const json::object& f = filter.get_object();
  for (const json::value* c : Clause(f, "must")) {
    if (!ConditionHolds(*c, id_key, payload)) return false;
  }
  for (const json::value* c : Clause(f, "must_not")) {
    if (ConditionHolds(*c, id_key, payload)) return false;
  }
  std::vector<const json::value*> should = Clause(f, "should");
  if (should.empty()) return true;
  return std::any_of(should.begin(), should.end(),
                     [&](const json::value* c) { return ConditionHolds(*c, id_key, payload); });
}

}  // namespace studybot::testing::fake_qdrant
