#!/usr/bin/python3
"""dkimpy (Debian python3-dkim) as an independent DKIM verifier/signer, with keys from a file
instead of DNS, for tests/conformance/dkim/external_test.cc.

  dkimpy_tool.py verify KEYS MSG...   one line per signature: FILE<TAB>INDEX<TAB>pass|fail<TAB>detail
  dkimpy_tool.py sign SELECTOR DOMAIN KEYFILE ALG HCANON BCANON OUTDIR MSG...
                                      writes OUTDIR/<basename of MSG> signed by dkimpy

KEYS holds lines "<selector>._domainkey.<domain> <TXT value>" (the strings already joined).
"""
import os
import sys

import dkim


def load_keys(path):
    keys = {}
    with open(path, "rb") as f:
        for line in f:
            line = line.rstrip(b"\r\n")
            if not line:
                continue
            name, _, value = line.partition(b" ")
            keys[name.lower().rstrip(b".")] = value
    return keys


def verify(keys_path, files):
    keys = load_keys(keys_path)

    def dnsfunc(name, timeout=5):
        if isinstance(name, str):
            name = name.encode()
        return keys.get(name.lower().rstrip(b"."))

    for path in files:
        with open(path, "rb") as f:
            message = f.read()
        d = dkim.DKIM(message)
        count = sum(1 for h in d.headers if h[0].lower() == b"dkim-signature")
        if count == 0:
            print(f"{path}\t0\tnone\tno signature")
        for i in range(count):
            try:
                ok = d.verify(idx=i, dnsfunc=dnsfunc)
                print(f"{path}\t{i}\t{'pass' if ok else 'fail'}\t")
            except dkim.DKIMException as e:
                print(f"{path}\t{i}\tfail\t{type(e).__name__}: {e}")
    return 0


def sign(selector, domain, keyfile, alg, hcanon, bcanon, outdir, files):
    with open(keyfile, "rb") as f:
        key = f.read().strip()
    for path in files:
        with open(path, "rb") as f:
            message = f.read()
        field = dkim.sign(message, selector.encode(), domain.encode(), key,
                          canonicalize=(hcanon.encode(), bcanon.encode()),
                          signature_algorithm=alg.encode())
        with open(os.path.join(outdir, os.path.basename(path)), "wb") as f:
            f.write(field + message)
    return 0


def main(argv):
    if len(argv) >= 3 and argv[1] == "verify":
        return verify(argv[2], argv[3:])
    if len(argv) >= 9 and argv[1] == "sign":
        return sign(*argv[2:9], argv[9:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
