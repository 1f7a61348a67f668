-- 0005_system_secrets (MySQL / MariaDB): server-wide secrets (the SMTP password), sealed with the
-- encryption key like chatbot secrets. Kept in step with sqlite/0005_system_secrets.sql.
CREATE TABLE IF NOT EXISTS system_secrets (
  name       VARCHAR(64) NOT NULL PRIMARY KEY,
  sealed     TEXT NOT NULL,
  hint       VARCHAR(64) NOT NULL,
  updated_at VARCHAR(32) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
