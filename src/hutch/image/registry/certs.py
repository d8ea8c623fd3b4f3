"""TLS contexts for a registry host: the system's CAs plus certs.d (containers-certs.d(5)).

The system's CAs are ``ssl.create_default_context()``'s, loaded lazily (``system_context``).
A host's directory is ``ROOT/HOST[:PORT]/`` in the first root where it exists, as
containers/image looks (``~/.config/containers/certs.d``, ``/etc/containers/certs.d``,
``/etc/docker/certs.d``); podman's ``--cert-dir`` names one directory instead. In it, every
``*.crt`` is an extra CA, and every ``*.cert`` is a client certificate whose key is the ``*.key``
of the same name (one without the other is an error). Client certificates are presented even
with verification off.
"""

from __future__ import annotations

import os

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ssl

SYSTEM_ROOTS = ("/etc/containers/certs.d", "/etc/docker/certs.d")
USER_ROOT = ".config/containers/certs.d"  # under $HOME

_cache: dict[tuple[str, bool, str | None, tuple[str, ...]], ssl.SSLContext] = {}


class CertsError(HutchError):
    """A certs.d directory whose files cannot be used (names the file)."""


def default_roots() -> tuple[str, ...]:
    return (os.path.join(os.path.expanduser("~"), USER_ROOT), *SYSTEM_ROOTS)


def cert_dir_for(host: str, roots: tuple[str, ...] | None = None) -> str | None:
    """``ROOT/HOST`` in the first of ``roots`` where it is a directory; None if in none."""
    if not host or "/" in host or host in (".", ".."):
        raise CertsError(f"invalid registry host {host!r} for certs.d")
    for root in default_roots() if roots is None else roots:
        d = os.path.join(root, host)
        if os.path.isdir(d):
            return d
    return None


def tls_context(host: str, *, verify: bool = True, cert_dir: str | None = None,
                roots: tuple[str, ...] | None = None) -> ssl.SSLContext:
    """The client context for ``host`` (``quay.io``, ``127.0.0.1:5000``), cached per arguments.
    ``verify=False`` checks neither the chain nor the name (``--tls-verify=false``)."""
    key = (host, verify, cert_dir, default_roots() if roots is None else roots)
    ctx = _cache.get(key)
    if ctx is None:
        d = cert_dir if cert_dir is not None else cert_dir_for(host, key[3])
        ctx = _cache[key] = _build(d, verify)
    return ctx


def clear_cache() -> None:
    _cache.clear()


def _hashed(capath: str) -> bool:
    """Whether ``capath`` holds OpenSSL's subject-hash links (``5ad8a5d6.0``), as c_rehash and
    Debian's update-ca-certificates make them."""
    try:
        names = os.listdir(capath)
    except OSError:
        return False
    hexdigits = frozenset("0123456789abcdef")
    return any(len(n) >= 10 and n[8] == "." and n[9:].isdigit() and set(n[:8]) <= hexdigits for n in names)


def system_context() -> ssl.SSLContext:
    """What ``ssl.create_default_context()`` gives, without its cost: that parses the whole CA
    bundle up front (~45 ms here, 144 certificates); where the system's CA directory has hash
    links, OpenSSL instead reads the one issuer it needs while verifying (~0.3 ms).
    With ``SSL_CERT_FILE`` or ``SSL_CERT_DIR`` set, Python's way (the file is parsed up front)."""
    import ssl

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED, check_hostname, secure defaults
    paths = ssl.get_default_verify_paths()
    overridden = os.environ.get(paths.openssl_cafile_env) or os.environ.get(paths.openssl_capath_env)
    if paths.capath and not overridden and _hashed(paths.capath):
        ctx.load_verify_locations(capath=paths.capath)
    else:
        ctx.load_default_certs()
    keylog = os.environ.get("SSLKEYLOGFILE")  # as create_default_context, for debugging with wireshark
    if keylog:
        ctx.keylog_filename = keylog
    return ctx


def _build(d: str | None, verify: bool) -> ssl.SSLContext:
    import ssl

    if verify:
        ctx = system_context()
    else:  # nothing is verified: no CA store to load (up to ~45 ms)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if d is None:
        return ctx
    try:
        names = sorted(os.listdir(d))
    except FileNotFoundError:  # as containers/image: a --cert-dir that does not exist adds nothing
        return ctx
    except OSError as err:
        raise CertsError(f"cannot read {d}: {err.strerror}") from None
    present = set(names)
    for n in names:
        path, what = os.path.join(d, n), "file"
        try:
            if n.endswith(".crt"):
                what = "CA certificate"
                ctx.load_verify_locations(cafile=path)
            elif n.endswith(".cert"):
                what = "client certificate"
                key = os.path.join(d, n[:-5] + ".key")
                if n[:-5] + ".key" not in present:
                    raise CertsError(f"missing key {key} for client certificate {path}")
                ctx.load_cert_chain(path, key)
            elif n.endswith(".key") and n[:-4] + ".cert" not in present:
                raise CertsError(f"missing client certificate {path[:-4]}.cert for key {path}")
        except ssl.SSLError as err:
            why = err.reason or (err.args[1] if len(err.args) > 1 else err)  # e.g. "PEM lib"
            raise CertsError(f"invalid {what} {path}: {why}") from None
        except OSError as err:
            raise CertsError(f"cannot read {what} {path}: {err.strerror}") from None
    return ctx
