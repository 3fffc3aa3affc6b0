"""``python -m local.standins.container_api --port 4570 [--host 127.0.0.1] [--cors-origin URL ...]
[--tls-cert FILE --tls-key FILE] [--delay-ms MS]`` (with a certificate: HTTPS only; with a delay,
every answer comes that much late: the local ``container-api-slow`` fault)"""

from __future__ import annotations

import argparse
import os
import ssl

from aiohttp import web

from .app import build_app


def main() -> None:
    parser = argparse.ArgumentParser(prog="container_api", description=__doc__)
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "4570")))
    parser.add_argument(
        "--cors-origin",
        action="append",
        dest="cors_origins",
        help="a site origin allowed by CORS (repeatable); default: any origin",
    )
    parser.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    parser.add_argument("--tls-key", help="the certificate's private key (PEM)")
    parser.add_argument("--delay-ms", type=float, default=0.0, help="answer every request this late")
    args = parser.parse_args()
    origins = args.cors_origins or os.environ.get("CORS_ORIGINS", "*").split(",")
    context = None
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(args.tls_cert, args.tls_key)
    web.run_app(
        build_app(origins, delay_ms=args.delay_ms),
        host=args.host,
        port=args.port,
        ssl_context=context,
        print=None,
        access_log=None,
    )


if __name__ == "__main__":
    main()
