"""Audit speed and memory: a generated 10,000-file repository audited in ≤ 10 s, peak RSS ≤ 300 MB.

The repository mixes Python, JavaScript/TypeScript, Go and Java sources (each 40-120 lines
with routes, queries, auth code and a few planted risks), manifests, docs, a .gitignore'd
folder and 2,000 vendored files under node_modules that must be skipped. The audit runs in a
child process (`backend-copilot audit --json`) so its peak memory is its own.
Prints the measured values, their ratio to the targets and PASS/FAIL; exits 1 on any FAIL.
Run: .venv/bin/python bench/bench_audit.py
"""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, isolated_home, verdict

FILES = 10_000
VENDORED = 2_000
TARGET_S = 10.0
TARGET_MB = 300.0

PY = '''"""Service module {n}."""
import hashlib
from fastapi import APIRouter, Depends
from pydantic import BaseModel

router = APIRouter()


class Item{n}(BaseModel):
    name: str
    quantity: int


@router.get("/items/{n}")
async def read_{n}(conn=Depends(get_conn)):
    cur = conn.cursor()
    cur.execute("SELECT * FROM items WHERE id = %s", ({n},))
    return cur.fetchone()


def total_{n}(rows: list[dict]) -> int:
    value = 0
    for row in rows:
        if row.get("quantity", 0) > 0:
            value += row["quantity"] * row.get("price", 1)
    return value
'''
PY_RISK = '''

def find_{n}(conn, name):
    return conn.execute(f"SELECT * FROM items WHERE name = '{{name}}'")


def digest_{n}(password):
    return hashlib.md5(password.encode()).hexdigest()
'''
JS = '''// route module {n}
const express = require("express");
const router = express.Router();

router.get("/orders/{n}", async (req, res) => {{
  const rows = await pool.query("SELECT * FROM orders WHERE id = $1", [req.params.id]);
  if (!rows.length) {{
    return res.status(404).json({{ error: "not found" }});
  }}
  res.json(rows[0]);
}});

function price{n}(items) {{
  return items.reduce((sum, item) => sum + item.price * item.quantity, 0);
}}

module.exports = {{ router, price{n} }};
'''
GO = '''package svc{n}

import (
	"context"
	"database/sql"
)

type Account{n} struct {{
	ID    string `json:"id" validate:"required"`
	Cents int64  `json:"cents"`
}}

func Load{n}(ctx context.Context, db *sql.DB, id string) (*Account{n}, error) {{
	row := db.QueryRowContext(ctx, "SELECT id, cents FROM accounts WHERE id = $1", id)
	var a Account{n}
	if err := row.Scan(&a.ID, &a.Cents); err != nil {{
		return nil, err
	}}
	return &a, nil
}}
'''
JAVA = '''package com.example.svc{n};

import org.springframework.web.bind.annotation.*;

@RestController
public class Controller{n} {{
    private final Repository repository;

    public Controller{n}(Repository repository) {{
        this.repository = repository;
    }}

    @GetMapping("/things/{n}")
    public Thing get(@PathVariable String id) {{
        return repository.findById(id).orElseThrow();
    }}
}}
'''


def generate(root: Path) -> None:
    rng = random.Random(18)
    (root / ".gitignore").write_text("generated/\n*.log\n")
    (root / "requirements.txt").write_text("fastapi\npydantic\nslowapi\nPyJWT\n")
    (root / "package.json").write_text('{"dependencies": {"express": "^4", "helmet": "^7"}}\n')
    (root / "go.mod").write_text("module example.com/big\n\ngo 1.22\n")
    kinds = ["py"] * 40 + ["js"] * 15 + ["ts"] * 15 + ["go"] * 15 + ["java"] * 10 + ["md"] * 5
    for n in range(FILES):
        kind = rng.choice(kinds)
        folder = root / f"pkg{n % 100:02d}" / f"mod{n % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        if kind == "py":
            text = PY.format(n=n) + (PY_RISK.format(n=n) if n % 50 == 0 else "")
            text += "".join(f"\n\ndef helper_{n}_{k}(x):\n    return x * {k} + 1\n"
                            for k in range(rng.randint(2, 12)))
        elif kind in ("js", "ts"):
            text = JS.format(n=n)
        elif kind == "go":
            text = GO.format(n=n)
        elif kind == "java":
            text = JAVA.format(n=n)
        else:
            text = f"# Notes {n}\n\nNothing to audit here.\n"
        (folder / f"f{n}.{kind}").write_text(text)
    for n in range(VENDORED):
        folder = root / "node_modules" / f"dep{n % 50}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"index{n}.js").write_text(JS.format(n=n))
    ignored = root / "generated"
    ignored.mkdir()
    for n in range(200):
        (ignored / f"g{n}.py").write_text(PY.format(n=n))


def main() -> int:
    home, env = isolated_home("bench-audit-")
    with home, tempfile.TemporaryDirectory(prefix="bench-audit-repo-") as tmp:
        repo = Path(tmp)
        generate(repo)
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "tui.cli", "audit", "--root", str(repo), "--json"],
            capture_output=True, text=True, cwd=ROOT, env={**__import__("os").environ, **env},
        )
        elapsed = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if result.returncode != 0:
        print(f"audit failed: {result.stderr.strip()[:300]}")
        print("FAIL")
        return 1
    report = json.loads(result.stdout)
    vendored = [f for f in report["findings"] if f["path"].startswith(("node_modules", "generated"))]
    sane = report["files_scanned"] >= FILES * 0.9 and not vendored and report["findings"]
    time_ok, mem_ok = elapsed <= TARGET_S, peak_mb <= TARGET_MB
    print(f"files read: {report['files_scanned']} ({FILES} generated + manifests, "
          f"{VENDORED} vendored and 200 ignored skipped); findings: {len(report['findings'])}")
    print(f"audit time: {elapsed:.2f} s (target ≤ {TARGET_S:g} s, ratio "
          f"{elapsed / TARGET_S:.2f}) {verdict(time_ok)}")
    print(f"peak memory: {peak_mb:.0f} MB (target ≤ {TARGET_MB:g} MB, ratio "
          f"{peak_mb / TARGET_MB:.2f}) {verdict(mem_ok)}")
    print(f"report sane (files counted, nothing vendored or ignored reported): {verdict(bool(sane))}")
    ok = time_ok and mem_ok and bool(sane)
    print(verdict(ok))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
