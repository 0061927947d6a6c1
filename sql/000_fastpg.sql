-- 000: the library's own SQL, which every resource may rely on: the
-- role the responders connect as, and the keyset cursors that
-- fpg_send_page() pages with.  Nothing here belongs to a resource.
--
-- It runs first on a new database.  On a database migrated before it
-- existed (when this lived in 001_items and 002_items_catalog) it runs
-- after those, so every statement here must find its objects already
-- there and leave them as they are: IF NOT EXISTS, CREATE OR REPLACE,
-- and grants, which repeat harmlessly.

-- The responders connect as fastpg_app: DML on the API's tables only,
-- never DDL (migrations run as the database owner).  Each resource's
-- migration grants it what that resource needs.
DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'fastpg_app') THEN
		CREATE ROLE fastpg_app LOGIN;
	END IF;
END
$$;

REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO fastpg_app;

-- fastpg_api: what every role a request runs as may do (the roles a
-- deployment grants to fastpg_app and names in tokens and
-- JWT_ANON_ROLE are made members): the tables of a resource that
-- declares no finer rule, such as one `make new-resource` made.
DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'fastpg_api') THEN
		CREATE ROLE fastpg_api NOLOGIN;
	END IF;
END
$$;
GRANT USAGE ON SCHEMA public TO fastpg_api;

-- Keyset cursors: the last row's sort key and id, as base64url JSON.
-- A cursor that does not decode is the client's error (422), raised
-- as SQLSTATE FP422, which libfastpg answers with this message.
CREATE OR REPLACE FUNCTION cursor_encode(k jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT rtrim(translate(encode(convert_to(k::text, 'UTF8'), 'base64'),
		E'+/\n', '-_'), '=')
$$;

CREATE OR REPLACE FUNCTION cursor_decode(c text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	k jsonb;
BEGIN
	k := convert_from(decode(rpad(translate(c, '-_', '+/'),
		(length(c) + 3) / 4 * 4, '='), 'base64'), 'UTF8')::jsonb;
	IF jsonb_typeof(k) <> 'array' OR jsonb_array_length(k) <> 2 OR
	    jsonb_typeof(k->1) <> 'number' THEN
		RAISE EXCEPTION 'invalid';
	END IF;
	RETURN k;
EXCEPTION WHEN OTHERS THEN
	RAISE EXCEPTION 'Invalid pagination cursor'
		USING ERRCODE = 'FP422', HINT = 'query.after';
END
$$;

GRANT EXECUTE ON FUNCTION cursor_encode(jsonb), cursor_decode(text)
	TO fastpg_app, fastpg_api;
