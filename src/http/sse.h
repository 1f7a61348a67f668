// Server-sent events (the WHATWG HTML "text/event-stream" format): what a streamed chat answer is
// made of. An event is "event: <name>" and one "data: " line per line of its data, then a blank
// line; a line starting with ':' is a comment, which clients ignore (heartbeats that keep proxies
// from closing an idle stream).
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "http/types.h"

namespace studybot::http {

// One event. `name` must be a non-empty line without ':' (the caller's own constants); `data` may
// hold several lines (each CR, LF or CRLF starts a new data line, as the parser will rejoin them
// with LF).
std::string SseEvent(std::string_view name, std::string_view data);

// A comment line ": <text>" and the blank line that flushes it. `text` has no line breaks.
std::string SseComment(std::string_view text);

// Whether the request's Accept header asks for text/event-stream (with q > 0).
bool AcceptsEventStream(const Request& request);

// The head of a streamed SSE response: 200, text/event-stream, no caching or proxy buffering.
Response SseHead();

}  // namespace studybot::http
