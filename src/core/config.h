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
  // Largest multipart/form-data body accepted by upload routes (Router::MarkUploadRoute).
  std::size_t upload_limit_bytes = 25 * 1024 * 1024;
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

struct JwtConfig {
  // HMAC secret for access tokens (>= 32 bytes). Empty in development: one is generated on first
  // start and kept in <data_dir>/jwt_secret (mode 0600). Required in production.
  std::string secret;
  // Key id written in new tokens' headers.
  std::string kid = "k1";
  // The previous secret and its key id, still accepted while tokens signed with it live.
  std::string previous_secret;
  std::string previous_kid;
  std::string issuer = "studybot";
  std::string audience = "studybot-admin";
  std::chrono::seconds access_ttl{15 * 60};
  // Clock skew tolerated on exp/iat.
  std::chrono::seconds leeway{30};
};

struct AuthConfig {
  std::chrono::seconds refresh_ttl{30 * 24 * 3600};
  // Deliver the refresh token as an HttpOnly; Secure; SameSite=Strict cookie instead of the body.
  bool refresh_cookie = false;
  int bcrypt_cost = 12;
  int password_min_length = 12;
  // Failed logins (per account, and per client IP) within lockout_window before 429.
  int lockout_threshold = 5;
  std::chrono::seconds lockout_window{15 * 60};
  std::chrono::seconds reset_ttl{30 * 60};
  // Password hashing (login, password change and reset, user creation) runs on a pool of its own
  // so that a flood of sign-ins cannot starve SQL-backed requests: hash_threads threads, at most
  // hash_queue jobs running or waiting, each waiting at most hash_queue_timeout; more get 503.
  int hash_threads = 2;
  int hash_queue = 32;
  std::chrono::milliseconds hash_queue_timeout{5000};
  // How long a "session is live" answer is cached by the auth middleware.
  std::chrono::milliseconds session_cache_ttl{2000};
  // Base URL of the admin UI, for password reset links ("https://admin.example.com").
  std::string public_url = "http://127.0.0.1:8080";
};

struct AdminConfig {
  // First system admin, created on start when no user exists yet.
  std::string email;
  std::string password;
};

struct SmtpConfig {
  // smtp://host:587 (STARTTLS required unless smtp.require_tls=false) or smtps://host:465. Empty:
  // password reset links are written to the log instead (development).
  std::string url;
  std::string username;
  std::string password;
  std::string from = "Studybot <no-reply@localhost>";
  bool require_tls = true;
};

struct RateLimitConfig {
  // When Redis is unreachable: "open" serves requests, "closed" answers 503.
  std::string failure_policy = "open";
  // Default limits per scope, "N/period" with period s, m or h (burst = N).
  std::string per_ip = "300/1m";
  std::string per_key = "600/1m";
  std::string per_session = "30/1m";
  std::string per_user = "600/1m";
};

