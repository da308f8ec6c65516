-- Failed password checks, per account and client address and per account,
-- so that every replica slows a guessing address down alike.
CREATE UNLOGGED TABLE guess_pairs (
	account  text NOT NULL,
	addr     text NOT NULL,
	failures integer NOT NULL,
	free     integer NOT NULL,
	last     timestamptz NOT NULL,
	until    timestamptz NOT NULL,
	PRIMARY KEY (account, addr)
);
CREATE UNLOGGED TABLE guess_accounts (
	account  text PRIMARY KEY,
	failures integer NOT NULL,
	last     timestamptz NOT NULL
);
