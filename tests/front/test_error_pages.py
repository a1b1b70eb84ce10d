"""The error pages Django shows when DEBUG is off: friendly, in the site's layout, and the 500 page safe to render."""

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.template import loader
from django.test import Client, RequestFactory
from django.views import defaults

from tests.support.factories import make_petition

pytestmark = pytest.mark.django_db


def request():
    return RequestFactory().get("/somewhere/")


def test_404_page_is_friendly():
    response = defaults.page_not_found(request(), Exception("x"))
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_403_page_is_friendly():
    response = defaults.permission_denied(request(), PermissionDenied())
    assert response.status_code == 403
    assert "Not allowed" in response.content.decode()


def test_400_page_is_friendly():
    response = defaults.bad_request(request(), SuspiciousOperation())
    assert response.status_code == 400
    assert "Bad request" in response.content.decode()


def test_500_page_renders_without_context_or_request():
    response = defaults.server_error(request())
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


def test_500_page_uses_no_template_logic():
    source = loader.get_template("500.html").template.source
    assert "{%" not in source
    assert "{{" not in source


def test_a_form_posted_without_its_csrf_token_gets_a_clear_page():
    petition = make_petition()
    response = Client(enforce_csrf_checks=True).post(f"/petitions/{petition.slug}/sign/", {"full_name": "Ada"})
    assert response.status_code == 403
    assert "Please try again" in response.content.decode()
