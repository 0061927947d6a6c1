-- 007: the TechEmpower Framework Benchmarks' tables (apps/tfb/), as
-- their toolset creates them (toolset/databases/postgres/
-- create-postgres.sql): world, 10,000 rows of a random number
-- 1..10000, and fortune, the 12 standard messages, among them one to
-- be escaped and one in Japanese.  Unquoted names, so randomNumber is
-- the column randomnumber.

CREATE TABLE world (
	id		integer NOT NULL PRIMARY KEY,
	randomnumber	integer NOT NULL DEFAULT 0
);
INSERT INTO world (id, randomnumber)
SELECT x.id, least(floor(random() * 10000 + 1), 10000)
FROM generate_series(1, 10000) AS x(id);

CREATE TABLE fortune (
	id		integer NOT NULL PRIMARY KEY,
	message		varchar(2048) NOT NULL
);
INSERT INTO fortune (id, message) VALUES
	(1, 'fortune: No such file or directory'),
	(2, 'A computer scientist is someone who fixes things that aren''t broken.'),
	(3, 'After enough decimal places, nobody gives a damn.'),
	(4, 'A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1'),
	(5, 'A computer program does what you tell it to do, not what you want it to do.'),
	(6, 'Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen'),
	(7, 'Any program that runs right is obsolete.'),
	(8, 'A list is only as strong as its weakest link. — Donald Knuth'),
	(9, 'Feature: A bug with seniority.'),
	(10, 'Computers make very fast, very accurate mistakes.'),
	(11, '<script>alert("This should not be displayed in a browser alert box.");</script>'),
	(12, 'フレームワークのベンチマーク');

-- Requests run as a role the token names, or the sessions' default
-- (shop_anon, sql/005_users.sql), each a member of fastpg_api
-- (sql/000_fastpg.sql): everyone reads both tables and updates world's
-- random numbers, nothing else.
GRANT SELECT ON world, fortune TO fastpg_api;
GRANT UPDATE (randomnumber) ON world TO fastpg_api;
