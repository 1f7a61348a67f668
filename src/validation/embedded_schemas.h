// The request JSON Schemas compiled into the binary (docs/schemas/*.json, see
// cmake/embed_schemas.cmake).
#pragma once

#include <string_view>
#include <vector>

namespace studybot::validation {

struct EmbeddedSchema {
  std::string_view name;  // file name without .json, e.g. "login_request"
  std::string_view text;
};

const std::vector<EmbeddedSchema>& EmbeddedSchemas();

}  // namespace studybot::validation
