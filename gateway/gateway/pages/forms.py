"""Form handling shared by the pages: pydantic validation with messages per field."""
from __future__ import annotations

from pydantic import BaseModel, ValidationError

FRIENDLY = {
    "email": "Enter an e-mail address like name@example.com.",
    "password": "Use at least 10 characters.",
    "date_of_birth": "Enter your date of birth.",
    "ssn": "Enter a 9-digit SSN like 123-45-6789.",
    "new_password": "Use at least 10 characters.",
    "current_password": "Enter your current password.",
    "first_name": "Enter the first name.",
    "last_name": "Enter the last name.",
    "phone": "Enter a phone number like 818-555-0100.",
    "postal_code": "Enter a ZIP code like 91504.",
}


def validate_form(model: type[BaseModel], values: dict) -> tuple[BaseModel | None, dict]:
    """(model, {}) when valid, else (None, {field: message}) in plain language."""
    try:
        return model.model_validate(values), {}
    except ValidationError as exc:
        errors = {}
        for err in exc.errors():
            field = str(err["loc"][0]) if err.get("loc") else "form"
            message = err.get("msg", "")
            if message.startswith("Value error, "):
                message = message.removeprefix("Value error, ")
                message = message[0].upper() + message[1:]
                if not message.endswith("."):
                    message += "."
            else:
                message = FRIENDLY.get(field, "Please check this field.")
            errors.setdefault(field, message)
        return None, errors
