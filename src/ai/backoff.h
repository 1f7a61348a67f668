// Retrying calls to third-party HTTP APIs (embedding and chat providers): exponential backoff
// with full jitter, and the delay the server itself asks for.
//
// Full jitter (a uniformly random delay between 0 and the exponential ceiling) is what spreads
// the retries of many workers that failed together: with plain exponential backoff they would
// come back in synchronised waves and fail together again.
//
// Thread-safety: pure functions; the caller owns (and locks) the random engine.
#pragma once

#include <chrono>
#include <optional>
#include <random>
#include <string_view>

#include "core/time.h"
#include "outbound/http_client.h"

namespace studybot::ai {

// min(cap, base * 2^attempt), attempt counting from 0. REQUIRES: base, cap >= 0, attempt >= 0.
std::chrono::milliseconds BackoffCeiling(int attempt, std::chrono::milliseconds base,
                                         std::chrono::milliseconds cap);

// Uniform in [0, BackoffCeiling(attempt, base, cap)].
std::chrono::milliseconds FullJitterBackoff(int attempt, std::chrono::milliseconds base,
                                            std::chrono::milliseconds cap, std::mt19937_64& rng);

// The wait the server asked for before retrying: `retry-after-ms` (milliseconds, sent by OpenAI
// and Azure OpenAI, finer than the standard header) when present and well-formed, else
// `Retry-After` as delay-seconds or as an HTTP-date taken relative to `now` (a date in the past
// means 0). nullopt when neither is usable; absurdly large values are clamped to a day.
std::optional<std::chrono::milliseconds> RetryAfterHint(const outbound::HttpResponse& response,
                                                        SystemTime now);

// An HTTP-date in any of the three forms RFC 9110 §5.6.7 says recipients must accept:
// IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT" and
// asctime "Sun Nov  6 08:49:37 1994". nullopt for anything else.
std::optional<SystemTime> ParseHttpDate(std::string_view text);

}  // namespace studybot::ai
