-- Integer user numbers (seed 003 `userId`, seed 001 user ids) and the per-user cut-off
-- before which access tokens are revoked (a new OTP login logs out older sessions).
CREATE TABLE user_accounts (
    number              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id             TEXT NOT NULL CONSTRAINT user_accounts_user_key UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    sessions_valid_from TEXT
);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id, state);
