#include "http/responses.h"

#include <boost/json/serialize.hpp>

namespace studybot::http {

Status StatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return Status::bad_request;
    case ErrorCode::kUnauthenticated:
      return Status::unauthorized;
    case ErrorCode::kPermissionDenied:
      return Status::forbidden;
    case ErrorCode::kNotFound:
      return Status::not_found;
    case ErrorCode::kConflict:
      return Status::conflict;
    case ErrorCode::kPayloadTooLarge:
      return Status::payload_too_large;
    case ErrorCode::kUnsupportedMediaType:
      return Status::unsupported_media_type;
    case ErrorCode::kUnprocessable:
      return Status::unprocessable_entity;
    case ErrorCode::kRateLimited:
      return Status::too_many_requests;
    case ErrorCode::kUnavailable:
      return Status::service_unavailable;
    // Nobody is waiting for the answer; should one still be written, the client closed first.
    case ErrorCode::kCancelled:
      return Status::service_unavailable;
    case ErrorCode::kInternal:
      return Status::internal_server_error;
  }
  return Status::internal_server_error;
}

Response JsonResponse(Status status, const boost::json::value& body) {
  Response res{status, 11};
  res.set(bhttp::field::content_type, "application/json");
  res.body() = boost::json::serialize(body);
  res.body() += '\n';
  return res;
}

boost::json::object ErrorJson(const Error& error, std::string_view request_id) {
  boost::json::object e;
  e["code"] = error.slug.empty() ? ErrorCodeName(error.code) : error.slug;
  e["message"] = error.code == ErrorCode::kInternal
                     ? "internal error; quote the request id when reporting it"
                     : error.message;
  boost::json::array details;
  for (const auto& d : error.details) {
    details.push_back(boost::json::object{{"path", d.path}, {"reason", d.reason}});
  }
  e["details"] = std::move(details);
  if (!request_id.empty()) e["request_id"] = request_id;
  return boost::json::object{{"error", std::move(e)}};
}

Response ErrorResponse(const Error& error, std::string_view request_id) {
  auto res = JsonResponse(StatusFor(error.code), ErrorJson(error, request_id));
  if (error.retry_after_seconds) {
    res.set(bhttp::field::retry_after, std::to_string(*error.retry_after_seconds));
  }
  return res;
}

boost::json::object PageJson(boost::json::array items, const std::string& next_cursor) {
  return {{"items", std::move(items)},
          {"next_cursor",
           next_cursor.empty() ? boost::json::value(nullptr) : boost::json::value(next_cursor)}};
}

}  // namespace studybot::http
