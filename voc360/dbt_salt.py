"""dbt-duckdb plugin that hands the PII salt to DuckDB as a session variable, never as SQL text.

A salt written into the SQL (as a literal) would be kept wherever dbt keeps SQL: dbt.log records every
statement, and manifest.json, partial_parse.msgpack and target/run hold the compiled models. Instead this
plugin (named in dbt/profiles.yml) reads the salt from the environment (VOC360_PII_SALT, through
voc360.settings) and sets the DuckDB variable `voc360_pii_salt` on every connection and cursor dbt opens;
the macro hash_pii reads it with getvariable().
"""

from __future__ import annotations

from dbt.adapters.duckdb.plugins import BasePlugin

from voc360.settings import get_settings

SALT_VARIABLE = "voc360_pii_salt"


class Plugin(BasePlugin):
    def configure_connection(self, conn) -> None:
        set_salt(conn)

    def configure_cursor(self, cursor) -> None:
        set_salt(cursor)


def set_salt(con) -> None:
    salt = get_settings().pii_salt
    if not salt.strip():
        raise ValueError("VOC360_PII_SALT is set but empty: the PII hashes need a salt")
    con.execute(f"set variable {SALT_VARIABLE} = ?", [salt])
