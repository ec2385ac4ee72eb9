"""Read-only scoring API over the published BI file (`audience serve`; README, "Scoring API for a CRM").

Modules: `keys` (hashed API keys and scopes), `snapshot` (one publish of the BI file, swapped when
a new one appears), `queries` (parameterized reads), `schemas` (request and response bodies),
`app` (routes and errors) and `server` (uvicorn). Needs the `api` extra: pip install -e ".[api]".
"""
