-- 003: orders, their lines, and idempotency keys.  Everything an order
-- does happens in one statement (one transaction): the library retries
-- it on a serialization failure or deadlock, and items are locked in
-- id order so that concurrent orders do not deadlock in the first place.

CREATE TABLE orders (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	customer_email	text NOT NULL,
	status		text NOT NULL DEFAULT 'placed'
			CHECK (status IN ('placed', 'cancelled')),
	created_at	timestamptz NOT NULL DEFAULT clock_timestamp(),
	cancelled_at	timestamptz
);
CREATE INDEX orders_customer_idx ON orders (customer_email, created_at, id);

CREATE TABLE order_lines (
	order_id	bigint NOT NULL REFERENCES orders ON DELETE CASCADE,
	line_no		integer NOT NULL,
	item_id		bigint NOT NULL REFERENCES items ON DELETE RESTRICT,
	quantity	integer NOT NULL CHECK (quantity > 0),
	unit_price	numeric(12,2) NOT NULL CHECK (unit_price >= 0),
	PRIMARY KEY (order_id, line_no)
);
CREATE INDEX order_lines_item_idx ON order_lines (item_id);

-- A key remembers the first answer for 24 hours (see README).
CREATE TABLE idempotency_keys (
	key		text PRIMARY KEY,
	request_hash	text NOT NULL,
	status		integer,
	body		json,
	created_at	timestamptz NOT NULL DEFAULT now()
);

-- The order as the API shows it: lines with the unit price at the time
-- of the order, and an exact numeric total.
CREATE FUNCTION order_json(oid bigint) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT row_to_json(x) FROM (
		SELECT o.id, o.customer_email, o.status, o.created_at,
			o.cancelled_at,
			coalesce((SELECT sum(l.quantity * l.unit_price)
			    FROM order_lines l WHERE l.order_id = o.id), 0)
			    AS total,
			coalesce((SELECT json_agg(row_to_json(y))
			    FROM (SELECT l.item_id, l.quantity, l.unit_price,
				l.quantity * l.unit_price AS amount
				FROM order_lines l WHERE l.order_id = o.id
				ORDER BY l.line_no) y), '[]') AS lines
		FROM orders o WHERE o.id = oid) x
$$;

-- POST /orders.  body is the validated request body, idem the
-- Idempotency-Key header or NULL.  Returns the answer: body, status and
-- Location (libfastpg sends the extra columns as status and header).
CREATE FUNCTION order_create(req jsonb, idem text)
RETURNS TABLE (body json, status integer, "Location" text)
LANGUAGE plpgsql AS $$
DECLARE
	h	text := md5(req::text);
	k	idempotency_keys;
	oid	bigint;
	line	record;
	rbody	json;
	rstatus	integer;
	msg	text;
