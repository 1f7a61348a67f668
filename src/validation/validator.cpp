#include "validation/validator.h"

#include <set>
#include <stdexcept>

#include <cstdint>
#include <optional>

#include <boost/json/parse.hpp>
#include <valijson/adapters/boost_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "validation/embedded_schemas.h"

namespace studybot::validation {
namespace {

// valijson's context is like {"<root>", "[email]", "[3]"}; we answer JSON-pointer-like "/email/3".
std::string PathOf(const std::vector<std::string>& context) {
  std::string path;
  for (const auto& part : context) {
    if (part == "<root>") continue;
    std::string p = part;
    if (p.size() >= 2 && p.front() == '[' && p.back() == ']') p = p.substr(1, p.size() - 2);
    if (p.size() >= 2 && p.front() == '"' && p.back() == '"') p = p.substr(1, p.size() - 2);
    path += "/" + p;
  }
  return path.empty() ? "/" : path;
}

// Names the offending property of an additionalProperties failure, when valijson says which.
std::string UnknownProperty(const std::string& description) {
  auto last_quote = description.rfind('\'');
  if (last_quote == std::string::npos || last_quote == 0) return {};
  auto first_quote = description.rfind('\'', last_quote - 1);
  if (first_quote == std::string::npos) return {};
  return description.substr(first_quote + 1, last_quote - first_quote - 1);
}

// At most this many details in one answer, each reason at most kMaxReasonBytes: whatever the
// body, the error stays small.
constexpr std::size_t kMaxDetails = 20;
constexpr std::size_t kMaxReasonBytes = 200;

std::size_t CodePoints(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    n += (c & 0xC0) != 0x80;
  return n;
}

std::optional<std::int64_t> IntKeyword(const boost::json::object& schema, std::string_view key) {
  const auto* v = schema.if_contains(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
  return std::nullopt;
}

std::string Join(const std::string& path, std::string_view part) {
  return (path == "/" ? std::string() : path) + "/" + std::string(part);
}

// The bounds pass: maxItems, maxProperties, maxLength (and propertyNames.maxLength), and the
// control-character rules, checked top-down before valijson sees the document. valijson checks
// an array's items and uniqueness before (and regardless of) its maxItems, reporting every
// duplicate pair: a 16 KB body of duplicates made gigabytes of errors. Here an oversized array
// or object is reported once and not descended into, so valijson only ever sees bounded input.
//
// Unknown members of records (additionalProperties: false) are reported here too. Strings
// never contain U+0000; a schema node with "x-single-line": true (names, titles,
// e-mails) refuses every C0 control character and DEL as well.
class BoundsPass {
 public:
  explicit BoundsPass(std::vector<FieldError>& out) : out_(out) {}

  // Something valijson must not see (an oversized member, a non-string under "format"): answer
  // with what was found. Otherwise only unknown members were found, if any: Prune() them and
  // let valijson check the rest.
  bool fatal() const { return fatal_; }
  bool found_unknown() const { return unknown_; }

  void Check(const boost::json::value& schema_node, const boost::json::value& doc,
             const std::string& path) {
    if (Full() || !schema_node.is_object()) return;
    const auto& schema = schema_node.get_object();
    // valijson 1.0's "format" check reads the value as a string whatever it is, and aborts the
    // process on anything else: such values never reach it.
    if (schema.contains("format") && !doc.is_string()) {
      Add(path, "must be a string");
      return;
    }
    switch (doc.kind()) {
      case boost::json::kind::string:
        CheckString(schema, doc.get_string(), path);
        return;
      case boost::json::kind::array:
        CheckArray(schema, doc.get_array(), path);
        return;
      case boost::json::kind::object:
        CheckObject(schema, doc.get_object(), path);
        return;
      default:
        return;
    }
  }

 private:
  bool Full() const { return out_.size() >= kMaxDetails; }
  void Add(const std::string& path, std::string reason) {
    fatal_ = true;
    out_.push_back({path, std::move(reason)});
  }
  void AddUnknown(const std::string& path) {
    unknown_ = true;
    out_.push_back({path, "unknown field"});
  }

  void CheckString(const boost::json::object& schema, std::string_view s, const std::string& path) {
    if (auto max = IntKeyword(schema, "maxLength"); max && CodePoints(s) > std::size_t(*max)) {
      Add(path, "must be at most " + std::to_string(*max) + " characters long");
      return;
    }
    const auto* single = schema.if_contains("x-single-line");
    bool strict = single != nullptr && single->is_bool() && single->get_bool();
    for (unsigned char c : s) {
      if (c == 0 || (strict && (c < 0x20 || c == 0x7F))) {
        Add(path, "must not contain control characters");
        return;
      }
    }
  }

  void CheckArray(const boost::json::object& schema, const boost::json::array& a,
                  const std::string& path) {
    if (auto max = IntKeyword(schema, "maxItems"); max && a.size() > std::size_t(*max)) {
      Add(path, "must have at most " + std::to_string(*max) + " items");
      return;
    }
    const auto* items = schema.if_contains("items");
    if (items == nullptr || !items->is_object()) return;
    for (std::size_t i = 0; i < a.size() && !Full(); ++i) {
      Check(*items, a[i], Join(path, std::to_string(i)));
    }
  }

  void CheckObject(const boost::json::object& schema, const boost::json::object& o,
                   const std::string& path) {
    if (auto max = IntKeyword(schema, "maxProperties"); max && o.size() > std::size_t(*max)) {
      Add(path, "must have at most " + std::to_string(*max) + " members");
      return;
    }
    const auto* props = schema.if_contains("properties");
    const auto* extra = schema.if_contains("additionalProperties");
    const auto* names = schema.if_contains("propertyNames");
    for (const auto& kv : o) {
      if (Full()) return;
      std::string child = Join(path, kv.key().substr(0, 64));
      if (names != nullptr && names->is_object()) {
        auto before = out_.size();
        CheckString(names->get_object(), kv.key(), child);
        if (out_.size() != before) continue;
      }
      const boost::json::value* sub = nullptr;
      if (props != nullptr && props->is_object()) sub = props->get_object().if_contains(kv.key());
      if (sub == nullptr && extra != nullptr && extra->is_bool() && !extra->get_bool()) {
        AddUnknown(child);  // here, so that valijson never lists thousands of them
        continue;
      }
      if (sub == nullptr && extra != nullptr && extra->is_object()) sub = extra;
      if (sub != nullptr) Check(*sub, kv.value(), child);
    }
  }

  std::vector<FieldError>& out_;
  bool fatal_ = false;
  bool unknown_ = false;
};

bool IsUnknownMember(const boost::json::object& schema, std::string_view key) {
  const auto* extra = schema.if_contains("additionalProperties");
  if (extra == nullptr || !extra->is_bool() || extra->get_bool()) return false;
  const auto* props = schema.if_contains("properties");
  return props == nullptr || !props->is_object() || !props->get_object().contains(key);
}

// Removes the members that records do not know (see BoundsPass), at every depth.
void Prune(const boost::json::value& schema_node, boost::json::value& doc) {
  if (!schema_node.is_object()) return;
  const auto& schema = schema_node.get_object();
  if (doc.is_object()) {
    auto& o = doc.get_object();
    for (auto it = o.begin(); it != o.end();) {
      if (IsUnknownMember(schema, it->key())) {
        it = o.erase(it);
        continue;
      }
      const boost::json::value* sub = nullptr;
      if (const auto* props = schema.if_contains("properties"); props && props->is_object()) {
        sub = props->get_object().if_contains(it->key());
      }
      if (sub == nullptr) sub = schema.if_contains("additionalProperties");
      if (sub != nullptr) Prune(*sub, it->value());
      ++it;
    }
  } else if (doc.is_array()) {
    if (const auto* items = schema.if_contains("items"); items != nullptr) {
      for (auto& e : doc.get_array())
        Prune(*items, e);
    }
  }
}

}  // namespace

Validator::Validator() {
  valijson::SchemaParser parser;
  for (const auto& s : EmbeddedSchemas()) {
    boost::json::value doc;
    try {
      doc = boost::json::parse(s.text);
    } catch (const std::exception& e) {
      throw std::runtime_error("schema " + std::string(s.name) + " is not JSON: " + e.what());
    }
    auto schema = std::make_unique<valijson::Schema>();
    try {
      valijson::adapters::BoostJsonAdapter adapter(doc);
      parser.populateSchema(adapter, *schema);
    } catch (const std::exception& e) {
      throw std::runtime_error("schema " + std::string(s.name) + " does not parse: " + e.what());
    }
    schemas_.emplace(std::string(s.name), Parsed{std::move(doc), std::move(schema)});
  }
}

Validator::~Validator() = default;

bool Validator::Has(std::string_view schema) const {
  return schemas_.find(schema) != schemas_.end();
}

Status Validator::Validate(std::string_view schema, const boost::json::value& document) const {
  auto it = schemas_.find(schema);
  if (it == schemas_.end()) {
    throw std::logic_error("no JSON Schema named " + std::string(schema));
  }
  auto invalid = [](std::vector<FieldError> details) {
    return Error::InvalidArgument("the request body is invalid", std::move(details))
        .WithSlug("validation_failed");
  };
  std::vector<FieldError> details;
  BoundsPass bounds(details);
  bounds.Check(it->second.document, document, "/");
  if (bounds.fatal()) return invalid(std::move(details));
  const boost::json::value* checked = &document;
  boost::json::value pruned;
  if (bounds.found_unknown()) {
    pruned = document;
    Prune(it->second.document, pruned);
    checked = &pruned;
  }

  valijson::Validator validator;
  valijson::adapters::BoostJsonAdapter target(*checked);
  // First without results: valijson then stops at the first failure, and a valid document
  // costs one pass.
  if (validator.validate(*it->second.schema, target, nullptr)) {
    if (details.empty()) return OkStatus();
    return invalid(std::move(details));
  }
  valijson::ValidationResults results;
  (void)validator.validate(*it->second.schema, target, &results);

  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& d : details)
    seen.emplace(d.path, d.reason);
  valijson::ValidationResults::Error e;
  while (details.size() < kMaxDetails && results.popError(e)) {
    std::string path = PathOf(e.context);
    std::string reason = e.description;
    if (reason.find("could not be validated using 'properties'") != std::string::npos ||
        reason.find("additionalProperties") != std::string::npos) {
      auto name = UnknownProperty(reason);
      if (!name.empty()) {
        path = (path == "/" ? "" : path) + "/" + name;
        reason = "unknown field";
      }
    }
    // valijson also reports the enclosing object failing because a member failed: keep leaves.
    if (reason.find("Failed to validate against schema associated with property") !=
            std::string::npos ||
        reason.find("Failed to validate item #") != std::string::npos ||
        reason.find("Failed to validate against child schema") != std::string::npos) {
      continue;
    }
    if (reason.size() > kMaxReasonBytes) {
      reason.resize(kMaxReasonBytes);
      while (!reason.empty() && (static_cast<unsigned char>(reason.back()) & 0xC0) == 0x80)
        reason.pop_back();  // never cut a UTF-8 sequence
      if (!reason.empty() && static_cast<unsigned char>(reason.back()) >= 0xC0) reason.pop_back();
      reason += "...";
    }
    if (path.size() > kMaxReasonBytes) path.resize(kMaxReasonBytes);
    if (seen.emplace(path, reason).second) details.push_back({path, reason});
    if (details.size() >= kMaxDetails) break;
  }
  if (details.empty()) details.push_back({"/", "does not match the expected format"});
  return invalid(std::move(details));
}

}  // namespace studybot::validation
