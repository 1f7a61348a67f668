#include "core/config.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <functional>
#include <sstream>

#include <toml++/toml.h>

#include "core/strings.h"

extern char** environ;

namespace studybot {
namespace {

using Setter = std::function<Status(Config&, const std::string&)>;
using Getter = std::function<std::string(const Config&)>;

struct Setting {
  std::string key;
  bool secret;
  Setter set;
  Getter get;
};

Error Invalid(const std::string& key, const std::string& why) {
  return Error::InvalidArgument("invalid setting " + key + " (" + EnvNameForKey(key) + "): " + why);
}

Result<long long> ParseInteger(const std::string& key, const std::string& text, long long min,
                               long long max) {
  long long v = 0;
  auto t = Trim(text);
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || ptr != t.data() + t.size()) {
    return Invalid(key, "'" + text + "' is not an integer");
  }
  if (v < min || v > max) {
    return Invalid(key, std::to_string(v) + " is outside [" + std::to_string(min) + ", " +
                            std::to_string(max) + "]");
  }
  return v;
}

// "250ms", "15s", "2m", "1h"; a bare number is seconds.
Result<std::chrono::milliseconds> ParseDuration(const std::string& key, const std::string& text) {
  std::string t(Trim(text));
  std::size_t i = 0;
  while (i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) != 0))
    ++i;
  if (i == 0) return Invalid(key, "'" + text + "' is not a duration like 250ms, 15s, 2m");
  auto n = ParseInteger(key, t.substr(0, i), 0, 365LL * 24 * 3600 * 1000);
  if (!n) return n.error();
  std::string unit = t.substr(i);
  long long ms;
  if (unit == "ms") {
    ms = *n;
  } else if (unit.empty() || unit == "s") {
    ms = *n * 1000;
  } else if (unit == "m") {
    ms = *n * 60'000;
  } else if (unit == "h") {
    ms = *n * 3'600'000;
  } else {
    return Invalid(key, "unknown duration unit '" + unit + "' (use ms, s, m or h)");
  }
  return std::chrono::milliseconds(ms);
}

// "4096", "16k", "16KiB", "1M", "1MiB".
Result<std::size_t> ParseSize(const std::string& key, const std::string& text) {
  std::string t(Trim(text));
  std::size_t i = 0;
  while (i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) != 0))
    ++i;
  if (i == 0) return Invalid(key, "'" + text + "' is not a size like 4096, 16KiB, 1MiB");
  auto n = ParseInteger(key, t.substr(0, i), 0, 1LL << 40);
  if (!n) return n.error();
  std::string unit = ToLower(t.substr(i));
  long long mult;
  if (unit.empty() || unit == "b") {
    mult = 1;
  } else if (unit == "k" || unit == "kb" || unit == "kib") {
    mult = 1024;
  } else if (unit == "m" || unit == "mb" || unit == "mib") {
    mult = 1024 * 1024;
  } else if (unit == "g" || unit == "gb" || unit == "gib") {
    mult = 1024LL * 1024 * 1024;
  } else {
    return Invalid(key, "unknown size unit '" + unit + "'");
  }
  return static_cast<std::size_t>(*n * mult);
}

Result<bool> ParseBool(const std::string& key, const std::string& text) {
  std::string t = ToLower(std::string(Trim(text)));
  if (t == "true" || t == "1" || t == "yes" || t == "on") return true;
  if (t == "false" || t == "0" || t == "no" || t == "off") return false;
  return Invalid(key, "'" + text + "' is not a boolean (true/false)");
}

std::vector<std::string> ParseList(const std::string& text) {
  std::vector<std::string> out;
  for (auto part : Split(text, ',')) {
    auto p = Trim(part);
    if (!p.empty()) out.emplace_back(p);
  }
  return out;
}

std::string FormatDuration(std::chrono::milliseconds d) {
  return std::to_string(d.count()) + "ms";
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += ",";
    out += s;
  }
  return out;
}

