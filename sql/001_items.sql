-- 001: the items table and its API model.  The role the responders
-- use, fastpg_app, is the library's (000_fastpg).

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

GRANT SELECT, INSERT, UPDATE, DELETE ON items TO fastpg_app;
GRANT EXECUTE ON FUNCTION item_json(items) TO fastpg_app;
