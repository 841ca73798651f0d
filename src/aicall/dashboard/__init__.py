"""The operators' web application: server-rendered pages on the same services as the public API.

Layout (each page area is one module under `pages/`, with its templates under
`templates/<area>/` and its English strings in `locales/en/<area>.json`):

* `routes.py`      mounts everything on the ASGI app: static files, session cookie, page routers
* `deps.py`        `CurrentUser` (redirects to /login when signed out), `Csrf` (checks every POST)
* `templating.py`  `render(request, "area/page.html", {...})`: Jinja2 with `_()`, filters, csrf
* `i18n.py`        Vietnamese is the source language; `locales/en/*.json` map it to English
* `reasons/`       the services' (English, the API's) reasons said in the page's language
* `formatting.py`  `1.500.000 đ`, `30/11/2026 14:05`, `45,3 %` (Vietnamese conventions)
* `throttle.py`    login throttling per (email, address) and per address
* `errors.py`      `PageNotFound` (another account's id looks exactly like a missing one)

Nothing imports this package (ARCHITECTURE: nothing imports `dashboard/` or `cli.py`).
"""
