-- The statement fastpg's GET /items/{id} runs (item_get in
-- apps/items/main.c), one random id of the 10,000 per transaction.
\set id random(1, 10000)
SELECT item_json(i), '"' || i.version || '"' AS "ETag" FROM items i WHERE i.id = :id;
