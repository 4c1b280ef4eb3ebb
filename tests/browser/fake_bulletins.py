"""Canned safety bulletins and the shipped hotlines and resources for the fake Hub
(tests/browser/fake_hub.py): enough of the notifications service for /safety and the staff pages."""
import uuid
from pathlib import Path

import yaml

RESOURCES_FILE = Path(__file__).resolve().parents[2] / "services/notifications/notifications/resources.yml"

BULLETINS = [
    {"id": str(uuid.uuid4()), "title": "Heat illness prevention on outdoor sets",
     "body": "Temperatures in the valleys will pass **95°F** this week.\n\n"
             "- Water, shade and rest for everyone, every hour\n"
             "- Watch each other for dizziness, cramps and confusion\n"
             "- Call 911 for anyone who is confused or stops sweating\n\n"
             "More from Cal/OSHA: https://www.dir.ca.gov/dosh/heatillnessinfo.html",
     "audience": {"locals": [], "classifications": []}, "published_on": "2027-07-14",
     "updated_at": None, "withdrawn": False, "delivering": True},   # everyone: still being told
    {"id": str(uuid.uuid4()), "title": "Aerial lifts and scissor lifts: a harness every time",
     "body": "Operators must hold a current **Safety Pass course B** completion. "
             "Inspect the lift before each shift and never ride it while it travels.",
     "audience": {"locals": ["80", "728"], "classifications": ["399-DRIVER-G3"]},
     "published_on": "2027-06-02", "updated_at": None, "withdrawn": False},
    {"id": str(uuid.uuid4()), "title": "Firearms and blank-firing weapons on set",
     "body": "Only the armorer handles a firearm. <script>alert('not run')</script> stays text.",
     "audience": {"locals": [], "classifications": []}, "published_on": "2027-03-20",
     "updated_at": None, "withdrawn": False},
]


def resources() -> dict:
    entries = yaml.safe_load(RESOURCES_FILE.read_text(encoding="utf-8"))["resources"]
    shaped = [{"name": e["name"], "kind": e["kind"], "phone": e.get("phone"), "link": e.get("link"),
               "description": e.get("description", "")} for e in entries]
    return {"hotlines": [e for e in shaped if e["kind"] == "hotline"],
            "resources": [e for e in shaped if e["kind"] == "resource"]}


def install(rpc) -> None:
    by_id = {b["id"]: b for b in BULLETINS}
    rpc.answer("notifications", "list_bulletins", lambda include_withdrawn=False: {
        "bulletins": [b for b in BULLETINS if include_withdrawn or not b["withdrawn"]]})
    rpc.answer("notifications", "get_bulletin", lambda bulletin_id: by_id[bulletin_id])
    rpc.answer("notifications", "list_resources", resources())
