"""Sign-in, cookies, bearer tokens, rate limiting, CSRF and sign-out."""

from __future__ import annotations

from tests.web.conftest import PASSWORD, TestClient, World, bearer


def test_sign_in_returns_token_csrf_and_http_only_lax_cookie(client: TestClient, world: World) -> None:
    r = client.post("/api/sign-in", json={"email": "clin@a.test", "password": PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["role"] == "clinician" and body["clinic_id"] == world.clinic_a
    assert body["api_token"] and body["csrf_token"]
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("palpa_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert client.get("/api/me").json()["email"] == "clin@a.test"


def test_cookie_is_secure_behind_tls(client: TestClient) -> None:
    r = client.post("/api/sign-in", json={"email": "clin@a.test", "password": PASSWORD},
                    headers={"X-Forwarded-Proto": "https"})
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("palpa_session="))
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_sign_in_with_clinic_id(client: TestClient, world: World) -> None:
    ok = client.post("/api/sign-in", json={"email": "clin@a.test", "password": PASSWORD,
                                            "clinic_id": world.clinic_a})
    assert ok.status_code == 200
    wrong = client.post("/api/sign-in", json={"email": "clin@a.test", "password": PASSWORD,
                                               "clinic_id": world.clinic_b})
    assert wrong.status_code == 401


def test_sign_in_with_clinic_slug(client: TestClient, world: World) -> None:
    creds = {"email": "clin@a.test", "password": PASSWORD}
    ok = client.post("/api/sign-in", json=creds | {"clinic": "clinic-a"})
    assert ok.status_code == 200 and ok.json()["clinic"] == "clinic-a"
    assert ok.json()["clinic_id"] == world.clinic_a
    wrong = client.post("/api/sign-in", json=creds | {"clinic": "clinic-b"})
    assert wrong.status_code == 401
    both = client.post("/api/sign-in", json=creds | {"clinic": "clinic-a", "clinic_id": world.clinic_a})
    assert both.status_code == 422 and "not both" in both.json()["detail"]
    client.app.state.sign_in_limiter.reset(("testclient", "clin@a.test"))  # type: ignore[attr-defined]


def test_wrong_password_and_unknown_user_are_401(client: TestClient) -> None:
    assert client.post("/api/sign-in", json={"email": "clin@a.test", "password": "nope"}).status_code == 401
    assert client.post("/api/sign-in", json={"email": "ghost@a.test", "password": "x"}).status_code == 401
    assert client.get("/api/me").status_code == 401


def test_rate_limit_after_five_failures(client: TestClient) -> None:
    email = "admin@b.test"
    for _ in range(5):
        r = client.post("/api/sign-in", json={"email": email, "password": "wrong"})
        assert r.status_code == 401
    r = client.post("/api/sign-in", json={"email": email, "password": PASSWORD})
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) > 0
    client.app.state.sign_in_limiter.reset(("testclient", email))  # type: ignore[attr-defined]


def test_csrf_required_for_cookie_writes_not_for_bearer(client: TestClient) -> None:
    signed = client.post("/api/sign-in", json={"email": "clin@a.test", "password": PASSWORD})
    csrf = signed.json()["csrf_token"]
    body = {"name": "Csrf Person"}
    assert client.post("/api/patients", json=body).status_code == 403
    assert client.post("/api/patients", json=body, headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert client.post("/api/patients", json=body, headers={"X-CSRF-Token": csrf}).status_code == 201
    assert client.get("/api/patients").status_code == 200


def test_bearer_writes_need_no_csrf(app: object, world: World, tokens: dict[str, str]) -> None:
    from fastapi import FastAPI

    assert isinstance(app, FastAPI)
    with TestClient(app) as c:
        r = c.post("/api/patients", json={"name": "Bearer Person"}, headers=bearer(tokens["clinician"]))
        assert r.status_code == 201
        assert c.get("/api/me", headers=bearer("not-a-token")).status_code == 401


def test_sign_out_revokes_session_and_token(client: TestClient) -> None:
    body = client.post("/api/sign-in", json={"email": "clin@a.test", "password": PASSWORD}).json()
    assert client.post("/api/sign-out", headers={"X-CSRF-Token": body["csrf_token"]}).status_code == 204
    client.cookies.clear()
    assert client.get("/api/me").status_code == 401
    token = body["api_token"]
    assert client.post("/api/sign-out", headers=bearer(token)).status_code == 204
    assert client.get("/api/me", headers=bearer(token)).status_code == 401


def test_openapi_and_docs_are_served(client: TestClient) -> None:
    assert "/api/assess" in client.get("/openapi.json").json()["paths"]
    assert client.get("/docs").status_code == 200


def test_rate_limit_is_shared_by_workers_on_one_database(app: object, world: World) -> None:
    """Two app instances (two worker processes) on one database see each other's failures."""
    from fastapi import FastAPI

    from palpa.web import create_app

    assert isinstance(app, FastAPI)
    other = create_app(str(app.state.engine.url))
    email = "clin@b.test"
    try:
        with TestClient(app) as first, TestClient(other) as second:
            for worker in (first, second, first, second, first):
                assert worker.post("/api/sign-in", json={"email": email, "password": "x"}).status_code == 401
            assert second.post("/api/sign-in", json={"email": email, "password": PASSWORD}).status_code == 429
            assert first.post("/api/sign-in", json={"email": email, "password": PASSWORD}).status_code == 429
    finally:
        other.state.sign_in_limiter.reset(("testclient", email))
        other.state.engine.dispose()


def test_limiter_window_expires(app: object) -> None:
    import datetime as dt

    from fastapi import FastAPI

    from palpa.web.security import SignInLimiter

    assert isinstance(app, FastAPI)
    now = [dt.datetime(2026, 1, 1, tzinfo=dt.UTC)]
    limiter = SignInLimiter(app.state.session_factory, max_failures=2, window=60, clock=lambda: now[0])
    key = ("10.0.0.9", "Someone@Example.org")
    limiter.fail(key)
    assert limiter.retry_after(key) == 0
    now[0] += dt.timedelta(seconds=10)
    limiter.fail(key)
    assert limiter.retry_after(("10.0.0.9", "someone@example.org")) == 50  # oldest failure + 60 s
    assert limiter.retry_after(("10.0.0.8", "someone@example.org")) == 0  # another address
    now[0] += dt.timedelta(seconds=51)
    assert limiter.retry_after(key) == 0
    limiter.fail(key)
    limiter.reset(key)
    assert limiter.retry_after(key) == 0
