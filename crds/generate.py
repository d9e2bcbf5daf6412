#!/usr/bin/env python3
"""Source of the MailDomain and Transport CustomResourceDefinitions (mailroom.dev/v1alpha1).

Writes crds/mailroom.dev_maildomains.yaml and crds/mailroom.dev_transports.yaml; `--check`
exits 1 when the committed files differ from what this script renders (drift check, run by the
kube e2e test). The schemas target apiextensions.k8s.io/v1 on Kubernetes 1.20: structural
OpenAPI v3 only (no x-kubernetes-validations/CEL), so every rule is an enum, pattern, bound,
required list, default, list-type or a small anyOf/oneOf/not. Every field carries a description
so `kubectl explain` documents the API.

Field names mirror the sidecar config file (docs/config.md): Transport.spec.direct has exactly
the keys of transports[].direct, retry has the keys of retry.
"""
import copy
import os
import sys

import yaml

GROUP = "mailroom.dev"
VERSION = "v1alpha1"

# --- shared patterns ------------------------------------------------------------------------------
# RE2 (Go regexp) syntax: no look-around. Tested against Python's ipaddress in the e2e test data.
_O = r"(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
V4 = r"(" + _O + r"\.){3}" + _O
_H = r"[0-9a-fA-F]{1,4}"
V6 = (
    r"((" + _H + r":){7}" + _H + r"|(" + _H + r":){1,7}:|(" + _H + r":){1,6}:" + _H
    + r"|(" + _H + r":){1,5}(:" + _H + r"){1,2}|(" + _H + r":){1,4}(:" + _H + r"){1,3}"
    + r"|(" + _H + r":){1,3}(:" + _H + r"){1,4}|(" + _H + r":){1,2}(:" + _H + r"){1,5}"
    + r"|" + _H + r":(:" + _H + r"){1,6}|:((:" + _H + r"){1,7}|:))"
)
IP_PATTERN = r"^(" + V4 + r"|" + V6 + r")$"
IP4_CIDR_PATTERN = r"^" + V4 + r"(/([0-9]|[12][0-9]|3[0-2]))?$"
IP6_CIDR_PATTERN = r"^" + V6 + r"(/([0-9]|[1-9][0-9]|1[01][0-9]|12[0-8]))?$"
_LABEL = r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"
# Lower-case DNS name with at least two labels; the last label starts with a letter so that an
# IPv4 address is not taken for a name.
DNS_NAME = _LABEL + r"(\." + _LABEL + r")*\.[a-z]([-a-z0-9]{0,61}[a-z0-9])?"
DNS_NAME_PATTERN = r"^" + DNS_NAME + r"$"
DOMAIN_GLOB_PATTERN = r"^(\*|(\*\.)?" + DNS_NAME + r")$"
_ULABEL = r"[_a-z0-9]([-_a-z0-9]{0,61}[a-z0-9])?"
INCLUDE_PATTERN = r"^" + _ULABEL + r"(\." + _ULABEL + r")*\.[a-z]([-a-z0-9]{0,61}[a-z0-9])?$"
SELECTOR_PATTERN = r"^" + _LABEL + r"(\." + _LABEL + r")*$"
# Go time.ParseDuration syntax restricted to whole numbers, as the sidecar config accepts.
DURATION_PATTERN = r"^([0-9]+(ms|s|m|h))+$"
MAILTO_PATTERN = r"^mailto:[^\s,!@]+@" + DNS_NAME + r"(![0-9]+[kmgt]?)?$"
HOST_PORT_PATTERN = r"^(" + DNS_NAME + r"|" + V4 + r"|\[" + V6 + r"\])(:[0-9]{1,5})?$"
K8S_NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
SECRET_KEY_PATTERN = r"^[-._a-zA-Z0-9]+$"


def s(desc, **kw):
    return {"type": "string", "description": desc, **kw}


def i(desc, **kw):
    return {"type": "integer", "description": desc, **kw}


def b(desc, **kw):
    return {"type": "boolean", "description": desc, **kw}


def obj(desc, props, required=None, **kw):
    o = {"type": "object", "description": desc, "properties": props}
    if required:
        o["required"] = required
    o.update(kw)
    return o


def arr(desc, items, **kw):
    return {"type": "array", "description": desc, "items": items, **kw}


def count(desc):
    return i(desc, format="int64", minimum=0)


