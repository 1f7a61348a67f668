-- 0002_auth (MySQL 8 / MariaDB): see sqlite/0002_auth.sql for what each table is for.

CREATE TABLE IF NOT EXISTS chatbot_members (
  chatbot_id VARCHAR(36) NOT NULL,
  user_id    VARCHAR(36) NOT NULL,
  created_at VARCHAR(32) NOT NULL,
  PRIMARY KEY (chatbot_id, user_id),
  KEY chatbot_members_user (user_id),
  CONSTRAINT chatbot_members_chatbot_fk FOREIGN KEY (chatbot_id) REFERENCES chatbots (id)
    ON DELETE CASCADE,
  CONSTRAINT chatbot_members_user_fk FOREIGN KEY (user_id) REFERENCES users (id)
    ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS auth_sessions (
  id            VARCHAR(36) NOT NULL PRIMARY KEY,
  user_id       VARCHAR(36) NOT NULL,
  created_at    VARCHAR(32) NOT NULL,
  last_used_at  VARCHAR(32) NOT NULL,
  expires_at    VARCHAR(32) NOT NULL,
  revoked_at    VARCHAR(32) NULL,
  revoke_reason VARCHAR(32) NULL,
  ip            VARCHAR(64) NULL,
  user_agent    VARCHAR(512) NULL,
  KEY auth_sessions_user (user_id, created_at),
  CONSTRAINT auth_sessions_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS refresh_tokens (
  token_hash VARCHAR(64) NOT NULL PRIMARY KEY,
  session_id VARCHAR(36) NOT NULL,
  created_at VARCHAR(32) NOT NULL,
  expires_at VARCHAR(32) NOT NULL,
  used_at    VARCHAR(32) NULL,
  KEY refresh_tokens_session (session_id),
  CONSTRAINT refresh_tokens_session_fk FOREIGN KEY (session_id) REFERENCES auth_sessions (id)
    ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS password_resets (
  token_hash VARCHAR(64) NOT NULL PRIMARY KEY,
  user_id    VARCHAR(36) NOT NULL,
  created_at VARCHAR(32) NOT NULL,
  expires_at VARCHAR(32) NOT NULL,
  used_at    VARCHAR(32) NULL,
  KEY password_resets_user (user_id),
  CONSTRAINT password_resets_user_fk FOREIGN KEY (user_id) REFERENCES users (id)
    ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS login_failures (
  id         BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  email      VARCHAR(320) NOT NULL,
  ip         VARCHAR(64) NOT NULL,
  created_at VARCHAR(32) NOT NULL,
  KEY login_failures_email (email, created_at),
  KEY login_failures_ip (ip, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS audit_logs (
  id          VARCHAR(36) NOT NULL PRIMARY KEY,
  created_at  VARCHAR(32) NOT NULL,
  actor_id    VARCHAR(36) NULL,
  actor_email VARCHAR(320) NULL,
  action      VARCHAR(64) NOT NULL,
  target_type VARCHAR(32) NULL,
  target_id   VARCHAR(64) NULL,
  ip          VARCHAR(64) NULL,
  user_agent  VARCHAR(512) NULL,
  request_id  VARCHAR(128) NULL,
  summary     TEXT NOT NULL,
  KEY audit_logs_time (created_at, id),
  KEY audit_logs_actor (actor_id, created_at),
  KEY audit_logs_action (action, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS chatbot_secrets (
  chatbot_id VARCHAR(36) NOT NULL,
  name       VARCHAR(64) NOT NULL,
  sealed     TEXT NOT NULL,
  hint       VARCHAR(64) NOT NULL,
  updated_at VARCHAR(32) NOT NULL,
  PRIMARY KEY (chatbot_id, name),
  CONSTRAINT chatbot_secrets_chatbot_fk FOREIGN KEY (chatbot_id) REFERENCES chatbots (id)
    ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS chatbot_rate_limits (
  chatbot_id VARCHAR(36) NOT NULL,
  scope      VARCHAR(16) NOT NULL,
  rate       BIGINT NOT NULL,
  period_ms  BIGINT NOT NULL,
  burst      BIGINT NOT NULL,
  PRIMARY KEY (chatbot_id, scope),
  CONSTRAINT chatbot_rate_limits_chatbot_fk FOREIGN KEY (chatbot_id) REFERENCES chatbots (id)
    ON DELETE CASCADE,
  CONSTRAINT chatbot_rate_limits_scope_check CHECK (scope IN ('key', 'ip', 'session')),
  CONSTRAINT chatbot_rate_limits_values_check CHECK (rate > 0 AND period_ms > 0 AND burst > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
