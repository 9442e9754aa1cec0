"""xlwings' Windows (COM) code path, importable on any OS through stand-in pywin32 modules.

On Windows, ``import xlwings`` binds ``xw.func``/``xw.arg``/``xw.ret`` to the classic UDF
decorators of ``xlwings.udfs``, which record the metadata that "Import Functions" turns
into VBA wrappers; elsewhere they are no-ops. :func:`windows_xlwings` puts minimal
stand-ins for pywin32 (``pywintypes``, ``pythoncom``, ``win32api``, ``win32com.client`` …)
into ``sys.modules`` for the duration of a ``with`` block, imports xlwings' real
``_xlwindows``, ``udfs`` and ``com_server`` modules, binds the classic decorators, registers
xlwings' own Windows engine for value conversion, and imports a fresh copy of the UDF
module so that its decorators record real metadata. Everything is restored on exit.

It serves the tests (metadata, VBA wrappers, ``XLPython.CallUDF`` with a stand-in call
from Excel) and :func:`udf_vba_module`, which writes the ``xlwings_udfs`` VBA module that
"Import Functions" would write, so the demo workbook ships it and a reviewer reads it.
Nothing here talks to Excel; it is a build and test tool, never used at run time.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import importlib
import io
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

__all__ = ["TimeType", "WindowsXlwings", "udf_vba_module", "windows_xlwings"]

UDF_MODULE = "perf_excel.udfs"


class _Anything:
    """Any attribute and any call, returning another stand-in (for unused COM plumbing)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, item: str) -> _Anything:
        if item.startswith("__"):
            raise AttributeError(item)
        return _Anything(f"{self._name}.{item}")

    def __call__(self, *args: object, **kwargs: object) -> _Anything:
        return _Anything(f"{self._name}()")

    def __getitem__(self, key: object) -> _Anything:
        return _Anything(f"{self._name}[]")

    def __repr__(self) -> str:
        return f"<stand-in {self._name}>"


class TimeType(dt.datetime):
    """pywintypes.TimeType: what COM hands Python for a date cell (a datetime subclass)."""


class ComError(Exception):
    """pywintypes.com_error."""


class _PyIDispatch:
    """The type pythoncom uses for raw IDispatch pointers."""


class _TimeZoneInfo:
    @staticmethod
    def utc() -> dt.tzinfo:
        return dt.timezone.utc


def _unwrap(value: object) -> object:
    # win32com.server.util.unwrap raises for anything that is not a wrapped Python object.
    raise TypeError("not a wrapped object")


_STAND_INS = (
    "pywintypes",
    "pythoncom",
    "win32api",
    "win32con",
    "win32gui",
    "win32process",
    "win32event",
    "win32timezone",
    "win32com",
    "win32com.client",
    "win32com.client.gencache",
    "win32com.server",
    "win32com.server.dispatcher",
    "win32com.server.policy",
    "win32com.server.util",
)
_XLWINGS_MODULES = ("xlwings._xlwindows", "xlwings._win32patch", "xlwings.udfs", "xlwings.com_server")


def _module(name: str, **attrs: object) -> types.ModuleType:
    m = types.ModuleType(name)
    m.__file__ = f"<stand-in {name}>"
    m.__getattr__ = lambda item, _n=name: _Anything(f"{_n}.{item}")  # type: ignore[method-assign]
    for key, value in attrs.items():
        setattr(m, key, value)
    return m


def _stand_in_modules() -> dict[str, types.ModuleType]:
    mods = {
        "pywintypes": _module(
            "pywintypes", TimeType=TimeType, com_error=ComError, error=ComError, IID=lambda s: str(s).upper()
        ),
        "pythoncom": _module(
            "pythoncom",
            IID_IDispatch="{00020400-0000-0000-C000-000000000046}",
            TypeIIDs={"{00020400-0000-0000-C000-000000000046}": _PyIDispatch},
            CoInitialize=lambda: None,
        ),
        "win32timezone": _module("win32timezone", TimeZoneInfo=_TimeZoneInfo),
    }
    for name in ("win32api", "win32con", "win32gui", "win32process", "win32event", "win32com.client.gencache"):
        mods[name] = _module(name)
    mods["win32com.client"] = _module(
        "win32com.client",
        Dispatch=_Anything("Dispatch"),
        DispatchEx=_Anything("DispatchEx"),
        CDispatch=type("CDispatch", (), {}),
        CoClassBaseClass=type("CoClassBaseClass", (), {}),
        DispatchBaseClass=type("DispatchBaseClass", (), {}),
        gencache=mods["win32com.client.gencache"],
    )
    mods["win32com.server.util"] = _module("win32com.server.util", unwrap=_unwrap, wrap=lambda obj: obj)
    mods["win32com.server.dispatcher"] = _module("win32com.server.dispatcher")
    mods["win32com.server.policy"] = _module("win32com.server.policy")
    mods["win32com.server"] = _module(
        "win32com.server",
        __path__=[],
        util=mods["win32com.server.util"],
        dispatcher=mods["win32com.server.dispatcher"],
        policy=mods["win32com.server.policy"],
    )
    mods["win32com"] = _module("win32com", __path__=[], client=mods["win32com.client"], server=mods["win32com.server"])
    return mods


