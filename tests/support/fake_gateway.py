"""A gateway with a fake RPC pool standing in for the services: for page and API unit tests."""
import re
import uuid

from gateway import create_app

PERSON_ID = str(uuid.uuid4())


def make_principal(*roles: str) -> dict:
    return {"account_id": str(uuid.uuid4()), "person_id": PERSON_ID,
            "roles": list(roles or ["industry_professional"])}


class FakeRpc:
    """Stands in for RpcPool: canned answers per (service, method), every call recorded.

    An answer may be a value, an exception to raise, or a function of the call's arguments.
    """

    def __init__(self):
        # Parts of pages the notifications service fills, shown when it answers: every Portal page
        # asks for the header's unread count, My Account for the e-mail preferences, a person's
        # staff page for the e-mails sent; and accounts', the staff imports page's invitations
        # still to send. Nothing there unless a test says otherwise.
        self.answers = {("notifications", "unread_count"): 0,
                        ("accounts", "imported_invitation_status"): {"pending": 0, "invited": 0},
                        ("notifications", "get_preferences"): {"email": {}, "digest": False, "mandatory": []},
                        ("notifications", "list_deliveries"): {"deliveries": [], "email_undeliverable": False},
                        # the staff home's parked-event counts, one call per service
                        **{(service, "parked_events"): {"service": service, "parked": {}}
                           for service in ("accounts", "rosters", "documents", "training", "notifications")}}
        self.calls = []
        self.unexpected = []

    def answer(self, service: str, method: str, result) -> None:
        self.answers[(service, method)] = result

    def call(self, service, method, *args, timeout=None, **kwargs):
        self.calls.append((service, method, args))
        if (service, method) not in self.answers:
            self.unexpected.append((service, method, args))
            raise AssertionError(f"unexpected RPC {service}.{method}{args}")
        result = self.answers[(service, method)]
        if isinstance(result, BaseException):
            raise result
        if callable(result):
            return result(*args, **kwargs)
        return result

    def methods_called(self) -> list[tuple[str, str]]:
        return [(service, method) for service, method, _ in self.calls]


