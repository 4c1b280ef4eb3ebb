"""The roster pages on their own: the Portal dashboard, a classification's four requirement tabs,
Apply as New Classification, My Work Experience and the public Hub search (page and API),
through Flask's test client with a fake RPC pool standing in for the services."""
import re
from html import unescape

import pytest

from common.errors import Conflict, NotFound, ServiceUnavailable
from tests.support.fake_gateway import PERSON_ID, FakeDocuments, make_app, make_principal

ME = {"person_id": PERSON_ID, "il_number": "1234567890", "first_name": "Pat", "last_name": "Grip",
      "email": "pat@example.com", "email_undeliverable": False, "ssn_masked": "***-**-6789",
      "roles": ["industry_professional"]}
SSN = "219-09-8765"


def row(tab, label, state, detail, kind=None, due_on=None, next_step=None, phase="application", numbers=None):
    kinds = {"work_experience": "work_days", "training": "course", "documents": "document",
             "other": "time_in_group"}
    return {"phase": phase, "kind": kind or kinds[tab], "tab": tab, "label": label, "state": state,
            "detail": detail, "due_on": due_on, "next_step": next_step, "numbers": numbers or {}}


def record(code="80-GRIP", name="IATSE, Local #80 (Grip)", status="in_progress_training_eligible",
           label="In Progress - Training Eligible", rows=(), **extra):
    base = {"record_id": "6f1c9a55-0f4e-4c39-9d65-3d2c1e0b7a10", "classification_code": code, "name": name,
            "local": code.split("-")[0], "local_name": f"Local #{code.split('-')[0]}", "roster": "IER",
            "group": None, "status": status, "label": label, "as_of": "2024-03-01",
            "applied_on": "2024-01-15", "placed_on": None, "training_eligible": True,
            "anticipated_advancement_on": None, "advances_to": None, "rows": list(rows), "timeline": []}
    return {**base, **extra}


GRIP_ROWS = [
    row("work_experience", "30 verified work days in the last year", "unmet",
        "22 of 30 days in the last year; 8 more needed",
        next_step="Work 8 more verified days in this classification (payroll reports them, or "
                  "submit proof of employment).", numbers={"have": 22, "need": 30, "window_days": 365}),
    row("training", "Safety Pass course A", "met", "Completed A on 01/20/2024"),
    row("training", "Safety Pass course C19", "due", "Due by 07/01/2024", due_on="2024-07-01",
        next_step="Enroll in C19 and complete it."),
    row("documents", "Forklift certificate", "unmet", "Not on file",
        next_step="Upload it under Required Documents; staff will review it."),
]
GRIP = record(rows=GRIP_ROWS)
DRIVER_G3 = record(code="399-DRIVER-G3", name="Teamsters, Local #399 (Driver Group 3)", status="compliant",
                   label="Compliant", group=3, placed_on="2022-05-30", advances_to="399-DRIVER-G2",
                   anticipated_advancement_on="2024-05-30",
                   rows=[row("documents", "DOT Medical Examiner's Certificate", "met",
                             "Approved; expires 12/31/2025", phase="ongoing")])
DRIVER_G2 = record(code="399-DRIVER-G2", name="Teamsters, Local #399 (Driver Group 2)",
                   status="pending_advancement", label="Pending (In Progress)", group=2, record_id=None,
                   applied_on=None, anticipated_advancement_on="2024-05-30",
                   rows=[row("other", "2 Years Active, Upgrade", "unmet",
                             "Anticipated Advancement Date: 05/30/2024", phase="advancement",
                             due_on="2024-05-30",
                             next_step="Stay compliant with every requirement: days out of "
                                       "compliance do not count toward advancing in grouping.")])
PROPS = record(code="44-PROP", name="IATSE, Local #44 (Propmaker)", status="approaching_deadline",
               label="Approaching Deadlines", placed_on="2023-01-01")
CAMERA = record(code="600-CAMERA", name="IATSE, Local #600 (Camera Operator)", status="not_compliant",
                label="Not Compliant", placed_on="2021-01-01")
NEW_APP = record(code="80-DOLLY", name="IATSE, Local #80 (Dolly Grip)", status="in_progress_not_training_eligible",
                 label="In Progress - Not Training Eligible", training_eligible=False)

MINE = {"as_of": "2024-03-01", "records": [DRIVER_G3, GRIP, PROPS, CAMERA, NEW_APP], "pending": [DRIVER_G2],
        "closed": []}

CATALOG = [
    {"code": "80-GRIP", "name": "IATSE, Local #80 (Grip)", "local": "80", "local_name": "IATSE Local #80",
     "union": "IATSE", "roster": "IER", "group": None, "advances_to": None, "illustrative": True,
     "application": ["30 verified work days in the last year", "Safety Pass course A"],
     "ongoing": ["Safety Pass course B, due 90 days after placement"]},
    {"code": "80-DOLLY", "name": "IATSE, Local #80 (Dolly Grip)", "local": "80", "local_name": "IATSE Local #80",
     "union": "IATSE", "roster": "IER", "group": None, "advances_to": None, "illustrative": True,
     "application": ["30 verified work days in the last year"], "ongoing": []},
    {"code": "399-DRIVER-G3", "name": "Teamsters, Local #399 (Driver Group 3)", "local": "399",
     "local_name": "Teamsters Local #399", "union": "Teamsters", "roster": "IER", "group": 3,
     "advances_to": "399-DRIVER-G2", "illustrative": True,
     "application": ["30 verified work days in the last year", "DOT Medical Examiner's Certificate"],
     "ongoing": ["DOT Medical Examiner's Certificate", "2 Years Active, Upgrade"]},
]


