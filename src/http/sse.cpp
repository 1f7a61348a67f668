#include "http/sse.h"

#include "core/strings.h"

namespace studybot::http {

std::string SseEvent(std::string_view name, std::string_view data) {
  std::string out;
  out.reserve(name.size() + data.size() + 16);
  out += "event: ";
  out += name;
  out += "\ndata: ";
  for (std::size_t i = 0; i < data.size(); ++i) {
    char c = data[i];
    if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < data.size() && data[i + 1] == '\n') ++i;
      out += "\ndata: ";
    } else {
      out += c;
    }
  }
  out += "\n\n";
  return out;
}

std::string SseComment(std::string_view text) {
  std::string out = ": ";
  out += text;
  out += "\n\n";
  return out;
}

bool AcceptsEventStream(const Request& request) {
  for (auto part : Split(request[bhttp::field::accept], ',')) {
    auto params = Split(part, ';');
    if (params.empty() || !EqualsIgnoreCase(Trim(params[0]), "text/event-stream")) continue;
    bool refused = false;
    for (std::size_t i = 1; i < params.size(); ++i) {
      auto p = Trim(params[i]);
      if (p.size() >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
        auto q = Trim(p.substr(2));
        // q=0, q=0.0, q=0.000: refused; anything else is a preference > 0.
        refused = !q.empty() && q.find_first_not_of("0.") == std::string_view::npos;
      }
    }
    if (!refused) return true;
  }
  return false;
}

Response SseHead() {
  Response res{Status::ok, 11};
  res.set(bhttp::field::content_type, "text/event-stream; charset=utf-8");
  res.set(bhttp::field::cache_control, "no-store");
  // nginx buffers proxied responses unless told not to; an SSE stream must flow as written.
  res.set("X-Accel-Buffering", "no");
  return res;
}

}  // namespace studybot::http
