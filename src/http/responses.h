// Building responses: JSON bodies and the error envelope of DESIGN.md. This is the one place that
// turns a domain ErrorCode into an HTTP status.
#pragma once

#include <string_view>

#include <boost/json/value.hpp>

#include "core/error.h"
#include "http/types.h"

namespace studybot::http {

Status StatusFor(ErrorCode code);

// A response with a JSON body and Content-Type: application/json.
Response JsonResponse(Status status, const boost::json::value& body);

// {"error":{"code","message","details":[{"path","reason"}],"request_id"}}: the error envelope
// (also the data of a stream's `error` event).
boost::json::object ErrorJson(const Error& error, std::string_view request_id);

// The error envelope with the matching status;
// kRateLimited adds Retry-After. kInternal errors never show their message: it goes to the log.
Response ErrorResponse(const Error& error, std::string_view request_id);

// ErrorResponse for the request in `ctx`.
inline Response Fail(const RequestContext& ctx, const Error& error) {
  return ErrorResponse(error, ctx.request_id);
}

// {"items": [...], "next_cursor": "..." | null}: the shape of every paginated list.
boost::json::object PageJson(boost::json::array items, const std::string& next_cursor);

}  // namespace studybot::http
