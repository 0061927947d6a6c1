-- 002: what the items list needs: a version for ETags, full-text
-- search, indexes for every sort and filter, and keyset pagination
-- (with the library's cursor_encode() and cursor_decode(), 000_fastpg).

ALTER TABLE items
	ADD COLUMN version integer NOT NULL DEFAULT 1,
	ADD COLUMN search tsvector GENERATED ALWAYS AS (
		setweight(to_tsvector('english', name), 'A') ||
		setweight(to_tsvector('english', coalesce(description, '')), 'B')
	) STORED;

CREATE INDEX items_search_idx ON items USING gin (search);
CREATE INDEX items_attributes_idx ON items USING gin (attributes jsonb_path_ops);
CREATE INDEX items_name_idx ON items (name, id);
CREATE INDEX items_price_idx ON items (price, id);
CREATE INDEX items_created_at_idx ON items (created_at, id);

-- The item as the API shows it: version and search stay inside.
CREATE OR REPLACE FUNCTION item_json(i items) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT row_to_json(x) FROM (SELECT i.id, i.sku, i.name,
		i.description, i.price, i.stock, i.attributes,
		i.created_at, i.updated_at) x
$$;

-- One page of GET /items.  args is the validated query object:
-- limit, sort, after, min_price, max_price, in_stock, sku, q, and
-- attr.<key> filters (jsonb containment).  Identifiers come from a
-- whitelist; every value is bound.  Returns the page as a JSON array
-- and the cursor of the next page (NULL on the last one).
CREATE FUNCTION item_page(args jsonb, OUT body json, OUT next text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
	sort	text := coalesce(args->>'sort',
			CASE WHEN args ? 'q' THEN '-rank' ELSE 'id' END);
	lim	int := coalesce((args->>'limit')::int, 20);
	skey	text;
	typ	text;
	dir	text := CASE WHEN left(sort, 1) = '-' THEN 'DESC' ELSE 'ASC' END;
	attrs	jsonb := '{}';
	aft	jsonb;
	k	text;
	v	text;
	q	text := 'SELECT i, ';
BEGIN
	SELECT e.k, e.t INTO skey, typ FROM (VALUES
		('id', 'i.id', 'bigint'), ('name', 'i.name', 'text'),
		('price', 'i.price', 'numeric'),
		('created_at', 'i.created_at', 'timestamptz'),
		('rank', 'ts_rank(i.search, websearch_to_tsquery(''english'', $6))', 'real'))
		AS e(name, k, t)
	WHERE e.name = ltrim(sort, '-');
	IF skey IS NULL OR (sort LIKE '%rank' AND NOT args ? 'q') THEN
		RAISE EXCEPTION 'Unknown sort order' USING ERRCODE = 'FP422',
			HINT = 'query.sort';
	END IF;
	FOR k, v IN SELECT * FROM jsonb_each_text(args) WHERE key LIKE 'attr.%' LOOP
		-- attr.size=10 matches the number 10, attr.color=red a string
		attrs := attrs || jsonb_build_object(substr(k, 6),
			CASE WHEN v ~ '^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$'
			    OR v IN ('true', 'false') THEN v::jsonb ELSE to_jsonb(v) END);
	END LOOP;
	IF args ? 'after' THEN
		aft := cursor_decode(args->>'after');
	END IF;
	q := q || skey || ' AS sk FROM items i WHERE true';
	IF args ? 'min_price' THEN q := q || ' AND i.price >= $2'; END IF;
	IF args ? 'max_price' THEN q := q || ' AND i.price <= $3'; END IF;
	IF args ? 'in_stock' THEN
		q := q || CASE WHEN (args->>'in_stock')::boolean
			THEN ' AND i.stock > 0' ELSE ' AND i.stock = 0' END;
	END IF;
	IF args ? 'sku' THEN q := q || ' AND i.sku = $5'; END IF;
	IF args ? 'q' THEN
		q := q || ' AND i.search @@ websearch_to_tsquery(''english'', $6)';
	END IF;
	IF attrs <> '{}' THEN q := q || ' AND i.attributes @> $7'; END IF;
	IF aft IS NOT NULL THEN
		q := q || format(' AND (%s, i.id) %s ($8::%s, $9)', skey,
			CASE dir WHEN 'ASC' THEN '>' ELSE '<' END, typ);
	END IF;
	q := q || format(' ORDER BY sk %s, i.id %s LIMIT $1', dir, dir);
	EXECUTE format('SELECT coalesce(json_agg(item_json(p.i) ORDER BY p.n)'
		' FILTER (WHERE p.n <= $10), ''[]''),'
		' max(cursor_encode(jsonb_build_array(p.sk, (p.i).id)))'
		' FILTER (WHERE p.n = $10 AND p.total > $10)'
		' FROM (SELECT s.*, row_number() OVER () AS n,'
		' count(*) OVER () AS total FROM (%s) s) p', q)
	INTO body, next
	USING lim + 1, (args->>'min_price')::numeric,
		(args->>'max_price')::numeric, NULL::boolean, args->>'sku',
		args->>'q', attrs, aft->>0, (aft->>1)::bigint, lim;
END
$$;

GRANT EXECUTE ON FUNCTION item_page(jsonb) TO fastpg_app;
