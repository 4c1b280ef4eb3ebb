"""How the end-to-end tests talk to the running Hub's API as an app does: log in for a bearer
token, then send it on each request."""
import requests


def bearer(token: str, **extra: str) -> dict:
    """Request headers carrying the token (and any extra headers, e.g. X-Act-For)."""
    return {"Authorization": f"Bearer {token}", **extra}


def log_in(hub, email: str, password: str) -> str:
    """POST /api/v1/session; the session token, after asserting the login worked."""
    response = requests.post(hub.api("/session"), json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["token"]
