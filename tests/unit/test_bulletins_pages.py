"""The Safety page, a bulletin's page, the staff bulletin pages and the bulletin API, over the
fake RPC pool (tests/support/fake_gateway.py)."""
import re
import uuid

import pytest
from gateway.pages.bulletins import format_body, plain_excerpt, tel_href

from common.errors import NotFound, ValidationFailed
from tests.support.fake_gateway import make_principal

BULLETIN_ID = str(uuid.uuid4())


def bulletin(**fields) -> dict:
    return {"id": BULLETIN_ID, "title": "Working near power lines",
            "body": "Keep **10 feet** away.\n\n- Look up\n- Call the line crew",
            "audience": {"locals": [], "classifications": []}, "published_on": "2027-03-02",
            "updated_at": None, "withdrawn": False, **fields}


RESOURCES = {
    "hotlines": [{"name": "Contract Services", "kind": "hotline", "phone": "818.565.0550", "link": None,
                  "description": "Rosters and training"},
                 {"name": "Safety Pass training", "kind": "hotline", "phone": "818.565.0550 ext. 1260",
                  "link": None, "description": ""}],
    "resources": [{"name": "Cal/OSHA Title 8", "kind": "resource", "phone": None,
                   "link": "https://www.dir.ca.gov/title8/sub7.html", "description": "Safety orders"}],
}


@pytest.fixture
def public(fake_rpc):
    older = bulletin(id=str(uuid.uuid4()), title="Heat illness", published_on="2027-01-05",
                     audience={"locals": ["80"], "classifications": []})
    fake_rpc.answer("notifications", "list_bulletins", lambda *a: {"bulletins": [bulletin(), older]})
    fake_rpc.answer("notifications", "list_resources", RESOURCES)
    fake_rpc.answer("notifications", "get_bulletin", lambda bulletin_id: bulletin(id=bulletin_id))
    return fake_rpc


def log_in(client, fake_rpc, *roles):
    fake_rpc.answer("accounts", "authenticate", make_principal(*roles))
    with client.session_transaction() as session:
        session["token"] = "token"


# --- formatting --------------------------------------------------------------------------------

def test_formatting_escapes_html_first_then_applies_the_simple_marks():
    html = str(format_body('<script>alert(1)</script> **bold** <b onclick="x">\n\n- one\n- [two](https://a.example/?x=1&y=2)'))
    assert "<script>" not in html and "<b " not in html and 'onclick="' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<strong>bold</strong>" in html
    assert ('<ul><li>one</li><li><a href="https://a.example/?x=1&amp;y=2" rel="noopener noreferrer">two</a>'
            '</li></ul>') in html


@pytest.mark.parametrize("evil", [
    "[click](javascript:alert(1))",
    "[click](//evil.example)",
    '[x](https://a.example/"onmouseover="alert(1))',
    "https://a.example/\"><img src=x onerror=alert(1)>",
])
def test_links_are_only_https_addresses_or_hub_paths_and_never_break_out(evil):
    html = str(format_body(evil))
    assert 'href="javascript' not in html and 'href="//' not in html
    assert "<img" not in html and '"onmouseover' not in html
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert all(href.startswith("https://") and "&#34;" not in href and "&lt;" not in href for href in hrefs)


def test_paragraphs_line_breaks_and_bare_addresses():
    html = str(format_body("First line\nsecond line\n\nSee https://www.dir.ca.gov/dosh/."))
    assert html == ('<p>First line<br>second line</p><p>See <a href="https://www.dir.ca.gov/dosh/" '
                    'rel="noopener noreferrer">https://www.dir.ca.gov/dosh/</a>.</p>')


def test_excerpt_and_phone_links():
    assert plain_excerpt("Keep **10 feet** away from [lines](https://x.example).\n\nMore") == \
        "Keep 10 feet away from lines."
    assert tel_href("818.565.0550") == "tel:+18185650550"
    assert tel_href("818.565.0550 ext. 1260") == "tel:+18185650550,1260"
    assert tel_href("1-833-579-0927") == "tel:+18335790927"
    assert tel_href("911") == "tel:911"


# --- the public pages ----------------------------------------------------------------------------

