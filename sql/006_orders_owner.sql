-- 006: an order belongs to the user who placed it, and row-level
-- security decides who sees it.  A customer sees, lists, cancels and
-- replays only their own orders: another user's order is simply not
-- there (404, never 403, so its existence does not leak).  shop_admin
-- sees every order.  Every function here is SECURITY INVOKER, so the
-- policies hold inside them too; the stock of items, which a customer
-- may not write, moves through two narrow SECURITY DEFINER functions.

-- Orders placed before users existed keep a NULL owner: only an admin
-- sees them.  customer_email is the owner's email, copied when the
-- order is placed (an email never changes), so the order's JSON and
-- the admin's filter stay as they were.
SET client_min_messages = warning;

ALTER TABLE orders ADD COLUMN IF NOT EXISTS user_id bigint REFERENCES users;
CREATE INDEX IF NOT EXISTS orders_user_idx ON orders (user_id, created_at, id);
CREATE INDEX IF NOT EXISTS orders_created_idx ON orders (created_at, id);

-- Idempotency keys are per user: B's key never finds A's answer.
-- Keys from before (24 hours at most) belong to nobody: user 0.
ALTER TABLE idempotency_keys ADD COLUMN IF NOT EXISTS
	user_id bigint NOT NULL DEFAULT 0;
ALTER TABLE idempotency_keys ALTER COLUMN user_id SET DEFAULT app_uid();
ALTER TABLE idempotency_keys DROP CONSTRAINT IF EXISTS idempotency_keys_pkey;
ALTER TABLE idempotency_keys ADD PRIMARY KEY (user_id, key);

ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE order_lines ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS orders_own ON orders;
CREATE POLICY orders_own ON orders TO shop_customer
	USING (user_id = app_uid()) WITH CHECK (user_id = app_uid());
DROP POLICY IF EXISTS orders_admin ON orders;
CREATE POLICY orders_admin ON orders TO shop_admin USING (true);
-- Everyone's new order is their own, an admin's too.
DROP POLICY IF EXISTS orders_insert ON orders;
CREATE POLICY orders_insert ON orders AS RESTRICTIVE FOR INSERT
	TO shop_customer, shop_admin WITH CHECK (user_id = app_uid());
-- A line is visible when its order is (the subquery obeys orders'
-- policies).
DROP POLICY IF EXISTS order_lines_own ON order_lines;
CREATE POLICY order_lines_own ON order_lines TO shop_customer, shop_admin
	USING (EXISTS (SELECT FROM orders o WHERE o.id = order_id));
DROP POLICY IF EXISTS idempotency_keys_own ON idempotency_keys;
CREATE POLICY idempotency_keys_own ON idempotency_keys
	TO shop_customer, shop_admin
	USING (user_id = app_uid()) WITH CHECK (user_id = app_uid());

GRANT SELECT, INSERT, UPDATE ON orders, order_lines, idempotency_keys
	TO shop_customer, shop_admin;
GRANT DELETE ON idempotency_keys TO shop_customer, shop_admin;

-- Stock out of and back into an item, for order_create and
-- order_cancel only (customers may not UPDATE items).  The id order of
-- the callers' loops is what keeps concurrent orders from deadlocking.
CREATE OR REPLACE FUNCTION stock_take(iid bigint, qty integer) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
	IF qty <= 0 THEN
		RAISE EXCEPTION 'invalid quantity' USING ERRCODE = 'FP422';
	END IF;
	UPDATE items SET stock = stock - qty, version = version + 1,
		updated_at = now()
	WHERE id = iid AND stock >= qty;
	IF NOT FOUND THEN
		IF EXISTS (SELECT 1 FROM items WHERE id = iid) THEN
			RAISE EXCEPTION 'item % does not have enough stock', iid
				USING ERRCODE = 'FP409';
		END IF;
		RAISE EXCEPTION 'item % does not exist', iid USING ERRCODE = 'FP409';
	END IF;
END
$$;

-- Puts back the stock of an order the caller could just cancel: the
-- caller passes the order, not quantities, and only an order cancelled
-- in this very transaction (cancelled_at = now()) counts, so it cannot be repeated.
CREATE OR REPLACE FUNCTION stock_return(oid bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	line	record;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = oid
	    AND o.status = 'cancelled' AND o.cancelled_at = now()) THEN
		RETURN;
	END IF;
	FOR line IN
		SELECT l.item_id, sum(l.quantity) AS qty FROM order_lines l
		WHERE l.order_id = oid GROUP BY 1 ORDER BY 1
	LOOP
		UPDATE items SET stock = stock + line.qty,
			version = version + 1, updated_at = now()
		WHERE id = line.item_id;
	END LOOP;
