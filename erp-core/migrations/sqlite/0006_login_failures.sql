-- Failed logins, counted per (client address, typed username) and per client address (the row
-- whose username is empty), whether or not such a user exists: a throttle that only existing
-- users reach would tell a guesser which names exist, and a count per user would let anyone lock
-- a real user out from anywhere. The counts are shared by every process on this database; each
-- login locks its rows (address first) and counts itself before its password is checked, so
-- parallel guesses are counted one after another. A right password takes its count back.
--
-- users.failed_logins and users.locked_until are no longer read or written; they stay so that a
-- server of the previous version can still run against this database during an upgrade.

CREATE TABLE login_failures (
    address          TEXT    NOT NULL,
    username         TEXT    NOT NULL,
    failures         INTEGER NOT NULL,
    last_failure_at  INTEGER,
    PRIMARY KEY (address, username),
    CONSTRAINT login_failures_failures_ck CHECK (failures >= 0)
);

CREATE INDEX login_failures_last_idx ON login_failures (last_failure_at);