struct OutboundConfig {
  // Let the crawler and webhooks reach private, loopback and link-local addresses. Off by default:
  // an admin could otherwise point them at the server's own network (SSRF). Tests turn it on.
  bool allow_private_addresses = false;
  // Timeout of one outgoing request (webhook delivery, page fetch).
  std::chrono::milliseconds request_timeout{15'000};
};

struct WebhookConfig {
  // Attempts per delivery before it is marked failed (waits of retry_base x 4^n: 30 s, 2 min,
  // 8 min, 32 min, 2 h 8 min, then 6 h at most).
  int max_attempts = 6;
  // How often the deliverer looks for due deliveries when it is not woken by a new event.
  std::chrono::milliseconds poll_interval{2'000};
  // The first retry delay; each later one is four times longer, at most six hours.
  std::chrono::milliseconds retry_base{30'000};
};

struct ScrapingConfig {
  // Least time between two requests of a crawl to one site (robots.txt Crawl-delay may ask for
  // more, up to 10 s).
  std::chrono::milliseconds min_delay{500};
  // How often the crawl worker looks for queued crawls when not woken by a trigger.
  std::chrono::milliseconds poll_interval{2'000};
  // How often it looks for sources whose scheduled re-crawl (recrawl_hours) is due.
  std::chrono::milliseconds schedule_check{60'000};
};

struct KnowledgeConfig {
  // Background jobs (ingestion, re-indexing): worker threads per process, how often idle workers
  // look for jobs, and how long a claim lasts without a heartbeat (a dead worker's jobs, crawls
  // included, wait this long).
  int job_threads = 2;
  std::chrono::milliseconds job_poll_interval{1'000};
  std::chrono::seconds job_lease{60};
  // How often the search index looks for changes made by other processes (local writes wake it).
  std::chrono::milliseconds index_poll_interval{1'000};
  // The built-in index is snapshotted to <data_dir>/index.snapshot this often (when it changed)
  // and at shutdown; a restart loads the snapshot and replays the change log after it.
  std::chrono::milliseconds snapshot_interval{60'000};
  // Chunking, embedders and retrieval are per chatbot (chatbots/knowledge_settings.h).
};

// The search index in a Qdrant server instead of the built-in one (search/qdrant_collections.h).
struct QdrantConfig {
  // Qdrant's REST API, e.g. http://qdrant:6333 (STUDYBOT_QDRANT_URL). Empty: built-in index.
  std::string url;
  // Sent as `api-key` when set (STUDYBOT_QDRANT_API_KEY). Secret.
  std::string api_key;
  // Collections are "<collection_prefix>_d<vector length>".
  std::string collection_prefix = "studybot";
  // Per request to Qdrant.
  std::chrono::milliseconds timeout{5'000};
};

// Chat models behind OpenAI-style APIs (the chatbots whose answers.provider is openai or azure).
struct ChatConfig {
  // Per request: the longest wait for the response head, the longest silence mid-stream, and
  // the whole answer.
  std::chrono::milliseconds head_timeout{30'000};
  std::chrono::milliseconds idle_timeout{30'000};
  std::chrono::milliseconds total_timeout{300'000};
  // Requests per answer, the first included, before the built-in answerer steps in; retries
  // wait a random time up to retry_base x 2^n (at most 8 s) or the provider's Retry-After.
  int max_attempts = 3;
  std::chrono::milliseconds retry_base{500};
  // Failures in a row that open a provider account's circuit, and how long it stays open
  // (calls then get the built-in answer at once).
  int breaker_failures = 5;
  std::chrono::milliseconds breaker_cooldown{30'000};
  // Our own pacing of each provider account (URL and key), so that a burst of visitors does not
  // set off a storm of 429s: requests and (estimated) tokens per minute; 0 = unlimited.
  int64_t requests_per_minute = 0;
  int64_t tokens_per_minute = 0;
  // A streamed answer sends a `: heartbeat` comment after this long without an event, so that
  // proxies do not close a stream waiting on a slow model.
  std::chrono::milliseconds heartbeat_interval{15'000};
};

struct Config {
  // development or production. Production refuses to start without explicit secrets.
  std::string environment = "development";
  // Where the SQLite file and other local state live.
  std::string data_dir = "./data";
  // Threads that run blocking work (SQL, hashing) off the I/O threads.
  int worker_threads = 4;
  HttpConfig http;
  DatabaseConfig database;
  LogConfig log;
  JwtConfig jwt;
  AuthConfig auth;
  AdminConfig admin;
  SmtpConfig smtp;
  RateLimitConfig ratelimit;
  OutboundConfig outbound;
  WebhookConfig webhooks;
  ScrapingConfig scraping;
  KnowledgeConfig knowledge;
  QdrantConfig qdrant;
  ChatConfig chat;
  // AES-256-GCM keyring for secrets at rest: "k2:<base64url 32 bytes>,k1:<...>" (first = current).
  // Empty in development: generated into <data_dir>/encryption_key (0600). Required in production.
  std::string encryption_key;
  // redis://[:password@]host:port[/db]: rate limits shared by every node. Empty: kept in process.
  std::string redis_url;

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

// "300/1m": 300 requests per minute.
struct RateSpec {
  long long count;
  std::chrono::milliseconds period;
};
Result<RateSpec> ParseRateSpec(const std::string& text);

// STUDYBOT_ plus the key upper-cased, dots as underscores.
std::string EnvNameForKey(const std::string& key);

// Hides the password part of a URL ("mysql://u:***@h/db").
std::string RedactUrl(const std::string& url);

}  // namespace studybot
