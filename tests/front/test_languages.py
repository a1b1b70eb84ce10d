"""Languages: the page speaks the reader's language (Accept-Language or the switcher), English otherwise; the
signer's emails, and the roster challenge about their claim, are written in the language they signed in."""

import re

import pytest
from django.core import mail
from django.test import Client

from signatures import outbox
from signatures.emails import send_confirmation_email
from signatures.models import Signature
from signatures.tasks import send_owed_confirmations
from tests.support.factories import make_petition, make_roster_entry, make_signature

pytestmark = pytest.mark.django_db


@pytest.fixture
def letter(artists):
    return make_petition(title="Fair terms for artists", affiliations=[artists])


def page(client, path: str, **headers) -> tuple[int, str]:
    response = client.get(path, headers=headers)
    return response.status_code, response.content.decode()


def reader(language: str) -> Client:
    return Client(headers={"accept-language": language})


def html_part(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


@pytest.mark.parametrize(
    ("accept_language", "heading", "lang"),
    [
        ("en", "Open letters and petitions", "en"),
        ("fr-FR,fr;q=0.9,en;q=0.5", "Lettres ouvertes et pétitions", "fr"),
        ("es-419,es;q=0.8", "Cartas abiertas y peticiones", "es"),
        ("de-DE,de;q=0.9", "Open letters and petitions", "en"),  # not offered: English
        ("", "Open letters and petitions", "en"),
    ],
)
def test_the_list_of_letters_is_in_the_readers_language_or_english(client, accept_language, heading, lang):
    status, text = page(client, "/", accept_language=accept_language)
    assert status == 200
    assert f"<h1>{heading}</h1>" in text
    assert f'<html lang="{lang}"' in text


def test_the_petition_page_and_its_form_are_in_french(letter):
    status, text = page(reader("fr"), letter.get_absolute_url())
    assert status == 200
    for words in ["Derniers signataires", "Nom complet", "Appartenance que vous revendiquez", "(facultatif)", "Signer"]:
        assert words in text
    signing_form = text.split('<section aria-labelledby="sign">')[1].split("</section>")[0]
    labels = re.findall(r"<label[^>]*>([^<]+)", text.split("<main")[0]) + re.findall(
        r"<label[^>]*>([^<]+)", signing_form.split('<div class="hp">')[0] + signing_form.split("</div>", 1)[-1]
    )
    assert labels == [
        "Langue",
        "Nom complet",
        "Adresse e-mail",
        "Appartenance que vous revendiquez ",
        "L’adresse que votre groupe a pour vous ",
        "Fonction ",
        "Organisation ",
        "Commentaire ",
        "Afficher publiquement mon nom, mon appartenance et mon commentaire",
    ]


def test_form_errors_are_in_the_signers_language(letter):
    response = reader("es").post(f"/petitions/{letter.slug}/sign/", {"full_name": "1234", "email": ""})
    assert response.status_code == 400
    text = response.content.decode()
    assert "Su firma no se ha guardado" in text
    assert "Escriba su nombre." in text
    assert "Este campo es obligatorio." in text  # Django's own Spanish catalogue


@pytest.mark.parametrize(
    "accept_language",
    [
        "x" * 10_000,
        "fr;q=not-a-number, es;q=2, *;q=-1",
        "<script>alert(1)</script>",
        "'; DROP TABLE signatures; --",
        ",,,;;;===",
        "zz-ZZ-x-private-use-that-goes-on-and-on",
        "ar-EG,ar;q=0.9",  # a real language, not offered
        "fr-" + "a" * 300,
        "\u00e9\u00e8\u2603",
    ],
)
def test_a_hostile_or_unknown_accept_language_gets_a_normal_page(client, letter, accept_language):
    for path in ["/", letter.get_absolute_url(), f"/petitions/{letter.slug}/signatures/", "/signatures/resend/"]:
        response = client.get(path, headers={"accept-language": accept_language})
        assert response.status_code == 200, path
        assert response.content.decode().count("</html>") == 1


def test_an_overlong_query_string_gets_a_normal_page(client, letter):
    query = "?" + "&".join(f"utm_{n}={'x' * 200}" for n in range(100))  # 20 KB
    for path in ["/", letter.get_absolute_url(), "/signatures/resend/"]:
        response = client.get(path + query, headers={"accept-language": "fr"})
        assert response.status_code == 200, path
        assert 'lang="fr"' in response.content.decode()


def test_the_switcher_changes_the_language_and_comes_back_to_the_page(client, letter):
    status, text = page(client, letter.get_absolute_url(), accept_language="en")
    assert 'action="/i18n/setlang/"' in text and f'value="{letter.get_absolute_url()}"' in text
    response = client.post("/i18n/setlang/", {"language": "es", "next": letter.get_absolute_url()})
    assert response.status_code == 302
    assert response["Location"] == letter.get_absolute_url()
    status, text = page(client, letter.get_absolute_url(), accept_language="en")  # the choice beats the header
    assert '<html lang="es"' in text and "Firmantes recientes" in text


@pytest.mark.parametrize(
    "data",
    [
        {"language": "de", "next": "/"},
        {"language": "", "next": "/"},
        {"language": "x" * 5000, "next": "/"},
        {"language": "fr", "next": "https://evil.example/phish"},
        {"language": "fr", "next": "//evil.example/"},
        {"next": "/"},
        {},
    ],
)
def test_the_switcher_refuses_unknown_languages_and_foreign_redirects(client, data):
    response = client.post("/i18n/setlang/", data)
    assert response.status_code in (302, 204)
    assert "evil.example" not in response.get("Location", "")
    status, text = page(client, "/")
    expected = "fr" if data.get("language") == "fr" else "en"
    assert f'<html lang="{expected}"' in text


def test_the_switcher_is_a_form_with_a_button_on_every_public_page(client, letter):
    for path in ["/", letter.get_absolute_url(), f"/petitions/{letter.slug}/signatures/", "/signatures/resend/"]:
        text = page(client, path)[1]
        assert '<form class="languages" action="/i18n/setlang/" method="post">' in text
        assert "Change language" in text and 'lang="fr">Français</option>' in text


def test_the_language_the_signer_signed_in_is_stored_and_their_email_is_written_in_it(signer, letter):
    signer.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    response = signer.sign(letter, full_name="Marie Curie", email="marie@example.org", affiliation="sora-alpha-artist")
    assert response.status_code == 200 and "Consultez vos e-mails" in response.content.decode()
    assert Signature.objects.get().language == "fr"
    [message] = mail.outbox
    assert message.subject == "Confirmez votre signature\u00a0: Fair terms for artists"
    assert "Bonjour Marie Curie," in message.body
    assert "Appartenance revendiquée\u00a0: Sora alpha artists" in message.body
    html = html_part(message)
    assert '<html lang="fr"' in html and "Confirmer ma signature" in html and "Bonjour Marie Curie," in html
    assert message.extra_headers["Content-Language"] == "fr"


def test_an_email_sent_later_by_a_worker_is_still_in_the_signers_language(signer, letter):
    """A worker has no request, and no language active: the language comes from the signature."""
    signer.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "es"
    signer.sign(letter, full_name="Ana", email="ana@example.org")
    mail.outbox.clear()
    signature = Signature.objects.get()
    outbox.owe_confirmation(signature.pk)  # still owed, as when the first attempt failed (signatures.outbox)
    send_owed_confirmations.delay()  # outside any request, as a worker runs it
    [message] = mail.outbox
    assert message.subject.startswith("Confirme su firma:")
    assert "Hola, Ana:" in message.body


def test_one_batch_writes_each_email_in_its_own_signers_language(signer, letter):
    """The worker sends a batch in one run: each email in its signer's language, whatever the one before."""
    for language, name in [("fr", "Marie"), ("es", "Ana"), ("en", "Ada")]:
        signer.client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
        signer.sign(letter, full_name=name, email=f"{name.lower()}@example.org")
    mail.outbox.clear()
    for signature in Signature.objects.all():
        outbox.owe_confirmation(signature.pk)
    assert send_owed_confirmations.delay().get() == 3  # one run, three emails
    subjects = {m.to[0]: m.subject.split(":")[0].strip() for m in mail.outbox}
    assert subjects == {
        "marie@example.org": "Confirmez votre signature",
        "ana@example.org": "Confirme su firma",
        "ada@example.org": "Confirm your signature",
    }


def test_signing_again_in_another_language_writes_the_next_email_in_it(signer, letter):
    for language in ["fr", "es"]:
        signer.client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
        signer.sign(letter, full_name="Ana", email="ana@example.org")
    assert Signature.objects.get().language == "es"
    assert [m.subject.split(":")[0].strip() for m in mail.outbox] == ["Confirmez votre signature", "Confirme su firma"]


def test_a_stored_language_no_longer_offered_falls_back_to_english(letter):
    signature = make_signature(letter, email="old@example.org", confirmed=False)
    Signature.objects.filter(pk=signature.pk).update(language="de")
    send_confirmation_email(Signature.objects.get(pk=signature.pk))
    [message] = mail.outbox
    assert message.subject.startswith("Confirm your signature:")


def test_the_roster_challenge_is_written_in_the_language_of_the_page_the_claim_was_made_on(signer, letter, artists):
    make_roster_entry(artists, "Ana Castillo", "ana@studio.example")
    signer.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "es"
    signer.sign(letter, full_name="Ana Castillo", email="impostor@mail.example", affiliation=artists.slug)
    signer.post(signer.confirm_link("impostor@mail.example"))
    [challenge] = [m for m in mail.outbox if "ana@studio.example" in m.to]
    assert challenge.subject == "¿Ha firmado usted «Fair terms for artists»?"
    assert "Hola, Ana Castillo:" in challenge.body
    assert "¿Fue usted?" in challenge.body
    assert "¿Fue usted?" in html_part(challenge)
    link = re.search(r"https?://[^/\s]+(/signatures/challenge/\S+/)", challenge.body).group(1)
    assert "Sí, fui yo" in signer.get(link).content.decode()  # the page follows the reader, here Spanish too


def test_after_a_refused_signature_the_switcher_comes_back_to_the_petition(client, letter):
    response = client.post(f"/petitions/{letter.slug}/sign/", {"full_name": "", "email": ""})
    assert response.status_code == 400
    assert f'name="next" value="{letter.get_absolute_url()}"' in response.content.decode()
