-- 0005_login_locks: brute-force protection of password logins, and one
-- service token per name.
--
-- A user whose password is refused max-failures times within the window
-- (5 in 5 minutes, as Grafana's login attempts) is locked for a while:
-- failed_logins counts the failures since first_failed_at, locked_until
-- ends the lock. pmmctl user unlock, or an admin through
-- POST /v1/lockouts:unlock, clears all three.
ALTER TABLE users
    ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN first_failed_at TIMESTAMP NULL,
    ADD COLUMN locked_until TIMESTAMP NULL;

-- Token names were not unique, so a retried `pmmctl token create` (say
-- after an answer lost to a crash) made a second token of that name.
-- Later duplicates keep working under their name with the token id added.
UPDATE service_tokens t SET name = t.name || '-' || t.token_id
 WHERE EXISTS (SELECT 1 FROM service_tokens o
                WHERE o.name = t.name AND (o.created_at, o.token_id) < (t.created_at, t.token_id));
ALTER TABLE service_tokens ADD CONSTRAINT service_tokens_name_key UNIQUE (name);
