"""The Palpa app as `bench/api.py` serves it: `create_app` on PALPA_DATABASE_URL plus a bare JSON echo.

`POST /bench/echo` parses the JSON body and writes it back, with no authentication, database or audit:
the floor against which the real endpoints of the same app, in the same server, are compared. It exists
only here, never in the product. Run with `uvicorn --factory --app-dir bench api_app:create_bench_app`.
"""

from __future__ import annotations

import os

import orjson
from fastapi import FastAPI, Request, Response

from palpa.web import create_app


def create_bench_app() -> FastAPI:
    """The Palpa API on PALPA_DATABASE_URL with `POST /bench/echo` added."""
    app = create_app(os.environ["PALPA_DATABASE_URL"])

    @app.post("/bench/echo", include_in_schema=False)
    async def echo(request: Request) -> Response:
        """The request's JSON body, parsed and serialized again."""
        return Response(orjson.dumps(orjson.loads(await request.body())), media_type="application/json")

    return app
