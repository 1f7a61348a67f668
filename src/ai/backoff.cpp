#include "ai/backoff.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>
#include <string>
#include <vector>

#include "core/strings.h"

namespace studybot::ai {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kMaxHint = std::chrono::hours(24);

std::optional<int> ParseInt(std::string_view s) {
  int v = 0;
  if (s.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

std::optional<int> ParseMonth(std::string_view s) {
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int i = 0; i < 12; ++i) {
    if (s == kMonths[i]) return i;
  }
  return std::nullopt;
}

// "08:49:37" into tm's hour, minute and second.
bool ParseClock(std::string_view s, std::tm& tm) {
  if (s.size() != 8 || s[2] != ':' || s[5] != ':') return false;
  auto h = ParseInt(s.substr(0, 2));
  auto m = ParseInt(s.substr(3, 2));
  auto sec = ParseInt(s.substr(6, 2));
  if (!h || !m || !sec || *h > 23 || *m > 59 || *sec > 60) return false;
  tm.tm_hour = *h;
  tm.tm_min = *m;
  tm.tm_sec = *sec;
  return true;
}

std::vector<std::string_view> Words(std::string_view s) {
  std::vector<std::string_view> out;
  for (std::string_view w : Split(s, ' ')) {
    if (!w.empty()) out.push_back(w);
  }
  return out;
}

// The delay until `when`, clamped to [0, kMaxHint].
milliseconds Until(SystemTime when, SystemTime now) {
  if (when <= now) return milliseconds(0);
  return std::min(kMaxHint, std::chrono::ceil<milliseconds>(when - now));
}

}  // namespace

milliseconds BackoffCeiling(int attempt, milliseconds base, milliseconds cap) {
  // Doubling stops at the cap, so no shift can overflow.
  milliseconds ceiling = std::min(base, cap);
  for (int i = 0; i < attempt && ceiling < cap; ++i)
    ceiling = std::min(cap, ceiling * 2);
  return ceiling;
}

milliseconds FullJitterBackoff(int attempt, milliseconds base, milliseconds cap,
                               std::mt19937_64& rng) {
  std::uniform_int_distribution<int64_t> pick(0, BackoffCeiling(attempt, base, cap).count());
  return milliseconds(pick(rng));
}

std::optional<milliseconds> RetryAfterHint(const outbound::HttpResponse& response, SystemTime now) {
  if (auto ms = response.Header("retry-after-ms")) {
    std::string_view s = Trim(*ms);
    double v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (!s.empty() && ec == std::errc() && end == s.data() + s.size() && std::isfinite(v) &&
        v >= 0) {
      return milliseconds(
          static_cast<int64_t>(std::ceil(std::min(v, static_cast<double>(kMaxHint.count())))));
    }
  }
  auto header = response.Header("retry-after");
  if (!header) return std::nullopt;
  std::string_view s = Trim(*header);
  if (!s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    // Digits only; more than nine of them is more than a day anyway.
    if (s.size() > 9) return kMaxHint;
    return std::min(kMaxHint, milliseconds(int64_t{*ParseInt(s)} * 1000));
  }
  if (auto when = ParseHttpDate(s)) return Until(*when, now);
  return std::nullopt;
}

std::optional<SystemTime> ParseHttpDate(std::string_view text) {
  std::vector<std::string_view> w = Words(Trim(text));
  std::tm tm{};
  std::optional<int> day, month, year;
  if (w.size() == 6 && w[0].size() == 4 && w[0].back() == ',' && w[5] == "GMT") {
    // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
    if (w[1].size() != 2 || w[3].size() != 4) return std::nullopt;
    day = ParseInt(w[1]);
    month = ParseMonth(w[2]);
    year = ParseInt(w[3]);
    if (!ParseClock(w[4], tm)) return std::nullopt;
  } else if (w.size() == 4 && w[0].size() > 4 && w[0].back() == ',' && w[3] == "GMT") {
    // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
    std::vector<std::string_view> dmy = Split(w[1], '-');
    if (dmy.size() != 3 || dmy[0].size() != 2 || dmy[2].size() != 2) return std::nullopt;
    day = ParseInt(dmy[0]);
    month = ParseMonth(dmy[1]);
    year = ParseInt(dmy[2]);
    // Two-digit years: RFC 9110 says to read one that looks more than 50 years in the future
    // as the past; for retry hints "70..99 is 19xx" is the same thing for decades to come.
    if (year) *year += *year < 70 ? 2000 : 1900;
    if (!ParseClock(w[2], tm)) return std::nullopt;
  } else if (w.size() == 5 && w[0].size() == 3) {
    // asctime: "Sun Nov  6 08:49:37 1994"
    month = ParseMonth(w[1]);
    day = w[2].size() <= 2 ? ParseInt(w[2]) : std::nullopt;
    year = w[4].size() == 4 ? ParseInt(w[4]) : std::nullopt;
    if (!ParseClock(w[3], tm)) return std::nullopt;
  } else {
    return std::nullopt;
  }
  if (!day || !month || !year || *day < 1 || *day > 31 || *year < 1970) return std::nullopt;
  tm.tm_mday = *day;
  tm.tm_mon = *month;
  tm.tm_year = *year - 1900;
  const std::time_t t = timegm(&tm);
  // timegm normalises an impossible date ("31 Feb") instead of failing; refuse those.
  if (t == static_cast<std::time_t>(-1) || tm.tm_mday != *day) return std::nullopt;
  return std::chrono::system_clock::from_time_t(t);
}

}  // namespace studybot::ai
