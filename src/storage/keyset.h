// Keyset pagination over (time, id), newest first: the cursor is "<time>|<id>" of the last row of
// a page. Plain ASCII, opaque to clients.
#pragma once

#include <optional>
#include <string>

namespace studybot::storage {

struct TimeCursor {
  std::string at;
  std::string id;
};

inline std::string MakeTimeCursor(const std::string& at, const std::string& id) {
  return at + "|" + id;
}

// nullopt for text that is not a cursor we issued.
inline std::optional<TimeCursor> ParseTimeCursor(const std::string& cursor) {
  auto bar = cursor.find('|');
  if (bar == std::string::npos || bar == 0 || bar + 1 >= cursor.size()) return std::nullopt;
  TimeCursor c{cursor.substr(0, bar), cursor.substr(bar + 1)};
  if (c.at.size() > 32 || c.id.size() > 64) return std::nullopt;
  return c;
}

}  // namespace studybot::storage
