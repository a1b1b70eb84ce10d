"""The roster challenge link, opened at the roster address: GET shows the question, only a POST answers it."""

from django.shortcuts import render
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from signatures import tokens
from verification import challenges, claims

ANSWERS = {"yes": True, "no": False}


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def challenge(request, token: str):
    try:
        if request.method == "POST":
            answer = request.POST.get("answer", "")
            if answer not in ANSWERS:
                return _page(request, challenges.shown(token), status=400, error=True)
            answered = claims.answer_challenge(challenges.read(token), ANSWERS[answer])
            return render(request, "verification/challenge_answered.html", {"challenge": answered})
        return _page(request, challenges.shown(token))
    except (tokens.BadToken, challenges.ChallengeClosed):
        return render(
            request,
            "signatures/bad_request.html",
            {
                "message": gettext(
                    "This link has been answered already, has expired, or is not valid. Nothing was changed."
                )
            },
            status=400,
        )


def _page(request, challenge, status: int = 200, error: bool = False):
    signature = challenge.signature
    context = {
        "challenge": challenge,
        "petition": signature.petition,
        "typed_name": signature.full_name,
        "affiliation": signature.affiliation,
        "error": error,
    }
    return render(request, "verification/challenge.html", context, status=status)