// Binds a setting to a member reached through `field`; F returns a reference to it.
template <typename F>
Setting IntSetting(std::string key, F field, long long min, long long max) {
  return {key, false,
          [key, field, min, max](Config& c, const std::string& v) -> Status {
            auto n = ParseInteger(key, v, min, max);
            if (!n) return n.error();
            field(c) = static_cast<std::remove_reference_t<decltype(field(c))>>(*n);
            return OkStatus();
          },
          [field](const Config& c) { return std::to_string(field(c)); }};
}

template <typename F>
Setting DurationSetting(std::string key, F field) {
  return {key, false,
          [key, field](Config& c, const std::string& v) -> Status {
            auto d = ParseDuration(key, v);
            if (!d) return d.error();
            field(c) = *d;
            return OkStatus();
          },
          [field](const Config& c) { return FormatDuration(field(c)); }};
}

template <typename F>
Setting SecondsSetting(std::string key, F field) {
  return {key, false,
          [key, field](Config& c, const std::string& v) -> Status {
            auto d = ParseDuration(key, v);
            if (!d) return d.error();
            if (d->count() % 1000 != 0) return Invalid(key, "must be whole seconds");
            field(c) = std::chrono::duration_cast<std::chrono::seconds>(*d);
            return OkStatus();
          },
          [field](const Config& c) { return std::to_string(field(c).count()) + "s"; }};
}

template <typename F>
Setting SizeSetting(std::string key, F field) {
  return {key, false,
          [key, field](Config& c, const std::string& v) -> Status {
            auto s = ParseSize(key, v);
            if (!s) return s.error();
            field(c) = *s;
            return OkStatus();
          },
          [field](const Config& c) { return std::to_string(field(c)); }};
}

template <typename F>
Setting BoolSetting(std::string key, F field) {
  return {key, false,
          [key, field](Config& c, const std::string& v) -> Status {
            auto b = ParseBool(key, v);
            if (!b) return b.error();
            field(c) = *b;
            return OkStatus();
          },
          [field](const Config& c) { return std::string(field(c) ? "true" : "false"); }};
}

template <typename F>
Setting StringSetting(std::string key, F field, bool secret = false) {
  return {key, secret,
          [field](Config& c, const std::string& v) -> Status {
            field(c) = v;
            return OkStatus();
          },
          [field](const Config& c) { return field(c); }};
}

template <typename F>
Setting ListSetting(std::string key, F field) {
  return {key, false,
          [field](Config& c, const std::string& v) -> Status {
            field(c) = ParseList(v);
            return OkStatus();
          },
          [field](const Config& c) { return Join(field(c)); }};
}

template <typename F>
Setting OneOfSetting(std::string key, F field, std::vector<std::string> allowed) {
  return {key, false,
          [key, field, allowed](Config& c, const std::string& v) -> Status {
            std::string t = ToLower(std::string(Trim(v)));
            if (std::find(allowed.begin(), allowed.end(), t) == allowed.end()) {
              return Invalid(key, "'" + v + "' is not one of " + Join(allowed));
            }
            field(c) = t;
            return OkStatus();
          },
          [field](const Config& c) { return field(c); }};
}

