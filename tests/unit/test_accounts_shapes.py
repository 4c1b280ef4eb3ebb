"""What the accounts shapes accept: names people can see, and an OpenAPI that states the rules."""
import pytest
from pydantic import ValidationError

from common.contracts.accounts import (
    ChangePasswordIn,
    ClaimIn,
    CreateAccountIn,
    CreatePersonIn,
    ProfilePatch,
    StaffAccountIn,
)
from tests.support.factories import make_person

UNSEEN_OR_CONTROL = [
    "Pat\x00rick",          # NUL
    "\u202eKIRTAP",         # right-to-left override
    "Pat\u2066ri\u2069ck",  # bidi isolates
    "Pat\x1brick",          # escape
    "Pat\u00adrick",        # soft hyphen (Cf)
    "\u200b",               # only a zero-width space
    " \u200b\ufeff ",       # only whitespace and zero-width characters
    "\u3000",               # only an ideographic space
]


def name_errors(error: ValidationError) -> dict:
    return {".".join(map(str, e["loc"])): e["msg"] for e in error.errors()}


@pytest.mark.parametrize("name", UNSEEN_OR_CONTROL)
@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_create_account_refuses_names_with_control_or_invisible_characters(field, name):
    with pytest.raises(ValidationError) as error:
        CreateAccountIn(**make_person(**{field: name}))
    assert field in name_errors(error.value)
    assert "name" in name_errors(error.value)[field].lower()


@pytest.mark.parametrize("name", UNSEEN_OR_CONTROL)
def test_staff_created_people_refuse_names_with_control_or_invisible_characters(name):
    data = make_person(last_name=name)
    data.pop("password")
    with pytest.raises(ValidationError) as error:
        CreatePersonIn(**data)
    assert "last_name" in name_errors(error.value)


@pytest.mark.parametrize("field", ["address_line1", "address_line2", "city", "state"])
def test_profile_updates_refuse_control_characters_in_text(field):
    with pytest.raises(ValidationError) as error:
        ProfilePatch(**{field: "Main\u202e Street"})
    assert field in name_errors(error.value)


@pytest.mark.parametrize("field", ["display_name", "organisation"])
def test_staff_accounts_refuse_invisible_names(field):
    data = {"email": "rep@example.com", "password": "a-long-password-for-staff-1",
            "display_name": "Sam Rep", "roles": ["staff_reviewer"], field: "\u200b\u200b"}
    with pytest.raises(ValidationError) as error:
        StaffAccountIn(**data)
    assert field in name_errors(error.value)


@pytest.mark.parametrize("name", ["Zoë", "O'Brien-Smith", "José María", "Nguyễn", "李", "محمد",
                                  "Ōtsuka", "Mehr\u200cdad"])
def test_real_names_in_any_script_are_accepted(name):
    assert CreateAccountIn(**make_person(first_name=name)).first_name == name


def test_the_openapi_states_the_ssn_pattern_and_the_password_rules():
    ssn = CreateAccountIn.model_json_schema()["properties"]["ssn"]
    assert ssn["pattern"] == r"^\d{3}-?\d{2}-?\d{4}$"
    for model, field in [(CreateAccountIn, "password"), (ClaimIn, "password"),
                         (ChangePasswordIn, "new_password"), (StaffAccountIn, "password")]:
        description = model.model_json_schema()["properties"][field]["description"]
        assert "10" in description and "guess" in description


def test_a_badly_formed_ssn_still_gets_a_plain_message():
    with pytest.raises(ValidationError) as error:
        CreateAccountIn(**make_person(ssn="12-345-6789"))
    assert "9 digits" in name_errors(error.value)["ssn"]
