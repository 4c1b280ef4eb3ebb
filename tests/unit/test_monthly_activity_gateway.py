"""The gateway side of the activity-per-month report: GET /api/v1/staff/reports/monthly (staff only,
JSON or CSV, the query passed on) and its section on /staff/reports with the CSV link. Fake RPC."""
from __future__ import annotations

import pytest

from common.errors import ServiceUnavailable, ValidationFailed
from tests.unit.test_staff_home_pages import REPORT, bearer, logged_in

COUNTS = {"placements": 4, "suspensions": 2, "staff_suspensions": 1, "withdrawals": 0, "removals": 1,
          "reinstatements": 3}
MONTHLY = {"as_of": "2026-11-30", "months": 2, "local": None, "time_zone": "America/Los_Angeles",
           "rows": [{"month": "2026-11", "starts_on": "2026-11-01", "ends_on": "2026-11-30", **COUNTS},
                    {"month": "2026-10", "starts_on": "2026-10-01", "ends_on": "2026-10-31",
                     **{k: 0 for k in COUNTS}}],
           "totals": COUNTS, "locals": {"80": "IATSE Local #80", "399": "Teamsters Local #399"}}


def monthly(months, local, actor):
    return {**MONTHLY, "local": local}


@pytest.mark.parametrize("roles", [("industry_professional",), ("union_rep",), ("employer",)])
def test_the_monthly_report_api_is_staff_only(client, fake_rpc, roles):
    response = client.get("/api/v1/staff/reports/monthly", headers=bearer(fake_rpc, *roles))
    assert response.status_code == 403
    assert ("rosters", "monthly_activity") not in fake_rpc.methods_called()


def test_the_monthly_report_api_needs_a_token(client, fake_rpc):
    assert client.get("/api/v1/staff/reports/monthly").status_code == 401
    assert client.get("/api/v1/staff/reports/monthly?format=csv").status_code == 401


def test_the_monthly_report_as_json_passes_the_months_and_the_local_on(client, fake_rpc):
    fake_rpc.answer("rosters", "monthly_activity", monthly)
    response = client.get("/api/v1/staff/reports/monthly?months=2&local=80", headers=bearer(fake_rpc, "staff_reviewer"))
    assert response.status_code == 200
    assert response.get_json()["rows"][0]["placements"] == 4 and response.get_json()["local"] == "80"
    service, method, args = fake_rpc.calls[-1]
    assert (service, method, args[:2]) == ("rosters", "monthly_activity", ("2", "80"))
    assert args[2]["roles"] == ["staff_reviewer"]
    client.get("/api/v1/staff/reports/monthly", headers=bearer(fake_rpc, "staff_admin"))
    assert fake_rpc.calls[-1][2][:2] == ("12", None)


def test_the_monthly_report_as_csv(client, fake_rpc):
    fake_rpc.answer("rosters", "monthly_activity", monthly)
    response = client.get("/api/v1/staff/reports/monthly?format=csv&local=80", headers=bearer(fake_rpc, "staff_admin"))
    assert response.mimetype == "text/csv"
    assert 'filename="monthly-activity-local-80-2026-11-30.csv"' in response.headers["Content-Disposition"]
    assert response.get_data(as_text=True).splitlines() == [
        "month,placements,suspensions,staff_suspensions,withdrawals,removals,reinstatements",
        "2026-11,4,2,1,0,1,3", "2026-10,0,0,0,0,0,0"]


def test_a_bad_number_of_months_is_the_services_422(client, fake_rpc):
    fake_rpc.answer("rosters", "monthly_activity", ValidationFailed("months: between 1 and 36."))
    response = client.get("/api/v1/staff/reports/monthly?months=99", headers=bearer(fake_rpc, "staff_reviewer"))
    assert response.status_code == 422 and "months" in response.get_json()["message"]


def test_the_reports_page_shows_the_months_with_a_local_filter_and_a_csv_link(client, fake_rpc):
    logged_in(client, fake_rpc, "staff_reviewer")
    fake_rpc.answer("rosters", "expiring_records", REPORT)
    fake_rpc.answer("rosters", "monthly_activity", monthly)
    html = client.get("/staff/reports?local=399").get_data(as_text=True)
    assert html.count('data-testid="monthly-row"') == 2
    assert "Nov 2026" in html and "Oct 2026" in html and "80-GRIP" in html   # the expiring records still there
    assert '<option value="399" selected>Teamsters Local #399</option>' in html
    assert "/staff/reports?report=monthly&amp;format=csv&amp;local=399" in html
    assert ("rosters", "monthly_activity", (12, "399")) in [(s, m, a[:2]) for s, m, a in fake_rpc.calls]

    before = fake_rpc.methods_called()
    csv = client.get("/staff/reports?report=monthly&format=csv&local=399")
    assert csv.mimetype == "text/csv" and csv.get_data(as_text=True).startswith("month,placements,")
    asked = fake_rpc.methods_called()[len(before):]
    assert ("rosters", "monthly_activity") in asked and ("rosters", "expiring_records") not in asked


def test_the_reports_page_still_shows_the_expiring_records_when_the_months_are_not_available(client, fake_rpc):
    logged_in(client, fake_rpc, "staff_reviewer")
    fake_rpc.answer("rosters", "expiring_records", REPORT)
    fake_rpc.answer("rosters", "monthly_activity", ServiceUnavailable("The rosters service is busy."))
    page = client.get("/staff/reports")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "80-GRIP" in html and 'data-testid="monthly-error"' in html
