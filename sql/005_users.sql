-- 005: who may do what, in PostgREST's model.  The responders log in
-- as fastpg_app, the authenticator: LOGIN NOINHERIT, so it holds no
-- privilege of its own on the shop's tables and can only become one of
-- the roles granted to it.  The library makes each request's
-- statements run transaction-locally as the token's role (without a
-- token: its sessions' default role, shop_anon) with the token's claims
-- in request.jwt.claims; a role not granted here (postgres, say) fails
-- in PostgreSQL with 42501, which the library answers 403.
--
--   shop_anon      reads items, registers, logs in
--   shop_customer  that, plus its own orders (row-level security)
--   shop_admin     every order, and writes items
--
-- Idempotent, as sql/000_fastpg.sql: roles belong to the cluster.
SET client_min_messages = warning;

DO $$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['shop_anon', 'shop_customer', 'shop_admin']
	LOOP
		IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
			EXECUTE format('CREATE ROLE %I NOLOGIN', r);
		END IF;
	END LOOP;
END
$$;
ALTER ROLE fastpg_app LOGIN NOINHERIT;
GRANT shop_anon, shop_customer, shop_admin TO fastpg_app;
-- Its sessions start as shop_anon: a request without a token runs as
-- the anonymous role with no setting sent along (JWT_ANON_ROLE empty),
-- and a token's role is set transaction-locally over it, reverting to
-- shop_anon when the transaction ends.  (JWT_ANON_ROLE=shop_anon does
-- the same with a set_config per request, as PostgREST does; this saves
-- that round of work: about 5,300 instructions a GET in the responder.)
DO $$
BEGIN
	EXECUTE format('ALTER ROLE fastpg_app IN DATABASE %I SET role = %L',
	    current_database(), 'shop_anon');
END
$$;
-- What the library's own rules give every API role (sql/000_fastpg.sql).
GRANT fastpg_api TO shop_anon, shop_customer, shop_admin;
GRANT USAGE ON SCHEMA public TO shop_anon, shop_customer, shop_admin;

-- The authenticator itself reads and writes nothing of the shop.
REVOKE ALL ON items, orders, order_lines, idempotency_keys FROM fastpg_app;
REVOKE ALL ON FUNCTION item_json(items), item_page(jsonb),
	order_json(bigint), order_create(jsonb, text), order_cancel(bigint),
	order_page(jsonb) FROM PUBLIC, fastpg_app;

GRANT EXECUTE ON FUNCTION cursor_encode(jsonb), cursor_decode(text)
	TO shop_anon, shop_customer, shop_admin;

-- Items: everyone reads; only shop_admin writes (the routes say so too,
-- so the library answers 403 before the database is asked).
GRANT SELECT ON items TO shop_anon, shop_customer, shop_admin;
GRANT INSERT, UPDATE, DELETE ON items TO shop_admin;
GRANT EXECUTE ON FUNCTION item_json(items), item_page(jsonb)
	TO shop_anon, shop_customer, shop_admin;
GRANT USAGE ON TYPE item_api TO shop_anon, shop_customer, shop_admin;

-- The caller: the token's sub, NULL without a token.  An empty
-- setting (a connection where the claims were once set) is no caller.
CREATE OR REPLACE FUNCTION app_uid() RETURNS bigint
LANGUAGE sql STABLE AS $$
	SELECT (nullif(current_setting('request.jwt.claims', true), '')::json
		->>'sub')::bigint
$$;
REVOKE ALL ON FUNCTION app_uid() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_uid() TO shop_anon, shop_customer, shop_admin;

-- Users.  Emails are stored lower-cased (user_register does it), so
-- the unique index on lower(email) and equality agree.
CREATE TABLE IF NOT EXISTS users (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	email		text NOT NULL,
	password_hash	text NOT NULL CHECK (password_hash LIKE '$%'),
	role		text NOT NULL DEFAULT 'shop_customer'
			CHECK (role IN ('shop_customer', 'shop_admin')),
	created_at	timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS users_email_idx ON users (lower(email));

-- A user sees their own row, an admin every row; nobody but the owner
-- of the table reads password_hash (no column grant names it).
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS users_self ON users;
CREATE POLICY users_self ON users FOR SELECT TO shop_customer
	USING (id = app_uid());
DROP POLICY IF EXISTS users_admin ON users;
CREATE POLICY users_admin ON users FOR SELECT TO shop_admin USING (true);
GRANT SELECT (id, email, role, created_at) ON users
	TO shop_customer, shop_admin;

-- POST /users: a new customer (never an admin), answered as the API
-- shows a user.  SECURITY DEFINER so that shop_anon needs no privilege
-- on users at all; it writes exactly one row of a fixed role.  The hash
-- was made by the responder (libxcrypt); a duplicate email is 409.
CREATE OR REPLACE FUNCTION user_register(em text, hash text,
	OUT body json, OUT "Location" text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	u users;
BEGIN
	INSERT INTO users (email, password_hash)
	VALUES (lower(em), hash) RETURNING * INTO u;
	body := json_build_object('id', u.id, 'email', u.email,
		'role', u.role, 'created_at', u.created_at);
	"Location" := '/users/me';
EXCEPTION WHEN unique_violation THEN
	RAISE EXCEPTION 'email already registered' USING ERRCODE = 'FP409';
END
$$;

-- POST /token: what a login needs of one user and nothing more.  The
-- only way the responders reach a password hash.
-- A set: no row for an unknown email (not one row of NULLs).
CREATE OR REPLACE FUNCTION user_login(em text)
RETURNS TABLE (id bigint, password_hash text, role text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
	SELECT u.id, u.password_hash, u.role FROM users u
	WHERE lower(u.email) = lower(em)
$$;

REVOKE ALL ON FUNCTION user_register(text, text), user_login(text)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION user_register(text, text), user_login(text)
	TO shop_anon, shop_customer, shop_admin;
