-- 0001_initial_schema (MySQL 8 / MariaDB 10.5+): the eight tables of the specification (section
-- 3.1) with the fields of its data models (3.3, 6.1). Kept in step with sqlite/0001:
--   * ids are opaque strings (UUIDs) chosen by the application;
--   * times are RFC 3339 UTC text with milliseconds, "2026-11-24T11:25:39.123Z" (fixed width, so
--     text order is time order on both dialects);
--   * booleans are 0/1 integers; JSON documents are stored as text;
--   * rows that belong to a chatbot go away with it (ON DELETE CASCADE).
-- Text compares byte-wise (utf8mb4_bin), as in SQLite; e-mail addresses compare without case.
-- TEXT columns have no DEFAULT (MySQL 8 refuses literal defaults on them). Indexes are declared
-- inside CREATE TABLE IF NOT EXISTS so that a rerun after a partial failure goes through.

CREATE TABLE IF NOT EXISTS users (
  id            VARCHAR(36) NOT NULL PRIMARY KEY,
  email         VARCHAR(320) COLLATE utf8mb4_general_ci NOT NULL,
  password_hash VARCHAR(255) NOT NULL,
  name          VARCHAR(255) NOT NULL,
  role          VARCHAR(16) NOT NULL DEFAULT 'bot_admin',
  is_active     TINYINT NOT NULL DEFAULT 1,
  created_at    VARCHAR(32) NOT NULL,
  updated_at    VARCHAR(32) NOT NULL,
  last_login_at VARCHAR(32) NULL,
  UNIQUE KEY users_email (email),
  CONSTRAINT users_role_check CHECK (role IN ('system_admin', 'bot_admin')),
  CONSTRAINT users_active_check CHECK (is_active IN (0, 1))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS chatbots (
  id              VARCHAR(36) NOT NULL PRIMARY KEY,
  name            VARCHAR(255) NOT NULL,
  description     TEXT NOT NULL,
  status          VARCHAR(16) NOT NULL DEFAULT 'active',
  system_prompt   TEXT NOT NULL,
  model           VARCHAR(128) NOT NULL,
  allowed_domains TEXT NOT NULL,  -- JSON array of origins allowed to embed the widget
  widget_settings TEXT NOT NULL,  -- JSON object: colours, greeting, position...
  created_by      VARCHAR(36) NULL,
  created_at      VARCHAR(32) NOT NULL,
  updated_at      VARCHAR(32) NOT NULL,
  KEY chatbots_created_by (created_by),
  CONSTRAINT chatbots_created_by_fk FOREIGN KEY (created_by) REFERENCES users (id)
    ON DELETE SET NULL,
  CONSTRAINT chatbots_status_check CHECK (status IN ('active', 'disabled'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS chat_sessions (
  id               VARCHAR(36) NOT NULL PRIMARY KEY,
  chatbot_id       VARCHAR(36) NOT NULL,
  visitor_id       VARCHAR(64) NULL,  -- anonymous id kept by the widget
  ip               VARCHAR(45) NULL,
  user_agent       VARCHAR(1024) NULL,
  started_at       VARCHAR(32) NOT NULL,
  last_activity_at VARCHAR(32) NOT NULL,
  message_count    INT NOT NULL DEFAULT 0,
  KEY chat_sessions_chatbot_activity (chatbot_id, last_activity_at),
  CONSTRAINT chat_sessions_chatbot_fk FOREIGN KEY (chatbot_id) REFERENCES chatbots (id)
    ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS chat_messages (
  id               VARCHAR(36) NOT NULL PRIMARY KEY,
  chatbot_id       VARCHAR(36) NOT NULL,
  session_id       VARCHAR(36) NOT NULL,
  type             VARCHAR(8) NOT NULL,
  content          MEDIUMTEXT NOT NULL,
  created_at       VARCHAR(32) NOT NULL,
  feedback         VARCHAR(8) NULL,
  response_time_ms INT NULL,    -- metadata.responseTime (bot messages)
  sources          TEXT NULL,   -- metadata.sources: JSON array
  confidence       DOUBLE NULL, -- metadata.confidence, 0..1
  KEY chat_messages_session_time (session_id, created_at),
  KEY chat_messages_chatbot_time (chatbot_id, created_at),
  CONSTRAINT chat_messages_chatbot_fk FOREIGN KEY (chatbot_id) REFERENCES chatbots (id)
    ON DELETE CASCADE,
  CONSTRAINT chat_messages_session_fk FOREIGN KEY (session_id) REFERENCES chat_sessions (id)
    ON DELETE CASCADE,
  CONSTRAINT chat_messages_type_check CHECK (type IN ('user', 'bot')),
  CONSTRAINT chat_messages_feedback_check CHECK (feedback IN ('positive', 'negative'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS feedbacks (
  id         VARCHAR(36) NOT NULL PRIMARY KEY,
  chatbot_id VARCHAR(36) NOT NULL,
  session_id VARCHAR(36) NULL,
  message_id VARCHAR(36) NULL,  -- one feedback per message
  rating     VARCHAR(8) NOT NULL,
  comment    TEXT NULL,
  created_at VARCHAR(32) NOT NULL,
  UNIQUE KEY feedbacks_message (message_id),
  KEY feedbacks_chatbot_time (chatbot_id, created_at),
  KEY feedbacks_session (session_id),
  CONSTRAINT feedbacks_chatbot_fk FOREIGN KEY (chatbot_id) REFERENCES chatbots (id)
    ON DELETE CASCADE,
  CONSTRAINT feedbacks_session_fk FOREIGN KEY (session_id) REFERENCES chat_sessions (id)
    ON DELETE CASCADE,
  CONSTRAINT feedbacks_message_fk FOREIGN KEY (message_id) REFERENCES chat_messages (id)
    ON DELETE CASCADE,
  CONSTRAINT feedbacks_rating_check CHECK (rating IN ('positive', 'negative'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS scraped_content (
  id            VARCHAR(36) NOT NULL PRIMARY KEY,
  chatbot_id    VARCHAR(36) NOT NULL,
  -- Normalised and ASCII (percent-encoded, punycode hosts): an ASCII column lets the unique
  -- key cover URLs up to 2048 characters within InnoDB's 3072-byte key limit.
  url           VARCHAR(2048) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  title         TEXT NOT NULL,
  content       MEDIUMTEXT NOT NULL,
  content_hash  VARCHAR(64) NULL,  -- SHA-256 hex of the extracted text: change and duplicate check
  embeddings    MEDIUMBLOB NULL,   -- optional copy; the search index holds the live vectors
  etag          VARCHAR(255) NULL,
  last_modified VARCHAR(64) NULL,  -- the Last-Modified header as received
  last_scraped  VARCHAR(32) NULL,
  is_active     TINYINT NOT NULL DEFAULT 1,
  created_at    VARCHAR(32) NOT NULL,
  updated_at    VARCHAR(32) NOT NULL,
  UNIQUE KEY scraped_content_chatbot_url (chatbot_id, url),
  KEY scraped_content_chatbot_hash (chatbot_id, content_hash),
  CONSTRAINT scraped_content_chatbot_fk FOREIGN KEY (chatbot_id) REFERENCES chatbots (id)
    ON DELETE CASCADE,
  CONSTRAINT scraped_content_active_check CHECK (is_active IN (0, 1))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS analytics_events (
  id         VARCHAR(36) NOT NULL PRIMARY KEY,
  type       VARCHAR(64) NOT NULL,  -- message_sent, message_received, feedback_given, ...
  chatbot_id VARCHAR(36) NOT NULL,
  session_id VARCHAR(36) NULL,      -- no foreign key: events outlive purged sessions
  user_id    VARCHAR(36) NULL,
  created_at VARCHAR(32) NOT NULL,
  metadata   TEXT NOT NULL,         -- JSON object
  KEY analytics_events_chatbot_type_time (chatbot_id, type, created_at),
  KEY analytics_events_chatbot_time (chatbot_id, created_at),
  CONSTRAINT analytics_events_chatbot_fk FOREIGN KEY (chatbot_id) REFERENCES chatbots (id)
    ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS api_keys (
  id           VARCHAR(36) NOT NULL PRIMARY KEY,
  chatbot_id   VARCHAR(36) NOT NULL,
  kind         VARCHAR(16) NOT NULL,
  name         VARCHAR(255) NOT NULL,
  prefix       VARCHAR(32) NOT NULL,   -- the first characters, shown to admins ("pk_3f9a")
  key_hash     VARCHAR(128) NOT NULL,  -- SHA-256 hex of the full key; the key itself is not kept
  last_used_at VARCHAR(32) NULL,
  expires_at   VARCHAR(32) NULL,
  revoked_at   VARCHAR(32) NULL,
  created_by   VARCHAR(36) NULL,
  created_at   VARCHAR(32) NOT NULL,
  UNIQUE KEY api_keys_hash (key_hash),
  KEY api_keys_chatbot (chatbot_id),
  KEY api_keys_created_by (created_by),
  CONSTRAINT api_keys_chatbot_fk FOREIGN KEY (chatbot_id) REFERENCES chatbots (id)
    ON DELETE CASCADE,
  CONSTRAINT api_keys_created_by_fk FOREIGN KEY (created_by) REFERENCES users (id)
    ON DELETE SET NULL,
  CONSTRAINT api_keys_kind_check CHECK (kind IN ('publishable', 'secret'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
