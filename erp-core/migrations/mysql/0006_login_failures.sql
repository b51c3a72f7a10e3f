-- Failed logins, counted per (client address, typed username) and per client address (the row
-- whose username is empty), whether or not such a user exists: a throttle that only existing
-- users reach would tell a guesser which names exist, and a count per user would let anyone lock
-- a real user out from anywhere. The counts are shared by every server on this database; each
-- login locks its rows (address first) and counts itself before its password is checked, so
-- parallel guesses are counted one after another. A right password takes its count back.
-- Widths: an IPv6 address is at most 45 characters; a typed username is kept to 32.
--
-- users.failed_logins and users.locked_until are no longer read or written; they stay so that a
-- server of the previous version can still run against this database during an upgrade.

CREATE TABLE IF NOT EXISTS login_failures (
    address          VARCHAR(64)  NOT NULL,
    username         VARCHAR(32)  NOT NULL,
    failures         INT          NOT NULL,
    last_failure_at  DATETIME(6)  NULL,
    PRIMARY KEY (address, username),
    KEY login_failures_last_idx (last_failure_at),
    CONSTRAINT login_failures_failures_ck CHECK (failures >= 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