def conditions(kind, types):
    """metav1.Condition, exactly as Kubernetes' own types declare it."""
    return arr(
        f"Current state of the {kind}, one entry per condition type ({types}). Ready summarizes "
        "the others. lastTransitionTime changes only when status flips.",
        obj(
            "One observation of the object's state (metav1.Condition).",
            {
                "type": s(
                    "Condition type in CamelCase, e.g. Ready.",
                    maxLength=316,
                    pattern=r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                    r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$",
                ),
                "status": s("Whether the condition holds.", enum=["True", "False", "Unknown"]),
                "reason": s(
                    "Machine-readable cause of the last transition, in CamelCase "
                    "(e.g. RecordsPublished, PtrMissing).",
                    minLength=1,
                    maxLength=1024,
                    pattern=r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
                ),
                "message": s("Human-readable details of the last transition.", maxLength=32768),
                "observedGeneration": i(
                    "metadata.generation the condition was computed from.",
                    format="int64",
                    minimum=0,
                ),
                "lastTransitionTime": s(
                    "When status last changed (RFC 3339).", format="date-time"
                ),
            },
            required=["type", "status", "reason", "message", "lastTransitionTime"],
        ),
        **{"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]},
    )


def observed_generation():
    return i(
        "metadata.generation of the spec the operator last acted on; status is stale while it "
        "is below metadata.generation.",
        format="int64",
        minimum=0,
    )


def secret_ref(desc, keys):
    props = {"name": s("Name of a Secret in the object's namespace.", pattern=K8S_NAME_PATTERN,
                       maxLength=253)}
    props.update(keys)
    return obj(desc, props, required=["name"])


def health():
    return s(
        "Short verdict for the printer column: Pass, Fail, Pending (waiting for DNS) or "
        "Unknown (not checked yet).",
        enum=["Pass", "Fail", "Pending", "Unknown"],
    )


# --- MailDomain -----------------------------------------------------------------------------------
def maildomain_spec():
    dkim_selector = obj(
        "One DKIM key (RFC 6376 selector). The operator generates the private key into a Secret, "
        "publishes <name>._domainkey.<domain> TXT and rotates the key every rotationPeriod "
        "(publish the new key, verify it in DNS, switch signing, retire the old one).",
        {
            "name": s(
                "Selector: the DNS label(s) in front of ._domainkey, e.g. rsa2026 or ed2026. "
                "Lower-case letters, digits, '-' and '.'.",
                pattern=SELECTOR_PATTERN,
                maxLength=63,
            ),
            "algorithm": s(
                "Signing algorithm: rsa-sha256 (RFC 6376, understood by every verifier) or "
                "ed25519-sha256 (RFC 8463, short keys; publish an rsa-sha256 selector too, since "
                "many receivers still ignore Ed25519 signatures).",
                enum=["rsa-sha256", "ed25519-sha256"],
                default="rsa-sha256",
            ),
            "keySize": i(
                "RSA modulus size in bits, rsa-sha256 only (Ed25519 keys have a fixed size, so "
                "setting it with ed25519-sha256 is rejected). Unset means 2048, the least the "
                "operator generates (RFC 8301 section 3.2: signers SHOULD use 2048 or more, "
                "and receivers increasingly distrust 1024); above 2048 the TXT record needs "
                "several strings.",
                minimum=2048,
                maximum=4096,
                multipleOf=256,
            ),
            "rotationPeriod": s(
                "How long a key signs before the operator rotates it, as a Go duration without "
                "fractions (e.g. 2160h for 90 days). Unset: never rotate automatically.",
                pattern=DURATION_PATTERN,
            ),
        },
        required=["name"],
        # keySize only with rsa-sha256. (No CEL in 1.20; a "not" keeps the schema structural and,
        # unlike anyOf, does not add misleading per-branch errors to the rejection.)
        **{"not": {"required": ["keySize"], "properties": {"algorithm": {"enum": ["ed25519-sha256"]}}}},
    )
    provider = obj(
        "Where the operator publishes the domain's records. Unset: nothing is published and "
        "status.records lists what to publish by hand.",
        {
            "kind": s(
                "DNS provider API: PowerDNS (HTTP API), RFC2136 (dynamic update with TSIG), "
                "Cloudflare, Route53, or Webhook (an external-dns webhook "
                "provider, which reuses its community providers).",
                enum=["PowerDNS", "RFC2136", "Cloudflare", "Route53", "Webhook"],
            ),
            "zone": s(
                "DNS zone the records are written into (the domain itself or a parent). "
                "Unset: the domain.",
                pattern=DNS_NAME_PATTERN,
                maxLength=253,
            ),
            "credentialsSecretRef": secret_ref(
                "Secret key holding the provider credential: PowerDNS API key, TSIG secret "
                "(base64), Cloudflare API token, Route 53 access key as "
                "'id:secret', or Webhook bearer token. Not needed for an unauthenticated "
                "webhook.",
                {
                    "key": s(
                        "Key inside the Secret's data.",
                        pattern=SECRET_KEY_PATTERN,
                        maxLength=253,
                        default="credentials",
                    )
                },
            ),
            "url": s(
                "PowerDNS: API base URL (e.g. http://pdns.dns.svc:8081). Webhook: provider URL "
                "(e.g. http://localhost:8888). Ignored by other kinds.",
                pattern=r"^https?://[^\s]+$",
                maxLength=2048,
            ),
            "server": s(
                "RFC2136: primary name server as host or host:port (default port 53), e.g. "
                "ns1.example.org:53 or [2001:db8::53]:53. Ignored by other kinds.",
                pattern=HOST_PORT_PATTERN,
                maxLength=260,
            ),
            "serverID": s(
                "PowerDNS: server id in the API path. Ignored by other kinds.",
                default="localhost",
                maxLength=253,
                pattern=r"^[-._a-zA-Z0-9]+$",
            ),
            "tsigKeyName": s(
                "RFC2136: TSIG key name (RFC 8945). Ignored by other kinds.",
                pattern=r"^" + DNS_NAME + r"\.?$|^" + _LABEL + r"$",
                maxLength=253,
            ),
            "tsigAlgorithm": s(
                "RFC2136: TSIG algorithm. Ignored by other kinds.",
                enum=["hmac-sha256", "hmac-sha384", "hmac-sha512", "hmac-sha1"],
            ),
            "zoneID": s(
                "Cloudflare zone id or Route 53 hosted zone id; found from zone when unset.",
                pattern=r"^[-/_a-zA-Z0-9]+$",
                maxLength=128,
            ),
            "region": s(
                "Route53: API region, e.g. us-east-1.",
                pattern=r"^[a-z0-9-]+$",
                maxLength=64,
            ),
        },
        required=["kind"],
    )
    spf = obj(
        "The SPF record (RFC 7208) at the domain. The operator authorizes every sending IP "
        "(sendingIPs and the source addresses of transportRefs) plus the entries below, and "
        "merges with an SPF record it does not own instead of adding a second one.",
        {
            "policy": s(
                "The final 'all' term. ~all (softfail, the default) lets DMARC decide: a "
                "receiver that sees -all may reject at MAIL FROM before it checks DKIM, which "
                "loses forwarded mail that DKIM alone would have passed. Use -all once every "
                "sender is listed and DMARC is at reject.",
                enum=["~all", "-all"],
                default="~all",
            ),
            "includes": arr(
                "Domains added as include: mechanisms (other senders for this domain, e.g. "
                "_spf.example.net). Each costs DNS lookups; RFC 7208 allows 10 in total.",
                s("A domain name; labels may start with '_'.", pattern=INCLUDE_PATTERN,
                  maxLength=253),
                maxItems=8,
                **{"x-kubernetes-list-type": "set"},
            ),
            "ip4": arr(
                "Extra IPv4 addresses or networks (ip4: mechanisms), e.g. 198.51.100.0/24.",
                s("IPv4 address with an optional /prefix.", pattern=IP4_CIDR_PATTERN),
                maxItems=64,
                **{"x-kubernetes-list-type": "set"},
            ),
            "ip6": arr(
                "Extra IPv6 addresses or networks (ip6: mechanisms), e.g. 2001:db8:5::/48.",
                s("IPv6 address with an optional /prefix.", pattern=IP6_CIDR_PATTERN),
                maxItems=64,
                **{"x-kubernetes-list-type": "set"},
            ),
        },
    )
    policy_enum = ["none", "quarantine", "reject"]
    dmarc = obj(
        "The DMARC record (RFC 7489) at _dmarc.<domain>.",
        {
            "policy": s(
                "p=: what receivers do with mail that fails DMARC. Start at none and read the "
                "aggregate reports, then quarantine, then reject.",
                enum=policy_enum,
                default="none",
            ),
            "subdomainPolicy": s(
                "sp=: policy for subdomains without their own record. Unset: same as policy.",
                enum=policy_enum,
            ),
            "pct": i(
                "pct=: percentage of failing mail the policy applies to (the rest is treated "
                "one step milder).",
                minimum=0,
                maximum=100,
                default=100,
            ),
            "rua": arr(
                "rua=: where receivers send daily aggregate reports, as mailto: URIs with an "
                "optional !size limit, e.g. mailto:dmarc@example.com.",
                s("A mailto: URI.", pattern=MAILTO_PATTERN, maxLength=512),
                maxItems=8,
                **{"x-kubernetes-list-type": "set"},
            ),
            "ruf": arr(
                "ruf=: where receivers send per-message failure reports (few do), as mailto: URIs.",
                s("A mailto: URI.", pattern=MAILTO_PATTERN, maxLength=512),
                maxItems=8,
                **{"x-kubernetes-list-type": "set"},
            ),
            "adkim": s(
                "adkim=: DKIM alignment, r (relaxed: the signing domain may be a subdomain of "
                "the From domain) or s (strict: equal).",
                enum=["r", "s"],
                default="r",
            ),
            "aspf": s(
                "aspf=: SPF alignment, r (relaxed) or s (strict) between the envelope sender "
                "domain and the From domain.",
                enum=["r", "s"],
                default="r",
            ),
        },
    )
    return obj(
        "Desired DNS authentication for one sending domain.",
        {
            "domain": s(
                "The sending domain (the From address's domain), lower case, e.g. example.com.",
                pattern=DNS_NAME_PATTERN,
                maxLength=253,
            ),
            "dnsProvider": provider,
            "dkim": obj(
                "DKIM signing keys (RFC 6376, RFC 8463). The sidecar signs with every selector "
                "whose key is published and verified.",
                {
                    "selectors": arr(
                        "Keys, at most one per name. Two selectors (rsa-sha256 and "
                        "ed25519-sha256) sign every message twice.",
                        dkim_selector,
                        minItems=1,
                        maxItems=8,
                        **{"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]},
                    )
                },
            ),
            "spf": spf,
            "dmarc": dmarc,
            "sendingIPs": arr(
                "Addresses mail for this domain leaves from, IPv4 or IPv6. They are authorized "
                "in SPF and checked for PTR, forward confirmation and blocklists.",
                s("An IPv4 or IPv6 address (no prefix).", pattern=IP_PATTERN, maxLength=45),
                maxItems=64,
                **{"x-kubernetes-list-type": "set"},
            ),
            "transportRefs": arr(
                "Transports in this namespace whose direct.sourceAddresses also count as "
                "sending IPs (a relay Transport contributes none; list the relay's SPF in "
                "spf.includes).",
                obj(
                    "Reference to a Transport.",
                    {"name": s("Name of the Transport.", pattern=K8S_NAME_PATTERN, maxLength=253)},
                    required=["name"],
                ),
                maxItems=32,
                **{"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]},
            ),
        },
        required=["domain"],
    )


def maildomain_status():
    record = obj(
        "One DNS record the domain needs.",
        {
            "name": s("Owner name, e.g. rsa2026._domainkey.example.com."),
            "type": s("Record type.", enum=["TXT", "CNAME", "MX", "PTR", "A", "AAAA"]),
            "values": arr(
                "Record data; a TXT record over 255 bytes is one value here and split into "
                "several strings on the wire.",
                s("One record's data."),
            ),
            "purpose": s(
                "Why the record exists.",
                enum=["SPF", "DKIM", "DMARC", "PTR", "MTA-STS", "TLS-RPT", "Ownership"],
            ),
            "published": b(
                "True once the authoritative servers answer with exactly these values."
            ),
            "ttl": i("TTL in seconds.", minimum=0),
        },
        required=["name", "type", "purpose"],
    )
    check = obj(
        "Health of one sending IP.",
        {
            "ip": s("The sending address."),
            "family": s("Address family.", enum=["IPv4", "IPv6"]),
            "ptr": arr("PTR names found for the address (empty: no PTR).", s("A host name.")),
            "forwardConfirmed": b(
                "True when a PTR name resolves (A/AAAA) back to the address (FCrDNS)."
            ),
            "matchesEhlo": b(
                "True when a forward-confirmed PTR name equals the EHLO hostname used from "
                "this address."
            ),
            "spf": s(
                "SPF result of check_host() for this IP and the domain (RFC 7208 section 2.6).",
                enum=["pass", "fail", "softfail", "neutral", "none", "temperror", "permerror"],
            ),
            "listed": arr(
                "DNS blocklists (zone names) that list the address; empty when clean.",
                s("Blocklist zone, e.g. zen.spamhaus.org."),
            ),
            "checkedAt": s("When the checks ran (RFC 3339).", format="date-time"),
        },
        required=["ip"],
    )
    dkim_key = obj(
        "One DKIM key the operator owns. Its Secret is the source of truth; this mirrors it.",
        {
            "selector": s(
                "The name the key is published under (<selector>._domainkey.<domain>): the "
                "configured selector for its first key, <configured>-r<N> for later ones.",
                pattern=SELECTOR_PATTERN,
                maxLength=63,
            ),
            "configuredSelector": s(
                "The spec.dkim.selectors[] name the key was made for.",
                pattern=SELECTOR_PATTERN,
                maxLength=63,
            ),
            "algorithm": s("Signing algorithm.", enum=["rsa-sha256", "ed25519-sha256"]),
            "phase": s(
                "Pending: generated, its record not yet served by every authoritative server. "
                "Published: served. Active: the key its selector signs with (only ever a key "
                "seen served). Retiring: replaced; its record stays published for the grace "
                "period so mail in flight verifies. Revoked: its record is p= empty (RFC 6376 "
                "section 3.6.1) until the key and record are deleted.",
                enum=["Pending", "Published", "Active", "Retiring", "Revoked"],
            ),
            "createdAt": s("When the key was generated (RFC 3339).", format="date-time"),
            "publishedAt": s(
                "When every authoritative server was first seen serving the record (RFC 3339).",
                format="date-time",
            ),
            "activatedAt": s("When signing switched to the key (RFC 3339).", format="date-time"),
            "retiringAt": s("When signing switched away from it (RFC 3339).", format="date-time"),
            "revokedAt": s("When its record was revoked (RFC 3339).", format="date-time"),
            "secretName": s(
                "The Secret holding the private key (private.pem), in the MailDomain's namespace.",
                pattern=K8S_NAME_PATTERN,
                maxLength=253,
            ),
        },
        required=["selector", "configuredSelector", "algorithm", "phase", "secretName"],
    )
    return obj(
        "Observed state, written by the operator only.",
        {
            "observedGeneration": observed_generation(),
            "conditions": conditions(
                "MailDomain",
                "Ready, DNSPublished, SPFAuthorized, DKIMPublished, DMARCPresent, PTRValid, "
                "NotListed, Delivering",
            ),
            "records": arr("DNS records the domain needs and whether each is published.", record),
            "checks": arr("Per sending IP checks (IPv4 and IPv6 judged separately).", check),
            "dkimKeys": arr(
                "Every DKIM key of the domain with its lifecycle phase and times, newest last.",
                dkim_key,
            ),
            "spf": health(),
            "dkim": health(),
            "dmarc": health(),
            "ptr": health(),
        },
    )


# --- Transport ------------------------------------------------------------------------------------
def transport_spec():
    direct = obj(
        "Deliver straight to each recipient domain's MX hosts over SMTP (port 25). Mirrors "
        "transports[].direct of the sidecar config file.",
        {
            "addressFamily": s(
                "Which address families may be used: IPv4 only, IPv6 only, or Any (both; on a "
                "reverse-DNS rejection over one family the other is tried at once).",
                enum=["IPv4", "IPv6", "Any"],
                default="Any",
            ),
            "preferredFamily": s(
                "With addressFamily Any: the family tried first for each MX host. Ignored "
                "otherwise.",
                enum=["IPv4", "IPv6"],
                default="IPv6",
            ),
            "sourceAddresses": arr(
                "Local addresses to send from, at most one per family; unset: the kernel's "
                "choice. Each needs a PTR record matching ehloHostname.",
                s("An IPv4 or IPv6 address.", pattern=IP_PATTERN, maxLength=45),
                maxItems=2,
                **{"x-kubernetes-list-type": "set"},
            ),
            "ehloHostname": s(
                "Name sent in EHLO; should equal the PTR name of the source addresses. Unset: "
                "the sidecar's hostname.",
                pattern=DNS_NAME_PATTERN,
                maxLength=253,
            ),
            "tls": obj(
                "STARTTLS use towards MX hosts.",
                {
                    "policy": s(
                        "opportunistic: STARTTLS when offered, plaintext otherwise; required: "
                        "defer instead of sending in plaintext; none: never STARTTLS.",
                        enum=["opportunistic", "required", "none"],
                        default="opportunistic",
                    )
                },
            ),
            "port": i(
                "SMTP port on the MX hosts; 25 everywhere except in tests.",
                minimum=1,
                maximum=65535,
                default=25,
            ),
            "rememberRejectedFamily": s(
                "With addressFamily Any: after a destination rejects one family for its reverse "
                "DNS, prefer the other there for this long (Go duration; 0s turns it off). "
                "Unset: 24h.",
                pattern=DURATION_PATTERN,
            ),
        },
    )
    relay = obj(
        "Hand all mail to one smarthost (submission with SMTP AUTH).",
        {
            "host": s(
                "Relay host name or IP address, e.g. smtp.example.net.",
                pattern=r"^(" + DNS_NAME + r"|" + V4 + r"|" + V6 + r")$",
                maxLength=253,
            ),
            "port": i(
                "Relay port: 587 (submission, STARTTLS) or 465 (implicit TLS).",
                minimum=1,
                maximum=65535,
                default=587,
            ),
            "tls": s(
                "starttls: plaintext connect then STARTTLS (required, never skipped); "
                "implicit: TLS from the first byte (port 465, RFC 8314).",
                enum=["starttls", "implicit"],
                default="starttls",
            ),
            "credentialsSecretRef": secret_ref(
                "Secret with the SMTP AUTH user name and password. Unset: no AUTH.",
                {
                    "usernameKey": s(
                        "Key of the user name in the Secret's data.",
                        pattern=SECRET_KEY_PATTERN,
                        default="username",
                    ),
                    "passwordKey": s(
                        "Key of the password in the Secret's data.",
                        pattern=SECRET_KEY_PATTERN,
                        default="password",
                    ),
                },
            ),
        },
        required=["host"],
    )
    route = obj(
        "Destination domains this Transport serves.",
        {
            "domains": arr(
                "Recipient domains: example.net (exact), *.example.org (any subdomain) or * "
                "(everything). Exact beats *.suffix beats *.",
                s("A domain, *.domain or *.", pattern=DOMAIN_GLOB_PATTERN, maxLength=255),
                minItems=1,
                maxItems=256,
                **{"x-kubernetes-list-type": "set"},
            ),
            "priority": i(
                "When several Transports in a namespace claim the same pattern, the highest "
                "priority wins (ties: lowest name).",
                minimum=0,
                maximum=1000,
                default=0,
            ),
        },
        required=["domains"],
    )
    per_dest = obj(
        "Limits towards one destination domain (summed over all sidecars using this Transport; "
        "the operator splits them across live sidecars).",
        {
            "domain": s(
                "Recipient domain, *.domain or * (the default for every other domain).",
                pattern=DOMAIN_GLOB_PATTERN,
                maxLength=255,
            ),
            "messagesPerMinute": i(
                "Most messages per minute.", minimum=1, maximum=1000000
            ),
            "maxConnections": i(
                "Most simultaneous SMTP connections.", minimum=1, maximum=1000
            ),
            "deliveriesPerConnection": i(
                "Transactions before a connection is closed and reopened.",
                minimum=1,
                maximum=10000,
            ),
            "maxRecipientsPerTransaction": i(
                "Most RCPT commands in one SMTP transaction; the rest go in the next one at "
                "once. Unset: 50 (Postfix's default).",
                minimum=1,
                maximum=10000,
            ),
        },
        required=["domain"],
    )
    response_rule = obj(
        "A receiver's reply that speaks for the whole destination, and what to do about it. "
        "These go before the sidecar's built-in rules (Gmail 4.7.28 and 5.7.25, Yahoo TSS04, "
        "Microsoft S3150, too many connections); a rule named like a built-in one replaces it.",
        {
            "name": s("Unique name of the rule.", pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
                      maxLength=63),
            "codes": arr(
                "SMTP reply codes it matches; unset: any.",
                i("A reply code.", minimum=400, maximum=599),
                maxItems=16,
            ),
            "enhanced": s(
                "Enhanced status code it matches (RFC 3463), e.g. 4.7.28; unset: any.",
                pattern=r"^[245]\.[0-9]{1,3}\.[0-9]{1,3}$",
            ),
            "text": s(
                "Regular expression (ECMAScript, case-insensitive) searched in the reply text; "
                "unset: any.",
                maxLength=512,
            ),
            "mxSuffix": s(
                "Only for MX hosts ending with this suffix, e.g. google.com; unset: any.",
                maxLength=253,
            ),
            "action": s(
                "defer-destination: hold every message to the destination for duration; "
                "reduce-rate: one connection and half the rate for duration; pause: stop the "
                "destination for duration; switch-family: retry over the other address family; "
                "bounce: fail the recipient; none: turn off a built-in rule of the same name.",
                enum=["defer-destination", "reduce-rate", "pause", "switch-family", "bounce",
                      "none"],
            ),
            "duration": s("How long the action holds (Go duration).", pattern=DURATION_PATTERN),
        },
        required=["name", "action"],
    )
    return obj(
        "How mail leaves the pods that use this Transport.",
        {
            "mode": s(
                "direct: to each recipient's MX (direct optional, relay forbidden); relay: "
                "through a smarthost (relay required, direct forbidden).",
                enum=["direct", "relay"],
            ),
            "direct": direct,
            "relay": relay,
            "routes": arr(
                "Which destination domains use this Transport. Unset: every domain, as a "
                "namespace's only Transport.",
                route,
                maxItems=64,
            ),
            "limits": obj(
                "Per-destination rate limits (receivers throttle or block senders that exceed "
                "their limits).",
                {
                    "perDestination": arr(
                        "One entry per destination domain pattern.",
                        per_dest,
                        maxItems=256,
                        **{"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["domain"]},
                    )
                },
            ),
            "warmup": obj(
                "IP warm-up: new source addresses send little and grow daily, per IP and "
                "destination domain.",
                {
                    "schedule": arr(
                        "Daily caps; after the last day there is no cap.",
                        obj(
                            "Cap for one day of warm-up.",
                            {
                                "day": i("Day number, 1 = the first day.", minimum=1, maximum=365),
                                "messagesPerDay": i(
                                    "Most messages that day per IP and destination.",
                                    minimum=1,
                                    maximum=100000000,
                                ),
                            },
                            required=["day", "messagesPerDay"],
                        ),
                        minItems=1,
                        maxItems=365,
                        **{"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["day"]},
                    )
                },
                required=["schedule"],
            ),
            "responseRules": arr(
                "Replies that speak for a whole destination (slow down, blocklisted, no PTR) "
                "and the action the sidecar takes for all its messages at once.",
                response_rule,
                maxItems=64,
                **{"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]},
            ),
            "pause": obj(
                "Automatic pause: stop sending to a destination when too much bounces.",
                {
                    # A string, not int-or-string: kube-apiserver 1.20 cannot build the
                    # server-side-apply type model of a CRD with an int-or-string field (it logs
                    # "invalid property: anyOf" and treats every list of the kind as atomic).
                    "bounceRateThreshold": s(
                        "Bounce rate that pauses a destination, in percent, as a quoted string: "
                        "'5' or '2.5', optionally followed by a percent sign (more than 0, at "
                        "most 100).",
                        pattern=r"^(100|[1-9][0-9]?|[0-9]\.[0-9]{1,2}|[1-9][0-9]\.[0-9]{1,2})%?$",
                        maxLength=8,
                    ),
                    "window": s(
                        "Sliding window the rate is measured over (Go duration).",
                        pattern=DURATION_PATTERN,
                        default="1h",
                    ),
                    "minMessages": i(
                        "Attempts needed in the window before the rate counts.",
                        minimum=1,
                        maximum=1000000,
                        default=100,
                    ),
                },
                required=["bounceRateThreshold"],
            ),
            "retry": obj(
                "Retry schedule for temporary failures (4xx, timeouts), as retry in the "
                "sidecar config file; defaults are Postfix's.",
                {
                    "initialBackoff": s(
                        "Wait before the first retry; doubles each time (Go duration).",
                        pattern=DURATION_PATTERN,
                        default="5m",
                    ),
                    "maxBackoff": s(
                        "Cap on the wait between retries (Go duration).",
                        pattern=DURATION_PATTERN,
                        default="4000s",
                    ),
                    "queueLifetime": s(
                        "How long a recipient is retried before it bounces with the last reply "
                        "(Go duration).",
                        pattern=DURATION_PATTERN,
                        default="120h",
                    ),
                },
            ),
        },
        required=["mode"],
        # mode and the filled block must agree: relay needs relay and no direct; direct forbids
        # relay. No CEL in 1.20: each rule is a "not" over value validations (structural), so a
        # rejection names spec and the broken rule's shape instead of listing oneOf branches.
        allOf=[
            {"not": {"properties": {"mode": {"enum": ["direct"]}}, "required": ["relay"]}},
            {"not": {"properties": {"mode": {"enum": ["relay"]}}, "required": ["direct"]}},
            {
                "not": {
                    "properties": {"mode": {"enum": ["relay"]}},
                    "not": {"required": ["relay"]},
                }
            },
        ],
    )


def transport_status():
    failure = obj(
        "The most recent failed attempt.",
        {
            "time": s("When it happened (RFC 3339).", format="date-time"),
            "reply": s("The receiver's SMTP reply, or the local error.", maxLength=4096),
            "classification": s(
                "Cause class of the failure.",
                enum=["PTR", "SPF", "DKIM", "DMARC", "Blocklist", "RateLimit", "TLS", "Mailbox",
                      "Connection", "Other"],
            ),
            "family": s("Address family used.", enum=["IPv4", "IPv6"]),
            "sourceIP": s("Local address the attempt came from."),
            "receiverQuotedIP": s(
                "Client address the receiver named in its reply (e.g. Gmail's '[2001:db8::10]'), "
                "when it named one."
            ),
        },
    )
    dest = obj(
        "Outcomes towards one destination domain.",
        {
            "domain": s("Recipient domain."),
            "delivered": count("Recipients delivered."),
            "deferred": count("Attempts deferred (temporary failure, retried)."),
            "bounced": count("Recipients bounced (permanent failure or queue lifetime passed)."),
            "paused": b("True while the bounce-rate pause holds this destination."),
            "lastFailure": failure,
        },
        required=["domain"],
    )
    return obj(
        "Observed state, written by the operator from sidecar reports.",
        {
            "observedGeneration": observed_generation(),
            "conditions": conditions(
                "Transport", "Ready, ConfigRendered, Delivering, Paused"
            ),
            "delivered": count("Recipients delivered, all destinations."),
            "deferred": count("Attempts deferred, all destinations."),
            "bounced": count("Recipients bounced, all destinations."),
            "perDestination": arr(
                "Per destination domain outcomes and the last failure.",
                dest,
                **{"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["domain"]},
            ),
        },
    )


# --- CRDs -----------------------------------------------------------------------------------------
def crd(kind, plural, short, desc, spec, status, columns):
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "names": {
                "kind": kind,
                "listKind": kind + "List",
                "plural": plural,
                "singular": kind.lower(),
                "shortNames": short,
                "categories": ["mailroom"],
            },
            "scope": "Namespaced",
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": columns,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "description": desc,
                            "properties": {
                                "apiVersion": s(
                                    "Versioned schema of this object: mailroom.dev/v1alpha1."
                                ),
                                "kind": s(f"REST resource kind: {kind}."),
                                "metadata": {"type": "object"},
                                "spec": spec,
                                "status": status,
                            },
                            "required": ["spec"],
                        }
                    },
                }
            ],
        },
    }


def col(name, path, typ="string", desc=None, priority=0):
    c = {"name": name, "type": typ, "jsonPath": path}
    if desc:
        c["description"] = desc
    if priority:
        c["priority"] = priority
    return c


AGE = col("Age", ".metadata.creationTimestamp", "date")
READY = col("Ready", '.status.conditions[?(@.type=="Ready")].status', desc="Ready condition")


def maildomain():
    return crd(
        "MailDomain",
        "maildomains",
        ["md"],
        "MailDomain is one sending domain: where its DNS lives, its DKIM keys and its SPF and "
        "DMARC policy. The operator publishes the records and reports their health per sending "
        "IP.",
        maildomain_spec(),
        maildomain_status(),
        [
            col("Domain", ".spec.domain"),
            col("SPF", ".status.spf", desc="SPF authorizes every sending IP"),
            col("DKIM", ".status.dkim", desc="DKIM keys published and equal to the Secrets"),
            col("DMARC", ".status.dmarc", desc="DMARC record present"),
            col("PTR", ".status.ptr", desc="PTR forward-confirmed and equal to EHLO per IP"),
            READY,
            AGE,
        ],
    )


def transport():
    return crd(
        "Transport",
        "transports",
        ["mt"],
        "Transport says how mail leaves the pods that use it: direct to MX hosts (address "
        "family, source addresses, EHLO name, TLS) or through a relay, which destinations it "
        "serves, and per-destination limits, warm-up, pause and retry.",
        transport_spec(),
        transport_status(),
        [
            col("Mode", ".spec.mode"),
            col("Family", ".spec.direct.addressFamily", desc="Address families (direct)"),
            col("Delivered", ".status.delivered", "integer"),
            col("Deferred", ".status.deferred", "integer"),
            col("Bounced", ".status.bounced", "integer"),
            READY,
            AGE,
        ],
    )


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper, data):
    # Block style would fold long regexes; keep them on one line, quoted when needed.
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _str)
_Dumper.ignore_aliases = lambda self, data: True

