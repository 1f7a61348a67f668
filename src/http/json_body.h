// Reading a JSON request body: 415 for another content type, 400 for malformed JSON with the
// line, column and byte offset of the first problem. Invalid UTF-8 and nesting deeper than
// kMaxJsonDepth are malformed.
#pragma once

#include <boost/json/value.hpp>

#include "core/result.h"
#include "http/types.h"

namespace studybot::http {

inline constexpr std::size_t kMaxJsonDepth = 64;

// Parses `text` as one JSON document.
Result<boost::json::value> ParseJson(std::string_view text);

// Checks the Content-Type (application/json or application/*+json, any charset parameter of
// utf-8) and parses the body. An empty body is an error.
Result<boost::json::value> ParseJsonBody(const Request& request);

}  // namespace studybot::http
