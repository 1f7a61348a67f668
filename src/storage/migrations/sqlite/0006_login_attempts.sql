-- Password attempts are recorded before they are checked (pending = 1) and become failures
-- (pending = 0) when the password was wrong; successes delete theirs. Counting pending attempts
-- keeps concurrent guesses within the lockout threshold.
ALTER TABLE login_failures ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
