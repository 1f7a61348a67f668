-- 0001_initial_schema (SQLite): the eight tables of the specification (section 3.1) with the
-- fields of its data models (3.3, 6.1). Kept in step with mysql/0001_initial_schema.sql:
--   * ids are opaque strings (UUIDs) chosen by the application;
--   * times are RFC 3339 UTC text with milliseconds, "2026-11-24T11:25:39.123Z" (fixed width, so
--     text order is time order on both dialects);
--   * booleans are 0/1 integers; JSON documents are stored as text;
--   * rows that belong to a chatbot go away with it (ON DELETE CASCADE).

CREATE TABLE users (
  id            TEXT PRIMARY KEY NOT NULL,
  email         TEXT NOT NULL COLLATE NOCASE UNIQUE,
  password_hash TEXT NOT NULL,
  name          TEXT NOT NULL,
  role          TEXT NOT NULL DEFAULT 'bot_admin' CHECK (role IN ('system_admin', 'bot_admin')),
  is_active     INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  last_login_at TEXT
);

CREATE TABLE chatbots (
  id              TEXT PRIMARY KEY NOT NULL,
  name            TEXT NOT NULL,
  description     TEXT NOT NULL,
  status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  system_prompt   TEXT NOT NULL,
  model           TEXT NOT NULL,
  allowed_domains TEXT NOT NULL,  -- JSON array of origins allowed to embed the widget
  widget_settings TEXT NOT NULL,  -- JSON object: colours, greeting, position...
  created_by      TEXT REFERENCES users (id) ON DELETE SET NULL,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL
);
CREATE INDEX chatbots_created_by ON chatbots (created_by);

CREATE TABLE chat_sessions (
  id               TEXT PRIMARY KEY NOT NULL,
  chatbot_id       TEXT NOT NULL REFERENCES chatbots (id) ON DELETE CASCADE,
  visitor_id       TEXT,  -- anonymous id kept by the widget
  ip               TEXT,
  user_agent       TEXT,
  started_at       TEXT NOT NULL,
  last_activity_at TEXT NOT NULL,
  message_count    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX chat_sessions_chatbot_activity ON chat_sessions (chatbot_id, last_activity_at);

CREATE TABLE chat_messages (
  id               TEXT PRIMARY KEY NOT NULL,
  chatbot_id       TEXT NOT NULL REFERENCES chatbots (id) ON DELETE CASCADE,
  session_id       TEXT NOT NULL REFERENCES chat_sessions (id) ON DELETE CASCADE,
  type             TEXT NOT NULL CHECK (type IN ('user', 'bot')),
  content          TEXT NOT NULL,
  created_at       TEXT NOT NULL,
  feedback         TEXT CHECK (feedback IN ('positive', 'negative')),
  response_time_ms INTEGER,  -- metadata.responseTime (bot messages)
  sources          TEXT,     -- metadata.sources: JSON array
  confidence       REAL      -- metadata.confidence, 0..1
);
CREATE INDEX chat_messages_session_time ON chat_messages (session_id, created_at);
CREATE INDEX chat_messages_chatbot_time ON chat_messages (chatbot_id, created_at);

CREATE TABLE feedbacks (
  id         TEXT PRIMARY KEY NOT NULL,
  chatbot_id TEXT NOT NULL REFERENCES chatbots (id) ON DELETE CASCADE,
  session_id TEXT REFERENCES chat_sessions (id) ON DELETE CASCADE,
  message_id TEXT UNIQUE REFERENCES chat_messages (id) ON DELETE CASCADE,  -- one per message
  rating     TEXT NOT NULL CHECK (rating IN ('positive', 'negative')),
  comment    TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX feedbacks_chatbot_time ON feedbacks (chatbot_id, created_at);
CREATE INDEX feedbacks_session ON feedbacks (session_id);

CREATE TABLE scraped_content (
  id            TEXT PRIMARY KEY NOT NULL,
  chatbot_id    TEXT NOT NULL REFERENCES chatbots (id) ON DELETE CASCADE,
  url           TEXT NOT NULL,  -- normalised, ASCII (percent-encoded) as in MySQL
  title         TEXT NOT NULL,
  content       TEXT NOT NULL,
  content_hash  TEXT,           -- SHA-256 hex of the extracted text: change and duplicate check
  embeddings    BLOB,           -- optional copy; the search index holds the live vectors
  etag          TEXT,
  last_modified TEXT,           -- the Last-Modified header as received
  last_scraped  TEXT,
  is_active     INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  UNIQUE (chatbot_id, url)
);
CREATE INDEX scraped_content_chatbot_hash ON scraped_content (chatbot_id, content_hash);

CREATE TABLE analytics_events (
  id         TEXT PRIMARY KEY NOT NULL,
  type       TEXT NOT NULL,  -- message_sent, message_received, feedback_given, session_started...
  chatbot_id TEXT NOT NULL REFERENCES chatbots (id) ON DELETE CASCADE,
  session_id TEXT,           -- no foreign key: events outlive purged sessions
  user_id    TEXT,
  created_at TEXT NOT NULL,
  metadata   TEXT NOT NULL   -- JSON object
);
CREATE INDEX analytics_events_chatbot_type_time ON analytics_events (chatbot_id, type, created_at);
CREATE INDEX analytics_events_chatbot_time ON analytics_events (chatbot_id, created_at);

CREATE TABLE api_keys (
  id           TEXT PRIMARY KEY NOT NULL,
  chatbot_id   TEXT NOT NULL REFERENCES chatbots (id) ON DELETE CASCADE,
  kind         TEXT NOT NULL CHECK (kind IN ('publishable', 'secret')),
  name         TEXT NOT NULL,
  prefix       TEXT NOT NULL,         -- the first characters, shown to admins ("pk_3f9a")
  key_hash     TEXT NOT NULL UNIQUE,  -- SHA-256 hex of the full key; the key itself is not kept
  last_used_at TEXT,
  expires_at   TEXT,
  revoked_at   TEXT,
  created_by   TEXT REFERENCES users (id) ON DELETE SET NULL,
  created_at   TEXT NOT NULL
);
CREATE INDEX api_keys_chatbot ON api_keys (chatbot_id);
CREATE INDEX api_keys_created_by ON api_keys (created_by);
