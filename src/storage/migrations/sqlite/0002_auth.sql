-- 0002_auth (SQLite): admin sessions and refresh tokens, password resets, failed logins, chatbot
-- memberships of bot admins, the audit log, encrypted per-chatbot secrets and per-chatbot rate
-- limit overrides. Kept in step with mysql/0002_auth.sql.

-- Bot admins see only the chatbots they are members of.
CREATE TABLE chatbot_members (
  chatbot_id TEXT NOT NULL REFERENCES chatbots (id) ON DELETE CASCADE,
  user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  PRIMARY KEY (chatbot_id, user_id)
);
CREATE INDEX chatbot_members_user ON chatbot_members (user_id);

-- One row per login; access tokens carry its id (sid) and die with it.
CREATE TABLE auth_sessions (
  id            TEXT PRIMARY KEY NOT NULL,
  user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at    TEXT NOT NULL,
  last_used_at  TEXT NOT NULL,
  expires_at    TEXT NOT NULL,
  revoked_at    TEXT,
  revoke_reason TEXT,  -- logout, refresh_reuse, password_reset, admin, user_disabled...
  ip            TEXT,
  user_agent    TEXT
);
CREATE INDEX auth_sessions_user ON auth_sessions (user_id, created_at);

-- Every refresh token ever issued for a session (hashed). A used one presented again is a reuse.
CREATE TABLE refresh_tokens (
  token_hash TEXT PRIMARY KEY NOT NULL,  -- SHA-256 hex
  session_id TEXT NOT NULL REFERENCES auth_sessions (id) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at    TEXT
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

CREATE TABLE password_resets (
  token_hash TEXT PRIMARY KEY NOT NULL,  -- SHA-256 hex
  user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at    TEXT
);
CREATE INDEX password_resets_user ON password_resets (user_id);

-- Failed logins, for the lockout window (per account and per client IP).
CREATE TABLE login_failures (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  email      TEXT NOT NULL,  -- lower-cased, as typed (the account may not exist)
  ip         TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX login_failures_email ON login_failures (email, created_at);
CREATE INDEX login_failures_ip ON login_failures (ip, created_at);

-- Who did what. No foreign keys: the trail outlives the users and objects it names.
CREATE TABLE audit_logs (
  id          TEXT PRIMARY KEY NOT NULL,
  created_at  TEXT NOT NULL,
  actor_id    TEXT,
  actor_email TEXT,
  action      TEXT NOT NULL,  -- auth.login, auth.login_failed, user.create, api_key.revoke...
  target_type TEXT,
  target_id   TEXT,
  ip          TEXT,
  user_agent  TEXT,
  request_id  TEXT,
  summary     TEXT NOT NULL   -- JSON object, never secrets
);
CREATE INDEX audit_logs_time ON audit_logs (created_at, id);
CREATE INDEX audit_logs_actor ON audit_logs (actor_id, created_at);
CREATE INDEX audit_logs_action ON audit_logs (action, created_at);

-- Provider API keys and other secrets of a chatbot, AES-256-GCM sealed (core/secret_box.h).
CREATE TABLE chatbot_secrets (
  chatbot_id TEXT NOT NULL REFERENCES chatbots (id) ON DELETE CASCADE,
  name       TEXT NOT NULL,  -- e.g. openai_api_key
  sealed     TEXT NOT NULL,  -- "v1.<key id>.<nonce|ciphertext|tag>"
  hint       TEXT NOT NULL,  -- masked form shown by the API ("sk-…1234")
  updated_at TEXT NOT NULL,
  PRIMARY KEY (chatbot_id, name)
);

-- Per-chatbot overrides of the global rate limits, by scope (key, ip, session).
CREATE TABLE chatbot_rate_limits (
  chatbot_id TEXT NOT NULL REFERENCES chatbots (id) ON DELETE CASCADE,
  scope      TEXT NOT NULL CHECK (scope IN ('key', 'ip', 'session')),
  rate       INTEGER NOT NULL CHECK (rate > 0),
  period_ms  INTEGER NOT NULL CHECK (period_ms > 0),
  burst      INTEGER NOT NULL CHECK (burst > 0),
  PRIMARY KEY (chatbot_id, scope)
);
