"""Sign-in pages: redirect when signed out, errors keep the email, CSRF refusal, sign-out ends the session."""

from __future__ import annotations

from collections.abc import Callable

from starlette.testclient import TestClient

from tests.web.pages.conftest import CLINICIAN, PASSWORD, csrf


def test_signed_out_page_request_redirects_to_sign_in_and_back(
        make_client: Callable[[str | None], TestClient]) -> None:
    client = make_client(None)
    r = client.get("/patients?q=ada", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/sign-in?next=/patients%3Fq%3Dada"
    page = client.get(r.headers["location"])
    assert page.status_code == 200
    assert '<label for="f-email">Email' in page.text
    assert 'name="next" value="/patients?q=ada"' in page.text
    r = client.post("/sign-in", data={"email": CLINICIAN, "password": PASSWORD, "next": "/patients?q=ada"},
                    follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/patients?q=ada")


def test_htmx_request_when_signed_out_gets_hx_redirect(
        make_client: Callable[[str | None], TestClient]) -> None:
    r = make_client(None).get("/intake/findings?region=lumbar", headers={"HX-Request": "true"},
                              follow_redirects=False)
    assert r.status_code == 200
    assert r.headers["HX-Redirect"].startswith("/sign-in?next=/intake/findings")


def test_wrong_password_keeps_the_email_and_shows_the_error_by_the_field(
        make_client: Callable[[str | None], TestClient]) -> None:
    r = make_client(None).post("/sign-in",
                               data={"email": CLINICIAN, "password": "wrong", "next": "/patients"})
    assert r.status_code == 401
    assert f'value="{CLINICIAN}"' in r.text
    assert 'id="err-password"' in r.text and "Wrong email, password or clinic." in r.text
    assert 'aria-describedby="err-password"' in r.text
    assert "wrong" not in r.text.split('id="f-password"')[1].split(">")[0]


def test_never_redirects_off_site_after_sign_in(make_client: Callable[[str | None], TestClient]) -> None:
    r = make_client(None).post("/sign-in", data={"email": CLINICIAN, "password": PASSWORD,
                                                 "next": "//evil.example/x"}, follow_redirects=False)
    assert r.headers["location"] == "/patients"


def test_form_post_without_the_csrf_token_is_refused(
        make_client: Callable[[str | None], TestClient]) -> None:
    client = make_client(CLINICIAN)
    r = client.post("/patients/new", data={"name": "No Token"})
    assert r.status_code == 403
    assert "security token" in r.text
    r = client.post("/patients/new", data={"name": "Bad Token", "csrf_token": "not-the-token"})
    assert r.status_code == 403
    assert "No Token" not in client.get("/patients?q=token").text


def test_htmx_header_carries_the_csrf_token(make_client: Callable[[str | None], TestClient]) -> None:
    client = make_client(CLINICIAN)
    r = client.post("/measures/nprs/score", data={"item-1": "4"}, headers={"X-CSRF-Token": csrf(client)})
    assert r.status_code == 200
    assert "Numeric Pain Rating Scale: 4" in r.text


def test_sign_out_ends_the_session(make_client: Callable[[str | None], TestClient]) -> None:
    client = make_client(CLINICIAN)
    session = client.cookies.get("palpa_session")
    r = client.post("/sign-out", data={"csrf_token": csrf(client)}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/sign-in")
    client.cookies.set("palpa_session", session or "")
    assert client.get("/patients", follow_redirects=False).status_code == 303
