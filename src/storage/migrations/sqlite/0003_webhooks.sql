-- 0003_webhooks (SQLite): outgoing webhooks of a chatbot and their deliveries. Kept in step with
-- mysql/0003_webhooks.sql. The signing secret is sealed (AES-256-GCM, see core/secret_box.h):
-- the database never holds it in plain text.

CREATE TABLE webhooks (
  id            TEXT PRIMARY KEY NOT NULL,
  chatbot_id    TEXT NOT NULL REFERENCES chatbots (id) ON DELETE CASCADE,
  url           TEXT NOT NULL,
  events        TEXT NOT NULL,  -- JSON array of event names
  secret_sealed TEXT NOT NULL,
  secret_hint   TEXT NOT NULL,  -- "whsec_…abcd": enough to tell secrets apart
  is_active     INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
  created_by    TEXT REFERENCES users (id) ON DELETE SET NULL,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL
);
CREATE INDEX webhooks_chatbot ON webhooks (chatbot_id);

-- One row per event and webhook; the deliverer leases due rows by moving next_attempt_at ahead.
CREATE TABLE webhook_deliveries (
  id              TEXT PRIMARY KEY NOT NULL,
  webhook_id      TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  event           TEXT NOT NULL,
  payload         TEXT NOT NULL,  -- the exact JSON body that is signed and sent
  status          TEXT NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'succeeded', 'failed')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  response_status INTEGER,
  last_error      TEXT,
  created_at      TEXT NOT NULL,
  delivered_at    TEXT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, created_at);