BEGIN
	IF idem IS NOT NULL THEN
		IF length(idem) NOT BETWEEN 1 AND 255 THEN
			RAISE EXCEPTION 'Idempotency-Key must have 1 to 255 characters'
				USING ERRCODE = 'FP422', HINT = 'header.Idempotency-Key';
		END IF;
		DELETE FROM idempotency_keys i
		WHERE i.key = idem AND i.created_at < now() - interval '24 hours';
		-- A racing twin waits here for the first to commit.
		INSERT INTO idempotency_keys (key, request_hash)
		VALUES (idem, h) ON CONFLICT DO NOTHING;
		IF NOT FOUND THEN
			SELECT * INTO k FROM idempotency_keys i WHERE i.key = idem;
			IF k.request_hash <> h THEN
				RAISE EXCEPTION 'Idempotency-Key was already used with another body'
					USING ERRCODE = 'FP422', HINT = 'header.Idempotency-Key';
			END IF;
			RETURN QUERY SELECT k.body, k.status, CASE WHEN k.status = 201
				THEN '/orders/' || (k.body->>'id') END;
			RETURN;
		END IF;
	END IF;
	BEGIN
		INSERT INTO orders (customer_email)
		VALUES (req->>'customer_email') RETURNING id INTO oid;
		FOR line IN
			SELECT (l->>'item_id')::numeric::bigint AS item_id,
				sum((l->>'quantity')::numeric::integer) AS qty
			FROM jsonb_array_elements(req->'lines') l
			GROUP BY 1 ORDER BY 1
		LOOP
			UPDATE items SET stock = stock - line.qty,
				version = version + 1, updated_at = now()
			WHERE id = line.item_id AND stock >= line.qty;
			IF NOT FOUND THEN
				IF EXISTS (SELECT 1 FROM items WHERE id = line.item_id) THEN
					RAISE EXCEPTION 'item % does not have enough stock',
						line.item_id USING ERRCODE = 'FP409';
				END IF;
				RAISE EXCEPTION 'item % does not exist', line.item_id
					USING ERRCODE = 'FP409';
			END IF;
		END LOOP;
		INSERT INTO order_lines (order_id, line_no, item_id, quantity, unit_price)
		SELECT oid, x.n, i.id, (x.l->>'quantity')::numeric::integer, i.price
		FROM jsonb_array_elements(req->'lines') WITH ORDINALITY AS x(l, n)
		JOIN items i ON i.id = (x.l->>'item_id')::numeric::bigint;
		rbody := order_json(oid);
		rstatus := 201;
	EXCEPTION WHEN SQLSTATE 'FP409' THEN
		-- Everything of this order is undone; the key keeps the 409.
		GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
		rbody := ('{"detail":' || to_json(msg)::text || '}')::json;
		rstatus := 409;
		oid := NULL;
	END;
	IF idem IS NOT NULL THEN
		UPDATE idempotency_keys i SET status = rstatus, body = rbody
		WHERE i.key = idem;
	END IF;
	RETURN QUERY SELECT rbody, rstatus, '/orders/' || oid;
END
$$;

-- POST /orders/{id}/cancel: the stock goes back, once.
CREATE FUNCTION order_cancel(oid bigint)
RETURNS TABLE (body json, status integer)
LANGUAGE plpgsql AS $$
DECLARE
	line	record;
BEGIN
	UPDATE orders o SET status = 'cancelled', cancelled_at = now()
	WHERE o.id = oid AND o.status = 'placed';
	IF NOT FOUND THEN
		IF EXISTS (SELECT 1 FROM orders o WHERE o.id = oid) THEN
			RAISE EXCEPTION 'order % is already cancelled', oid
				USING ERRCODE = 'FP409';
		END IF;
		RETURN;		-- no row: 404
	END IF;
	FOR line IN
		SELECT l.item_id, sum(l.quantity) AS qty FROM order_lines l
		WHERE l.order_id = oid GROUP BY 1 ORDER BY 1
	LOOP
		UPDATE items SET stock = stock + line.qty,
			version = version + 1, updated_at = now()
		WHERE id = line.item_id;
	END LOOP;
	RETURN QUERY SELECT order_json(oid), 200;
END
$$;

-- GET /orders?customer_email=...: newest first, keyset-paginated.
CREATE FUNCTION order_page(args jsonb, OUT body json, OUT next text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
	lim	int := coalesce((args->>'limit')::int, 20);
	aft	jsonb;
BEGIN
	IF args ? 'after' THEN
		aft := cursor_decode(args->>'after');
	END IF;
	SELECT coalesce(json_agg(order_json(p.id) ORDER BY p.n)
			FILTER (WHERE p.n <= lim), '[]'),
		max(cursor_encode(jsonb_build_array(p.created_at, p.id)))
			FILTER (WHERE p.n = lim AND p.total > lim)
	INTO body, next
	FROM (SELECT s.*, row_number() OVER () AS n, count(*) OVER () AS total
	      FROM (SELECT o.id, o.created_at FROM orders o
		    WHERE o.customer_email = args->>'customer_email'
		      AND (aft IS NULL OR (o.created_at, o.id) <
			   ((aft->>0)::timestamptz, (aft->>1)::bigint))
		    ORDER BY o.created_at DESC, o.id DESC
		    LIMIT lim + 1) s) p;
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON orders, order_lines,
	idempotency_keys TO fastpg_app;
GRANT EXECUTE ON FUNCTION order_json(bigint), order_create(jsonb, text),
	order_cancel(bigint), order_page(jsonb) TO fastpg_app;
