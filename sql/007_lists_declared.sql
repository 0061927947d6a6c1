-- 007: GET /items and GET /orders are declared lists now (struct
-- fpg_list in apps/*/main.c): libfastpg writes the SQL of each shape of
-- request, binds every value and prepares each shape once per
-- connection, where item_page() planned a dynamic query on every call.
-- The page functions go; cursor_encode() and cursor_decode() stay for
-- resources that page with a function of their own (fpg_send_page).
DROP FUNCTION IF EXISTS item_page(jsonb);
DROP FUNCTION IF EXISTS order_page(jsonb);
