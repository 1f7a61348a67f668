// Domain errors: what went wrong, in terms the caller can act on.
//
// Services return these as values (see result.h); only http/ maps an ErrorCode to a status.
// Messages are written for the API client: they never carry secrets, SQL, or stack traces.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace studybot {

enum class ErrorCode {
  kInvalidArgument,       // the request is malformed or fails validation
  kUnauthenticated,       // no or bad credentials
  kPermissionDenied,      // authenticated but not allowed
  kNotFound,              // the target does not exist (or is not visible to the caller)
  kConflict,              // the request conflicts with the current state
  kPayloadTooLarge,       // the body is larger than allowed
  kUnsupportedMediaType,  // the body is not in a format we accept
  kUnprocessable,         // well-formed but semantically impossible
  kRateLimited,           // too many requests; retry_after_seconds says when to retry
  kUnavailable,           // a dependency is down; retrying later may work
  kCancelled,             // the caller gave up (a client went away): nobody waits for the result
  kInternal,              // a bug or an unexpected failure; details are logged, not returned
};

// One failing field of a validated request.
struct FieldError {
  std::string path;    // JSON pointer-like path, e.g. "/email"
  std::string reason;  // human text
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  std::vector<FieldError> details;
  // For kRateLimited: seconds until the client may retry.
  std::optional<long> retry_after_seconds;
  // A more specific snake_case code for API clients ("malformed_json"); "" uses the code's name.
  std::string slug;

  Error&& WithSlug(std::string s) && {
    slug = std::move(s);
    return std::move(*this);
  }

  static Error InvalidArgument(std::string msg, std::vector<FieldError> details = {}) {
    return {ErrorCode::kInvalidArgument, std::move(msg), std::move(details), std::nullopt, {}};
  }
  static Error Unauthenticated(std::string msg) {
    return {ErrorCode::kUnauthenticated, std::move(msg), {}, std::nullopt, {}};
  }
  static Error PermissionDenied(std::string msg) {
    return {ErrorCode::kPermissionDenied, std::move(msg), {}, std::nullopt, {}};
  }
  static Error NotFound(std::string msg) {
    return {ErrorCode::kNotFound, std::move(msg), {}, std::nullopt, {}};
  }
  static Error Conflict(std::string msg) {
    return {ErrorCode::kConflict, std::move(msg), {}, std::nullopt, {}};
  }
  static Error PayloadTooLarge(std::string msg) {
    return {ErrorCode::kPayloadTooLarge, std::move(msg), {}, std::nullopt, {}};
  }
  static Error UnsupportedMediaType(std::string msg) {
    return {ErrorCode::kUnsupportedMediaType, std::move(msg), {}, std::nullopt, {}};
  }
  static Error Unprocessable(std::string msg) {
    return {ErrorCode::kUnprocessable, std::move(msg), {}, std::nullopt, {}};
  }
  static Error RateLimited(std::string msg, long retry_after) {
    return {ErrorCode::kRateLimited, std::move(msg), {}, retry_after, {}};
  }
  static Error Unavailable(std::string msg) {
    return {ErrorCode::kUnavailable, std::move(msg), {}, std::nullopt, {}};
  }
  static Error Cancelled(std::string msg) {
    return {ErrorCode::kCancelled, std::move(msg), {}, std::nullopt, {}};
  }
  static Error Internal(std::string msg) {
    return {ErrorCode::kInternal, std::move(msg), {}, std::nullopt, {}};
  }
};

// Stable snake_case name of a code, as used in logs.
const char* ErrorCodeName(ErrorCode code);

}  // namespace studybot