def log_in(client, fake_rpc, principal=None):
    with client.session_transaction() as session:
        session["token"] = "page-token"
    fake_rpc.answer("accounts", "authenticate", principal or make_principal())
    fake_rpc.answer("accounts", "get_me", ME)
    return client


def text_of(response) -> str:
    """The visible words of the page's main region, without markup or spacing differences."""
    html = response.get_data(as_text=True)
    main = html[html.index("<main"):html.index("</main>")]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


def cards(html: str, testid: str = "classification") -> list[str]:
    return re.findall(rf'<li class="classification-card" data-testid="{testid}">(.*?)</li>', html, re.S)


# --- the dashboard -------------------------------------------------------------------------------

def test_the_dashboard_lists_every_classification_with_its_status_and_a_way_to_its_details(client, fake_rpc):
    log_in(client, fake_rpc)
    fake_rpc.answer("rosters", "my_classifications", MINE)
    fake_rpc.answer("notifications", "unread_count", 2)

    response = client.get("/portal")

    assert response.status_code == 200
    words = text_of(response)
    assert "Pat Grip" in words and "IL# 1234567890" in words
    assert "My Classifications" in words
    html = response.get_data(as_text=True)
    listed = cards(html)
    assert len(listed) == 6  # five records and the pending one, as in seed 002
    for r in MINE["records"] + MINE["pending"]:
        card = next(c for c in listed if r["name"] in c)
        assert r["label"] in card
        assert f'href="/portal/classifications/{r["classification_code"]}"' in card
        assert ">View Details<" in card
    assert fake_rpc.calls[2][:3] == ("rosters", "my_classifications", (PERSON_ID,))
    assert re.search(r'data-testid="unread-count">2<', html)


@pytest.mark.parametrize("status, label, colour, icon", [
    ("compliant", "Compliant", "ok", "\u2713"),
    ("approaching_deadline", "Approaching Deadlines", "warn", "!"),
    ("not_compliant", "Not Compliant", "bad", "\u00d7"),
    ("in_progress_not_training_eligible", "In Progress - Not Training Eligible", "progress", "\u2026"),
    ("in_progress_training_eligible", "In Progress - Training Eligible", "progress", "\u2026"),
    ("pending_advancement", "Pending (In Progress)", "pending", "\u2191"),
])
def test_each_status_has_its_own_icon_and_colour_beside_its_label(client, fake_rpc, status, label, colour, icon):
    log_in(client, fake_rpc)
    mine = {"as_of": "2024-03-01", "records": [record(status=status, label=label)], "pending": [], "closed": []}
    fake_rpc.answer("rosters", "my_classifications", mine)
    fake_rpc.answer("notifications", "list_messages", {"messages": [], "unread": 0})

    html = client.get("/portal").get_data(as_text=True)

    badge = re.search(r'<span class="status status-(\w+)" data-testid="status" data-status="(\w+)">'
                      r'<span class="status-icon" aria-hidden="true">(.+?)</span>'
                      r'<span class="status-label">(.+?)</span>', html)
    assert badge.groups() == (colour, status, icon, label)


def test_pending_classifications_explain_where_to_find_the_anticipated_advancement_date(client, fake_rpc):
    log_in(client, fake_rpc)
    fake_rpc.answer("rosters", "my_classifications", MINE)
    fake_rpc.answer("notifications", "list_messages", {"messages": [], "unread": 0})

    response = client.get("/portal")

    words = text_of(response)
    assert "Pending Classifications" in words
    assert ("click on View Details of the Pending classification below (not the classification you "
            "are currently in, but the one you are advancing toward) and select the Other "
            "Requirements tab") in words
    pending = cards(response.get_data(as_text=True), "pending-classification")
    assert len(pending) == 1
    assert "Teamsters, Local #399 (Driver Group 2)" in pending[0]
    assert "Pending (In Progress)" in pending[0]
    assert "Anticipated Advancement Date: 05/30/2024" in pending[0]
    assert 'href="/portal/classifications/399-DRIVER-G2?tab=other"' in pending[0]


def test_the_dashboard_offers_to_apply_for_a_new_classification(client, fake_rpc):
    log_in(client, fake_rpc)
    fake_rpc.answer("rosters", "my_classifications",
                    {"as_of": "2024-03-01", "records": [], "pending": [], "closed": []})
    fake_rpc.answer("notifications", "list_messages", {"messages": [], "unread": 0})

    response = client.get("/portal")

    html = response.get_data(as_text=True)
    assert re.search(r'<a href="/portal/apply" role="button">\+ Apply as New Classification</a>', html)
    words = text_of(response)
    assert "You have no classifications yet" in words
    assert "You have no pending classifications." in words


def test_the_dashboard_still_shows_when_rosters_cannot_be_reached(client, fake_rpc):
    log_in(client, fake_rpc)
    fake_rpc.answer("rosters", "my_classifications",
                    ServiceUnavailable("The rosters service did not answer in time. Please try again in a moment."))
    fake_rpc.answer("notifications", "unread_count", 3)

    response = client.get("/portal")

    assert response.status_code == 200
    words = text_of(response)
    assert "Pat Grip" in words
    assert ("My Classifications We cannot show your classifications right now. The rosters service "
            "did not answer in time.") in words
    assert re.search(r'data-testid="unread-count">3<', response.get_data(as_text=True))
    assert "+ Apply as New Classification" in words


