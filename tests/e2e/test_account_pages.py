"""The allauth pages (sign in, sign up, password reset, e-mail confirmation) look like the platform and pass axe."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import describe, log_in, run_axe

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def check_page(page, name: str, screenshots) -> None:
    """Platform frame, labelled Bootstrap inputs, no serious axe violation; keeps a screenshot."""
    expect(page.locator("nav.gp-navbar")).to_be_visible()
    expect(page.locator("main .gp-account")).to_be_visible()
    for field in page.locator("main form input:not([type=hidden])").all():
        field_id = field.get_attribute("id")
        assert field_id and page.locator(f"label[for='{field_id}']").count() == 1, f"{name}: {field_id} unlabelled"
        assert re.search(r"\bform-(control|check-input)\b", field.get_attribute("class") or ""), field_id
    page.screenshot(path=screenshots / f"account-{name}.png", full_page=True)
    violations = [v for v in run_axe(page) if v["impact"] in {"serious", "critical"}]
    assert not violations, f"{name}: {page.url}\n{describe(violations)}"


def test_login_page_and_wrong_password(page, producer_a, screenshots):
    page.goto("/comptes/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")
    expect(page.get_by_label("Identifiant")).to_be_visible()
    expect(page.get_by_label("Mot de passe")).to_be_visible()
    expect(page.get_by_role("link", name="Mot de passe oublié ?")).to_be_visible()
    check_page(page, "login", screenshots)

    page.fill("input[name=login]", "producteur-a")
    page.fill("input[name=password]", "pas-le-bon")
    page.get_by_role("button", name="Connexion").click()
    expect(page.get_by_role("alert")).to_be_visible()
    check_page(page, "login-error", screenshots)

    log_in(page, "producteur-a")
    expect(page).to_have_url(re.compile(r"/$"))


def test_signup_page_shows_field_errors(page, db, screenshots):
    page.goto("/comptes/signup/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Création de compte")
    check_page(page, "signup", screenshots)
    page.get_by_label("Courriel").fill("nouvelle@example.org")
    page.get_by_label("Nom de l'utilisateur").fill("nouvelle")
    page.get_by_label("Mot de passe", exact=True).fill("court")
    page.get_by_label("Mot de passe (confirmation)").fill("court")
    page.locator("main form button[type=submit]").click()
    password = page.locator("input[name=password1]")
    expect(password).to_have_attribute("aria-invalid", "true")
    error_id = password.get_attribute("aria-describedby").split()[0]
    expect(page.locator(f"#{error_id}")).to_be_visible()
    check_page(page, "signup-errors", screenshots)


def test_password_reset_pages(page, producer_a, screenshots):
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    page.goto("/comptes/password/reset/")
    check_page(page, "password-reset", screenshots)
    page.get_by_label("Courriel").fill("producteur-a@example.org")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/password/reset/done/"))
    check_page(page, "password-reset-done", screenshots)

    key = default_token_generator.make_token(producer_a)
    page.goto(f"/comptes/password/reset/key/{user_pk_to_url_str(producer_a)}-{key}/")
    expect(page.locator("input[name=password1]")).to_be_visible()
    check_page(page, "password-reset-from-key", screenshots)


def test_email_confirmation_page(page, db, screenshots):
    from allauth.account.models import EmailAddress, EmailConfirmationHMAC

    from geoplatform.models import User

    user = User.objects.create_user("nouveau", "nouveau@example.org", "nouveau-demo")
    address = EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    page.goto(f"/comptes/confirm-email/{EmailConfirmationHMAC(address).key}/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("main")).to_contain_text("nouveau@example.org")
    check_page(page, "email-confirm", screenshots)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/comptes/login/"))
    assert EmailAddress.objects.get(pk=address.pk).verified


def test_manage_pages_for_a_signed_in_user(page, producer_a, screenshots):
    log_in(page, "producteur-a")
    for name, url, tab in [
        ("profile", "/comptes/profil/", "Mon profil"),
        ("email", "/comptes/email/", "Adresses électroniques"),
        ("password-change", "/comptes/password/change/", "Mot de passe"),
    ]:
        page.goto(url)
        account_nav = page.get_by_role("navigation", name="Mon compte")
        expect(account_nav.get_by_role("link", name=tab, exact=True)).to_have_attribute("aria-current", "page")
        check_page(page, name, screenshots)
