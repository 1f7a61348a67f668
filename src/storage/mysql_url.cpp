// ParseMysqlUrl (declared in mysql_database.h).
#include <charconv>

#include "storage/mysql_database.h"

namespace studybot::storage {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes `in`; `what` names the part for the error (never its content: it may be the
// password).
Result<std::string> Decode(std::string_view in, const char* what) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    int hi = i + 2 < in.size() ? HexDigit(in[i + 1]) : -1;
    int lo = i + 2 < in.size() ? HexDigit(in[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      return Error::InvalidArgument(std::string("database url: bad percent-encoding in the ") +
                                    what);
    }
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

}  // namespace

Result<MysqlUrl> ParseMysqlUrl(std::string_view url) {
  std::string_view rest;
  for (std::string_view scheme : {"mysql://", "mariadb://"}) {
    if (url.substr(0, scheme.size()) == scheme) rest = url.substr(scheme.size());
  }
  if (rest.empty()) {
    return Error::InvalidArgument("database url: expected mysql://user:pass@host:port/db");
  }
  MysqlUrl out;
  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  // The password may hold an unencoded '@' or '/': the host part starts after the last '@'.
  std::string_view userinfo;
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
  }
  std::string_view path;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    path = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  if (!userinfo.empty()) {
    auto colon = userinfo.find(':');
    auto user = Decode(userinfo.substr(0, colon), "user name");
    if (!user.ok()) return std::move(user).error();
    out.user = std::move(user.value());
    if (colon != std::string_view::npos) {
      auto pass = Decode(userinfo.substr(colon + 1), "password");
      if (!pass.ok()) return std::move(pass).error();
      out.password = std::move(pass.value());
    }
  }
  std::string_view host = rest;
  std::string_view port;
  if (!host.empty() && host.front() == '[') {  // [::1]:3306
    auto close = host.find(']');
    if (close == std::string_view::npos) {
      return Error::InvalidArgument("database url: unterminated [ in the host");
    }
    if (close + 1 < host.size()) {
      if (host[close + 1] != ':') return Error::InvalidArgument("database url: bad host");
      port = host.substr(close + 2);
    }
    host = host.substr(1, close - 1);
  } else if (auto colon = host.rfind(':'); colon != std::string_view::npos) {
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
  }
  if (!host.empty()) out.host = std::string(host);
  if (!port.empty()) {
    unsigned p = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || end != port.data() + port.size() || p == 0 || p > 65535) {
      return Error::InvalidArgument("database url: bad port");
    }
    out.port = p;
  }
  auto db = Decode(path, "database name");
  if (!db.ok()) return std::move(db).error();
  out.database = std::move(db.value());
  if (out.database.empty() || out.database.find('/') != std::string::npos) {
    return Error::InvalidArgument("database url: missing database name (mysql://.../DB)");
  }
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    auto eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (key == "socket") {
      auto s = Decode(value, "socket path");
      if (!s.ok()) return std::move(s).error();
      out.socket = std::move(s.value());
    } else if (!key.empty()) {
      return Error::InvalidArgument("database url: unknown parameter '" + std::string(key) +
                                    "' (supported: socket)");
    }
  }
  if (out.user.empty()) return Error::InvalidArgument("database url: missing user name");
  return out;
}

}  // namespace studybot::storage
