-- 0003_webhooks (MySQL / MariaDB): outgoing webhooks of a chatbot and their deliveries. Kept in
-- step with sqlite/0003_webhooks.sql. The signing secret is sealed (AES-256-GCM): the database
-- never holds it in plain text.

CREATE TABLE IF NOT EXISTS webhooks (
  id            VARCHAR(36) NOT NULL PRIMARY KEY,
  chatbot_id    VARCHAR(36) NOT NULL,
  url           VARCHAR(2048) NOT NULL,
  events        TEXT NOT NULL,  -- JSON array of event names
  secret_sealed TEXT NOT NULL,
  secret_hint   VARCHAR(64) NOT NULL,
  is_active     TINYINT NOT NULL DEFAULT 1,
  created_by    VARCHAR(36) NULL,
  created_at    VARCHAR(32) NOT NULL,
  updated_at    VARCHAR(32) NOT NULL,
  KEY webhooks_chatbot (chatbot_id),
  CONSTRAINT webhooks_chatbot_fk FOREIGN KEY (chatbot_id) REFERENCES chatbots (id)
    ON DELETE CASCADE,
  CONSTRAINT webhooks_created_by_fk FOREIGN KEY (created_by) REFERENCES users (id)
    ON DELETE SET NULL,
  CONSTRAINT webhooks_active_check CHECK (is_active IN (0, 1))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS webhook_deliveries (
  id              VARCHAR(36) NOT NULL PRIMARY KEY,
  webhook_id      VARCHAR(36) NOT NULL,
  event           VARCHAR(64) NOT NULL,
  payload         MEDIUMTEXT NOT NULL,  -- the exact JSON body that is signed and sent
  status          VARCHAR(16) NOT NULL DEFAULT 'pending',
  attempts        INT NOT NULL DEFAULT 0,
  next_attempt_at VARCHAR(32) NOT NULL,
  response_status INT NULL,
  last_error      VARCHAR(512) NULL,
  created_at      VARCHAR(32) NOT NULL,
  delivered_at    VARCHAR(32) NULL,
  KEY webhook_deliveries_due (status, next_attempt_at),
  KEY webhook_deliveries_webhook (webhook_id, created_at),
  CONSTRAINT webhook_deliveries_webhook_fk FOREIGN KEY (webhook_id) REFERENCES webhooks (id)
    ON DELETE CASCADE,
  CONSTRAINT webhook_deliveries_status_check CHECK (status IN ('pending', 'succeeded', 'failed'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
