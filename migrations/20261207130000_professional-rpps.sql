-- Professionals' RPPS number (CONTRACT §8): 11 digits with a Luhn key (checked by the
-- application), on nurses and physicians only; Pro Santé Connect logins are matched on it.
-- users.national_id (free-form RPPS/ADELI, 6-20 characters) stays as it was: its 11-digit values
-- are copied here, anything else (an ADELI number) is left where it is, not lost.
ALTER TABLE users
  ADD COLUMN rpps text UNIQUE CHECK (rpps ~ '^[0-9]{11}$'),
  ADD CONSTRAINT users_admin_has_no_rpps CHECK (role <> 'admin' OR rpps IS NULL);

UPDATE users SET rpps = national_id WHERE national_id ~ '^[0-9]{11}$' AND role <> 'admin';