HEADER = (
    "# Generated by crds/generate.py; edit that file and run it (the kube e2e test checks drift).\n"
)


def check_descriptions(node, path="$"):
    """Every schema node documents itself; kubectl 1.20's explain treats '%' as a format verb."""
    if isinstance(node, dict):
        if "type" in node or "x-kubernetes-int-or-string" in node:
            if path.endswith(".metadata"):
                pass  # described by Kubernetes itself
            elif not node.get("description"):
                raise SystemExit(f"generate.py: {path} has no description")
        if "%" in node.get("description", ""):
            raise SystemExit(f"generate.py: {path}: no '%' in descriptions (kubectl explain)")
        for key, value in node.items():
            if key in ("properties",):
                for name, sub in value.items():
                    check_descriptions(sub, f"{path}.{name}")
            elif key == "items":
                check_descriptions(value, f"{path}[]")


def render(doc):
    for version in doc["spec"]["versions"]:
        check_descriptions(version["schema"]["openAPIV3Schema"], doc["spec"]["names"]["kind"])
    return HEADER + yaml.dump(copy.deepcopy(doc), Dumper=_Dumper, sort_keys=False, width=100)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    outputs = {
        "mailroom.dev_maildomains.yaml": render(maildomain()),
        "mailroom.dev_transports.yaml": render(transport()),
    }
    check = "--check" in sys.argv[1:]
    drift = False
    for name, text in outputs.items():
        path = os.path.join(here, name)
        if check:
            try:
                with open(path) as f:
                    current = f.read()
            except FileNotFoundError:
                current = None
            if current != text:
                print(f"crds/{name} is out of date: run crds/generate.py", file=sys.stderr)
                drift = True
        else:
            with open(path, "w") as f:
                f.write(text)
    return 1 if drift else 0


if __name__ == "__main__":
    sys.exit(main())
