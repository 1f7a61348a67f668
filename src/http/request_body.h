// Reading a request body that must be a JSON object valid against one of our schemas: 415 for a
// non-JSON content type, 400 malformed_json with the position, 400 validation_failed with one
// detail per failing field.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "core/result.h"
#include "http/types.h"
#include "validation/validator.h"

namespace studybot::http {

Result<boost::json::object> ReadBody(const Request& request, const validation::Validator& validator,
                                     std::string_view schema);

// The token of an "Authorization: Bearer <token>" header; "" when absent or another scheme.
std::string_view BearerToken(const Request& request);

// The value of one cookie; "" when absent.
std::string_view CookieValue(const Request& request, std::string_view name);

// Query parameter `name` of `query` (the part after '?'), percent-decoded; nullopt when absent.
std::optional<std::string> QueryParam(std::string_view query, std::string_view name);

struct PageParams {
  int limit = 50;
  std::string cursor;
};
// `limit` (1..max_limit, default 50) and `cursor` (<= 256 chars) from the query string.
Result<PageParams> ReadPageParams(std::string_view query, int max_limit = 200);

}  // namespace studybot::http
