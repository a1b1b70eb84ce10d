"""The canonical keys that make matching ignore how people type names and addresses."""

import pytest

from signatures.addresses import email_domain, email_key
from verification.names import name_key


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("JANE DOE", "jane doe"),
        ("María Núñez", "Maria Nunez"),
        ("  Jane   Doe ", "jane doe"),
        ("Jane\tDoe", "jane doe"),
        ("Jane-Doe", "jane doe"),
        ("Jane. Doe!", "jane doe"),
        ("Doe, Jane", "jane doe"),
        ("Doe Jane", "jane doe"),
        ("Łukasz Żółć", "lukasz zolc"),
        ("Søren Kierkegård", "soren kierkegard"),
        ("Straße", "strasse"),
        ("O'Brien, Seán", "sean obrien"),
        ("D’Angelo Ana", "ana dangelo"),
        ("ＪＡＮＥ　ＤＯＥ", "jane doe"),
    ],
)
def test_name_key_ignores_case_accents_spacing_punctuation_and_order(typed, canonical):
    assert name_key(typed) == name_key(canonical)


def test_name_key_keeps_different_names_apart():
    assert name_key("Jane Doe") != name_key("Jane Dole")
    assert name_key("Ana Nunez") != name_key("Ana Nunes")


def test_name_key_of_punctuation_only_is_empty():
    assert name_key(" -., ") == ""


def test_name_key_keeps_non_latin_scripts():
    assert name_key("山田 太郎") == name_key("太郎 山田")
    assert name_key("山田 太郎") != ""


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("Jane.Doe@Example.ORG", "jane.doe@example.org"),
        ("  jane@example.org ", "jane@example.org"),
        ("jane+petitions@example.org", "jane@example.org"),
        ("JANE+A+B@EXAMPLE.ORG", "jane@example.org"),
        ("jane.doe@gmail.com", "janedoe@gmail.com"),
        ("J.a.n.e.D.o.e+x@GMail.com", "janedoe@gmail.com"),
        ("jane.doe@googlemail.com", "janedoe@gmail.com"),
    ],
)
def test_email_key_gives_one_key_per_mailbox(typed, canonical):
    assert email_key(typed) == email_key(canonical)


def test_email_key_keeps_dots_outside_gmail():
    assert email_key("jane.doe@example.org") != email_key("janedoe@example.org")


def test_email_key_keeps_different_mailboxes_apart():
    assert email_key("jane@example.org") != email_key("jane@example.com")
    assert email_key("jane@example.org") != email_key("john@example.org")


def test_email_key_of_an_address_starting_with_plus_keeps_the_local_part():
    assert email_key("+jane@example.org") == "+jane@example.org"


def test_email_domain_is_lower_case_and_after_the_last_at():
    assert email_domain("Jane@Mail.Example.ORG") == "mail.example.org"
