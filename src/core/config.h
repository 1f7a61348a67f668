// Config: every setting of the server, with its default and what it is for.
//
// Sources, later overriding earlier: the defaults below, an optional TOML file (--config),
// STUDYBOT_* environment variables, then command-line flags (--set key=value and a few shortcuts).
// Each setting has one dotted key ("http.port"); its environment variable is STUDYBOT_ plus the key
// upper-cased with dots as underscores (STUDYBOT_HTTP_PORT). Invalid values stop start-up with an
// error naming the setting. Sub-structs are passed down as const& to the parts that need them.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/result.h"

namespace studybot {

struct HttpConfig {
  // Address to listen on. Loopback by default: put a reverse proxy in front for the outside world.
  std::string host = "127.0.0.1";
  // TCP port; 0 picks a free port (tests).
  uint16_t port = 8080;
  // Threads running the I/O loop; 0 means one per core.
  int io_threads = 0;
  // Largest request head (request line + headers) accepted; larger gets 431.
  std::size_t header_limit_bytes = 16 * 1024;
  // Largest request body accepted; larger gets 413.
  std::size_t body_limit_bytes = 1024 * 1024;
  // How long a keep-alive connection may sit idle before the next request starts.
  std::chrono::milliseconds idle_timeout{60'000};
  // Once a request has started, how long the client has to send all of it (slow clients get 408).
  std::chrono::milliseconds read_timeout{15'000};
  // How long the client has to read a response.
  std::chrono::milliseconds write_timeout{30'000};
  // On SIGTERM/SIGINT, how long in-flight requests and streams may run before the process exits.
  std::chrono::milliseconds shutdown_grace{20'000};
  // Connections beyond this are accepted and closed at once.
  int max_connections = 10'000;
  // Origins allowed to call the API from a browser ("https://admin.example.com"); "*" allows any
  // origin without credentials. Empty: no CORS headers.
  std::vector<std::string> cors_origins;
  // Peers (IP or CIDR) whose X-Forwarded-For and X-Forwarded-Proto headers are believed.
  std::vector<std::string> trusted_proxies;
};

struct DatabaseConfig {
  // sqlite:PATH or mysql://user:pass@host:port/db. Empty: sqlite:<data_dir>/studybot.db.
  std::string url;
  // Connections kept open in the pool.
  int pool_size = 8;
  // SQLite: how long a writer waits for a lock before failing.
  std::chrono::milliseconds busy_timeout{5'000};
  // MySQL TLS: disabled, preferred, required, verify_ca or verify_identity (Azure:
  // verify_identity).
  std::string mysql_ssl_mode = "preferred";
  // MySQL TLS: CA bundle used by verify_ca / verify_identity.
  std::string mysql_ssl_ca;
  // Apply pending migrations when the server starts.
  bool migrate_on_start = true;
};

struct LogConfig {
  // trace, debug, info, warn, error or off.
  std::string level = "info";
};

struct Config {
  // Where the SQLite file and other local state live.
  std::string data_dir = "./data";
  // Threads that run blocking work (SQL, hashing) off the I/O threads.
  int worker_threads = 4;
  HttpConfig http;
  DatabaseConfig database;
  LogConfig log;

  // The database URL after defaults: never empty.
  std::string EffectiveDatabaseUrl() const;
};

// Where the raw settings come from, in order of precedence from lowest to highest.
struct ConfigSources {
  std::string toml_file;                                   // "" for none
  std::map<std::string, std::string> environment;          // usually the process environment
  std::vector<std::pair<std::string, std::string>> flags;  // key=value from the command line
};

// Builds the Config from its sources; the error names the setting and what is wrong with it.
Result<Config> LoadConfig(const ConfigSources& sources);

// The process environment's STUDYBOT_* variables.
std::map<std::string, std::string> StudybotEnvironment();

// The effective settings as key -> value text, secrets replaced by "<redacted>".
std::vector<std::pair<std::string, std::string>> DescribeConfig(const Config& config);

// STUDYBOT_ plus the key upper-cased, dots as underscores.
std::string EnvNameForKey(const std::string& key);

// Hides the password part of a URL ("mysql://u:***@h/db").
std::string RedactUrl(const std::string& url);

}  // namespace studybot
