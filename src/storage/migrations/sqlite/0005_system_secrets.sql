-- 0005_system_secrets (SQLite): server-wide secrets (the SMTP password), sealed with the
-- encryption key like chatbot secrets. Kept in step with mysql/0005_system_secrets.sql.
CREATE TABLE system_secrets (
  name       TEXT PRIMARY KEY NOT NULL,
  sealed     TEXT NOT NULL,
  hint       TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
