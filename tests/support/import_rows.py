"""What the tests of each service's legacy-import rows share: a person as accounts announces an
imported one, and rows numbered as the file's lines (the header is line 1)."""
import uuid

from common.events.accounts import PersonRegistered


def register_imported(service, il_number: str, person_id=None) -> uuid.UUID:
    """Hand the service the person_registered event of someone imported without an account."""
    person_id = uuid.UUID(str(person_id)) if person_id else uuid.uuid4()
    service.handle_person_registered(PersonRegistered(
        person_id=person_id, il_number=il_number, first_name="Ana", last_name="Mator",
        origin="import", has_account=False).model_dump(mode="json"))
    return person_id


def numbered_rows(*values: dict) -> list[dict]:
    """The rows of a file whose header is line 1: the first row is line 2."""
    return [{"line": i + 2, "values": v} for i, v in enumerate(values)]