def test_safety_page_shows_bulletins_newest_first_hotlines_to_call_and_resources(client, public):
    page = client.get("/safety")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.index("Working near power lines") < html.index("Heat illness")
    assert "For Local #80" in html
    assert 'href="tel:+18185650550"' in html and 'href="tel:+18185650550,1260"' in html
    assert "Cal/OSHA Title 8" in html and 'href="https://www.dir.ca.gov/title8/sub7.html"' in html
    assert "Keep 10 feet away." in html and "**" not in html
    assert "Manage bulletins" not in html
    assert ("notifications", "list_bulletins") in public.methods_called()


def test_a_bulletin_page_renders_its_formatting(client, public):
    page = client.get(f"/safety/bulletins/{BULLETIN_ID}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<strong>10 feet</strong>" in html and "<li>Look up</li>" in html


def test_a_bulletin_body_with_markup_is_shown_as_text(client, public):
    public.answer("notifications", "get_bulletin",
                  lambda bulletin_id: bulletin(body="<img src=x onerror=alert(1)> **ok**"))
    html = client.get(f"/safety/bulletins/{BULLETIN_ID}").get_data(as_text=True)
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_withdrawn_and_unknown_bulletins(client, public):
    public.answer("notifications", "get_bulletin", lambda bulletin_id: bulletin(withdrawn=True))
    page = client.get(f"/safety/bulletins/{BULLETIN_ID}")
    assert page.status_code == 410 and "withdrawn" in page.get_data(as_text=True)
    assert "Keep" not in page.get_data(as_text=True)
    public.answer("notifications", "get_bulletin", NotFound("No such bulletin."))
    assert client.get(f"/safety/bulletins/{uuid.uuid4()}").status_code == 404


def test_home_page_and_footer_link_to_safety(client, fake_rpc):
    html = client.get("/").get_data(as_text=True)
    assert 'data-testid="home-safety"' in html and 'data-testid="footer-safety"' in html
    assert html.count('href="/safety"') >= 2


# --- staff pages ---------------------------------------------------------------------------------

@pytest.mark.parametrize("roles", [("industry_professional",), ("union_rep",), ("employer",)])
def test_staff_pages_are_forbidden_to_others(client, public, roles):
    log_in(client, public, *roles)
    assert client.get("/staff/bulletins").status_code == 403
    assert client.post("/staff/bulletins", data={"title": "x", "body": "y"}).status_code == 403
    assert client.post(f"/staff/bulletins/{BULLETIN_ID}", data={"title": "x", "body": "y"}).status_code == 403
    assert client.post(f"/staff/bulletins/{BULLETIN_ID}/withdraw").status_code == 403
    assert ("notifications", "publish_bulletin") not in public.methods_called()


def test_staff_pages_ask_a_visitor_to_log_in(client, public):
    page = client.get("/staff/bulletins")
    assert page.status_code == 302 and "/login" in page.headers["Location"]


def test_staff_publish_with_an_audience(client, public):
    log_in(client, public, "staff_reviewer")
    sent = []
    public.answer("notifications", "publish_bulletin",
                  lambda payload, actor: sent.append((payload, actor)) or bulletin(title=payload["title"]))
    page = client.post("/staff/bulletins", data={"title": "Ladders", "body": "Three points of contact.",
                                                 "locals": "80, 399", "classifications": "399-DRIVER-G3\n"})
    assert page.status_code == 302
    payload, actor = sent[0]
    assert payload["audience"] == {"locals": ["80", "399"], "classifications": ["399-DRIVER-G3"]}
    assert payload["published_on"] is None and "staff_reviewer" in actor["roles"]
    listing = client.get("/staff/bulletins").get_data(as_text=True)
    assert "Published “Ladders”" in listing and "Working near power lines" in listing


def test_staff_see_which_bulletins_are_still_being_told(client, public):
    log_in(client, public, "staff_admin")
    public.answer("notifications", "list_bulletins", lambda *a: {"bulletins": [
        bulletin(title="Told to everyone"), bulletin(id=str(uuid.uuid4()), title="Going out", delivering=True)]})
    listing = client.get("/staff/bulletins").get_data(as_text=True)
    rows = listing.split('data-testid="staff-bulletin"')[1:]
    assert "still telling its audience" not in rows[0] and "Told to everyone" in rows[0]
    assert "still telling its audience in the Message Center" in rows[1] and "Going out" in rows[1]


def test_staff_publish_refuses_an_empty_title_and_keeps_what_was_typed(client, public):
    log_in(client, public, "staff_admin")
    page = client.post("/staff/bulletins", data={"title": "", "body": "Kept <b>text</b>"})
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and "Kept &lt;b&gt;text&lt;/b&gt;" in html
    assert ("notifications", "publish_bulletin") not in public.methods_called()


def test_staff_edit_and_withdraw(client, public):
    log_in(client, public, "staff_reviewer")
    edits, withdrawals = [], []
    public.answer("notifications", "update_bulletin",
                  lambda bulletin_id, patch, actor: edits.append((bulletin_id, patch)) or bulletin())
    public.answer("notifications", "withdraw_bulletin",
                  lambda bulletin_id, actor: withdrawals.append(bulletin_id) or bulletin(withdrawn=True))
    form = client.get(f"/staff/bulletins/{BULLETIN_ID}").get_data(as_text=True)
    assert "Working near power lines" in form and 'data-testid="withdraw-form"' in form
    page = client.post(f"/staff/bulletins/{BULLETIN_ID}", data={"title": "New title", "body": "New body",
                                                                "locals": "", "classifications": "80-GRIP"})
    assert page.status_code == 302
    assert edits == [(BULLETIN_ID, {"title": "New title", "body": "New body",
                                    "audience": {"locals": [], "classifications": ["80-GRIP"]}})]
    assert client.post(f"/staff/bulletins/{BULLETIN_ID}/withdraw").status_code == 302
    assert withdrawals == [BULLETIN_ID]


# --- the API -------------------------------------------------------------------------------------

def bearer(fake_rpc, *roles):
    fake_rpc.answer("accounts", "authenticate", make_principal(*roles))
    return {"Authorization": "Bearer token"}


def test_api_lists_bulletins_and_resources_to_anyone(client, public):
    assert client.get("/api/v1/bulletins").get_json()["bulletins"][0]["title"] == "Working near power lines"
    assert client.get("/api/v1/resources").get_json()["hotlines"][0]["phone"] == "818.565.0550"


def test_api_staff_publish_edit_withdraw(client, public):
    headers = bearer(public, "staff_reviewer")
    public.answer("notifications", "publish_bulletin", lambda payload, actor: bulletin(title=payload["title"]))
    public.answer("notifications", "update_bulletin", lambda bulletin_id, patch, actor: bulletin(**patch))
    public.answer("notifications", "withdraw_bulletin", lambda bulletin_id, actor: bulletin(withdrawn=True))
    made = client.post("/api/v1/staff/bulletins", json={"title": "T", "body": "B",
                                                         "audience": {"locals": ["80"]}}, headers=headers)
    assert made.status_code == 201 and made.get_json()["title"] == "T"
    edited = client.patch(f"/api/v1/staff/bulletins/{BULLETIN_ID}", json={"title": "U"}, headers=headers)
    assert edited.status_code == 200 and edited.get_json()["title"] == "U"
    assert client.delete(f"/api/v1/staff/bulletins/{BULLETIN_ID}", headers=headers).get_json()["withdrawn"]


def test_api_staff_routes_refuse_others_and_bad_bodies(client, public):
    assert client.post("/api/v1/staff/bulletins", json={"title": "T", "body": "B"}).status_code == 401
    headers = bearer(public, "industry_professional")
    assert client.post("/api/v1/staff/bulletins", json={"title": "T", "body": "B"}, headers=headers).status_code == 403
    assert client.delete(f"/api/v1/staff/bulletins/{BULLETIN_ID}", headers=headers).status_code == 403
    staff = bearer(public, "staff_admin")
    bad = client.post("/api/v1/staff/bulletins", json={"title": "", "body": "B", "x": 1}, headers=staff)
    assert bad.status_code == 422
    public.answer("notifications", "update_bulletin", ValidationFailed("Please correct: title"))
    assert client.patch(f"/api/v1/staff/bulletins/{BULLETIN_ID}", json={"title": "x"},
                        headers=staff).status_code == 422
