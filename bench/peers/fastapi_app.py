"""The seed's stack, written the way its users write it: the items API of
fastpg (apps/items) in FastAPI 0.92 + Pydantic 1.10 models + SQLAlchemy
async ORM (2.0-style select(), AsyncSession) on asyncpg, over the same
PostgreSQL table (sql/001_items.sql, 002_items_catalog.sql).

    DATABASE_URL=postgresql+asyncpg://fastpg_app@/fastpg?host=/path/pgrun \
        uvicorn --app-dir bench/peers fastapi_app:app --port 8001

Routes: POST /items, GET /items/{id}, GET /items?limit=&min_price=&max_price=,
PATCH /items/{id} (JSON merge patch; bumps version and updated_at).
"""
import datetime
import decimal
import os
from typing import Any, Dict, List, Optional

from fastapi import Depends, FastAPI, HTTPException, Query, Response
from pydantic import BaseModel, condecimal, conint, constr
from sqlalchemy import BigInteger, Column, DateTime, Integer, Numeric, Text, func, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import declarative_base, sessionmaker

DATABASE_URL = os.environ.get(
    "DATABASE_URL", "postgresql+asyncpg://fastpg_app@/fastpg")

engine = create_async_engine(DATABASE_URL, pool_size=20, max_overflow=10,
                             future=True)
SessionLocal = sessionmaker(engine, class_=AsyncSession,
                            expire_on_commit=False)
Base = declarative_base()


class Item(Base):
    __tablename__ = "items"
    # server-generated columns come back with the INSERT/UPDATE (RETURNING)
    __mapper_args__ = {"eager_defaults": True}

    id = Column(BigInteger, primary_key=True)
    sku = Column(Text, nullable=False, unique=True)
    name = Column(Text, nullable=False)
    description = Column(Text)
    price = Column(Numeric(12, 2), nullable=False)
    stock = Column(Integer, nullable=False, server_default="0")
    attributes = Column(JSONB, nullable=False, server_default="{}")
    created_at = Column(DateTime(timezone=True), nullable=False,
                        server_default=func.now())
    updated_at = Column(DateTime(timezone=True), nullable=False,
                        server_default=func.now())
    version = Column(Integer, nullable=False, server_default="1")


Sku = constr(min_length=1, max_length=64, regex=r"^[A-Za-z0-9._-]+$")
Name = constr(min_length=1, max_length=200)
Description = constr(max_length=4000)
Price = condecimal(ge=0, le=decimal.Decimal("9999999999.99"), decimal_places=2)
Stock = conint(ge=0, le=2147483647)


class ItemCreate(BaseModel):
    sku: Sku
    name: Name
    description: Optional[Description] = None
    price: Price
    stock: Stock = 0
    attributes: Dict[str, Any] = {}

    class Config:
        extra = "forbid"


class ItemPatch(BaseModel):
    sku: Optional[Sku]
    name: Optional[Name]
    description: Optional[Description]
    price: Optional[Price]
    stock: Optional[Stock]
    attributes: Optional[Dict[str, Any]]

    class Config:
        extra = "forbid"


class ItemOut(BaseModel):
    id: int
    sku: str
    name: str
    description: Optional[str]
    price: decimal.Decimal
    stock: int
    attributes: Dict[str, Any]
    created_at: datetime.datetime
    updated_at: datetime.datetime

    class Config:
        orm_mode = True


app = FastAPI(title="items")


async def get_session():
    async with SessionLocal() as session:
        yield session


@app.post("/items", response_model=ItemOut, status_code=201)
async def create_item(body: ItemCreate, response: Response,
                      session: AsyncSession = Depends(get_session)):
    item = Item(**body.dict())
    session.add(item)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise HTTPException(409, "sku already exists")
    response.headers["Location"] = f"/items/{item.id}"
    response.headers["ETag"] = f'"{item.version}"'
    return item


@app.get("/items/{item_id}", response_model=ItemOut)
async def read_item(item_id: int, response: Response,
                    session: AsyncSession = Depends(get_session)):
    item = await session.get(Item, item_id)
    if item is None:
        raise HTTPException(404, "Not Found")
    response.headers["ETag"] = f'"{item.version}"'
    return item


@app.get("/items", response_model=List[ItemOut])
async def list_items(limit: int = Query(20, ge=1, le=100),
                     min_price: Optional[decimal.Decimal] = Query(None, ge=0),
                     max_price: Optional[decimal.Decimal] = Query(None, ge=0),
                     session: AsyncSession = Depends(get_session)):
    stmt = select(Item)
    if min_price is not None:
        stmt = stmt.where(Item.price >= min_price)
    if max_price is not None:
        stmt = stmt.where(Item.price <= max_price)
    result = await session.execute(stmt.order_by(Item.id).limit(limit))
    return result.scalars().all()


@app.patch("/items/{item_id}", response_model=ItemOut)
async def patch_item(item_id: int, body: ItemPatch, response: Response,
                     session: AsyncSession = Depends(get_session)):
    item = await session.get(Item, item_id)
    if item is None:
        raise HTTPException(404, "Not Found")
    for field, value in body.dict(exclude_unset=True).items():
        setattr(item, field, value)
    item.version += 1
    item.updated_at = datetime.datetime.now(datetime.timezone.utc)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise HTTPException(409, "sku already exists")
    response.headers["ETag"] = f'"{item.version}"'
    return item
