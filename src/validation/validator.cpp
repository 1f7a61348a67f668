#include "validation/validator.h"

#include <set>
#include <stdexcept>

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
    schemas_.emplace(std::string(s.name), std::move(schema));
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
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::BoostJsonAdapter target(document);
  if (validator.validate(*it->second, target, &results)) return OkStatus();

  std::vector<FieldError> details;
  std::set<std::pair<std::string, std::string>> seen;
  valijson::ValidationResults::Error e;
  while (results.popError(e)) {
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
    if (seen.emplace(path, reason).second) details.push_back({path, reason});
  }
  if (details.empty()) details.push_back({"/", "does not match the expected format"});
  return Error::InvalidArgument("the request body is invalid", std::move(details))
      .WithSlug("validation_failed");
}

}  // namespace studybot::validation