@dataclass
class WindowsXlwings:
    """What :func:`windows_xlwings` yields: xlwings' Windows modules and the decorated UDFs."""

    udfs: types.ModuleType  # xlwings.udfs
    com_server: types.ModuleType  # xlwings.com_server
    xlwindows: types.ModuleType  # xlwings._xlwindows
    module: types.ModuleType  # the UDF module, decorated for real

    def call_from_excel(self, func: str, *args: object) -> Any:
        """``XLPy.CallUDF`` as a VBA wrapper makes it, with values instead of COM ranges."""
        server = self.com_server.XLPython()
        return server.CallUDF(self.module.__name__, func, args, None, _Anything("Application.Caller"))


_MISSING = object()


@contextmanager
def windows_xlwings(module_name: str = UDF_MODULE) -> Iterator[WindowsXlwings]:
    """Within the block, xlwings behaves as on Windows with pywin32 (without Excel)."""
    import xlwings

    # perf_excel.udfs is the public name of perf_excel.excel.udfs: both must be imported afresh.
    names = (module_name, importlib.import_module(module_name).__name__)
    touched = (*_STAND_INS, *_XLWINGS_MODULES, *names)
    saved_modules = {name: sys.modules.get(name, _MISSING) for name in touched}
    saved_ctypes = {name: getattr(ctypes, name, _MISSING) for name in ("windll", "oledll", "PyDLL")}
    saved_xw = {
        name: getattr(xlwings, name, _MISSING) for name in ("func", "arg", "ret", "script", "sub", "_xlwindows")
    }
    saved_children = []
    for name in names:
        parent_name, _, child = name.rpartition(".")
        parent = sys.modules.get(parent_name) if parent_name else None
        if parent is not None:
            saved_children.append((parent, child, getattr(parent, child, _MISSING)))
    engines = xlwings.engines
    saved_engines = (list(engines.engines), dict(engines.engines_by_name), engines.active)
    com_server = None
    try:
        sys.modules.update(_stand_in_modules())
        # _xlwindows reaches Windows DLLs through ctypes at import time.
        ctypes.windll = _Anything("windll")  # type: ignore[attr-defined]
        ctypes.oledll = _Anything("oledll")  # type: ignore[attr-defined]
        ctypes.PyDLL = lambda *a, **k: _Anything("PyDLL")  # type: ignore[assignment,misc]
        for name in _XLWINGS_MODULES:
            sys.modules.pop(name, None)
        xlwindows = importlib.import_module("xlwings._xlwindows")
        udfs = importlib.import_module("xlwings.udfs")
        com_server = importlib.import_module("xlwings.com_server")
        for name, value in saved_ctypes.items():
            _restore_attr(ctypes, name, value)
        xlwings.func, xlwings.arg, xlwings.ret = udfs.xlfunc, udfs.xlarg, udfs.xlret
        xlwings.script = xlwings.sub = udfs.xlsub
        engines.add(xlwings.Engine(impl=xlwindows.engine))
        udfs.udf_modules.clear()
        for name in names:
            sys.modules.pop(name, None)
        for parent, child, _ in saved_children:
            _restore_attr(parent, child, _MISSING)
        module = importlib.import_module(module_name)
        yield WindowsXlwings(udfs=udfs, com_server=com_server, xlwindows=xlwindows, module=module)
    finally:
        if com_server is not None:
            com_server.loop.close()
        for name, value in saved_ctypes.items():
            _restore_attr(ctypes, name, value)
        for name, value in saved_xw.items():
            _restore_attr(xlwings, name, value)
        engines.engines[:] = saved_engines[0]
        engines.engines_by_name.clear()
        engines.engines_by_name.update(saved_engines[1])
        engines.active = saved_engines[2]
        for name, value in saved_modules.items():
            if value is _MISSING:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = value
        for parent, child, saved_child in saved_children:
            _restore_attr(parent, child, saved_child)


def _restore_attr(obj: object, name: str, value: object) -> None:
    if value is _MISSING:
        if hasattr(obj, name):
            delattr(obj, name)
    else:
        setattr(obj, name, value)


@dataclass
class _Workbook:
    """The one attribute of the calling workbook that the VBA generator reads."""

    Name: str


def udf_vba_module(module_name: str = UDF_MODULE, workbook_name: str = "perf_excel_demo.xlsm") -> str:
    """The ``xlwings_udfs`` VBA module that "Import Functions" writes for ``module_name``.

    Header lines as ``xlwings.udfs.import_udfs`` writes them, then one wrapper per function
    from ``xlwings.udfs.generate_vba_wrapper``. Lines end in ``\\n``.
    """
    with windows_xlwings(module_name) as xl:
        out = io.StringIO()
        writer = xl.udfs.VBAWriter(out)
        writer.writeln('Attribute VB_Name = "xlwings_udfs"')
        writer.writeln("'Autogenerated code by xlwings - changes will be lost with next import!")
        writer.writeln("""#Const App = "Microsoft Excel" 'Adjust when using outside of Excel""")
        xl.udfs.generate_vba_wrapper(module_name, xl.module, out, _Workbook(workbook_name))
        return out.getvalue()
