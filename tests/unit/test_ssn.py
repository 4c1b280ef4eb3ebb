import pytest
from accounts import ssn
from cryptography.exceptions import InvalidTag


@pytest.mark.parametrize("raw", ["123-45-6789", "123456789", " 123-45-6789 "])
def test_ssn_is_normalised_to_nine_digits(raw):
    assert ssn.normalise_ssn(raw) == "123456789"


@pytest.mark.parametrize("raw", ["12-34", "123-45-678", "abc-de-fghi", "000-12-3456", "666-12-3456",
                                 "912-34-5678", "123-00-4567", "123-45-0000", ""])
def test_impossible_ssns_are_refused(raw):
    with pytest.raises(ValueError):
        ssn.normalise_ssn(raw)


def test_ssn_is_encrypted_with_a_fresh_nonce_and_decrypts_back():
    first, second = ssn.encrypt_ssn("123456789"), ssn.encrypt_ssn("123456789")
    assert first != second and b"123456789" not in first
    assert ssn.decrypt_ssn(first) == ssn.decrypt_ssn(second) == "123456789"


def test_a_different_key_cannot_decrypt():
    blob = ssn.encrypt_ssn("123456789", {"HUB_SSN_KEY": "key-one"})
    with pytest.raises(InvalidTag):
        ssn.decrypt_ssn(blob, {"HUB_SSN_KEY": "key-two"})


def test_blind_index_is_stable_per_key_and_reveals_nothing_plain():
    index = ssn.ssn_index("123456789", {"HUB_SSN_KEY": "k"})
    assert index == ssn.ssn_index("123456789", {"HUB_SSN_KEY": "k"})
    assert index != ssn.ssn_index("123456789", {"HUB_SSN_KEY": "other"})
    assert "6789" not in index


def test_ssn_is_shown_masked():
    assert ssn.mask_ssn("123456789") == "***-**-6789"


def test_each_key_is_derived_once_per_process_not_once_per_record(monkeypatch):
    import uuid

    from common import identity

    derivations = []
    real_hkdf = identity.HKDF

    def counting_hkdf(*args, **kwargs):
        derivations.append(kwargs.get("info"))
        return real_hkdf(*args, **kwargs)

    monkeypatch.setattr(identity, "HKDF", counting_hkdf)
    config = {"HUB_SSN_KEY": f"batch-key-{uuid.uuid4()}"}
    for _ in range(500):
        blob = ssn.encrypt_ssn("123456789", config)
        ssn.ssn_index("123456789", config)
        ssn.decrypt_ssn(blob, config)
    assert sorted(derivations) == [b"ssn-blind-index", b"ssn-encryption"]
    assert ssn.ssn_index("123456789", {"HUB_SSN_KEY": "another-key"}) != ssn.ssn_index("123456789", config)
