"""`g6 token login|status|clear`: the Kite access token in its store (mode 0600). No secret is printed."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from g6_pipeline.core.clock import IST
from g6_pipeline.providers.kite_token import TokenStore, TokenStoreError
from g6_pipeline.settings import load_settings


def register(commands: Any) -> None:
    """Add `g6 token` to the parser."""
    parser = commands.add_parser("token", help="Kite access token: login, status, clear")
    sub = parser.add_subparsers(dest="token_action", metavar="ACTION", required=True)
    login = sub.add_parser("login", help="exchange a request_token for an access token and store it")
    login.add_argument("--request-token", help="the request_token from the login redirect (else prompted)")
    status = sub.add_parser("status", help="is the stored token still valid?")
    status.add_argument("--check", action="store_true", help="also ask the Kite server (profile)")
    sub.add_parser("clear", help="remove the stored token")
    parser.set_defaults(handler=run)


def _kite(root: str, api_key: str, timeout: float, access_token: str | None = None) -> Any:
    from kiteconnect import KiteConnect

    return KiteConnect(api_key=api_key, access_token=access_token, root=root, timeout=timeout)


def run(args: argparse.Namespace) -> int:
    """Run one token action; 0 on success, 1 when the token is missing, expired or rejected, 2 when the token
    file cannot be read."""
    settings = load_settings().settings
    kite = settings.kite
    store = TokenStore(Path(kite.token_file))
    now = datetime.now(IST)
    action = args.token_action
    if action == "clear":
        print("token removed" if store.clear() else f"no token stored at {store.path}")
        return 0
    if action == "login":
        if not kite.api_key or kite.api_secret is None:
            print("g6 token login: set KITE_API_KEY and KITE_API_SECRET (or kite.api_key/api_secret)", file=sys.stderr)
            return 1
        client = _kite(kite.root_url, kite.api_key, kite.timeout_seconds)
        request_token = args.request_token
        if not request_token:
            print(f"Open this URL, log in, and paste the request_token from the redirect:\n{client.login_url()}")
            request_token = input("request_token: ").strip()
        if not request_token:
            print("g6 token login: no request_token given", file=sys.stderr)
            return 1
        try:
            session = client.generate_session(request_token, api_secret=kite.api_secret.get_secret_value())
        except Exception as exc:
            print(f"g6 token login: Kite refused the login ({type(exc).__name__})", file=sys.stderr)
            return 1
        saved = store.save(session["access_token"], kite.api_key, now)
        print(f"token stored in {store.path}; valid until {saved.expires_at:%Y-%m-%d %H:%M} IST")
        return 0
    try:
        stored = store.load()
    except TokenStoreError as exc:
        print(f"g6 token status: {exc}", file=sys.stderr)
        return 2
    if stored is None:
        print(f"no token stored at {store.path}: run `g6 token login`")
        return 1
    if stored.is_expired(now):
        print(f"token issued {stored.issued_at:%Y-%m-%d %H:%M} IST expired at {stored.expires_at:%Y-%m-%d %H:%M} IST")
        return 1
    print(f"token issued {stored.issued_at:%Y-%m-%d %H:%M} IST, valid until {stored.expires_at:%Y-%m-%d %H:%M} IST")
    if args.check:
        client = _kite(kite.root_url, stored.api_key, kite.timeout_seconds, stored.access_token)
        try:
            profile = client.profile()
        except Exception as exc:
            print(f"server check failed: {type(exc).__name__}", file=sys.stderr)
            return 1
        print(f"server check: ok (user {profile.get('user_id', '?')})")
    return 0