def test_the_dashboard_still_shows_classifications_when_messages_cannot_be_reached(client, fake_rpc):
    log_in(client, fake_rpc)
    fake_rpc.answer("rosters", "my_classifications", MINE)
    fake_rpc.answer("notifications", "unread_count", ServiceUnavailable("The notifications service did not answer."))

    response = client.get("/portal")

    assert response.status_code == 200
    words = text_of(response)
    assert "We cannot show your messages right now." in words
    assert "IATSE, Local #80 (Grip)" in words


# --- a classification's details ------------------------------------------------------------------

def detail(client, fake_rpc, rec, tab=None):
    log_in(client, fake_rpc)
    fake_rpc.answer("rosters", "my_classification", rec)
    return client.get(f"/portal/classifications/{rec['classification_code']}",
                      query_string={"tab": tab} if tab else None)


def requirement_cards(response) -> list[str]:
    html = response.get_data(as_text=True)
    return [" ".join(re.sub(r"<[^>]+>", " ", card).split())
            for card in re.findall(r'<article class="requirement[^"]*" data-testid="requirement">(.*?)</article>',
                                   html, re.S)]


def test_the_details_have_four_tabs_that_are_plain_links(client, fake_rpc):
    response = detail(client, fake_rpc, GRIP)

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    tabs = re.findall(r'<a href="/portal/classifications/80-GRIP\?tab=(\w+)"\s*(aria-current="page")?\s*'
                      r'data-testid="tab-\w+">([^<]+)', html)
    assert [(key, " ".join(name.split())) for key, _, name in tabs] == [
        ("work_experience", "Work Experience"), ("training", "Training"),
        ("documents", "Required Documents"), ("other", "Other Requirements")]
    assert [key for key, current, _ in tabs if current] == ["work_experience"]  # the first by default
    assert fake_rpc.calls[1][:3] == ("rosters", "my_classification", (PERSON_ID, "80-GRIP"))
    assert "<script" not in html  # nothing needs JavaScript


def test_the_work_experience_tab_says_how_many_days_and_how_many_more(client, fake_rpc):
    response = detail(client, fake_rpc, GRIP, "work_experience")

    words = text_of(response)
    assert "IATSE, Local #80 (Grip)" in words
    assert "In Progress - Training Eligible" in words
    assert "0 of 1 Work Experience Completed" in words
    [card] = requirement_cards(response)
    assert card == ("30 verified work days in the last year × Not met 22 of 30 days in the last year; "
                    "8 more needed Next step: Work 8 more verified days in this classification. "
                    "Payroll companies report your days: see them on My Work Experience . A day is "
                    "missing? Call Contract Services at 818.565.0550 ext. 1100 to send your proof of "
                    "employment.")
    html = response.get_data(as_text=True)
    assert 'class="requirement requirement-unmet"' in html
    step = re.search(r'data-testid="next-step">(.*?)</p>', html, re.S).group(1)
    assert 'href="/portal/work-experience"' in step and 'href="tel:+18185650550,1100"' in step


def test_the_training_tab_shows_met_in_green_and_due_in_amber_with_the_date(client, fake_rpc):
    response = detail(client, fake_rpc, GRIP, "training")

    html = response.get_data(as_text=True)
    met, due = requirement_cards(response)
    assert met == "Safety Pass course A ✓ Met Completed A on 01/20/2024 Course A · My transcript"
    assert due.startswith("Safety Pass course C19 ! Due by 07/01/2024 Next step: Enroll in course C19 on the Portal")
    assert 'href="/portal/training/courses/C19"' in html
    assert 'class="requirement requirement-met"' in html and 'class="requirement requirement-due"' in html
    assert '<span class="status status-ok" data-testid="state">' in html
    assert '<span class="status status-warn" data-testid="state">' in html
    assert "1 of 2 Training Completed" in text_of(response)


def test_the_documents_tab_shows_unmet_in_red_with_the_reason(client, fake_rpc):
    FakeDocuments(fake_rpc)  # the tab shows the person's own files (tests/unit/test_document_pages.py)
    response = detail(client, fake_rpc, GRIP, "documents")

    [card] = requirement_cards(response)
    assert card.startswith("Forklift certificate × Not met Not on file")
    assert "Upload it under Required Documents" not in card  # the engine's words: the page says it plainer
    assert ("Next step: Send your Forklift certificate with “Upload Files” below, or drop the file on "
            "the upload area.") in card
    assert '<span class="status status-bad" data-testid="state">' in response.get_data(as_text=True)


def test_a_tab_with_nothing_on_it_says_so(client, fake_rpc):
    response = detail(client, fake_rpc, GRIP, "other")

    assert requirement_cards(response) == []
    assert "There are no other requirements." in text_of(response)


def test_an_unknown_tab_shows_the_first(client, fake_rpc):
    response = detail(client, fake_rpc, GRIP, "<script>")

    assert response.status_code == 200
    assert "0 of 1 Work Experience Completed" in text_of(response)


def test_the_pending_group_shows_its_anticipated_advancement_date_and_upgrade_path(client, fake_rpc):
    response = detail(client, fake_rpc, DRIVER_G2, "other")

    words = text_of(response)
    assert "Teamsters, Local #399 (Driver Group 2)" in words
    assert "Pending (In Progress)" in words
    assert "0 of 1 Other Requirements Completed" in words
    assert "Additional requirements for your job classification" in words
    assert "Time-Based Requirements" in words
    [card] = requirement_cards(response)
    assert card.startswith("2 Years Active, Upgrade ↑ Under way")  # not a red "missing"
    assert 'class="requirement requirement-pending"' in response.get_data(as_text=True)
    assert "Anticipated Advancement Date: 05/30/2024" in card
    assert ("Upgrade Path: advancing to Group 2 requires 2 years of being active on the IER in Group 3 "
            "and in compliance with all requirements. (Any days not in compliance are not counted "
            "toward advancing in grouping.)") in card


