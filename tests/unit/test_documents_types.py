"""Document types as data: the shipped file loads, agrees with the rosters catalog, and a bad file
is refused naming the field and the line."""
from __future__ import annotations

import pytest
from documents.document_types import DocumentTypesError, load_document_types, parse_document_types
from rosters.engine.rules import AllOf, AnyOf, Document


def catalog_document_types(files) -> set[str]:
    found = set()

    def walk(rule):
        if isinstance(rule, Document):
            found.add(rule.type)
        elif isinstance(rule, AnyOf | AllOf):
            for inner in rule.rules:
                walk(inner)

    for _path, catalog_file in files:
        for classification in catalog_file.classifications:
            for rule in (*classification.application, *classification.ongoing):
                walk(rule)
    return found


def test_every_document_type_the_rosters_catalog_names_exists(shipped_catalog_files):
    types = load_document_types()
    named = catalog_document_types(shipped_catalog_files)
    assert {"cdl_class_a", "dot_medical_certificate", "forklift_certificate"} <= named
    assert named - set(types.by_code) == set()


def test_the_labels_agree_with_the_ones_the_catalog_shows():
    types = load_document_types()
    assert types.label("cdl_class_a") == "Commercial Driver's License, Class A"
    assert types.label("dot_medical_certificate") == "DOT Medical Examiner's Certificate"


GOOD = """\
version: 1
document_types:
  - code: cdl_class_a
    label: CDL A
    expires: true
    checks: [Name matches]
"""


def test_a_good_file_loads():
    types = parse_document_types(GOOD)
    assert types.get("cdl_class_a").expires is True and "cdl_class_a" in types


@pytest.mark.parametrize("text, message", [
    (GOOD.replace("expires: true", "expires: perhaps"),
     "document_types.yml: document_types.0.expires: Input should be a valid boolean, unable to interpret "
     "input (line 5)"),
    (GOOD.replace("    label: CDL A\n", ""), "document_types.0.label: Field required"),
    (GOOD.replace("cdl_class_a", "CDL A"), "document_types.0.code: Value error, a document type code is lower"),
    (GOOD.replace("checks: [Name matches]", "checks: []"), "document_types.0.checks:"),
    (GOOD.replace("    checks", "    colour: blue\n    checks"), "document_types.0.colour: Extra inputs"),
    (GOOD + GOOD.split("document_types:\n")[1], "document_types.1.code: 'cdl_class_a' is given twice"),
    ("version: 1\ndocument_types: [\n", "not valid YAML"),
    ("- just a list\n", "expected a mapping"),
])
def test_a_bad_file_is_refused_naming_the_field(text, message):
    with pytest.raises(DocumentTypesError) as refused:
        parse_document_types(text)
    assert message in str(refused.value)


def test_a_bad_file_stops_the_service_at_start(tmp_path):
    from documents.document_types import DocumentTypesProvider

    bad = tmp_path / "types.yml"
    bad.write_text(GOOD.replace("expires: true", "expires: perhaps"))
    provider = DocumentTypesProvider(bad)
    provider.container = type("Container", (), {"config": {}})()
    with pytest.raises(DocumentTypesError, match="types.yml: document_types.0.expires"):
        provider.setup()
