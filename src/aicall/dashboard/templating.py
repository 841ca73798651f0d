"""Rendering pages: one Jinja2 environment, the interface language, Vietnamese formats, CSRF.

Every template gets `_` (translate), `lang`, `user`, `csrf_token`, `request`, and the functions
`money()`, `number()`, `percent()`, `when()`, `duration()` bound to the page's language, and
`reason()`: a service's (English) reason said in the page's language (`reasons.explain`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from aicall import __version__
from aicall.dashboard import formatting, reasons
from aicall.dashboard.deps import CSRF_FIELD, CSRF_HEADER, csrf_token
from aicall.dashboard.i18n import LANGUAGE_COOKIE, Translator, pick_language

TEMPLATES = Path(__file__).parent / "templates"

environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def language_of(request: Request) -> str:
    """The page language: the `aicall_lang` cookie, else Vietnamese."""
    return pick_language(request.cookies.get(LANGUAGE_COOKIE))


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render `templates/<template>` with the page context every template may use."""
    lang = language_of(request)
    translate = Translator(lang)
    values: dict[str, Any] = {
        "request": request,
        "lang": lang,
        "_": translate,
        "reason": lambda text: reasons.explain(text, translate),
        "user": getattr(request.state, "user", None),
        "csrf_token": csrf_token(request),
        "csrf_field": CSRF_FIELD,
        "csrf_header": CSRF_HEADER,
        "version": __version__,
        "money": lambda v: formatting.money(v, lang),
        "number": lambda v, decimals=0: formatting.number(v, lang, decimals),
        "percent": lambda v: formatting.percent(v, lang),
        "when": formatting.when,
        "duration": formatting.duration,
        "errors": {},
        "values": {},
        "form_error": None,
    }
    values.update(context or {})
    html = environment.get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code, headers=headers)
