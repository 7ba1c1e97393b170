#!/usr/bin/env python3
"""Turns a bench/run.sh result folder into docs/benchmarks.md.

Usage: report.py RESULT_DIR OUTPUT.md

Each figure is the median over the runs; each ratio is the median of the
ratios taken run by run (server and ceiling measured back to back), so that
the noise of a shared machine cancels as far as it can.
"""

import json
import statistics
import sys
from pathlib import Path

# (workload, what it is, floor as a ratio, what the ratio is against)
WORKLOADS = [
    ("client_credentials", "client_credentials issuance", 0.35, "ceiling"),
    ("introspection", "introspection (RFC 7662)", 0.50, "ceiling"),
    ("bearer_resource", "Bearer resource `GET /api/me`", 0.50, "ceiling"),
    ("refresh", "refresh (rotation)", None, "ceiling"),
    ("authorization_code", "authorization code exchange (PKCE)", None, "ceiling"),
    ("password", "password grant (Argon2id user password)", 0.90, "argon2"),
    ("client_credentials_argon2", "client_credentials, `mike_secret` (Argon2id client)", None, "argon2"),
    ("registration", "dynamic client registration (RFC 7591)", None, "ceiling"),
    ("client_credentials_while_registering",
     "client_credentials issuance while clients register (4 connections)", None, "ceiling"),
    ("authorization_code_openid_es256", "OpenID Connect code exchange, ID token ES256", None, "ceiling"),
    ("authorization_code_openid_rs256", "OpenID Connect code exchange, ID token RS256", None, "ceiling"),
    ("client_credentials_jwt", "client_credentials, RFC 9068 JWT access token", None, "ceiling"),
]
POSTGRES_FLOORS = {"client_credentials": 0.15}
# The pgbench yardstick of each PostgreSQL workload (bench/pgbench/*.sql):
# (workload, script, floor of server req/s over pgbench tps, or None).
PGBENCH_YARDSTICKS = [
    ("client_credentials", "issue.sql", 0.7),
    ("introspection", "point_select.sql", 0.7),
    ("bearer_resource", "point_select.sql", 0.7),
    ("refresh", "rotate.sql", None),
    ("authorization_code", "exchange.sql", None),
]
# OpenID Connect: (workload, its plain counterpart, what, floor or None).
OPENID_PAIRS = [
    ("authorization_code_openid_es256", "authorization_code", "code exchange with an ES256 ID token", 0.8),
    ("authorization_code_openid_rs256", "authorization_code", "code exchange with an RS256 ID token", None),
    ("client_credentials_jwt", "client_credentials", "client_credentials with an RFC 9068 JWT access token", None),
]
RSS_FLOOR_KIB = 32 * 1024
READY_FLOOR_MS = 100
SCALE_DROP = 0.20


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def problems(run):
    """Why a run is invalid, or an empty list."""
    found = []
    if run.get("requests", 0) == 0:
        found.append(run.get("error", "no requests"))
    for key, what in [("non2xx", "non-2xx"), ("mismatches", "wrong body"),
                      ("socket_errors", "socket errors"), ("pool_exhausted", "pool exhausted"),
                      ("failed", "failed transactions"), ("aborted_clients", "aborted clients")]:
        if run.get(key):
            found.append(f"{run[key]} {what}")
    return found


def fmt(value, digits=0, suffix=""):
    if value is None:
        return "–"
    return f"{value:,.{digits}f}{suffix}"


# A yardstick that moved more than this between runs measured the machine's
# other tenants, not the framework: its ratios get no verdict.
NOISE_LIMIT = 1.3