const std::vector<Setting>& Settings() {
  // A function-local table of stateless descriptors (no mutable state: not a singleton).
  static const std::vector<Setting> kSettings = {
      StringSetting(
          "data_dir", [](auto& c) -> auto& { return c.data_dir; }),
      IntSetting(
          "worker_threads", [](auto& c) -> auto& { return c.worker_threads; }, 1, 256),
      StringSetting(
          "http.host", [](auto& c) -> auto& { return c.http.host; }),
      IntSetting(
          "http.port", [](auto& c) -> auto& { return c.http.port; }, 0, 65535),
      IntSetting(
          "http.io_threads", [](auto& c) -> auto& { return c.http.io_threads; }, 0, 256),
      SizeSetting(
          "http.header_limit", [](auto& c) -> auto& { return c.http.header_limit_bytes; }),
      SizeSetting(
          "http.body_limit", [](auto& c) -> auto& { return c.http.body_limit_bytes; }),
      SizeSetting(
          "http.upload_limit", [](auto& c) -> auto& { return c.http.upload_limit_bytes; }),
      DurationSetting(
          "http.idle_timeout", [](auto& c) -> auto& { return c.http.idle_timeout; }),
      DurationSetting(
          "http.read_timeout", [](auto& c) -> auto& { return c.http.read_timeout; }),
      DurationSetting(
          "http.write_timeout", [](auto& c) -> auto& { return c.http.write_timeout; }),
      DurationSetting(
          "http.shutdown_grace", [](auto& c) -> auto& { return c.http.shutdown_grace; }),
      IntSetting(
          "http.max_connections", [](auto& c) -> auto& { return c.http.max_connections; }, 1,
          1'000'000),
      ListSetting(
          "http.cors_origins", [](auto& c) -> auto& { return c.http.cors_origins; }),
      ListSetting(
          "http.trusted_proxies", [](auto& c) -> auto& { return c.http.trusted_proxies; }),
      // The URL may hold a password: redacted when described.
      StringSetting(
          "database.url", [](auto& c) -> auto& { return c.database.url; }, true),
      IntSetting(
          "database.pool_size", [](auto& c) -> auto& { return c.database.pool_size; }, 1, 1024),
      DurationSetting(
          "database.busy_timeout", [](auto& c) -> auto& { return c.database.busy_timeout; }),
      OneOfSetting("database.mysql_ssl_mode",
                   [](auto& c) -> auto& { return c.database.mysql_ssl_mode; },
                   {"disabled", "preferred", "required", "verify_ca", "verify_identity"}),
      StringSetting(
          "database.mysql_ssl_ca", [](auto& c) -> auto& { return c.database.mysql_ssl_ca; }),
      BoolSetting(
          "database.migrate_on_start",
          [](auto& c) -> auto& { return c.database.migrate_on_start; }),
      OneOfSetting("log.level", [](auto& c) -> auto& { return c.log.level; },
                   {"trace", "debug", "info", "warn", "error", "off"}),
      OneOfSetting("environment", [](auto& c) -> auto& { return c.environment; },
                   {"development", "production"}),
      StringSetting(
          "jwt.secret", [](auto& c) -> auto& { return c.jwt.secret; }, true),
      StringSetting(
          "jwt.kid", [](auto& c) -> auto& { return c.jwt.kid; }),
      StringSetting(
          "jwt.previous_secret", [](auto& c) -> auto& { return c.jwt.previous_secret; }, true),
      StringSetting(
          "jwt.previous_kid", [](auto& c) -> auto& { return c.jwt.previous_kid; }),
      StringSetting(
          "jwt.issuer", [](auto& c) -> auto& { return c.jwt.issuer; }),
      StringSetting(
          "jwt.audience", [](auto& c) -> auto& { return c.jwt.audience; }),
      SecondsSetting(
          "jwt.access_ttl", [](auto& c) -> auto& { return c.jwt.access_ttl; }),
      SecondsSetting(
          "jwt.leeway", [](auto& c) -> auto& { return c.jwt.leeway; }),
      SecondsSetting(
          "auth.refresh_ttl", [](auto& c) -> auto& { return c.auth.refresh_ttl; }),
      BoolSetting(
          "auth.refresh_cookie", [](auto& c) -> auto& { return c.auth.refresh_cookie; }),
      IntSetting(
          "auth.bcrypt_cost", [](auto& c) -> auto& { return c.auth.bcrypt_cost; }, 4, 31),
      IntSetting(
          "auth.password_min_length", [](auto& c) -> auto& { return c.auth.password_min_length; },
          8, 72),
      IntSetting(
          "auth.lockout_threshold", [](auto& c) -> auto& { return c.auth.lockout_threshold; }, 1,
          1000),
      SecondsSetting(
          "auth.lockout_window", [](auto& c) -> auto& { return c.auth.lockout_window; }),
      SecondsSetting(
          "auth.reset_ttl", [](auto& c) -> auto& { return c.auth.reset_ttl; }),
      IntSetting(
          "auth.hash_threads", [](auto& c) -> auto& { return c.auth.hash_threads; }, 1, 64),
      IntSetting(
          "auth.hash_queue", [](auto& c) -> auto& { return c.auth.hash_queue; }, 1, 10000),
      DurationSetting(
          "auth.hash_queue_timeout", [](auto& c) -> auto& { return c.auth.hash_queue_timeout; }),
      DurationSetting(
          "auth.session_cache_ttl", [](auto& c) -> auto& { return c.auth.session_cache_ttl; }),
      StringSetting(
          "auth.public_url", [](auto& c) -> auto& { return c.auth.public_url; }),
      StringSetting(
          "admin.email", [](auto& c) -> auto& { return c.admin.email; }),
      StringSetting(
          "admin.password", [](auto& c) -> auto& { return c.admin.password; }, true),
      StringSetting(
          "smtp.url", [](auto& c) -> auto& { return c.smtp.url; }, true),
      StringSetting(
          "smtp.username", [](auto& c) -> auto& { return c.smtp.username; }),
      StringSetting(
          "smtp.password", [](auto& c) -> auto& { return c.smtp.password; }, true),
      StringSetting(
          "smtp.from", [](auto& c) -> auto& { return c.smtp.from; }),
      BoolSetting(
          "smtp.require_tls", [](auto& c) -> auto& { return c.smtp.require_tls; }),
      StringSetting(
          "redis_url", [](auto& c) -> auto& { return c.redis_url; }, true),
      OneOfSetting("ratelimit.failure_policy",
                   [](auto& c) -> auto& { return c.ratelimit.failure_policy; }, {"open", "closed"}),
      StringSetting(
          "ratelimit.per_ip", [](auto& c) -> auto& { return c.ratelimit.per_ip; }),
      StringSetting(
          "ratelimit.per_key", [](auto& c) -> auto& { return c.ratelimit.per_key; }),
      StringSetting(
          "ratelimit.per_session", [](auto& c) -> auto& { return c.ratelimit.per_session; }),
      StringSetting(
          "ratelimit.per_user", [](auto& c) -> auto& { return c.ratelimit.per_user; }),
      StringSetting(
          "encryption_key", [](auto& c) -> auto& { return c.encryption_key; }, true),
      BoolSetting(
          "outbound.allow_private_addresses",
          [](auto& c) -> auto& { return c.outbound.allow_private_addresses; }),
      DurationSetting(
          "outbound.request_timeout", [](auto& c) -> auto& { return c.outbound.request_timeout; }),
      IntSetting(
          "webhooks.max_attempts", [](auto& c) -> auto& { return c.webhooks.max_attempts; }, 1, 20),
      DurationSetting(
          "webhooks.poll_interval", [](auto& c) -> auto& { return c.webhooks.poll_interval; }),
      DurationSetting(
          "scraping.min_delay", [](auto& c) -> auto& { return c.scraping.min_delay; }),
      DurationSetting(
          "scraping.poll_interval", [](auto& c) -> auto& { return c.scraping.poll_interval; }),
      DurationSetting(
          "scraping.schedule_check", [](auto& c) -> auto& { return c.scraping.schedule_check; }),
      DurationSetting(
          "webhooks.retry_base", [](auto& c) -> auto& { return c.webhooks.retry_base; }),
      IntSetting(
          "knowledge.job_threads", [](auto& c) -> auto& { return c.knowledge.job_threads; }, 1, 64),
      DurationSetting(
          "knowledge.job_poll_interval",
          [](auto& c) -> auto& { return c.knowledge.job_poll_interval; }),
      SecondsSetting(
          "knowledge.job_lease", [](auto& c) -> auto& { return c.knowledge.job_lease; }),
      DurationSetting(
          "knowledge.index_poll_interval",
          [](auto& c) -> auto& { return c.knowledge.index_poll_interval; }),
      DurationSetting(
          "knowledge.snapshot_interval",
          [](auto& c) -> auto& { return c.knowledge.snapshot_interval; }),
      StringSetting(
          "qdrant.url", [](auto& c) -> auto& { return c.qdrant.url; }),
      StringSetting(
          "qdrant.api_key", [](auto& c) -> auto& { return c.qdrant.api_key; }, true),
      StringSetting(
          "qdrant.collection_prefix", [](auto& c) -> auto& { return c.qdrant.collection_prefix; }),
      DurationSetting(
          "qdrant.timeout", [](auto& c) -> auto& { return c.qdrant.timeout; }),
      DurationSetting(
          "chat.head_timeout", [](auto& c) -> auto& { return c.chat.head_timeout; }),
      DurationSetting(
          "chat.idle_timeout", [](auto& c) -> auto& { return c.chat.idle_timeout; }),
      DurationSetting(
          "chat.total_timeout", [](auto& c) -> auto& { return c.chat.total_timeout; }),
      IntSetting(
          "chat.max_attempts", [](auto& c) -> auto& { return c.chat.max_attempts; }, 1, 10),
      DurationSetting(
          "chat.retry_base", [](auto& c) -> auto& { return c.chat.retry_base; }),
      IntSetting(
          "chat.breaker_failures", [](auto& c) -> auto& { return c.chat.breaker_failures; }, 1,
          1000),
      DurationSetting(
          "chat.breaker_cooldown", [](auto& c) -> auto& { return c.chat.breaker_cooldown; }),
      DurationSetting(
          "chat.heartbeat_interval", [](auto& c) -> auto& { return c.chat.heartbeat_interval; }),
      IntSetting(
          "chat.requests_per_minute", [](auto& c) -> auto& { return c.chat.requests_per_minute; },
          0, 100'000'000),
      IntSetting(
          "chat.tokens_per_minute", [](auto& c) -> auto& { return c.chat.tokens_per_minute; }, 0,
          100'000'000'000),
  };
  return kSettings;
}

const Setting* FindSetting(const std::string& key) {
  for (const auto& s : Settings()) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

Status Apply(Config& config, const std::string& key, const std::string& value,
             const std::string& source) {
  const Setting* s = FindSetting(key);
  if (s == nullptr) return Error::InvalidArgument("unknown setting '" + key + "' in " + source);
  return s->set(config, value);
}

// Flattens a TOML table into dotted keys with text values.
Status FlattenToml(const toml::table& table, const std::string& prefix,
                   std::vector<std::pair<std::string, std::string>>& out) {
  for (const auto& [k, node] : table) {
    std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (const auto* t = node.as_table()) {
      auto st = FlattenToml(*t, key, out);
      if (!st) return st;
    } else if (const auto* a = node.as_array()) {
      std::string joined;
      for (const auto& el : *a) {
        auto s = el.value<std::string>();
        if (!s) return Error::InvalidArgument("setting " + key + ": array items must be strings");
        if (!joined.empty()) joined += ",";
        joined += *s;
      }
      out.emplace_back(key, joined);
    } else if (auto s = node.value<std::string>()) {
      out.emplace_back(key, *s);
    } else if (auto i = node.value<int64_t>()) {
      out.emplace_back(key, std::to_string(*i));
    } else if (auto b = node.value<bool>()) {
      out.emplace_back(key, *b ? "true" : "false");
    } else {
      return Error::InvalidArgument("setting " + key + ": unsupported TOML value type");
    }
  }
  return OkStatus();
}

}  // namespace

Result<RateSpec> ParseRateSpec(const std::string& text) {
  auto slash = text.find('/');
  if (slash == std::string::npos)
    return Error::InvalidArgument("'" + text + "' is not like 300/1m");
  auto n = ParseInteger("rate", text.substr(0, slash), 1, 1'000'000'000);
  if (!n) return Error::InvalidArgument("'" + text + "': the count must be a positive integer");
  auto d = ParseDuration("period", text.substr(slash + 1));
  if (!d || d->count() <= 0) {
    return Error::InvalidArgument("'" + text + "': the period must be like 1s, 1m, 1h");
  }
  if (d->count() * 1000 / *n < 1) {
    return Error::InvalidArgument("'" + text + "': at most one request per microsecond");
  }
  return RateSpec{*n, *d};
}

std::string EnvNameForKey(const std::string& key) {
  std::string out = "STUDYBOT_";
  for (char c : key)
    out += c == '.' ? '_' : static_cast<char>(std::toupper(c));
  return out;
}

std::string Config::EffectiveDatabaseUrl() const {
  if (!database.url.empty()) return database.url;
  return "sqlite:" + data_dir + "/studybot.db";
}

Result<Config> LoadConfig(const ConfigSources& sources) {
  Config config;
  if (!sources.toml_file.empty()) {
    toml::table table;
    try {
      table = toml::parse_file(sources.toml_file);
    } catch (const toml::parse_error& e) {
      std::ostringstream os;
      os << "config file " << sources.toml_file << ": " << e.description() << " at line "
         << e.source().begin.line;
      return Error::InvalidArgument(os.str());
    }
    std::vector<std::pair<std::string, std::string>> flat;
    auto st = FlattenToml(table, "", flat);
    if (!st) return st.error();
    for (const auto& [k, v] : flat) {
      auto s = Apply(config, k, v, "config file " + sources.toml_file);
      if (!s) return s.error();
    }
  }
  for (const auto& s : Settings()) {
    auto it = sources.environment.find(EnvNameForKey(s.key));
    if (it == sources.environment.end()) continue;
    auto st = s.set(config, it->second);
    if (!st) return st.error();
  }
  for (const auto& [k, v] : sources.flags) {
    auto st = Apply(config, k, v, "--set");
    if (!st) return st.error();
  }
  // Cross-field checks.
  if (config.data_dir.empty()) return Invalid("data_dir", "must not be empty");
  auto url = config.EffectiveDatabaseUrl();
  if (!StartsWith(url, "sqlite:") && !StartsWith(url, "mysql://")) {
    return Invalid("database.url", "must start with sqlite: or mysql://");
  }
  for (const auto& [key, spec] : {std::pair{"ratelimit.per_ip", config.ratelimit.per_ip},
                                  std::pair{"ratelimit.per_key", config.ratelimit.per_key},
                                  std::pair{"ratelimit.per_session", config.ratelimit.per_session},
                                  std::pair{"ratelimit.per_user", config.ratelimit.per_user}}) {
    auto parsed = ParseRateSpec(spec);
    if (!parsed.ok()) return Invalid(key, parsed.error().message);
  }
  if (!config.jwt.secret.empty() && config.jwt.secret.size() < 32) {
    return Invalid("jwt.secret", "must be at least 32 bytes");
  }
  if (!config.jwt.previous_secret.empty() && config.jwt.previous_secret.size() < 32) {
    return Invalid("jwt.previous_secret", "must be at least 32 bytes");
  }
  if (!config.jwt.previous_secret.empty() &&
      (config.jwt.previous_kid.empty() || config.jwt.previous_kid == config.jwt.kid)) {
    return Invalid("jwt.previous_kid", "must be set, and differ from jwt.kid");
  }
  if (config.environment == "production") {
    if (config.jwt.secret.empty()) return Invalid("jwt.secret", "is required in production");
    if (config.encryption_key.empty()) {
      return Invalid("encryption_key", "is required in production");
    }
  }
  if (config.http.header_limit_bytes < 1024) {
    return Invalid("http.header_limit", "must be at least 1KiB");
  }
  return config;
}

std::map<std::string, std::string> StudybotEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    if (!StartsWith(kv, "STUDYBOT_")) continue;
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return env;
}

std::string RedactUrl(const std::string& url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  auto at = url.find('@', scheme_end + 3);
  if (at == std::string::npos) return url;
  auto colon = url.find(':', scheme_end + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

std::vector<std::pair<std::string, std::string>> DescribeConfig(const Config& config) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& s : Settings()) {
    std::string v = s.get(config);
    if (s.secret && !v.empty()) {
      v = v.find("://") != std::string::npos ? RedactUrl(v) : "<redacted>";
    }
    out.emplace_back(s.key, v);
  }
  return out;
}

}  // namespace studybot
