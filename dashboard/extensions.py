"""Extensions, created unbound; ``create_app`` binds them to an app."""
import sqlite3

import psycopg2.extensions

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_talisman import Talisman
from flask_wtf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import Engine

from dashboard.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
talisman = Talisman()


@event.listens_for(Engine, "connect")
def _enforce_sqlite_foreign_keys(dbapi_connection, _record) -> None:
    """SQLite ignores foreign keys unless each connection asks; PostgreSQL always keeps them."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()


@event.listens_for(Engine, "connect")
def _turn_off_postgres_jit(dbapi_connection, _record) -> None:
    """PostgreSQL compiles a query to machine code once its estimated cost passes ``jit_above_cost``; a page's
    aggregate over a filter's rows is estimated high and then spent ~0.8 s compiling to save a few ms running."""
    if isinstance(dbapi_connection, psycopg2.extensions.connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("SET jit = off")
        cursor.close()
        dbapi_connection.commit()  # the SET would end with the transaction it opened