def test_the_current_group_points_to_the_group_it_advances_to(client, fake_rpc):
    response = detail(client, fake_rpc, DRIVER_G3, "other")

    words = text_of(response)
    assert "Anticipated Advancement Date 05/30/2024" in words  # in the record's facts
    assert "Grouping advancement Anticipated Advancement Date: 05/30/2024" in words
    assert 'href="/portal/classifications/399-DRIVER-G2?tab=other"' in response.get_data(as_text=True)


def test_a_classification_the_person_does_not_have_is_not_found(client, fake_rpc):
    log_in(client, fake_rpc)
    fake_rpc.answer("rosters", "my_classification", NotFound("You have no record in that classification."))

    response = client.get("/portal/classifications/80-GRIP")

    assert response.status_code == 404
    assert "You have no record in that classification." in response.get_data(as_text=True)


def test_the_details_need_a_login(client, fake_rpc):
    response = client.get("/portal/classifications/80-GRIP")

    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/portal/classifications/80-GRIP"
    assert fake_rpc.calls == []


# --- Apply as New Classification -----------------------------------------------------------------

def test_the_apply_page_lists_classifications_by_local_with_their_requirements(client, fake_rpc):
    log_in(client, fake_rpc)
    fake_rpc.answer("rosters", "list_classifications", CATALOG)
    fake_rpc.answer("rosters", "my_classifications", {"as_of": "2024-03-01", "records": [NEW_APP],
                                                      "pending": [], "closed": []})

    response = client.get("/portal/apply")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    words = text_of(response)
    assert words.index("IATSE Local #80") < words.index("Teamsters Local #399")
    grip = re.search(r'data-testid="apply-80-GRIP">(.*?)</article>', html, re.S).group(1)
    assert "30 verified work days in the last year" in grip and "Safety Pass course A" in grip
    assert "To stay compliant:" in grip
    assert 'name="classification_code" value="80-GRIP"' in grip
    dolly = re.search(r'data-testid="apply-80-DOLLY">(.*?)</article>', html, re.S).group(1)
    assert "You already have this classification." in dolly
    assert "classification_code" not in dolly


def test_applying_takes_the_person_to_the_new_classification(client, fake_rpc):
    log_in(client, fake_rpc)
    fake_rpc.answer("accounts", "person_card", {"person_id": PERSON_ID, "il_number": "1234567890",
                                                "first_name": "Pat", "last_name": "Grip"})
    fake_rpc.answer("rosters", "apply", record(status="in_progress_not_training_eligible",
                                               label="In Progress - Not Training Eligible"))

    response = client.post("/portal/apply", data={"classification_code": "80-GRIP"})

    assert response.status_code == 302
    assert response.headers["Location"] == "/portal/classifications/80-GRIP"
    service, method, (person_id, code, actor, person) = next(c for c in fake_rpc.calls if c[1] == "apply")
    assert (service, person_id, code) == ("rosters", PERSON_ID, "80-GRIP")
    assert actor["roles"] == ["industry_professional"]
    # rosters can start the record even before the person's registration event reaches it
    assert person == {"il_number": "1234567890", "first_name": "Pat", "last_name": "Grip"}
    with client.session_transaction() as session:
        assert ("success", "You applied for IATSE, Local #80 (Grip). Here is what you need to do next.") \
            in session["_flashes"]


def test_applying_twice_says_so_plainly(client, fake_rpc):
    log_in(client, fake_rpc)
    fake_rpc.answer("accounts", "person_card", {"person_id": PERSON_ID, "il_number": "1234567890",
                                                "first_name": "Pat", "last_name": "Grip"})
    fake_rpc.answer("rosters", "apply", Conflict("You have already applied for IATSE, Local #80 (Grip)."))
    fake_rpc.answer("rosters", "list_classifications", CATALOG)
    fake_rpc.answer("rosters", "my_classifications", MINE)

    response = client.post("/portal/apply", data={"classification_code": "80-GRIP"}, follow_redirects=True)

    assert response.status_code == 200
    assert response.request.path == "/portal/apply"
    html = response.get_data(as_text=True)
    assert re.search(r'<p class="flash flash-error" role="status">You have already applied for '
                     r'IATSE, Local #80 \(Grip\)\.</p>', html)


def test_applying_without_choosing_asks_to_choose(client, fake_rpc):
    log_in(client, fake_rpc)

    response = client.post("/portal/apply", data={})

    assert response.headers["Location"] == "/portal/apply"
    assert ("rosters", "apply") not in fake_rpc.methods_called()


# --- My Work Experience --------------------------------------------------------------------------

