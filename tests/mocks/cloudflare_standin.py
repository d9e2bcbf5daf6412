#!/usr/bin/env python3
"""A stand-in for the Cloudflare API v4 DNS endpoints, for tests of Mailroom's Cloudflare
provider (no real Cloudflare can run here). It is not a mock that accepts anything: it ENFORCES
the documented contract (developers.cloudflare.com/api, "DNS Records for a Zone", "Zones") on
every request and answers violations the way Cloudflare does, so a provider that passes against
it speaks the real protocol:

- Authentication: every request needs "Authorization: Bearer <token>" with the configured API
  token; otherwise HTTP 403 with error code 10000 "Authentication error" (a malformed header:
  HTTP 400, code 6003 "Invalid request headers").
- The envelope: every answer is {"success", "errors": [{"code", "message"}], "messages",
  "result"} and, for lists, "result_info": {"page", "per_page", "count", "total_count",
  "total_pages"}.
- GET /client/v4/zones?name=<zone>: the zones with that name.
- GET /client/v4/zones/<id>/dns_records?type=TXT&page=<n>&per_page=<n>: pagination as
  documented (page from 1; per_page at least 5; the server may return fewer than asked: this one
  caps per_page at --max-per-page, 100 by default, so clients must follow total_pages).
- POST /client/v4/zones/<id>/dns_records with a JSON body {type, name, content, ttl}; PATCH and
  DELETE /client/v4/zones/<id>/dns_records/<record id>. Bodies must be
  "Content-Type: application/json"; unknown zone: HTTP 404 code 7003; unknown record: HTTP 404
  code 81044; an identical record (same type, name, content): HTTP 400 code 81058.
- TXT content must be quoted character-strings ("...", several separated by spaces, each at most
  255 octets, with \\" and \\\\ escapes): Cloudflare's documented form for TXT content. Unquoted
  or over-long strings: HTTP 400 code 9004 / 9100 ("DNS record content is invalid").
- ttl: 1 (automatic) or 60..86400; name: the zone or below it (code 9005 otherwise).
- --rate-limit N: every request after the N-th gets HTTP 429 with Retry-After: 3 and code 10429
  until one is refused, then service resumes (one throttled answer).

  cloudflare_standin.py --token TOKEN --zone example.com [--zone ...] [--max-per-page N]
                        [--rate-limit N]
Listens on 127.0.0.1 on a port of the system's choosing and prints "listening on PORT" first.
"""
import argparse
import json
import re
import sys
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TXT_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def txt_valid(content):
    """Quoted character-strings separated by spaces, each at most 255 octets unescaped."""
    rest = content.strip()
    if not rest:
        return False
    while rest:
        m = TXT_STRING.match(rest)
        if not m:
            return False
        raw = m.group(1)
        octets = len(re.sub(r'\\(\d{3}|.)', 'x', raw).encode())
        if octets > 255:
            return False
        rest = rest[m.end():]
        if rest and not rest.startswith(" "):
            return False
        rest = rest.lstrip(" ")
    return True


