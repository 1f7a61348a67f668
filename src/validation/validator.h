// Validator: request bodies checked against the JSON Schemas of docs/schemas (draft 7, through
// valijson). Every schema refuses unknown fields (additionalProperties: false) and bounds every
// string (maxLength); a test holds each schema to that.
//
// Schemas are parsed once at construction; Validate() is const and thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "core/result.h"

namespace valijson {
class Schema;
}

namespace studybot::validation {

class Validator {
 public:
  // Parses every embedded schema; throws std::runtime_error naming a schema that does not parse
  // (a build defect, caught by the tests).
  Validator();
  ~Validator();

  // Ok, or kInvalidArgument with one detail per failing field ({path: "/email", reason}): at
  // most 20 details of at most ~200 bytes each, whatever the document. Sizes (maxItems,
  // maxProperties, maxLength) are checked first, so an oversized array is one error and its
  // items are never looked at.
  // REQUIRES: `schema` names an embedded schema (a programmer error otherwise: throws).
  Status Validate(std::string_view schema, const boost::json::value& document) const;

  bool Has(std::string_view schema) const;

 private:
  struct Parsed {
    boost::json::value document;  // the schema's JSON, read by the bounds pass
    std::unique_ptr<valijson::Schema> schema;
  };
  std::map<std::string, Parsed, std::less<>> schemas_;
};

}  // namespace studybot::validation