def make_app(fake_rpc, **config):
    app = create_app({"TESTING": True, "SECRET_KEY": "unit-test-secret", "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False, "AMQP_URI": "memory://", **config})
    app.rpc = fake_rpc
    return app


def csrf_token_of(page_html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page_html).group(1)


# --- a documents service in memory -----------------------------------------------------------------

DOCUMENT_TYPES = [
    {"code": "cdl_class_a", "label": "Commercial Driver's License, Class A", "expires": True,
     "checks": ["Name matches the person", "Issue and expiry dates readable"]},
    {"code": "cdl_class_b", "label": "Commercial Driver's License, Class B", "expires": True,
     "checks": ["Name matches the person", "Issue and expiry dates readable"]},
    {"code": "dot_medical_certificate", "label": "DOT Medical Examiner's Certificate", "expires": True,
     "checks": ["Name matches the person", "Examiner's signature and expiry date readable"]},
    {"code": "color_vision_test", "label": "Color vision test", "expires": False, "checks": []},
    {"code": "forklift_certificate", "label": "Forklift certificate", "expires": True, "checks": []},
    {"code": "proof_of_employment", "label": "Proof of employment (pay stub or deal memo)", "expires": False,
     "checks": ["Name matches the person", "Employer and dates readable"]},
    {"code": "other", "label": "Other document", "expires": False, "checks": []},
]
STAFF_ROLES = {"staff_reviewer", "staff_admin"}


class FakeDocuments:
    """The documents service's RPCs over a dict, answering on a FakeRpc: enough of its rules
    (type known, one copy per sha256 and person, owner-or-staff reads, first decision wins) for
    the gateway's tests. `people` gives the queue its names."""

    def __init__(self, rpc: FakeRpc, people: dict | None = None, storage=None):
        from common.errors import Conflict, NotFound, ValidationFailed

        self.NotFound, self.Conflict, self.ValidationFailed = NotFound, Conflict, ValidationFailed
        self.documents: dict[str, dict] = {}
        self.keys: dict[str, str] = {}
        self.people = people or {}
        self.storage = storage
        self.reviews: list[tuple] = []
        types = {t["code"]: t for t in DOCUMENT_TYPES}
        self.types = types
        rpc.answer("documents", "list_document_types", lambda: {"document_types": DOCUMENT_TYPES})
        rpc.answer("documents", "register_upload", self.register_upload)
        rpc.answer("documents", "list_documents", self.list_documents)
        rpc.answer("documents", "get_document", self.get_document)
        rpc.answer("documents", "document_for_download", self.document_for_download)
        rpc.answer("documents", "review_queue", self.review_queue)
        rpc.answer("documents", "review_document", self.review_document)

    def add(self, person_id: str = PERSON_ID, document_type: str = "dot_medical_certificate",
            status: str = "pending_review", **fields) -> dict:
        """A document on file (no bytes unless `key` names a stored object)."""
        n = len(self.documents) + 1
        doc = {"id": str(uuid.uuid4()), "person_id": person_id, "document_type": document_type,
               "label": self.types[document_type]["label"], "status": status, "reason": None,
               "issued_on": None, "expires_on": None, "file_name": f"scan-{n}.pdf", "size": 1234,
               "content_type": "application/pdf", "uploaded_at": f"2024-02-{n:02d}T17:00:00+00:00",
               "reviewed_at": None, "classification_code": None, "source": "portal", "sha256": f"{n:064x}"}
        doc.update(fields)
        self.documents[doc["id"]] = doc
        self.keys[doc["id"]] = fields.get("key", f"documents/{doc['id']}")
        return doc

    @staticmethod
    def _out(doc: dict) -> dict:
        return {k: v for k, v in doc.items() if k not in ("sha256", "key")}

    def register_upload(self, payload: dict, actor: dict) -> dict:
        if payload["document_type"] not in self.types:
            raise self.ValidationFailed(f"Unknown document type {payload['document_type']!r}: choose one of the "
                                        "listed types.")
        for doc in self.documents.values():
            if doc["person_id"] == payload["person_id"] and doc["sha256"] == payload["sha256"]:
                return {"document": self._out(doc), "created": False}
        key = payload["staging_key"].replace("incoming/", "documents/")
        if self.storage is not None:
            self.storage.move(payload["staging_key"], key)
        fields = {k: payload[k] for k in ("file_name", "size", "content_type", "sha256", "classification_code",
                                           "source")}
        doc = self.add(payload["person_id"], payload["document_type"], key=key,
                       uploaded_at=f"2024-03-{len(self.documents) + 1:02d}T17:00:00+00:00", **fields)
        return {"document": self._out(doc), "created": True}

    def _readable(self, document_id: str, viewer: dict) -> dict:
        doc = self.documents.get(str(document_id))
        if doc is None or (doc["person_id"] != viewer.get("person_id") and not STAFF_ROLES & set(viewer["roles"])):
            raise self.NotFound("No such document.")
        return doc

    def list_documents(self, person_id: str, viewer: dict) -> dict:
        mine = [self._out(d) for d in self.documents.values() if d["person_id"] == person_id]
        return {"documents": sorted(mine, key=lambda d: d["uploaded_at"], reverse=True)}

    def get_document(self, document_id: str, viewer: dict) -> dict:
        return self._out(self._readable(document_id, viewer))

    def document_for_download(self, document_id: str, viewer: dict) -> dict:
        doc = self._readable(document_id, viewer)
        return {"key": self.keys[doc["id"]], "file_name": doc["file_name"], "content_type": doc["content_type"],
                "size": doc["size"], "presigned_url": None}

    def review_queue(self, filters: dict, viewer: dict) -> dict:
        status = filters.get("status") or "pending_review"
        found = [d for d in self.documents.values()
                 if (status == "all" or d["status"] == status)
                 and (not filters.get("type") or d["document_type"] == filters["type"])
                 and (not filters.get("classification") or d["classification_code"] == filters["classification"])]
        found.sort(key=lambda d: d["uploaded_at"])
        return {"documents": [{**self._out(d), **{k: self.people.get(d["person_id"], {}).get(k)
                                                    for k in ("il_number", "first_name", "last_name")}}
                              for d in found]}

    def review_document(self, document_id: str, payload: dict, actor: dict) -> dict:
        doc = self.documents.get(str(document_id))
        if doc is None:
            raise self.NotFound("No such document.")
        if doc["status"] != "pending_review":
            raise self.Conflict("This document was already reviewed.")
        if payload["decision"] == "approve":
            if self.types[doc["document_type"]]["expires"] and not payload.get("expires_on"):
                raise self.ValidationFailed("Enter the expiry date: this kind of document expires.")
            doc.update(status="approved", issued_on=payload.get("issued_on"), expires_on=payload.get("expires_on"))
        else:
            doc.update(status="rejected", reason=payload["reason"])
        doc["reviewed_at"] = "2024-03-02T18:00:00+00:00"
        self.reviews.append((document_id, payload, actor))
        return self._out(doc)


# --- a training service in memory ------------------------------------------------------------------

def _course(code, title, delivery="online", minutes=60, prerequisites=(), refresher=None, kind="craft",
            description="", placeholder=False, location=None):
    return {"code": code, "title": title, "description": description, "delivery": delivery,
            "duration_minutes": minutes, "prerequisites": list(prerequisites),
            "refresher_days": refresher["years"] * 365 if refresher else None, "refresher": refresher,
            "kind": kind, "illustrative": True, "placeholder_content": placeholder,
            "location": location}


HP_DESCRIPTION = ("The industry-standard harassment prevention training union employers require. A short "
                  "questionnaire decides your course: HP1 (1 hour) if you do not supervise anyone, HP2 "
                  "(2 hours) if you do.")
HP_QUESTIONNAIRE = {"code": "HP", "title": "Harassment Prevention Training", "if_yes": "HP2", "if_no": "HP1",
                    "questions": [
                        {"id": "supervisor", "required": True,
                         "text": "Are you a supervisor? That is, do you have the authority to hire, fire, assign, "
                                 "promote, reward or discipline other employees, or to direct their daily work?"},
                        {"id": "leads_a_crew", "required": False,
                         "text": "On your current or most recent production, did you head a department or lead a "
                                 "crew (for example key grip, best boy, gaffer, department head)?"}]}
TRAINING_COURSES = [
    _course("A", "General Safety (IIPP)", minutes=120, kind="application",
            description="The basics of working safely on a set: the Injury and Illness Prevention Program, "
                        "who to tell about a hazard, and what to do in an emergency."),
    {**_course("HP1", "Harassment Prevention for Non-Supervisors", minutes=60, kind="application",
               refresher={"years": 2}, description=HP_DESCRIPTION), "questionnaire": HP_QUESTIONNAIRE},
    {**_course("HP2", "Harassment Prevention for Supervisors", minutes=120, kind="application",
               refresher={"years": 2}, description=HP_DESCRIPTION), "questionnaire": HP_QUESTIONNAIRE},
    _course("C19", "COVID-19 Prevention", minutes=30, kind="application", placeholder=True,
            description="How illness spreads on a production and how to keep a set healthy."),
    _course("B", "Back Injury Prevention and Lifting", minutes=45, prerequisites=("A", "HP"), placeholder=True,
            description="Lifting, carrying and pushing without hurting your back."),
    _course("FORKLIFT", "Forklift Operator Safety", delivery="in_person", minutes=240, prerequisites=("A", "HP"),
            refresher={"years": 3}, location="Contract Services Training Center, 2710 Winona Avenue, Burbank",
            description="Classroom and hands-on forklift training at the Burbank training centre. Bring "
                        "closed-toe shoes and a photo ID."),
]
HP1_MODULES = [
    {"id": "what-it-is", "title": "What harassment is",
     "body": "Harassment is unwelcome conduct because of who someone is: their sex, gender, race, religion, "
             "age, disability, sexual orientation or another protected characteristic.\n\nIt can be words, "
             "pictures, gestures or touching. It can come from anyone on a production: a co-worker, a "
             "supervisor, a vendor or a member of the public.", "media": []},
    {"id": "what-to-do", "title": "What to do if it happens",
     "body": "You do not have to confront anyone. Tell a supervisor, your department head, the production's "
             "HR contact or your union representative.\n\nWrite down what happened, when and who saw it.",
     "media": ["https://example.org/hp1-video"]},
    {"id": "retaliation", "title": "No retaliation",
     "body": "Nobody may punish you for reporting harassment or for helping someone who reported it.",
     "media": []},
]
HP1_QUIZ = [
    {"id": "q1", "text": "Can harassment come from a vendor visiting the set?",
     "choices": ["Yes", "No, only from co-workers"], "answer": 0},
    {"id": "q2", "text": "Must you confront the person yourself before reporting?",
     "choices": ["Yes", "No, you may report it straight away"], "answer": 1},
    {"id": "q3", "text": "May a supervisor move you to a worse shift because you reported harassment?",
     "choices": ["Yes, if the report was wrong", "No, that is retaliation"], "answer": 1},
]
PLACEHOLDER_MODULES = [{"id": "overview", "title": "Overview (placeholder content)",
                        "body": "Placeholder: the real course content comes later.", "media": []}]
PLACEHOLDER_QUIZ = [{"id": "q1", "text": "Placeholder question: is this a placeholder?",
                     "choices": ["Yes", "No"], "answer": 0}]
HP_CODES = ("HP1", "HP2")


class FakeTraining:
    """The training service's RPCs over dicts, answering on a FakeRpc: enough of its rules for the
    gateway's tests (application courses need a verified work day, craft courses a roster and "A"
    and HP first; the questionnaire picks HP1 or HP2; a full session waitlists; a cancellation
    promotes; the quiz never leaves with its answers). `unlocked` holds the people whose
    application training is unlocked, `on_roster` those who may take craft courses."""

    pass_mark = 80
    attempts = 3

    def __init__(self, rpc: FakeRpc, people: dict | None = None, unlocked=(PERSON_ID,), on_roster=()):
        from common.errors import Conflict, NotFound, ValidationFailed

        self.NotFound, self.Conflict, self.ValidationFailed = NotFound, Conflict, ValidationFailed
        self.courses = {c["code"]: dict(c) for c in TRAINING_COURSES}
        self.people = people or {}
        self.unlocked, self.on_roster = set(unlocked), set(on_roster)
        self.enrollments: dict[str, dict] = {}
        self.completions: list[dict] = []
        self.sessions: dict[str, dict] = {}
        self.answers: list[dict] = []
        for name in ("list_courses", "get_course", "my_training", "enroll", "list_enrollments", "get_enrollment",
                     "save_progress", "submit_quiz", "cancel_enrollment", "transcript", "record_completion",
                     "schedule_session", "list_sessions", "get_session", "record_attendance"):
            rpc.answer("training", name, getattr(self, name))

    # content and dates
    def content(self, code: str) -> tuple[list[dict], list[dict]]:
        if code in HP_CODES or code == "A":
            return HP1_MODULES, HP1_QUIZ
        return PLACEHOLDER_MODULES, PLACEHOLDER_QUIZ

    @staticmethod
    def today():
        from common.clock import today

        return today()

    def _course(self, code: str) -> dict:
        course = self.courses.get(str(code).upper())
        if course is None:
            raise self.NotFound(f"No such course: {code}.")
        return course

    def ready_for_craft(self, *people: str) -> None:
        """These people are on a roster and have A and HP1: every course is open to them."""
        for person_id in people:
            self.unlocked.add(person_id)
            self.on_roster.add(person_id)
            for code in ("A", "HP1"):
                if not self._current(person_id, (code,)):
                    self._complete(person_id, code, "staff")

    # the catalog
    def list_courses(self) -> dict:
        return {"courses": list(self.courses.values()), "questionnaires": [HP_QUESTIONNAIRE]}

    def _session_out(self, session: dict) -> dict:
        taken = [e for e in self.enrollments.values() if e["session_id"] == session["id"]
                 and e["status"] in ("enrolled", "completed")]
        waiting = [e for e in self.enrollments.values() if e["session_id"] == session["id"]
                   and e["status"] == "waitlisted"]
        return {**{k: v for k, v in session.items() if k != "attended"},
                "seats_left": max(session["capacity"] - len(taken), 0), "waitlisted": len(waiting)}

    def get_course(self, code: str) -> dict:
        course = self._course(code)
        sessions = [self._session_out(s) for s in self.sessions.values() if s["course_code"] == course["code"]]
        return {**course, "sessions": sorted(sessions, key=lambda s: s["starts_at"])}

    def add_session(self, course_code="FORKLIFT", capacity=2, starts_at="2030-04-02T16:00:00+00:00",
                    location="Burbank training centre, 2710 Winona Avenue") -> dict:
        session = {"id": str(uuid.uuid4()), "course_code": course_code, "location": location,
                   "starts_at": starts_at, "capacity": capacity, "cancelled": False}
        self.sessions[session["id"]] = session
        return self._session_out(session)

    # eligibility
    def _current(self, person_id: str, codes) -> dict | None:
        today = self.today().isoformat()
        found = [c for c in self.completions if c["person_id"] == person_id and c["course_code"] in codes
                 and (c["expires_on"] is None or c["expires_on"] >= today)]
        return max(found, key=lambda c: c["completed_on"]) if found else None

    def _refusal(self, person_id: str, course: dict) -> tuple[str, str] | None:
        """(why not, what unlocks it), or None when the person may enroll."""
        if course["kind"] == "application" and person_id not in self.unlocked:
            return ("Application training unlocks with your first verified work day in a classification you "
                    "applied for.", "Report one verified work day.")
        if course["kind"] == "craft" and person_id not in self.on_roster:
            return ("Craft courses open once you are on a roster or a training list.",
                    "Get placed on a roster or a training list.")
        for needed in course["prerequisites"]:
            if not self._current(person_id, HP_CODES if needed == "HP" else (needed,)):
                return (f"Course {needed} comes first.", f"Finish course {needed} first.")
        return None

    def _open(self, person_id: str, code: str) -> dict | None:
        return next((e for e in self.enrollments.values() if e["person_id"] == person_id
                     and e["course_code"] == code and e["status"] in ("enrolled", "waitlisted")), None)

    def my_training(self, person_id: str) -> dict:
        out = []
        for course in self.courses.values():
            done = self._current(person_id, (course["code"],))
            refusal = self._refusal(person_id, course)
            open_ = self._open(person_id, course["code"])
            if done:
                refusal = (f"You completed {course['code']} and it is current.", None)
            out.append({"course_code": course["code"], "title": course["title"], "delivery": course["delivery"],
                        "kind": course["kind"], "questionnaire": "HP" if course["code"] in HP_CODES else None,
                        "enrollment_status": open_["status"] if open_ else None,
                        "may_enroll": refusal is None, "why_not": refusal[0] if refusal else None,
                        "unlocks_with": refusal[1] if refusal else None, "current": bool(done),
                        "completed_on": done["completed_on"] if done else None,
                        "expires_on": done["expires_on"] if done else None,
                        "enrollment_id": open_["id"] if open_ else None})
        return {"courses": out}

    # enrolling and taking a course
    def _enrollment_out(self, e: dict) -> dict:
        return {k: v for k, v in e.items() if k not in ("person_id", "done", "attempts_used", "last_score",
                                                        "answers", "attended")}

    def enroll(self, person_id: str, payload: dict, actor: dict) -> dict:
        code = payload["course_code"]
        if code == "HP":
            answers = payload.get("answers") or {}
            if any(q["required"] and q["id"] not in answers for q in HP_QUESTIONNAIRE["questions"]):
                raise self.ValidationFailed("Answer the questionnaire: it decides between HP1 and HP2.")
            code = "HP2" if any(answers.values()) else "HP1"
        course = self._course(code)
        if self._current(person_id, (code,)):
            raise self.Conflict(f"You completed {code} and it is still current: there is nothing to retake yet.")
        refusal = self._refusal(person_id, course)
        if refusal:
            raise self.Conflict(f"You may not enroll in {code} yet. {refusal[0]} {refusal[1]}")
        existing = self._open(person_id, code)
        if existing:
            return self._enrollment_out(existing)
        status, position, session_id = "enrolled", None, payload.get("session_id")
        if course["delivery"] == "in_person":
            session = self.sessions.get(str(session_id)) if session_id else None
            if session is None or session["course_code"] != code:
                raise self.ValidationFailed("Choose one of the course's sessions.")
            if self._session_out(session)["seats_left"] == 0:
                status = "waitlisted"
                position = self._session_out(session)["waitlisted"] + 1
        self.answers.append(payload.get("answers") or {})
        e = {"id": str(uuid.uuid4()), "person_id": person_id, "course_code": code, "status": status,
             "session_id": str(session_id) if session_id else None, "waitlist_position": position,
             "enrolled_at": f"{self.today().isoformat()}T17:00:00+00:00", "completed_on": None,
             "done": [], "attempts_used": 0, "last_score": None, "answers": payload.get("answers")}
        self.enrollments[e["id"]] = e
        return self._enrollment_out(e)

    def list_enrollments(self, person_id: str) -> dict:
        return {"enrollments": [self._enrollment_out(e) for e in self.enrollments.values()
                                if e["person_id"] == person_id]}

    def _mine(self, person_id: str, enrollment_id: str) -> dict:
        e = self.enrollments.get(str(enrollment_id))
        if e is None or e["person_id"] != person_id:
            raise self.NotFound("No such enrollment.")
        return e

    def get_enrollment(self, person_id: str, enrollment_id: str) -> dict:
        e = self._mine(person_id, enrollment_id)
        course = self._course(e["course_code"])
        modules, quiz = self.content(e["course_code"]) if course["delivery"] == "online" else ([], [])
        return {**self._enrollment_out(e), "title": course["title"],
                "modules": [{**m, "done": m["id"] in e["done"]} for m in modules],
                "quiz": [{k: v for k, v in q.items() if k != "answer"} for q in quiz],
                "pass_mark": self.pass_mark if quiz else None,
                "attempts_left": self.attempts - e["attempts_used"] if quiz else None,
                "last_score": e["last_score"]}

    def save_progress(self, person_id: str, enrollment_id: str, payload: dict, actor: dict) -> dict:
        e = self._mine(person_id, enrollment_id)
        modules, _ = self.content(e["course_code"])
        if payload["module"] not in [m["id"] for m in modules]:
            raise self.ValidationFailed("This course has no such module.")
        if e["status"] != "enrolled":
            raise self.Conflict("This enrollment is not open.")
        if payload["module"] not in e["done"]:
            e["done"].append(payload["module"])
        return self.get_enrollment(person_id, enrollment_id)

    def _complete(self, person_id: str, code: str, source: str, score=None, on=None) -> dict:
        from datetime import date

        course = self._course(code)
        on = date.fromisoformat(on) if on else self.today()
        expires = None
        if course["refresher"]:
            expires = on.replace(year=on.year + course["refresher"]["years"]).isoformat()
        completion = {"id": str(uuid.uuid4()), "person_id": person_id, "course_code": code,
                      "title": course["title"], "completed_on": on.isoformat(), "expires_on": expires,
                      "score": score, "source": source, "status": "current"}
        self.completions.append(completion)
        return completion

    def submit_quiz(self, person_id: str, enrollment_id: str, payload: dict, actor: dict) -> dict:
        e = self._mine(person_id, enrollment_id)
        modules, quiz = self.content(e["course_code"])
        if e["status"] != "enrolled":
            raise self.Conflict("This enrollment is not open.")
        if len(e["done"]) < len(modules):
            raise self.Conflict("Finish every module before the quiz.")
        if e["attempts_used"] >= self.attempts:
            raise self.Conflict("You have used every attempt at this quiz. Call Contract Services.")
        e["attempts_used"] += 1
        answers = payload["answers"]
        wrong = [q["id"] for q in quiz if answers.get(q["id"]) != q["answer"]]
        score = round(100 * (len(quiz) - len(wrong)) / len(quiz))
        e["last_score"] = score
        passed = score >= self.pass_mark
        completion = None
        if passed:
            completion = self._complete(person_id, e["course_code"], "online", score)
            e.update(status="completed", completed_on=completion["completed_on"])
        return {"passed": passed, "score": score, "wrong": wrong,
                "attempts_left": self.attempts - e["attempts_used"], "completion": completion}

    def cancel_enrollment(self, person_id: str, enrollment_id: str, actor: dict) -> dict:
        e = self._mine(person_id, enrollment_id)
        if e["status"] not in ("enrolled", "waitlisted"):
            raise self.Conflict("This enrollment is not open.")
        was_seated = e["status"] == "enrolled"
        e.update(status="cancelled", waitlist_position=None)
        if was_seated and e["session_id"]:
            waiting = sorted((w for w in self.enrollments.values() if w["session_id"] == e["session_id"]
                              and w["status"] == "waitlisted"), key=lambda w: w["waitlist_position"])
            if waiting:
                waiting[0].update(status="enrolled", waitlist_position=None)
                for n, w in enumerate(waiting[1:], 1):
                    w["waitlist_position"] = n
        return self._enrollment_out(e)

    def transcript(self, person_id: str) -> dict:
        card = self.people.get(person_id, {})
        mine = sorted((c for c in self.completions if c["person_id"] == person_id),
                      key=lambda c: c["completed_on"], reverse=True)
        return {"person_id": person_id, **{k: card.get(k) for k in ("il_number", "first_name", "last_name")},
                "completions": mine}

    # staff
    def record_completion(self, payload: dict, actor: dict) -> dict:
        self._course(payload["course_code"])
        return self._complete(payload["person_id"], payload["course_code"], payload["source"],
                              payload.get("score"), payload["completed_on"])

    def schedule_session(self, payload: dict, actor: dict) -> dict:
        course = self._course(payload["course_code"])
        if course["delivery"] != "in_person":
            raise self.ValidationFailed(f"{course['code']} is taken online: it has no sessions.")
        return self.add_session(course["code"], payload["capacity"], payload["starts_at"], payload["location"])

    def list_sessions(self, filters: dict | None, actor: dict) -> dict:
        code = (filters or {}).get("course_code")
        found = [self._session_out(s) for s in self.sessions.values() if not code or s["course_code"] == code]
        return {"sessions": sorted(found, key=lambda s: s["starts_at"])}

    def get_session(self, session_id: str, actor: dict) -> dict:
        session = self.sessions.get(str(session_id))
        if session is None:
            raise self.NotFound("No such session.")
        seats = []
        for e in self.enrollments.values():
            if e["session_id"] == session["id"] and e["status"] != "cancelled":
                card = self.people.get(e["person_id"], {})
                seats.append({"enrollment_id": e["id"], "person_id": e["person_id"],
                              **{k: card.get(k) for k in ("il_number", "first_name", "last_name")},
                              "status": e["status"], "waitlist_position": e["waitlist_position"],
                              "attended": e.get("attended")})
        return {**self._session_out(session), "seats": seats}

    def record_attendance(self, session_id: str, payload: dict, actor: dict) -> dict:
        self.get_session(session_id, actor)
        for key, present in (("attended", True), ("absent", False)):
            for enrollment_id in payload.get(key, []):
                e = self.enrollments.get(str(enrollment_id))
                if e is None or e["session_id"] != str(session_id):
                    raise self.ValidationFailed("That person has no seat in this session.")
                if e["status"] == "waitlisted":
                    raise self.Conflict("Someone on the waitlist has no seat to attend.")
                e["attended"] = present
                if present and e["status"] == "enrolled":
                    completion = self._complete(e["person_id"], e["course_code"], "in_person")
                    e.update(status="completed", completed_on=completion["completed_on"])
        return self.get_session(session_id, actor)


# --- a notifications service in memory (the Message Center, preferences, deliveries) ------------------

class FakeNotifications:
    """The notifications service's Message Center RPCs over a dict, answering on a FakeRpc: newest
    first, filters, paging (`page_size` a page), read / unread / archive of one's own messages
    (anyone else's is NotFound), preferences with the mandatory categories, deliveries."""

    page_size = 20
    mandatory = ("deadline", "account")

    def __init__(self, rpc: FakeRpc):
        from common.errors import NotFound

        self.NotFound = NotFound
        self.messages: dict[str, dict] = {}
        self.preferences: dict[str, dict] = {}
        self.deliveries: dict[str, list] = {}
        self.changes: list[tuple] = []
        for method in ("list_messages", "unread_count", "mark_message_read", "mark_message_unread",
                       "archive_message", "get_preferences", "update_preferences", "list_deliveries"):
            rpc.answer("notifications", method, getattr(self, method))

    def add(self, person_id: str = PERSON_ID, category: str = "document", subject: str = "A message",
            **fields) -> dict:
        n = len(self.messages) + 1
        message = {"id": str(uuid.uuid4()), "person_id": person_id, "category": category, "subject": subject,
                   "body": f"Message {n}.", "deadline": None, "created_at": f"2024-03-{n:02d}T17:00:00+00:00",
                   "read": False, "link": None, "archived": False}
        message.update(fields)
        self.messages[message["id"]] = message
        return message

    @staticmethod
    def _out(message: dict) -> dict:
        return {k: v for k, v in message.items() if k != "person_id"}

    def unread_count(self, person_id: str) -> int:
        return sum(1 for m in self.messages.values()
                   if m["person_id"] == person_id and not m["read"] and not m["archived"])

    def list_messages(self, person_id: str, filters: dict | None = None) -> dict:
        filters = filters or {}
        found = [m for m in self.messages.values() if m["person_id"] == person_id
                 and m["archived"] == bool(filters.get("archived"))
                 and (not filters.get("category") or m["category"] == filters["category"])
                 and (not filters.get("unread") or not m["read"])]
        found.sort(key=lambda m: m["created_at"], reverse=True)
        page = filters.get("page") or 1
        pages = max(1, -(-len(found) // self.page_size))
        shown = found[(page - 1) * self.page_size:page * self.page_size]
        return {"messages": [self._out(m) for m in shown], "unread": self.unread_count(person_id),
                "page": page, "pages": pages, "total": len(found)}

    def _mine(self, person_id: str, message_id: str) -> dict:
        message = self.messages.get(str(message_id))
        if message is None or message["person_id"] != person_id:
            raise self.NotFound("No such message.")
        return message

    def mark_message_read(self, person_id: str, message_id: str, actor: dict) -> None:
        self._mine(person_id, message_id)["read"] = True
        self.changes.append(("read", message_id, actor))

    def mark_message_unread(self, person_id: str, message_id: str, actor: dict) -> None:
        self._mine(person_id, message_id)["read"] = False
        self.changes.append(("unread", message_id, actor))

    def archive_message(self, person_id: str, message_id: str, actor: dict) -> None:
        self._mine(person_id, message_id)["archived"] = True
        self.changes.append(("archive", message_id, actor))

    def get_preferences(self, person_id: str) -> dict:
        from common.contracts.notifications import CATEGORIES

        chosen = self.preferences.setdefault(person_id, {"email": {c: True for c in CATEGORIES}, "digest": False})
        return {"email": {**chosen["email"], **{c: True for c in self.mandatory}}, "digest": chosen["digest"],
                "mandatory": list(self.mandatory)}

    def update_preferences(self, person_id: str, payload: dict, actor: dict) -> dict:
        current = self.get_preferences(person_id)
        chosen = self.preferences[person_id]
        chosen["email"] = {**current["email"], **(payload.get("email") or {})}
        if payload.get("digest") is not None:
            chosen["digest"] = payload["digest"]
        self.changes.append(("preferences", payload, actor))
        return self.get_preferences(person_id)

    def list_deliveries(self, person_id: str, actor: dict) -> dict:
        return {"deliveries": self.deliveries.get(person_id, []), "email_undeliverable": False}
