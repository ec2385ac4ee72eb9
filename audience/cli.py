"""Command-line interface: `audience generate`, `append-day`, `summary`, `report`, `serve` and `api-key`."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

DEFAULT_DB = "warehouse/audience.duckdb"
DEFAULT_REPORT = "reports/audience_report.html"


def _cmd_generate(args: argparse.Namespace) -> int:
    from audience import synth

    try:
        shape = synth.Shape(
            sources=tuple(s.strip() for s in args.sources.split(",") if s.strip()),
            one_time_share=args.one_time_share,
            currency=args.currency.upper(),
            mixed_currency_share=args.mixed_currency_share,
            cancel_rate=args.cancel_rate,
            drop_columns=tuple(c.strip() for c in args.drop_columns.split(",") if c.strip()),
        )
    except ValueError as exc:
        print(f"audience generate: {exc}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    print(
        f"generating {args.customers:,} customers (seed {args.seed}, {args.format}) into {args.out}",
        flush=True,
    )

    chunks: list[int] = []

    def progress(done: int, total: int, rows: dict[str, int]) -> None:
        chunks.append(done)
        if done == total and len(chunks) == 1:
            return  # one chunk: the table below says it all
        tables = ", ".join(f"{stem} {n:,}" for stem, n in rows.items())
        elapsed = time.perf_counter() - start
        print(f"  {done:>9,}/{total:,} customers simulated ({elapsed:5.1f}s): {tables}", flush=True)

    counts = synth.generate(
        args.customers,
        shape=shape,
        seed=args.seed,
        out_dir=args.out,
        mess_rate=args.mess_rate,
        fmt=args.format,
        end_date=args.end_date,
        progress=progress,
    )
    elapsed = time.perf_counter() - start
    for stem, n in counts.items():
        print(f"  {stem:<20} {n:>12,} rows")
    print(f"generated {args.customers:,} customers into {args.out} in {elapsed:.1f}s")
    return 0


def _cmd_append_day(args: argparse.Namespace) -> int:
    from audience import synth

    start = time.perf_counter()
    counts = synth.append_day(args.out, seed=args.seed)
    for stem, n in counts.items():
        print(f"  {stem:<20} {n:>12,} rows appended")
    print(f"appended one day to {args.out} in {time.perf_counter() - start:.1f}s")
    return 0


def _cmd_summary(args: argparse.Namespace) -> int:
    from audience.build_summary import coverage_text, summary_text

    path = args.db or os.environ.get("AUDIENCE_DUCKDB_PATH", DEFAULT_DB)
    if not Path(path).exists():
        print(f"no warehouse at {path}: run `make build` first", file=sys.stderr)
        return 1
    print(summary_text(path))
    coverage = coverage_text(path)
    if coverage:
        print(coverage)
    print(_locations(path, args))
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    import duckdb

    from audience.segment_report import write_report

    path = args.db or os.environ.get("AUDIENCE_DUCKDB_PATH", DEFAULT_DB)
    if not Path(path).exists():
        print(f"no warehouse at {path}: run `make build` first", file=sys.stderr)
        return 1
    start = time.perf_counter()
    try:
        out = write_report(path, args.out)
    except duckdb.IOException as exc:
        # typically the write lock of a running `dbt build` on the same file
        print(f"cannot open the warehouse {path} read-only: {exc}", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - start
    size_kb = out.stat().st_size / 1024
    print(f"report written to {out.resolve()} ({size_kb:,.0f} KiB, {elapsed:.1f}s)")
    return 0


def _api_paths(args: argparse.Namespace) -> tuple[Path, Path]:
    from audience.api.keys import keys_path
    from audience.bi_publish import default_bi_path

    db = os.environ.get("AUDIENCE_DUCKDB_PATH", DEFAULT_DB)
    return Path(args.bi or default_bi_path(db)), keys_path(args.keys)


def _cmd_serve(args: argparse.Namespace) -> int:
    try:
        from audience.api.server import serve
    except ImportError as exc:
        print(f"the API needs the api extra ({exc.name} missing): pip install -e \".[api]\"", file=sys.stderr)
        return 1
    bi, keys = _api_paths(args)
    serve(bi, keys, args.host, args.port, access_log=args.access_log)
    return 0


def _cmd_api_key(args: argparse.Namespace) -> int:
    from audience.api import keys as api_keys

    _, path = _api_paths(args)
    if args.action == "create":
        try:
            key, record = api_keys.create_key(path, args.name, args.scope)
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 2
        scopes = ", ".join(record.scopes) or "none (scores and segments only)"
        print(f"created API key {record.key_id} ({args.name}; scopes: {scopes}) in {path}")
        print("the key, shown only now (the file keeps its hash):")
        print(key)
    elif args.action == "revoke":
        try:
            record = api_keys.revoke_key(path, args.key_id)
        except KeyError as exc:
            print(exc.args[0], file=sys.stderr)
            return 1
        print(f"revoked API key {record.key_id} ({record.name}) at {record.revoked_at}")
    else:
        for k in api_keys.list_keys(path):
            state = f"revoked {k.revoked_at}" if k.revoked_at else "active"
            scopes = ",".join(k.scopes) or "-"
            print(f"{k.key_id}  {k.name:<24} scopes={scopes:<6} created {k.created_at}  {state}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from audience import exporter

    out = Path(args.out or os.environ.get("AUDIENCE_EXPORT_PATH", "exports"))
    if args.target == "spark":
        read, close = exporter.spark_reader(args.spark_dir, args.schema or "audience")
    else:
        path = args.db or os.environ.get("AUDIENCE_DUCKDB_PATH", DEFAULT_DB)
        read, close = exporter.duckdb_reader(path, args.schema or "main")
    try:
        written = exporter.write_exports(read, out)
    except exporter.ExportMismatch as err:
        print(f"audience export: {err}", file=sys.stderr)
        return 1
    finally:
        close()
    print(f"wrote {len(written)} files and {out / 'manifest.csv'}")
    return 0


def _locations(db_path: str, args: argparse.Namespace) -> str:
    from audience.bi_publish import default_bi_path
    from audience.build_summary import locations_text

    exports = args.exports or os.environ.get("AUDIENCE_EXPORT_PATH", "exports")
    return locations_text(db_path, default_bi_path(db_path), exports, args.target_dir, args.report)


_DB_HELP = f"DuckDB file (default $AUDIENCE_DUCKDB_PATH or {DEFAULT_DB})"
_BI_HELP = "BI file to serve (default: $AUDIENCE_BI_PATH or the warehouse's _bi.duckdb)"
_KEYS_HELP = "API key file (default: $AUDIENCE_API_KEYS or warehouse/api_keys.json)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="audience", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    _generate_args(sub.add_parser("generate", help="write synthetic raw data for every source"))
    _append_day_args(
        sub.add_parser("append-day", help="append one new day of events and orders as batch files")
    )
    _summary_args(sub.add_parser("summary", help="print rows per mart, segment sizes, where the outputs are"))
    _report_args(sub.add_parser("report", help="write a self-contained HTML report of the segments"))
    _serve_args(sub.add_parser("serve", help="start the read-only scoring API over the BI file (api extra)"))
    _export_args(sub.add_parser("export", help="write the activation files from the export tables"))
    _api_key_args(sub.add_parser("api-key", help="create, revoke or list the scoring API's keys"))
    return parser


def _generate_args(gen: argparse.ArgumentParser) -> None:
    gen.add_argument("--customers", type=int, default=20000, help="number of customers")
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--out", default="data/raw", help="raw folder to write into")
    gen.add_argument("--mess-rate", type=float, default=0.02, help="share of rows given each defect")
    gen.add_argument("--format", choices=("csv", "parquet"), default="csv")
    gen.add_argument("--end-date", default="2025-12-31", help="last day of the simulated history")
    _shape_args(gen)
    gen.set_defaults(func=_cmd_generate)


def _shape_args(gen: argparse.ArgumentParser) -> None:
    shapes = gen.add_argument_group("shape of the export (defaults: the full synthetic shop)")
    shapes.add_argument(
        "--sources",
        default="customers,orders,order_items,web_events,email_events,survey_responses,consent_events",
        help="comma-separated sources to write; orders is required (transactions-only: orders,customers)",
    )
    shapes.add_argument(
        "--one-time-share",
        type=float,
        default=None,
        help="share of buyers who order exactly once, e.g. 0.65 (default: as simulated, about 0.16)",
    )
    shapes.add_argument("--currency", default="EUR", help="ISO 4217 currency code of the orders")
    shapes.add_argument(
        "--mixed-currency-share",
        type=float,
        default=0.0,
        help="share of orders in a second currency (USD, or EUR when --currency is USD)",
    )
    shapes.add_argument(
        "--cancel-rate",
        type=float,
        default=0.0,
        help="share of orders followed by a cancellation or return row (status cancelled/returned, "
        "negative order_total, negative line quantities)",
    )
    shapes.add_argument(
        "--drop-columns",
        default="",
        help="comma-separated optional columns to leave out of every file, e.g. discount_amount,channel",
    )


def _append_day_args(app: argparse.ArgumentParser) -> None:
    app.add_argument("--out", default="data/raw")
    app.add_argument("--seed", type=int, default=0)
    app.set_defaults(func=_cmd_append_day)


def _summary_args(summ: argparse.ArgumentParser) -> None:
    summ.add_argument("--target-dir", default="target", help="dbt target folder (run_results.json)")
    summ.add_argument(
        "--exports", default=None, help="activation folder (default $AUDIENCE_EXPORT_PATH or exports)"
    )
    summ.add_argument("--report", default=None, help="HTML report file to mention")
    summ.add_argument("--db", default=None, help=_DB_HELP)
    summ.set_defaults(func=_cmd_summary)


def _report_args(rep: argparse.ArgumentParser) -> None:
    rep.add_argument("--db", default=None, help=_DB_HELP)
    rep.add_argument("--out", default=DEFAULT_REPORT, help="HTML file to write")
    rep.set_defaults(func=_cmd_report)


def _serve_args(srv: argparse.ArgumentParser) -> None:
    srv.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    srv.add_argument("--port", type=int, default=8000)
    srv.add_argument("--bi", default=None, help=_BI_HELP)
    srv.add_argument("--keys", default=None, help=_KEYS_HELP)
    srv.add_argument("--access-log", action="store_true", help="log every request")
    srv.set_defaults(func=_cmd_serve)


def _export_args(exp: argparse.ArgumentParser) -> None:
    exp.add_argument("--target", choices=["spark", "duckdb"], default="spark",
                     help="warehouse the export tables are read from (default spark)")
    exp.add_argument("--out", help="export folder (default $AUDIENCE_EXPORT_PATH or exports)")
    exp.add_argument("--schema", help="schema of the export tables (default: audience on spark, main)")
    exp.add_argument("--spark-dir", help="local Spark warehouse (default $AUDIENCE_SPARK_DIR)")
    exp.add_argument("--db", help=_DB_HELP)
    exp.set_defaults(func=_cmd_export)


def _api_key_args(key: argparse.ArgumentParser) -> None:
    key.add_argument("--keys", default=None, help=_KEYS_HELP)
    key_sub = key.add_subparsers(dest="action", required=True)
    create = key_sub.add_parser("create", help="create a key and print it once")
    create.add_argument("--name", required=True, help="who uses the key, e.g. salesforce")
    create.add_argument(
        "--scope", action="append", default=[], help="pii: also email (with consent) and first name"
    )
    revoke = key_sub.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id")
    key_sub.add_parser("list", help="list the keys (ids, names, scopes, state; never the keys)")
    key.set_defaults(func=_cmd_api_key, bi=None)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
