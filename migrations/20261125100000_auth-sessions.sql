-- Sessions and usernames (issue 21 points 3 and 4; docs/security.md "Sessions").
--
-- Usernames are case-insensitive: `Nurse.Martin` and `nurse.martin` are one account. Existing
-- accounts that differ only by case cannot both keep their name: the migration stops and names
-- them, so that an admin renames or deactivates one (UPDATE users SET username = … WHERE id = …)
-- and migrates again. Nothing is changed before that.
DO $$
DECLARE
  clashes text;
BEGIN
  SELECT string_agg(format('%s (%s)', lower_name, accounts), '; ' ORDER BY lower_name) INTO clashes
    FROM (SELECT lower(username) AS lower_name, string_agg(format('%s=%s', username, id), ', ' ORDER BY username) AS accounts
            FROM users GROUP BY lower(username) HAVING count(*) > 1) c;
  IF clashes IS NOT NULL THEN
    RAISE EXCEPTION 'usernames that differ only by case: %', clashes
      USING HINT = 'rename all but one account of each group (UPDATE users SET username = ... WHERE id = ...), then migrate again';
  END IF;
END
$$;

CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username));

-- Refresh tokens: opaque random values, stored as their SHA-256 only. One login starts a family;
-- each refresh marks its token used and issues the next one in the same family. A used token
-- presented again (stolen and replayed, or the thief was first) revokes the whole family.
CREATE TABLE refresh_tokens (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  token_hash  text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  family_id   uuid NOT NULL,
  user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  delivery    text NOT NULL CHECK (delivery IN ('cookie', 'body')),
  issued_at   timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  revoked_at  timestamptz
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_live_idx ON refresh_tokens (user_id) WHERE revoked_at IS NULL;
