"""moto's state, pickled to one file: loaded at the control plane's start, written on request.

``POST /_local/snapshot`` (``local.cloud.up`` at stop) saves every moto backend in use, so that a
re-``make up`` finds what Terraform created and Terraform sees no changes. The request's JSON body is
kept as the snapshot's ``meta``: ``local.cloud.up`` sends the Terraform state's lineage and serial,
the tag it checks before reusing a snapshot, and ``GET /_local/health`` reports it.
What our patches store (event invoke and provisioned concurrency configurations) lives on moto's
objects (see ``local.services.lambda_.moto_patches``) and is saved with them.

A snapshot written by another moto version, or one that fails to load, is ignored: it only costs a
fresh start.
"""

from __future__ import annotations

import copy
import functools
import io
import pickle
import sys
import threading
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any


class Snapshot:
    """moto's state (every backend in use), pickled to one file.

    Everything goes into one ``pickle.dump`` so that objects shared between services (a Lambda
    function's logs backend, say) stay shared after loading.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.meta: dict[str, Any] = {}

    def load(self) -> bool:
        if self.path is None or not self.path.exists():
            return False
        try:
            with self.path.open("rb") as file:
                document = pickle.load(file)  # noqa: S301 (our own file, written by save())
            import moto

            if document.get("moto_version") != moto.__version__:
                raise ValueError(
                    f"written by moto {document.get('moto_version')}, this is {moto.__version__}"
                )
            saved_backends = document["backends"]
            for live, saved in zip(_live_backend_dicts(saved_backends), saved_backends.values(), strict=True):
                live.update(saved)
                if live not in _in_use():
                    _in_use().append(live)
            self.meta = document.get("meta", {})
        except Exception as error:  # a stale or broken snapshot only costs a fresh start
            print(f"control plane: ignoring snapshot {self.path}: {error!r}", file=sys.stderr, flush=True)
            self.meta = {}
            return False
        return True

    def save(self, meta: dict[str, Any]) -> int:
        import moto
        from moto.core.base_backend import backend_lock

        if self.path is None:
            raise ValueError("no --snapshot path given")
        with backend_lock:
            backends = {_backend_key(b): dict(b) for b in _in_use()}
            buffer = io.BytesIO()
            document = {
                "moto_version": moto.__version__,
                "backends": backends,
                "meta": meta,
            }
            try:
                _StatePickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(document)
            except Exception as error:
                raise ValueError(f"{error!r} at {_unpicklable_path(document)}") from error
            data = buffer.getvalue()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_bytes(data)
        temporary.replace(self.path)
        self.meta = meta
        return len(data)


class _StatePickler(pickle.Pickler):
    """pickle, plus the two kinds of object moto's state holds that plain pickle refuses."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, weakref.WeakValueDictionary):
            # moto indexes Lambda functions by ARN weakly; the values are pickled (strongly) elsewhere
            # in the same dump, so the rebuilt weak references stay alive.
            return (weakref.WeakValueDictionary, (dict(obj),))
        if isinstance(obj, _LOCK_TYPES):
            # Locks (and what holds nothing but locks) start unlocked, as after a restart.
            return (_new_lock, (type(obj) is _RLOCK_TYPE,))
        if type(obj).__module__.startswith("cryptography."):
            return _reduce_cryptography(obj)
        if isinstance(obj, defaultdict):
            return _reduce_defaultdict(obj)
        return NotImplemented


def _reduce_defaultdict(obj: defaultdict[Any, Any]) -> Any:
    """defaultdicts, including two kinds plain pickle cannot rebuild.

    A factory that is a lambda (``lambda: {}``) becomes one that copies a value the lambda made,
    which is what such pure factories do. A subclass whose ``__init__`` takes arguments of its own
    (moto's SSM ``ParameterDict(account_id, region_name)``) is rebuilt without calling it: the
    instance is made with ``__new__``, given its factory, items and attributes.
    """
    factory = obj.default_factory
    if "<locals>" in getattr(factory, "__qualname__", ""):
        sample = factory() if callable(factory) else None
        factory = functools.partial(copy.deepcopy, sample)
    if type(obj) is defaultdict:
        if factory is obj.default_factory:
            return NotImplemented
        return (_defaultdict, (factory, dict(obj)))
    return (_defaultdict_subclass, (type(obj), factory, dict(obj), dict(vars(obj))))


