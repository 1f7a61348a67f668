// Keyset pagination over (time, id), newest first: the cursor is "<time>|<id>" of the last row of
// a page. Plain ASCII, opaque to clients.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "storage/database.h"

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

// Appends to a query that ends in a WHERE clause the page after `cursor` ("" for the first
// page), newest first by (time_column, id_column), `limit` + 1 rows (the extra row says whether
// there is a next page). kInvalidArgument for a cursor we did not issue.
inline Status AppendKeysetPage(std::string& sql, std::vector<Value>& params,
                               const std::string& cursor, std::string_view time_column,
                               std::string_view id_column, int limit) {
  const std::string t(time_column), id(id_column);
  if (!cursor.empty()) {
    auto c = ParseTimeCursor(cursor);
    if (!c) {
      return Error::InvalidArgument("malformed cursor", {{"/cursor", "not a cursor we issued"}});
    }
    sql += " AND (" + t + " < ? OR (" + t + " = ? AND " + id + " < ?))";
    params.emplace_back(c->at);
    params.emplace_back(c->at);
    params.emplace_back(c->id);
  }
  sql += " ORDER BY " + t + " DESC, " + id + " DESC LIMIT ?";
  params.emplace_back(static_cast<int64_t>(limit) + 1);
  return OkStatus();
}

}  // namespace studybot::storage
