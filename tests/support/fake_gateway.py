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
        self.answers = {}
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