_RLOCK_TYPE = type(threading.RLock())
_LOCK_TYPES = (type(threading.Lock()), _RLOCK_TYPE)


def _new_lock(reentrant: bool) -> Any:
    return threading.RLock() if reentrant else threading.Lock()


def _unpicklable_path(obj: Any, path: str = "state", depth: int = 0) -> str:
    """Where in ``obj`` pickling fails (for the error message), e.g. state['acm']...._key."""
    children: list[tuple[str, Any]] = []
    if isinstance(obj, dict):
        children = [(f"{path}[{k!r}]", v) for k, v in obj.items()]
    elif isinstance(obj, list | tuple | set):
        children = [(f"{path}[{i}]", v) for i, v in enumerate(obj)]
    elif hasattr(obj, "__dict__"):
        children = [(f"{path}.{k}", v) for k, v in vars(obj).items()]
    for child_path, child in children:
        try:
            _StatePickler(io.BytesIO(), protocol=pickle.HIGHEST_PROTOCOL).dump(child)
        except Exception:
            return _unpicklable_path(child, child_path, depth + 1) if depth < 12 else child_path
    return f"{path} ({type(obj).__name__})"


def _reduce_cryptography(obj: Any) -> Any:
    """ACM's keys and certificates (pyca/cryptography objects in Rust) travel as PEM."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    if hasattr(obj, "private_bytes"):
        pem = obj.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return (_load_private_key, (pem,))
    if isinstance(obj, x509.Certificate):
        return (_load_certificate, (obj.public_bytes(serialization.Encoding.PEM),))
    return NotImplemented


def _load_private_key(pem: bytes) -> Any:
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_private_key(pem, None)


def _load_certificate(pem: bytes) -> Any:
    from cryptography import x509

    return x509.load_pem_x509_certificate(pem)


def _defaultdict(factory: Callable[[], Any], items: dict[Any, Any]) -> defaultdict[Any, Any]:
    return defaultdict(factory, items)


def _defaultdict_subclass(
    cls: type[defaultdict[Any, Any]],
    factory: Callable[[], Any] | None,
    items: dict[Any, Any],
    attributes: dict[str, Any],
) -> defaultdict[Any, Any]:
    instance = cls.__new__(cls)
    defaultdict.__init__(instance, factory)
    dict.update(instance, items)  # not the subclass's own update or __setitem__, which may load data
    vars(instance).update(attributes)
    return instance


def _in_use() -> list[Any]:
    """moto's list of the backends that hold state (BackendDict._instances)."""
    from moto.core.base_backend import BackendDict

    instances: list[Any] = BackendDict._instances  # type: ignore[misc]
    return instances


def _backend_key(backend_dict: Any) -> str:
    cls = backend_dict.backend
    return f"{cls.__module__}:{cls.__qualname__}:{backend_dict.service_name}"


def _live_backend_dicts(saved: dict[str, Any]) -> Iterable[Any]:
    """The module-level BackendDict each saved entry belongs to (importing its module)."""
    import importlib

    from moto.core.base_backend import BackendDict

    for key in saved:
        module_name, qualname, service = key.split(":")
        module = importlib.import_module(module_name)
        matches = [
            value
            for value in vars(module).values()
            if isinstance(value, BackendDict)
            and value.backend.__qualname__ == qualname
            and value.service_name == service
        ]
        if len(matches) != 1:
            raise ValueError(f"cannot find moto's backend {key}")
        yield matches[0]