def test_work_experience_lists_days_verified_pending_and_rejected(client, fake_rpc):
    log_in(client, fake_rpc)
    fake_rpc.answer("rosters", "my_work_experience", {"verified_total": 1, "pending_total": 1, "days": [
        {"id": "a", "work_date": "2024-02-01", "classification_code": "80-GRIP", "employer": "Studio A",
         "production": "Night Shoot", "hours": 12.0, "source": "payroll", "verified": True,
         "rejected_reason": None},
        {"id": "b", "work_date": "2024-02-03", "classification_code": "80-GRIP", "employer": "Studio B",
         "production": None, "hours": 8.5, "source": "ip_submitted", "verified": False,
         "rejected_reason": None},
        {"id": "c", "work_date": "2024-01-05", "classification_code": "80-GRIP", "employer": "Studio C",
         "production": None, "hours": None, "source": "ip_submitted", "verified": False,
         "rejected_reason": "The pay stub is for another person."},
    ]})

    response = client.get("/portal/work-experience")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    rows = [" ".join(re.sub(r"<[^>]+>", " ", r).split())
            for r in re.findall(r'<tr data-testid="work-day">(.*?)</tr>', html, re.S)]
    assert rows == [
        "02/03/2024 80-GRIP Studio B — 8.5 Submitted by you … Pending",
        "02/01/2024 80-GRIP Studio A Night Shoot 12 Payroll report ✓ Verified",
        "01/05/2024 80-GRIP Studio C — — Submitted by you × Not accepted: The pay stub is for another person.",
    ]
    assert "1 verified day · 1 waiting for verification" in text_of(response)


# --- the public Hub search (page) ----------------------------------------------------------------

FOUND = {"total": 1, "page": 1, "page_size": 25, "pages": 1, "results": [
    {"il_number": "1234567890", "first_name": "Pat", "last_name": "Grip",
     "classifications": [{"code": "80-GRIP", "name": "IATSE, Local #80 (Grip)", "local": "80",
                          "status": "compliant", "status_label": "Compliant", "on_roster": True},
                         {"code": "80-DOLLY", "name": "IATSE, Local #80 (Dolly Grip)", "local": "80",
                          "status": "in_progress_not_training_eligible",
                          "status_label": "In Progress - Not Training Eligible", "on_roster": False}],
     "safety_pass": {"courses": ["A", "C19", "HP1"]}}]}


def test_the_hub_home_links_to_the_public_search(client):
    response = client.get("/")

    assert 'href="/search"' in response.get_data(as_text=True)
    assert "search the publicly available records of 60,000 Industry Professionals" in text_of(response)


def test_the_search_page_has_six_fields_and_says_not_all_are_needed(client, fake_rpc):
    fake_rpc.answer("rosters", "list_classifications", CATALOG)

    response = client.get("/search")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for field in ("last_name", "first_name", "ssn", "il_number", "classification", "local"):
        assert f'id="{field}" name="{field}"' in html
    assert re.search(r'<form method="post" action="/search#results"', html)
    assert "You don't need to fill every field" in text_of(response)
    assert '<option value="80-GRIP" >IATSE, Local #80 (Grip)</option>' in html
    assert '<option value="399" >Teamsters Local #399</option>' in html


def test_a_search_shows_names_il_numbers_roster_status_and_safety_pass(client, fake_rpc):
    fake_rpc.answer("rosters", "list_classifications", CATALOG)
    fake_rpc.answer("rosters", "search_roster", FOUND)

    response = client.post("/search", data={"last_name": "gr", "local": "80"})

    assert response.status_code == 200
    service, method, (criteria,) = next(c for c in fake_rpc.calls if c[1] == "search_roster")
    assert criteria == {"last_name": "gr", "first_name": None, "ssn": None, "il_number": None,
                        "classification": None, "local": "80", "page": 1}
    [result] = re.findall(r'<tr data-testid="search-result">(.*?)</tr>', response.get_data(as_text=True), re.S)
    words = " ".join(re.sub(r"<[^>]+>", " ", result).split())
    assert words == ("Grip, Pat 1234567890 IATSE, Local #80 (Grip) ✓ Compliant On the roster "
                     "IATSE, Local #80 (Dolly Grip) … In Progress - Not Training Eligible Not on the roster "
                     "A, C19, HP1")
    assert "1 person found" in text_of(response)


def test_a_search_by_ssn_never_shows_the_ssn_again(client, fake_rpc):
    fake_rpc.answer("rosters", "list_classifications", CATALOG)
    fake_rpc.answer("rosters", "search_roster", FOUND)

    response = client.post("/search", data={"ssn": SSN, "last_name": "Grip"})

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert SSN not in html and "219098765" not in html and "8765" not in html
    assert '<input id="ssn" name="ssn" type="text" value=""' in html
    assert 'value="Grip"' in html  # the other fields are kept
    criteria = next(c for c in fake_rpc.calls if c[1] == "search_roster")[2][0]
    assert criteria["ssn"] == "219098765"


def test_a_bad_ssn_is_refused_without_repeating_it(client, fake_rpc):
    fake_rpc.answer("rosters", "list_classifications", CATALOG)

    response = client.post("/search", data={"ssn": "987-65-43"})

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "987-65-43" not in html
    assert "SSN must be 9 digits, like 123-45-6789." in text_of(response)
    assert ("rosters", "search_roster") not in fake_rpc.methods_called()


def test_a_search_with_no_field_filled_asks_for_one(client, fake_rpc):
    fake_rpc.answer("rosters", "list_classifications", CATALOG)

    response = client.post("/search", data={"last_name": "  ", "classification": ""})

    assert response.status_code == 400
    assert "Fill in at least one of last name, first name, SSN, IL number, classification or local." \
        in text_of(response)
    assert ("rosters", "search_roster") not in fake_rpc.methods_called()


