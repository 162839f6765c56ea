-- One revocation mechanism (issue 15 item 3, issue 19 item 1): a login is its refresh
-- family, live while it holds an active refresh token; every access token carries its
-- family id (`sid`), and every bearer check asks for a live token of that family through
-- this partial index (one probe). See `locker_core::token::revocation`.
CREATE INDEX refresh_tokens_live ON refresh_tokens (family_id) WHERE state = 'active';

-- The per-user cut-off of seed 003's "log out everywhere" is replaced by revoking the
-- user's refresh families.
ALTER TABLE user_accounts DROP COLUMN sessions_valid_from;