def main(result_dir, output):
    result_dir = Path(result_dir)
    meta = json.loads((result_dir / "meta.json").read_text())
    results = [json.loads(line) for line in (result_dir / "results.jsonl").read_text().splitlines() if line]

    def runs(phase, server, workload):
        return [r for r in results
                if r.get("phase") == phase and r.get("server") == server and r.get("workload") == workload]

    def paired_ceiling(run):
        before = results[:next(i for i, r in enumerate(results) if r is run)]
        return next((r for r in reversed(before)
                     if r.get("phase") == run["phase"] and r.get("server") == "ceiling"
                     and r.get("workload") == run["workload"] and r.get("rep") == run["rep"]), None)

    argon2 = {r["rep"]: r["per_second"] for r in results if r.get("workload") == "argon2_raw"}
    lines = []
    out = lines.append
    out("# Benchmarks")
    out("")
    out("Produced by `bash bench/run.sh` (see the README's Benchmarks section); do not edit by hand.")
    out("")
    dirty = f" (plus {meta['dirty_files']} uncommitted changed files)" if meta["dirty_files"] else ""
    out(f"- date: {meta['date']}; commit `{meta['commit']}`{dirty}")
    out(f"- machine: {meta['cpu']}, {meta['nproc']} cores (shared with other work: load average "
        f"{meta['loadavg_at_start']} at the start), Linux {meta['kernel']}")
    out(f"- server pinned to core 0, {meta['wrk']} (1 thread) pinned to core 1; "
        f"{meta['connections']} connections ({meta['argon2_connections']} for Argon2-bound workloads), "
        f"{meta['duration_s']} s per run, {meta['runs']} runs, medians reported")
    if meta.get("pgbench") and any(r.get("server") == "pgbench" for r in results):
        out(f"- PostgreSQL yardsticks: {meta['pgbench']}, 1 thread pinned to core 1 like wrk")
    out("- SQLite durable: WAL with `synchronous=FULL`, every answer sent after its commit")
    out("- ceiling: `bench/noop_ceiling.rs`, the same axum/hyper-util stack and runtime answering the "
        "same paths with a fixed body, measured alternately with the server in the same run")
    out("")

    verdicts = []

    def table(server, phase="main", floors=None):
        out("| workload | req/s | p50 ms | p99 ms | peak RSS MiB | server CPU % | ceiling req/s | ratio | floor | verdict |")
        out("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        peak_rss = 0
        for workload, label, floor, against in WORKLOADS:
            if floors is not None:
                floor = floors.get(workload)
            mine = runs(phase, server, workload)
            if not mine:
                continue
            # Each run's ceiling is the one measured just before it: the SQLite
            # and PostgreSQL rounds each have their own.
            ceiling = {r["rep"]: paired_ceiling(r) for r in mine}
            ceiling = {rep: c for rep, c in ceiling.items() if c is not None}
            bad = [(r["rep"], problems(r)) for r in mine if problems(r)]
            valid = [r for r in mine if not problems(r)]
            ratios = []
            for r in valid:
                if against == "argon2":
                    base = argon2.get(r["rep"])
                else:
                    c = ceiling.get(r["rep"])
                    base = c["rps"] if c and not problems(c) else None
                if base:
                    ratios.append(r["rps"] / base)
            ratio = median(ratios)
            rss = max((r["peak_rss_kib"] for r in mine), default=0)
            peak_rss = max(peak_rss, rss)
            bases = (list(argon2.values()) if against == "argon2"
                     else [c["rps"] for c in ceiling.values() if not problems(c)])
            noisy = len(bases) > 1 and max(bases) > NOISE_LIMIT * min(bases)
            if bad:
                verdict = "**INVALID** " + "; ".join(f"run {rep}: {', '.join(p)}" for rep, p in bad)
            elif noisy:
                what = "raw Argon2id" if against == "argon2" else "ceiling"
                verdict = (f"**NOISY**: the {what} varied {fmt(min(bases))}–{fmt(max(bases))} "
                           "across runs; no verdict")
            elif floor is None:
                verdict = "reported"
            else:
                verdict = "pass" if ratio is not None and ratio >= floor else "**FAIL**"
            if floor is not None or bad:
                verdicts.append((f"{server} {label}", verdict))
            against_label = "of Argon2id" if against == "argon2" else ""
            out(f"| {label} | {fmt(median(r['rps'] for r in valid))} "
                f"| {fmt(median(r['p50_ms'] for r in valid), 2)} | {fmt(median(r['p99_ms'] for r in valid), 2)} "
                f"| {fmt(rss / 1024, 1)} | {fmt(median(r['server_cpu_pct'] for r in mine))} "
                f"| {fmt(median(c['rps'] for c in ceiling.values()))} "
                f"| {fmt(ratio, 3)} {against_label} | {'≥ ' + str(floor) if floor is not None else '–'} | {verdict} |")
        return peak_rss

    def registration_effect(server):
        """What registering clients costs issuance: the issuance rate while
        clients register, beside it alone, and the registrations made."""
        alone = median(r["rps"] for r in runs("main", server, "client_credentials") if not problems(r))
        during = median(r["rps"] for r in runs("main", server, "client_credentials_while_registering")
                        if not problems(r))
        beside = median(r["rps"] for r in runs("main", server, "registration_beside_issuance"))
        if alone and during:
            out(f"While clients register ({fmt(beside)} registrations/s beside it), client_credentials "
                f"issuance runs at {fmt(during)} req/s, {fmt(100 * during / alone, 1)} % of its rate alone.")
            out("")

    def paired(server, workload, base_server, base_workload):
        """Run-by-run pairs (rep → (run, base run)) of valid runs."""
        mine = {r["rep"]: r for r in runs("main", server, workload) if not problems(r)}
        base = {r["rep"]: r for r in runs("main", base_server, base_workload) if not problems(r)}
        return {rep: (mine[rep], base[rep]) for rep in mine if rep in base and base[rep].get("rps")}

    def comparison_row(label, server, workload, base_server, base_workload, floor, verdict_name):
        """One row: median req/s of both, median of the run-by-run ratios, verdict."""
        mine = runs("main", server, workload)
        base = runs("main", base_server, base_workload)
        if not mine or not base:
            return False
        pairs = paired(server, workload, base_server, base_workload)
        ratio = median(m["rps"] / b["rps"] for m, b in pairs.values())
        bad = [(r["server"], r["rep"], problems(r)) for r in mine + base if problems(r)]
        base_rps = [r["rps"] for r in base if not problems(r)]
        noisy = len(base_rps) > 1 and max(base_rps) > NOISE_LIMIT * min(base_rps)
        if bad:
            verdict = "**INVALID** " + "; ".join(f"{who} run {rep}: {', '.join(p)}" for who, rep, p in bad)
        elif noisy:
            verdict = (f"**NOISY**: {base_workload} on {base_server} varied "
                       f"{fmt(min(base_rps))}–{fmt(max(base_rps))} across runs; no verdict")
        elif floor is None:
            verdict = "reported"
        else:
            verdict = "pass" if ratio is not None and ratio >= floor else "**FAIL**"
        if floor is not None or bad:
            verdicts.append((verdict_name, verdict))
        valid = [r for r in mine if not problems(r)]
        out(f"| {label} | {fmt(median(r['rps'] for r in valid))} "
            f"| {fmt(median(r.get('p99_ms') for r in valid), 2)} "
            f"| {fmt(median(r['rps'] for r in base if not problems(r)))} "
            f"| {fmt(median(r.get('latency_ms', r.get('p99_ms')) for r in base if not problems(r)), 2)} "
            f"| {fmt(ratio, 3)} | {'≥ ' + str(floor) if floor is not None else '–'} | {verdict} |")
        return True

    def openid_table():
        out("## OpenID Connect")
        out("")
        out("Each OpenID Connect workload against its plain counterpart on the same engine in the same run, "
            "as the median of the run-by-run ratios. The code exchanges use codes minted with scope "
            "`openid profile offline_access` and the context the authorize endpoint records "
            "(`bench/fixtures.rs openid-codes`: `auth_time`, `amr`, a `nonce` per code), so every answer "
            "carries an ID token (checked: a body without `\"id_token\":\"` is a mismatch) beside the access "
            "and refresh tokens the plain exchange issues (without `offline_access` an OpenID exchange issues "
            "no refresh token, and would write less); the ID token is signed with the client's "
            "`id_token_signed_response_alg`. `client_credentials_jwt` issues RFC 9068 JWT access tokens "
            "(`--access-token-format jwt`). Target: the ES256 exchange ≥ 0.8× the plain exchange; "
            "RS256 and JWT access tokens are reported.")
        out("")
        out("| engine | workload | req/s | p99 ms | plain req/s | plain p99 ms | ratio | floor | verdict |")
        out("|---|---|---:|---:|---:|---:|---:|---:|---|")
        shown = False
        for server in ("sqlite", "postgres"):
            for workload, plain, label, floor in OPENID_PAIRS:
                # The engine column is the first of comparison_row's label.
                shown |= comparison_row(f"{server} | {label} (`{workload}` / `{plain}`)", server, workload,
                                        server, plain, floor,
                                        f"{server} {label} ≥ {floor}× {plain}" if floor else f"{server} {label}")
        if not shown:
            out("| – | not measured in this run | | | | | | | |")
        out("")

    out("## SQLite")
    out("")
    sqlite_run = any(r.get("server") == "sqlite" and r.get("phase") == "main" for r in results)
    if not sqlite_run:
        out(f"Not measured in this run (`--engines {meta.get('engines', 'postgres')}`).")
        out("")
    sqlite_rss = table("sqlite") if sqlite_run else 0
    if sqlite_run:
        out("")
        registration_effect("sqlite")
    raw = median(argon2.values())
    if argon2:
        out(f"Raw Argon2id verification on core 0, same parameters (`Argon2::default()`: m = 19 MiB, t = 2, p = 1), "
            f"no server: {fmt(raw, 1)} verifications/s (median of {len(argon2)}). The password grant and the "
            "`mike_secret` row are compared with it, not with the ceiling: their cost is the Argon2id hash by design.")
        out("")
    if sqlite_run:
        rss_verdict = "pass" if sqlite_rss and sqlite_rss <= RSS_FLOOR_KIB else "**FAIL**"
        verdicts.append(("SQLite peak RSS under load ≤ 32 MiB", f"{rss_verdict} ({fmt(sqlite_rss / 1024, 1)} MiB)"))
    else:
        verdicts.append(("SQLite peak RSS under load ≤ 32 MiB", "not measured"))
    ready = [r["ready_ms"] for r in results if r.get("phase") == "startup"]
    ready_median = median(ready)
    if ready:
        ready_verdict = "pass" if ready_median is not None and ready_median <= READY_FLOOR_MS else "**FAIL**"
        verdicts.append(("ready to serve ≤ 100 ms on an existing database",
                         f"{ready_verdict} (median {fmt(ready_median, 1)} ms of {len(ready)}, max {fmt(max(ready, default=None), 1)} ms)"))
        out(f"Start-up on the existing database, from spawn to the first 200 from `/healthz`: "
            f"median {fmt(ready_median, 1)} ms, runs: {', '.join(fmt(v, 1) for v in ready)} ms.")
        out("")
    else:
        verdicts.append(("ready to serve ≤ 100 ms on an existing database", "not measured"))

    out("## PostgreSQL")
    out("")
    pending = [r for r in results if r.get("phase") == "postgres"]
    if pending:
        reason = pending[0]["pending"].strip().splitlines()
        out("Not measured: PostgreSQL could not be set up for the run "
            f"(`{reason[-1] if reason else 'no message'}`).")
        verdicts.append(("PostgreSQL client_credentials ≥ 0.15 of the ceiling", "not measured"))
    elif not any(r.get("server") == "postgres" and r.get("phase") == "main" for r in results):
        out(f"Not measured in this run (`--engines {meta.get('engines', 'sqlite')}`).")
        verdicts.append(("PostgreSQL client_credentials ≥ 0.15 of the ceiling", "not measured"))
    else:
        table("postgres", floors=POSTGRES_FLOORS)
        out("")
        registration_effect("postgres")
        out("### PostgreSQL against pgbench")
        out("")
        out("Each PostgreSQL workload beside pgbench doing what one request of it does in the database, "
            f"with the same statements (`bench/pgbench/*.sql`, `-M prepared`, {meta['connections']} clients like "
            "wrk's connections, `-n`, pinned to core 1 like wrk), run right after the server in every run; "
            "pgbench tps excludes connection set-up. The ratio is the median of the run-by-run ratios. "
            "PostgreSQL itself is not pinned, in both. Shapes (as src/store/postgres/grants.rs does them at the "
            "measured commit): `issue.sql` is `issue_grant`'s one statement (grant and access token); "
            "`point_select.sql` is the store's token lookup (`token_select!`: tokens ⋈ grants ⟕ clients ⟕ users "
            "by primary key) of one of 10,000 live tokens; `rotate.sql` is the read of the presented refresh "
            "token, then `rotate_refresh`'s one statement (claim by UPDATE, INSERT of the new access and "
            "refresh tokens); `exchange.sql` is the read of the code, then `exchange_code`'s one statement "
            "(claim taking the grant id from its sequence, INSERT grant, INSERT access and refresh tokens). "
            "Not in them: the client row that client authentication reads (for introspection, joined to "
            "the token read in one statement, so the server's statement is a little more than the point "
            "select; the Bearer resource reads no client). Floors (the issue \"PostgreSQL at the speed of "
            "PostgreSQL\"): client_credentials ≥ 0.7× `issue.sql`, introspection and the Bearer resource "
            "≥ 0.7× `point_select.sql`; refresh and the code exchange are reported.")
        out("")
        out("| workload | server req/s | server p99 ms | pgbench tps | pgbench latency ms (mean) | ratio | floor | verdict |")
        out("|---|---:|---:|---:|---:|---:|---:|---|")
        shown = False
        for workload, script, floor in PGBENCH_YARDSTICKS:
            label = f"{workload} / `{script}`"
            name = (f"PostgreSQL {workload} ≥ {floor}× pgbench {script}" if floor
                    else f"PostgreSQL {workload} against pgbench {script}")
            shown |= comparison_row(label, "postgres", workload, "pgbench", workload, floor, name)
        if not shown:
            out("| – | no pgbench runs in this run | | | | | | |")
        out("")
    out("")
    openid_table()

    out("## Scale: 10 million live tokens")
    out("")
    fill = [r for r in results if r.get("phase") == "scale_fill"]
    if not fill:
        out("Not run (`--quick` or `--no-scale`).")
        verdicts.append(("scale run", "not run"))
    else:
        fill = fill[0]
        out(f"{fill['tokens']:,} live access tokens, each in its own grant, minted as the server mints them and "
            f"bulk-loaded by `bench/fixtures.rs fill` ({fill['seconds']} s; database {fill['db_bytes'] / 2**30:.2f} GiB), "
            "against a fresh empty store; both servers running side by side and measured alternately. "
            "`introspection` draws from 100,000 tokens issued through the store after the fill: the newest, "
            "as the tokens in use are. `introspection_spread` draws, on the full store, from 100,000 of the "
            "bulk tokens evenly spread over the whole table (on the empty store, its 100,000 tokens are the table).")
        out("")
        out("| workload | empty req/s | full req/s | throughput change | empty p99 ms | full p99 ms | p99 change | full peak RSS MiB | verdict |")
        out("|---|---:|---:|---:|---:|---:|---:|---:|---|")
        for workload in ("client_credentials", "introspection", "introspection_spread"):
            empty = {r["rep"]: r for r in runs("scale", "empty", workload)}
            full = {r["rep"]: r for r in runs("scale", "full", workload)}
            bad = [r for r in list(empty.values()) + list(full.values()) if problems(r)]
            pairs = [(empty[k], full[k]) for k in empty if k in full and not problems(empty[k]) and not problems(full[k])]
            rps_change = median(f["rps"] / e["rps"] - 1 for e, f in pairs)
            p99_change = median(f["p99_ms"] / e["p99_ms"] - 1 for e, f in pairs)
            if bad:
                verdict = "**INVALID**: " + "; ".join(", ".join(problems(r)) for r in bad)
            elif rps_change is None or p99_change is None:
                verdict = "no data"
            else:
                verdict = "pass" if rps_change >= -SCALE_DROP and p99_change <= SCALE_DROP else "**FAIL**"
            verdicts.append((f"scale: {workload} with 10 M tokens within 20 %", verdict))
            rss = max((r["peak_rss_kib"] for r in full.values()), default=0)
            out(f"| {workload} | {fmt(median(r['rps'] for r in empty.values()))} | {fmt(median(r['rps'] for r in full.values()))} "
                f"| {fmt(None if rps_change is None else rps_change * 100, 1, ' %')} "
                f"| {fmt(median(r['p99_ms'] for r in empty.values()), 2)} | {fmt(median(r['p99_ms'] for r in full.values()), 2)} "
                f"| {fmt(None if p99_change is None else p99_change * 100, 1, ' %')} | {fmt(rss / 1024, 1)} | {verdict} |")
    out("")

    out("## Floors")
    out("")
    out("| floor | verdict |")
    out("|---|---|")
    for name, verdict in verdicts:
        out(f"| {name} | {verdict} |")
    out("")
    out("How to read this: req/s is what one server core did with wrk on the other core; "
        "\"server CPU %\" is the server's CPU time over the run's wall time (100 = its core was busy "
        "throughout; below that, the load generator or the disk was the limit). A run with any non-2xx "
        "answer, a body without the expected field, a socket error or an exhausted token pool is invalid "
        "and marked so. A ratio whose yardstick (the ceiling, or the raw Argon2id rate) moved by more than "
        f"{round((NOISE_LIMIT - 1) * 100)} % between runs is marked noisy and gets no verdict: on a shared machine "
        "that measures the other tenants. Raw per-run results: `bench/results/<time>/results.jsonl` (not committed).")
    out("")
    out("Where a floor is not met, [performance.md](performance.md) says what limits it, with profiles, "
        "and what was tried.")
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    Path(output).write_text("\n".join(lines) + "\n")


def metrics_cost(result_dir):
    """The --metrics-cost run: req/s with metrics on and off, side by side."""
    result_dir = Path(result_dir)
    results = [json.loads(line) for line in (result_dir / "results.jsonl").read_text().splitlines() if line]
    lines = ["# What metrics cost", "",
             "Each run measured the server with `--metrics true`, then the one with `--metrics false`; "
             "the cost is the median of the run-by-run ratios. Target: within 5 %.", "",
             "| workload | req/s, metrics on | req/s, metrics off | on / off | p99 on (ms) | p99 off (ms) | verdict |",
             "|---|---|---|---|---|---|---|"]
    for workload in ("client_credentials", "introspection"):
        by_rep = {}
        for r in results:
            if r.get("phase") == "metrics" and r.get("workload") == workload:
                by_rep.setdefault(r["rep"], {})[r["server"]] = r
        pairs = [(runs["metrics_on"], runs["metrics_off"]) for runs in by_rep.values()
                 if "metrics_on" in runs and "metrics_off" in runs]
        invalid = any(problems(run) for pair in pairs for run in pair)
        ratio = median(on["rps"] / off["rps"] for on, off in pairs if off.get("rps"))
        verdict = "invalid run" if invalid or ratio is None else ("met" if ratio >= 0.95 else "missed")
        lines.append(
            f"| {workload} | {fmt(median(on['rps'] for on, _ in pairs))} | {fmt(median(off['rps'] for _, off in pairs))} "
            f"| {fmt(None if ratio is None else ratio * 100, 1, ' %')} "
            f"| {fmt(median(on['p99_ms'] for on, _ in pairs), 2)} | {fmt(median(off['p99_ms'] for _, off in pairs), 2)} "
            f"| {verdict} |")
    text = "\n".join(lines) + "\n"
    (result_dir / "metrics-cost.md").write_text(text)
    print(text)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--metrics-cost"]:
        metrics_cost(sys.argv[2])
    else:
        main(*sys.argv[1:])