def test_search_results_page_on_without_carrying_an_ssn(client, fake_rpc):
    fake_rpc.answer("rosters", "list_classifications", CATALOG)
    fake_rpc.answer("rosters", "search_roster", {**FOUND, "total": 60, "page": 2, "pages": 3})

    response = client.post("/search", data={"last_name": "Gr", "page": "2"})

    html = response.get_data(as_text=True)
    assert "Page 2 of 3" in text_of(response)
    pagers = re.findall(r'<form method="post" action="/search#results" class="inline-form">(.*?)</form>', html, re.S)
    assert len(pagers) == 2
    assert all('name="last_name" value="Gr"' in p and 'name="ssn"' not in p for p in pagers)
    assert 'name="page" value="1"' in pagers[0] and 'name="page" value="3"' in pagers[1]


def test_the_search_page_works_when_the_classification_list_cannot_be_had(client, fake_rpc):
    fake_rpc.answer("rosters", "list_classifications", ServiceUnavailable("down"))
    fake_rpc.answer("rosters", "search_roster", ServiceUnavailable("The rosters service did not answer in time."))

    response = client.post("/search", data={"classification": "80-grip"})

    html = response.get_data(as_text=True)
    assert '<input id="classification" name="classification" type="text" value="80-grip"' in html
    assert "The search is not available right now. The rosters service did not answer in time." in text_of(response)