class State:
    def __init__(self, args):
        self.token = args.token
        self.max_per_page = args.max_per_page
        self.rate_limit = args.rate_limit
        self.requests = 0
        self.zones = {uuid.uuid4().hex: z.rstrip(".").lower() for z in args.zone}
        self.records = {zid: [] for zid in self.zones}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None

    def log_message(self, *args):
        pass

    def send(self, status, result=None, errors=None, info=None, headers=None):
        body = {"success": not errors, "errors": errors or [], "messages": [], "result": result}
        if info is not None:
            body["result_info"] = info
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def fail(self, status, code, message, headers=None):
        self.send(status, None, [{"code": code, "message": message}], headers=headers)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        if self.command in ("POST", "PATCH"):
            if (self.headers.get("Content-Type") or "").split(";")[0].strip() != "application/json":
                return None, (415, 6003, "Invalid request headers: Content-Type must be application/json")
            try:
                return json.loads(raw or b"null"), None
            except ValueError:
                return None, (400, 6007, "Malformed JSON in request body")
        return None, None

    def handle_any(self):
        st = self.state
        st.requests += 1
        body, err = self.body()  # read the body first so the connection stays in sync
        if st.rate_limit and st.requests > st.rate_limit:
            st.rate_limit = 0
            return self.fail(429, 10429, "Rate limited. Please wait and consider throttling your request speed",
                             {"Retry-After": "3"})
        auth = self.headers.get("Authorization")
        if auth is None or not auth.startswith("Bearer "):
            if auth is None:
                return self.fail(403, 10000, "Authentication error")
            return self.fail(400, 6003, "Invalid request headers")
        if auth[len("Bearer "):] != st.token:
            return self.fail(403, 10000, "Authentication error")
        if err:
            return self.fail(*err)
        url = urlsplit(self.path)
        q = parse_qs(url.query)
        parts = url.path.strip("/").split("/")
        if parts[:2] != ["client", "v4"] or len(parts) < 3 or parts[2] != "zones":
            return self.fail(404, 7000, "No route for that URI")
        if len(parts) == 3 and self.command == "GET":
            name = (q.get("name") or [None])[0]
            zones = [{"id": i, "name": n} for i, n in st.zones.items() if name is None or n == name]
            return self.send(200, zones, info={"page": 1, "per_page": 50, "count": len(zones),
                                               "total_count": len(zones), "total_pages": 1})
        zid = parts[3] if len(parts) > 3 else ""
        if zid not in st.zones:
            return self.fail(404, 7003, "Could not route to /zones/%s, perhaps your object identifier is invalid?" % zid)
        if len(parts) < 5 or parts[4] != "dns_records":
            return self.fail(404, 7000, "No route for that URI")
        records = st.records[zid]
        if len(parts) == 5 and self.command == "GET":
            return self.list(records, q)
        if len(parts) == 5 and self.command == "POST":
            return self.create(zid, records, body)
        if len(parts) == 6 and self.command in ("PATCH", "DELETE"):
            rec = next((r for r in records if r["id"] == parts[5]), None)
            if rec is None:
                return self.fail(404, 81044, "Record does not exist.")
            if self.command == "DELETE":
                records.remove(rec)
                return self.send(200, {"id": rec["id"]})
            return self.patch(zid, records, rec, body)
        return self.fail(405, 10405, "Method not allowed")

    def list(self, records, q):
        try:
            page = int((q.get("page") or ["1"])[0])
            per_page = int((q.get("per_page") or ["100"])[0])
        except ValueError:
            return self.fail(400, 1004, "DNS Validation Error: page and per_page must be integers")
        if page < 1 or per_page < 5:
            return self.fail(400, 1004, "DNS Validation Error: page must be >= 1 and per_page >= 5")
        per_page = min(per_page, self.state.max_per_page)
        want_type = (q.get("type") or [None])[0]
        sel = [r for r in records if want_type is None or r["type"] == want_type]
        total_pages = max(1, -(-len(sel) // per_page))
        chunk = sel[(page - 1) * per_page: page * per_page]
        self.send(200, chunk, info={"page": page, "per_page": per_page, "count": len(chunk),
                                    "total_count": len(sel), "total_pages": total_pages})

    def validate(self, zid, rec):
        zone = self.state.zones[zid]
        if rec.get("type") != "TXT":
            return (400, 9000, "DNS record type is invalid (this stand-in serves TXT)")
        name = str(rec.get("name", "")).rstrip(".").lower()
        if name != zone and not name.endswith("." + zone):
            return (400, 9005, "Content for the record name is invalid: not in zone " + zone)
        content = rec.get("content")
        if not isinstance(content, str) or not txt_valid(content):
            return (400, 9004, "DNS record content is invalid: TXT content must be quoted strings of at most 255 octets")
        ttl = rec.get("ttl", 1)
        if not isinstance(ttl, int) or not (ttl == 1 or 60 <= ttl <= 86400):
            return (400, 9020, "Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic")
        rec["name"] = name
        rec["ttl"] = ttl
        return None

    def create(self, zid, records, body):
        if not isinstance(body, dict):
            return self.fail(400, 9207, "Request body is invalid")
        rec = {k: body.get(k) for k in ("type", "name", "content", "ttl") if k in body}
        bad = self.validate(zid, rec)
        if bad:
            return self.fail(*bad)
        if any(r["type"] == rec["type"] and r["name"] == rec["name"] and r["content"] == rec["content"] for r in records):
            return self.fail(400, 81058, "An identical record already exists.")
        rec["id"] = uuid.uuid4().hex
        rec["proxied"] = False
        records.append(rec)
        self.send(200, rec)

    def patch(self, zid, records, rec, body):
        if not isinstance(body, dict):
            return self.fail(400, 9207, "Request body is invalid")
        new = dict(rec)
        new.update({k: body[k] for k in ("type", "name", "content", "ttl") if k in body})
        bad = self.validate(zid, new)
        if bad:
            return self.fail(*bad)
        rec.update(new)
        self.send(200, rec)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = handle_any


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--token", required=True)
    p.add_argument("--zone", action="append", required=True)
    p.add_argument("--max-per-page", type=int, default=100)
    p.add_argument("--rate-limit", type=int, default=0)
    args = p.parse_args()
    Handler.state = State(args)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print("listening on %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