END
$$;
REVOKE ALL ON FUNCTION stock_take(bigint, integer), stock_return(bigint)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION stock_take(bigint, integer), stock_return(bigint)
	TO shop_customer, shop_admin;

-- POST /orders: as in 003, but the owner is the token's user
-- (app_uid()), never the body, and the key is looked up among the
-- caller's own (the policy on idempotency_keys).
CREATE OR REPLACE FUNCTION order_create(req jsonb, idem text)
RETURNS TABLE (body json, status integer, "Location" text)
LANGUAGE plpgsql SECURITY INVOKER AS $$
DECLARE
	uid	bigint := app_uid();
	h	text := md5(req::text);
	k	idempotency_keys;
	oid	bigint;
	line	record;
	rbody	json;
	rstatus	integer;
	msg	text;
BEGIN
	IF uid IS NULL THEN
		RAISE EXCEPTION 'an order needs a user' USING ERRCODE = '42501';
	END IF;
	IF idem IS NOT NULL THEN
		IF length(idem) NOT BETWEEN 1 AND 255 THEN
			RAISE EXCEPTION 'Idempotency-Key must have 1 to 255 characters'
				USING ERRCODE = 'FP422', HINT = 'header.Idempotency-Key';
		END IF;
		DELETE FROM idempotency_keys i WHERE i.user_id = uid
		    AND i.key = idem AND i.created_at < now() - interval '24 hours';
		-- A racing twin waits here for the first to commit.
		INSERT INTO idempotency_keys (user_id, key, request_hash)
		VALUES (uid, idem, h) ON CONFLICT DO NOTHING;
		IF NOT FOUND THEN
			SELECT * INTO k FROM idempotency_keys i
			WHERE i.user_id = uid AND i.key = idem;
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
		INSERT INTO orders (user_id, customer_email)
		SELECT uid, u.email FROM users u WHERE u.id = uid
		RETURNING id INTO oid;
		IF oid IS NULL THEN
			RAISE EXCEPTION 'no such user' USING ERRCODE = '42501';
		END IF;
		FOR line IN
			SELECT (l->>'item_id')::numeric::bigint AS item_id,
				sum((l->>'quantity')::numeric::integer) AS qty
			FROM jsonb_array_elements(req->'lines') l
			GROUP BY 1 ORDER BY 1
		LOOP
			PERFORM stock_take(line.item_id, line.qty::integer);
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
		WHERE i.user_id = uid AND i.key = idem;
	END IF;
	RETURN QUERY SELECT rbody, rstatus, '/orders/' || oid;
END
$$;

-- POST /orders/{id}/cancel: another user's order is not found (RLS).
CREATE OR REPLACE FUNCTION order_cancel(oid bigint)
RETURNS TABLE (body json, status integer)
LANGUAGE plpgsql SECURITY INVOKER AS $$
BEGIN
	UPDATE orders o SET status = 'cancelled', cancelled_at = now()
	WHERE o.id = oid AND o.status = 'placed';
	IF NOT FOUND THEN
		IF EXISTS (SELECT 1 FROM orders o WHERE o.id = oid) THEN
			RAISE EXCEPTION 'order % is already cancelled', oid
				USING ERRCODE = 'FP409';
		END IF;
		RETURN;		-- no row (or not the caller's): 404
	END IF;
	PERFORM stock_return(oid);
	RETURN QUERY SELECT order_json(oid), 200;
END
$$;

-- GET /orders: the orders the caller may see (their own; all for an
-- admin), newest first; customer_email narrows them (an admin's
-- filter: a customer naming another email finds nothing).
CREATE OR REPLACE FUNCTION order_page(args jsonb, OUT body json, OUT next text)
LANGUAGE plpgsql STABLE SECURITY INVOKER AS $$
DECLARE
	lim	int := coalesce((args->>'limit')::int, 20);
	em	text := lower(args->>'customer_email');
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
		    WHERE (em IS NULL OR o.customer_email = em)
		      AND (aft IS NULL OR (o.created_at, o.id) <
			   ((aft->>0)::timestamptz, (aft->>1)::bigint))
		    ORDER BY o.created_at DESC, o.id DESC
		    LIMIT lim + 1) s) p;
END
$$;

GRANT EXECUTE ON FUNCTION order_json(bigint), order_create(jsonb, text),
	order_cancel(bigint), order_page(jsonb) TO shop_customer, shop_admin;
