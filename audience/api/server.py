"""`audience serve`: run the scoring API with uvicorn."""

from __future__ import annotations

from pathlib import Path


def serve(bi_path: Path, keys_path: Path, host: str, port: int, access_log: bool = False) -> None:
    import uvicorn

    from .app import create_app

    app = create_app(bi_path, keys_path)
    print(
        f"audience API on http://{host}:{port} (docs /docs, schema /openapi.json), BI file {bi_path}, "
        f"keys {keys_path}",
        flush=True,
    )
    uvicorn.run(app, host=host, port=port, access_log=access_log, log_level="info")
