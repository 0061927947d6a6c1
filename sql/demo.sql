-- demo.sql -- the demo data of `make run` (deploy/local.sh up --demo),
-- loaded once into a fresh database; not a migration: a real database
-- never gets it.  The OpenAPI examples (apps/*/openapi.json, the id
-- schemas' "examples") count on it: on a fresh `make run`, "Try it out"
-- in /docs succeeds for every operation from top to bottom
-- (tests/openapi/examples.js runs them so):
--   this item is id 1: the POST /orders example orders it;
--   POST /items's example creates id 2, which GET, PATCH and DELETE
--   /items/{id} then read, change and delete;
--   POST /orders's example creates order 1, read and cancelled next.
INSERT INTO items (sku, name, description, price, stock, attributes)
VALUES ('PEN-1', 'Fountain pen', 'Steel nib, black', 24.90, 1000,
    '{"color": "black"}');
