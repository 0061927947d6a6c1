"""tfb_fastapi.py -- TechEmpower's FastAPI implementation of the six test
types (FrameworkBenchmarks, frameworks/Python/fastapi/app.py), run on
Debian 12's packages for bench/tfb.sh: FastAPI 0.92, asyncpg 0.27,
Jinja2 3.1 (the same templates/fortune.html), under uvicorn.

Changes from app.py, each because of Debian or this machine:
- the connection comes from DATABASE_URL (a unix socket) and the pool
  is POOL_MIN..POOL_MAX per worker (app.py: 1000 // cpus, more than
  the bench's PostgreSQL allows);
- FastAPI's own JSONResponse (json.dumps): Debian 12 packages neither
  ujson nor orjson, app.py's two choices;
- the message is "Hello, World!" as the specification writes it
  (app.py: "Hello, world!"; the verifier ignores case);
- the lifespan is startup/shutdown events: FastAPI 0.92 predates the
  lifespan= argument's context manager form in this Starlette.
"""
import os
from random import randint, sample

import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.templating import Jinja2Templates

READ_ROW_SQL = 'SELECT "id", "randomnumber" FROM "world" WHERE id = $1'
WRITE_ROW_SQL = 'UPDATE "world" SET "randomnumber"=$1 WHERE id=$2'
POOL_MIN = int(os.getenv("POOL_MIN", "4"))
POOL_MAX = int(os.getenv("POOL_MAX", "16"))


def get_num_queries(queries):
    try:
        query_count = int(queries)
    except (ValueError, TypeError):
        return 1

    if query_count < 1:
        return 1
    if query_count > 500:
        return 500
    return query_count


templates = Jinja2Templates(
    directory=os.path.join(os.path.dirname(__file__), "templates"))
app = FastAPI()


@app.on_event("startup")
async def setup_database():
    app.state.connection_pool = await asyncpg.create_pool(
        dsn=os.environ["DATABASE_URL"], min_size=POOL_MIN, max_size=POOL_MAX)


@app.on_event("shutdown")
async def close_database():
    await app.state.connection_pool.close()


@app.get("/json")
async def json_serialization():
    return JSONResponse({"message": "Hello, World!"})


@app.get("/db")
async def single_database_query():
    row_id = randint(1, 10000)
    async with app.state.connection_pool.acquire() as connection:
        number = await connection.fetchval(READ_ROW_SQL, row_id)

    return JSONResponse({"id": row_id, "randomNumber": number})


@app.get("/queries")
async def multiple_database_queries(queries=None):
    num_queries = get_num_queries(queries)
    row_ids = sample(range(1, 10000), num_queries)
    worlds = []

    async with app.state.connection_pool.acquire() as connection:
        statement = await connection.prepare(READ_ROW_SQL)
        for row_id in row_ids:
            number = await statement.fetchval(row_id)
            worlds.append({"id": row_id, "randomNumber": number})

    return JSONResponse(worlds)


@app.get("/fortunes")
async def fortunes(request: Request):
    async with app.state.connection_pool.acquire() as connection:
        fortunes = await connection.fetch("SELECT * FROM Fortune")

    fortunes.append([0, "Additional fortune added at request time."])
    fortunes.sort(key=lambda row: row[1])
    return templates.TemplateResponse(
        "fortune.html", {"fortunes": fortunes, "request": request})


@app.get("/updates")
async def database_updates(queries=None):
    num_queries = get_num_queries(queries)
    # To avoid deadlock
    ids = sorted(sample(range(1, 10000 + 1), num_queries))
    numbers = sorted(sample(range(1, 10000), num_queries))
    updates = list(zip(ids, numbers))

    worlds = [
        {"id": row_id, "randomNumber": number} for row_id, number in updates
    ]

    async with app.state.connection_pool.acquire() as connection:
        statement = await connection.prepare(READ_ROW_SQL)
        for row_id, _ in updates:
            await statement.fetchval(row_id)
        await connection.executemany(WRITE_ROW_SQL, updates)

    return JSONResponse(worlds)


@app.get("/plaintext")
async def plaintext():
    return PlainTextResponse(b"Hello, World!")
