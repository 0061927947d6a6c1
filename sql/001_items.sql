-- 001: the items table, its API model, and the role the responders use.

-- The responders connect as fastpg_app: DML on the API's tables only,
-- never DDL (migrations run as the database owner).
DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'fastpg_app') THEN
		CREATE ROLE fastpg_app LOGIN;
	END IF;
END
$$;

CREATE TABLE items (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	sku		text NOT NULL UNIQUE,
	name		text NOT NULL,
	description	text,
	price		numeric(12,2) NOT NULL CHECK (price >= 0),
	stock		integer NOT NULL DEFAULT 0 CHECK (stock >= 0),
	attributes	jsonb NOT NULL DEFAULT '{}',
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);

-- The item as the API shows it: PostgreSQL serialises it, so numeric
-- stays exact, timestamps are ISO 8601 and jsonb is embedded as is.
CREATE FUNCTION item_json(i items) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT row_to_json(x) FROM (SELECT i.id, i.sku, i.name,
		i.description, i.price, i.stock, i.attributes,
		i.created_at, i.updated_at) x
$$;

REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO fastpg_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON items TO fastpg_app;
GRANT EXECUTE ON FUNCTION item_json(items) TO fastpg_app;