def test_the_search_page_is_rate_limited(fake_rpc):
    client = make_app(fake_rpc, RATELIMIT_ENABLED=True, RATELIMIT_SEARCH="2 per minute").test_client()
    fake_rpc.answer("rosters", "list_classifications", CATALOG)
    fake_rpc.answer("rosters", "search_roster", FOUND)

    statuses = [client.post("/search", data={"last_name": "Grip"}).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert client.get("/search").status_code == 200  # reading the form is not limited


# --- the public search API -----------------------------------------------------------------------

def test_the_search_api_answers_public_fields_for_anyone(client, fake_rpc):
    fake_rpc.answer("rosters", "search_roster", FOUND)

    response = client.post("/api/v1/roster/search", json={"last_name": "Grip", "ssn": SSN,
                                                         "il_number": "12345 67890"})

    assert response.status_code == 200
    assert response.get_json() == FOUND
    criteria = fake_rpc.calls[0][2][0]
    assert criteria["ssn"] == "219098765" and criteria["il_number"] == "1234567890"


@pytest.mark.parametrize("body", [{"ssn": SSN}, {"ssn": SSN, "first_name": "Pat"},
                                  {"ssn": SSN, "il_number": "1234567890"}])
def test_an_ssn_without_the_last_name_tells_nobody_whose_it_is(client, fake_rpc, body):
    response = client.post("/api/v1/roster/search", json=body)

    assert response.status_code == 422
    assert "last name" in response.get_json()["message"].lower()
    assert fake_rpc.calls == []


def test_the_search_page_asks_for_the_last_name_with_an_ssn(client, fake_rpc):
    fake_rpc.answer("rosters", "list_classifications", CATALOG)

    response = client.post("/search", data={"ssn": SSN})

    assert response.status_code == 400
    assert "Enter the last name with the SSN" in response.get_data(as_text=True)
    assert not any(c[1] == "search_roster" for c in fake_rpc.calls)


@pytest.mark.parametrize("body, field", [({}, "body"), ({"page": 2}, "body"), ({"ssn": "12"}, "ssn"),
                                         ({"il_number": "12"}, "il_number"), ({"last_name": "x", "page": 0}, "page"),
                                         ({"last_name": "x", "dob": "1990-01-01"}, "dob")])
def test_the_search_api_refuses_what_it_cannot_search(client, fake_rpc, body, field):
    response = client.post("/api/v1/roster/search", json=body)

    assert response.status_code == 422
    answer = response.get_json()
    assert answer["error"] == "validation_failed"
    assert field in answer["details"]["fields"] or (field == "body" and list(answer["details"]["fields"]) == ["body"])
    assert fake_rpc.calls == []


def test_the_search_api_never_repeats_a_bad_ssn(client, fake_rpc):
    response = client.post("/api/v1/roster/search", json={"ssn": "987-65-43"})

    assert response.status_code == 422
    assert "987-65-43" not in response.get_data(as_text=True)


def test_the_search_api_is_post_only_so_an_ssn_never_lands_in_a_url(client):
    assert client.get("/api/v1/roster/search?ssn=123-45-6789").status_code == 405


def test_the_search_api_is_rate_limited(fake_rpc):
    client = make_app(fake_rpc, RATELIMIT_ENABLED=True, RATELIMIT_SEARCH="2 per minute").test_client()
    fake_rpc.answer("rosters", "search_roster", FOUND)

    statuses = [client.post("/api/v1/roster/search", json={"last_name": "Grip"}).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert client.post("/api/v1/roster/search", json={"last_name": "Grip"}).get_json()["error"] == "too_many_requests"


def test_the_search_api_is_in_the_openapi_document(client):
    document = client.get("/api/v1/openapi.json").get_json()

    operation = document["paths"]["/api/v1/roster/search"]["post"]
    assert "security" not in operation  # anyone
    assert {"422", "429"} <= set(operation["responses"])
    result = document["components"]["schemas"]["PublicPerson"]
    assert set(result["properties"]) == {"il_number", "first_name", "last_name", "classifications", "safety_pass"}
    criteria = document["components"]["schemas"]["SearchCriteria"]
    # clients can validate before sending: "at least one", an SSN only with the last name, its form
    assert {"required": ["last_name"]} in criteria["anyOf"]
    assert criteria["dependentRequired"] == {"ssn": ["last_name"]}
    assert criteria["properties"]["ssn"]["pattern"] == r"^\d{3}-?\d{2}-?\d{4}$"


def test_staff_see_days_waiting_for_review_and_their_decision_reaches_rosters(client, fake_rpc):
    from tests.support.fake_gateway import make_principal as principal_with

    with client.session_transaction() as session:
        session["token"] = "staff-token"
    fake_rpc.answer("accounts", "authenticate", {**principal_with("staff_reviewer"), "person_id": None})
    day = {"id": "6f1c0a4e-8f59-4d39-9d83-6f0f2b0d8c11", "work_date": "2026-11-01", "classification_code": "80-GRIP",
           "employer": "Warner Bros.", "production": "Night Shoot", "hours": 10.0, "source": "ip_submitted",
           "verified": False, "rejected_reason": None, "person_id": PERSON_ID, "il_number": "1234567890",
           "name": "Pat Grip", "proof_document_id": None}
    fake_rpc.answer("rosters", "pending_work_days", [day])
    page = client.get("/staff/work-days").get_data(as_text=True)
    assert "Pat Grip" in page and "Warner Bros." in page and "IL# 1234567890" in page

    fake_rpc.answer("rosters", "verify_work_day", {**day, "verified": True})
    response = client.post(f"/staff/work-days/{day['id']}/review", data={"decision": "approve"})
    assert response.headers["Location"] == "/staff/work-days"
    service, method, args = fake_rpc.calls[-1]
    assert (service, method, args[0], args[1], args[2]) == ("rosters", "verify_work_day", day["id"], "approve", None)


def test_an_industry_professional_cannot_open_the_work_day_review(client, fake_rpc):
    with client.session_transaction() as session:
        session["token"] = "ip-token"
    fake_rpc.answer("accounts", "authenticate", make_principal())
    assert client.get("/staff/work-days").status_code == 403


# --- First review: every next step links to where to do it; one date format; key figures --------

CDL_ROW = row("other", "Commercial Driver's License (Class A or Class B)", "unmet",
              "Commercial Driver's License, Class A: Not on file; Commercial Driver's License, Class B: "
              "Expired on 01/31/2024", kind="any_of",
              next_step="Upload it under Required Documents; staff will review it. Or: Upload it under "
                        "Required Documents; staff will review it.")
DRIVER_APPLICANT = record(code="399-DRIVER-G3", name="Teamsters, Local #399 (Driver Group 3)", group=3, rows=[
    row("work_experience", "30 verified work days in the last year", "unmet",
        "12 of 30 days in the last year; 18 more needed", numbers={"have": 12, "need": 30, "window_days": 365},
        next_step="Work 18 more verified days in this classification (payroll reports them, or submit "
                  "proof of employment)."),
    CDL_ROW,
    row("documents", "DOT Medical Examiner's Certificate", "met", "Approved; expires 12/31/2025"),
    row("training", "Safety Pass course A", "unmet", "Not completed yet", next_step="Enroll in A."),
    row("training", "Harassment prevention (HP1 or HP2)", "unmet", "Questionnaire not answered",
        kind="questionnaire",
        next_step="Answer the short questionnaire when you enroll; it picks your course."),
])


def next_steps(response) -> list[str]:
    return re.findall(r'data-testid="next-step">(.*?)</p>', response.get_data(as_text=True), re.S)


def test_a_document_choice_shows_on_required_documents_with_its_next_step_once(client, fake_rpc):
    FakeDocuments(fake_rpc)
    documents = detail(client, fake_rpc, DRIVER_APPLICANT, "documents")
    other = client.get("/portal/classifications/399-DRIVER-G3?tab=other")

    labels = [unescape(card.split(" × ")[0].split(" ✓ ")[0]) for card in requirement_cards(documents)]
    assert labels == ["Commercial Driver's License (Class A or Class B)", "DOT Medical Examiner's Certificate"]
    assert "1 of 2 Required Documents Completed" in text_of(documents)
    [step] = next_steps(documents)  # the certificate is met: only the licence has a step
    assert step.count("Contract Services") == 1 and " Or: " not in step
    assert requirement_cards(other) == []
    assert "0/0" in " ".join(
        re.findall(r'data-testid="tab-other">(.*?)</a>', other.get_data(as_text=True), re.S)[0].split())


def test_no_next_step_promises_an_upload_or_enrollment_the_portal_cannot_do_yet(client, fake_rpc):
    FakeDocuments(fake_rpc)
    log_in(client, fake_rpc)
    fake_rpc.answer("rosters", "my_classification", DRIVER_APPLICANT)

    steps = []
    for tab in ("work_experience", "training", "documents", "other"):
        response = client.get("/portal/classifications/399-DRIVER-G3", query_string={"tab": tab})
        page = response.get_data(as_text=True)
        assert "Upload it under Required Documents" not in page
        assert "Enroll in A" not in page and "when you enroll" not in page
        steps += next_steps(response)

    assert len(steps) == 4  # work days, the licence, course A, the questionnaire
    [documents_step] = [step for step in steps if "Upload Files" in step]  # the upload is on the Portal now
    assert "“Upload Files” below" in documents_step and "tel:" not in documents_step
    course_steps = [step for step in steps if "/portal/training/courses/" in step]  # so is training
    assert any('href="/portal/training/courses/A"' in step for step in course_steps)
    assert any('href="/portal/training/courses/HP"' in step for step in course_steps)
    assert 'href="/portal/work-experience"' in steps[0]
    assert len(set(steps)) == len(steps)


def test_the_dashboard_shows_the_key_figure_of_each_record_without_opening_it(client, fake_rpc):
    log_in(client, fake_rpc)
    fake_rpc.answer("rosters", "my_classifications", {**MINE, "records": [DRIVER_APPLICANT, GRIP]})
    fake_rpc.answer("notifications", "list_messages", {"messages": [], "unread": 0})

    html = client.get("/portal").get_data(as_text=True)

    listed = cards(html)
    figure = lambda card: re.search(r'data-testid="key-figure">([^<]+)<', card).group(1)  # noqa: E731
    assert figure(next(c for c in listed if "Driver Group 3" in c)) == "12 of 30 days"
    assert figure(next(c for c in listed if "(Grip)" in c)) == "22 of 30 days"
    assert figure(next(c for c in listed if "Driver Group 2" in c)) == "Anticipated Advancement Date: 05/30/2024"


LOCALS_CATALOG = [
    {**CATALOG[0], "code": "728-ELECTRIC", "name": "IATSE, Local #728 (Electrician)", "local": "728",
     "local_name": "IATSE Local #728"},
    *CATALOG,
    {**CATALOG[0], "code": "44-PROP", "name": "IATSE, Local #44 (Propmaker)", "local": "44",
     "local_name": "IATSE Local #44"},
]


def test_the_apply_page_sorts_locals_as_numbers_and_keeps_them_folded(client, fake_rpc):
    log_in(client, fake_rpc)
    fake_rpc.answer("rosters", "list_classifications", LOCALS_CATALOG)
    fake_rpc.answer("rosters", "my_classifications",
                    {"as_of": "2024-03-01", "records": [], "pending": [], "closed": []})

    html = client.get("/portal/apply").get_data(as_text=True)

    order = re.findall(r'<details class="local" data-testid="local-(\w+)"\s*(open)?>', html)
    assert order == [("44", ""), ("80", ""), ("399", ""), ("728", "")]  # as numbers, all folded
    grip = re.search(r'data-testid="apply-80-GRIP">(.*?)</article>', html, re.S).group(1)
    # each classification's requirements are folded under "What it takes", the Apply button is not
    assert re.search(r'<details class="what-it-takes">\s*<summary>What it takes</summary>', grip)
    assert grip.index('aria-label="Apply for IATSE, Local #80 (Grip)"') < grip.index("What it takes")


def test_the_apply_page_opens_the_local_asked_for(client, fake_rpc):
    log_in(client, fake_rpc)
    fake_rpc.answer("rosters", "list_classifications", LOCALS_CATALOG)
    fake_rpc.answer("rosters", "my_classifications",
                    {"as_of": "2024-03-01", "records": [], "pending": [], "closed": []})

    html = client.get("/portal/apply?local=399").get_data(as_text=True)

    assert re.findall(r'data-testid="local-(\w+)"\s*open>', html) == ["399"]


def test_every_date_on_the_portal_is_written_month_day_year(client, fake_rpc):
    log_in(client, fake_rpc)
    fake_rpc.answer("accounts", "get_me", {**ME, "date_of_birth": "1991-03-04", "phone": None,
                                           "address_line1": None, "address_line2": None, "city": None,
                                           "state": None, "postal_code": None, "email_notifications": True,
                                           "has_account": True})
    fake_rpc.answer("notifications", "list_messages", {"unread": 1, "messages": [
        {"id": "6f1c9a55-0f4e-4c39-9d65-3d2c1e0b7a11", "subject": "Your C19 course is due",
         "body": "Complete it.", "category": "deadline", "deadline": "2024-07-01",
         # 02:00 UTC on 03/02 is still 03/01 in Burbank
         "created_at": "2024-03-02T02:00:00+00:00", "read": False}]})

    messages = text_of(client.get("/portal/messages"))
    account = text_of(client.get("/portal/account"))

    assert "03/01/2024 · Deadline 07/01/2024" in messages
    assert "Date of birth 03/04/1991" in account
    for words in (messages, account):
        assert not re.search(r"\d{4}-\d{2}-\d{2}", words)


def test_reading_a_message_names_the_reader_in_the_audit_like_the_api(client, fake_rpc):
    principal = make_principal()
    log_in(client, fake_rpc, principal)
    fake_rpc.answer("notifications", "mark_message_read", None)
    message_id = "6f1c9a55-0f4e-4c39-9d65-3d2c1e0b7a11"

    response = client.post(f"/portal/messages/{message_id}/read")

    assert response.headers["Location"] == "/portal/messages"
    [(_, _, args)] = [call for call in fake_rpc.calls if call[1] == "mark_message_read"]
    person_id, read_id, who = args
    assert (person_id, read_id) == (PERSON_ID, message_id)
    assert who["account_id"] == principal["account_id"] and who["roles"] == ["industry_professional"]


def test_the_requirement_tabs_make_an_even_grid_on_a_phone(client):
    css = client.get("/static/hub.css").get_data(as_text=True)

    rule = re.search(r"nav\.tabs ul \{([^}]*)\}", css).group(1)
    assert "grid-template-columns: 1fr 1fr" in rule and "grid-auto-rows: 1fr" in rule


def test_links_in_a_message_body_are_clickable_and_nothing_else_becomes_markup():
    from gateway.pages.portal import linkify

    html = str(linkify("Open http://127.0.0.1:8080/portal/classifications/80-GRIP. Or see "
                       "/portal/messages, <script>alert(1)</script>"))

    assert '<a href="http://127.0.0.1:8080/portal/classifications/80-GRIP">' in html
    assert '<a href="/portal/messages">/portal/messages</a>,' in html
    assert "<script>" not in html and "&lt;script&gt;" in html
