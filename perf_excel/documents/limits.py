"""Limits on rendering a template: time, output size, memory, and operators that allocate.

A template is user input. The sandbox keeps it away from Python internals, but not from
spending the machine: ``{% for i in range(99999) %}{% for j in range(99999) %}…`` runs for
hours, ``{{ 'x' * 10**10 }}`` asks for 10 GB, ``{{ 9**9**9 }}`` never returns. Every
render of the project's environment therefore goes through :func:`install_limits`:

* the output of one render (body, header, footer or a document property) is counted as it
  is produced and stopped beyond :data:`MAX_CHARS`;
* a watchdog thread stops a render that runs longer than :data:`MAX_SECONDS` or makes the
  process grow by more than :data:`MAX_MEMORY_MB` (it raises an exception in the rendering
  thread, so even a loop that produces nothing is stopped);
* ``*``, ``**``, ``+``, ``-`` and ``%`` are checked before they run: no text or list of more
  than :data:`MAX_ITEMS` items, no whole number of more than :data:`MAX_INT_BITS` bits (about
  100 digits: one multiplication of two huge numbers runs in C, where the watchdog cannot stop
  it, so ``{% set ns.x = ns.x * ns.x %}`` in a loop would overrun any time limit), no format
  width of six digits (also in ``str.format`` and the ``format``/``center``/``indent`` filters),
  and the ``replace`` and ``join`` filters build no text beyond :data:`MAX_ITEMS` characters;
* ``lipsum`` (which builds text of any size) is removed; ``range`` is the sandbox's (≤ 100,000).

A stopped render raises :class:`RenderLimitError`, a Jinja error, so the engine reports it
like any template mistake: with the template's name and the part (正文/页眉页脚/文档属性).
The limits can be raised for very large runs with the environment variables
``PERF_EXCEL_RENDER_SECONDS``, ``PERF_EXCEL_RENDER_MB`` and ``PERF_EXCEL_RENDER_MEMORY_MB``.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import os
import re
import threading
import time
import types
from collections.abc import Iterable, Iterator
from typing import Any

from jinja2.exceptions import TemplateRuntimeError
from jinja2.sandbox import SandboxedEnvironment

__all__ = [
    "MAX_CHARS",
    "MAX_INT_BITS",
    "MAX_ITEMS",
    "MAX_MEMORY_MB",
    "MAX_SECONDS",
    "RenderLimitError",
    "install_limits",
    "limits",
]


def _env_number(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


#: Longest a single render may take, in seconds.
MAX_SECONDS = _env_number("PERF_EXCEL_RENDER_SECONDS", 1800.0)
#: Most characters a single render may produce (a bulletin of 100,000 units is about 200 million).
MAX_CHARS = int(_env_number("PERF_EXCEL_RENDER_MB", 2048) * 2**20)
#: Most the process may grow while one render runs, in MB.
MAX_MEMORY_MB = _env_number("PERF_EXCEL_RENDER_MEMORY_MB", 8192.0)
#: Longest text or list ``*`` may build.
MAX_ITEMS = 10_000_000
#: Largest whole number (in bits) ``*``, ``**``, ``+`` and ``-`` may produce: 2**333 is about 10**100.
MAX_INT_BITS = 333
_WIDE_FORMAT = re.compile(r"\d{6,}|%[-+ #0]*\*|\{[^{}]*:[^{}]*\{")


class RenderLimitError(TemplateRuntimeError):
    """A render stopped by a limit (time, size, memory or an oversized operation)."""


class _Stop(BaseException):
    """Raised asynchronously in a rendering thread by the watchdog."""


# --- the watchdog -------------------------------------------------------------------------------


def _rss_mb() -> float | None:
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError, AttributeError):
        return None


class _Watch:
    __slots__ = ("thread_id", "deadline", "rss_limit", "reason")

    def __init__(self, thread_id: int, deadline: float, rss_limit: float | None) -> None:
        self.thread_id, self.deadline, self.rss_limit = thread_id, deadline, rss_limit
        self.reason = ""


class _Watchdog:
    """One daemon thread watching every render in progress (cheap: renders only register)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watches: set[_Watch] = set()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, seconds: float, memory_mb: float) -> _Watch:
        rss = _rss_mb()
        w = _Watch(threading.get_ident(), time.monotonic() + seconds, None if rss is None else rss + memory_mb)
        with self._lock:
            self._watches.add(w)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="perf-excel-render-watchdog", daemon=True)
                self._thread.start()
        self._wake.set()
        return w

    def unwatch(self, w: _Watch) -> None:
        with self._lock:
            self._watches.discard(w)
            if w.reason:
                # The exception may still be pending in this thread: clear it.
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(w.thread_id), None)

    def _run(self) -> None:
        while True:
            with self._lock:
                watches = list(self._watches)
            if not watches:
                self._wake.wait(5.0)
                self._wake.clear()
                continue
            now = time.monotonic()
            rss = _rss_mb() if any(w.rss_limit is not None for w in watches) else None
            for w in watches:
                reason = ""
                if now > w.deadline:
                    reason = "time"
                elif rss is not None and w.rss_limit is not None and rss > w.rss_limit:
                    reason = "memory"
                if reason:
                    with self._lock:
                        if w in self._watches and not w.reason:
                            w.reason = reason
                            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                                ctypes.c_ulong(w.thread_id), ctypes.py_object(_Stop)
                            )
            time.sleep(0.05)


_WATCHDOG = _Watchdog()


# --- limits ------------------------------------------------------------------------------------


@contextlib.contextmanager
def limits(seconds: float | None = None, chars: int | None = None, memory_mb: float | None = None) -> Iterator[None]:
    """Temporarily change the limits (tests, or a run that knows it is large)."""
    global MAX_SECONDS, MAX_CHARS, MAX_MEMORY_MB
    old = MAX_SECONDS, MAX_CHARS, MAX_MEMORY_MB
    MAX_SECONDS = seconds if seconds is not None else MAX_SECONDS
    MAX_CHARS = chars if chars is not None else MAX_CHARS
    MAX_MEMORY_MB = memory_mb if memory_mb is not None else MAX_MEMORY_MB
    try:
        yield
    finally:
        MAX_SECONDS, MAX_CHARS, MAX_MEMORY_MB = old


def _bounded_concat(chunks: Iterable[str]) -> str:
    """``"".join(chunks)`` for a render, stopped by the size, time and memory limits."""
    watch = _WATCHDOG.watch(MAX_SECONDS, MAX_MEMORY_MB)
    limit = MAX_CHARS
    try:
        out: list[str] = []
        size = 0
        for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise RenderLimitError(
                    f"渲染结果超过 {limit / 2**20:,.0f} MB，已停止（模板中可能有过大的循环或重复）；"
                    "如确需生成这么大的文档，可设置环境变量 PERF_EXCEL_RENDER_MB"
                )
            out.append(chunk)
        return "".join(out)
    except _Stop:
        if watch.reason == "memory":
            raise RenderLimitError(
                f"渲染占用内存增加超过 {MAX_MEMORY_MB:,.0f} MB，已停止（模板中可能有过大的循环）；"
                "可设置环境变量 PERF_EXCEL_RENDER_MEMORY_MB 调整"
            ) from None
        raise RenderLimitError(
            f"渲染超过 {MAX_SECONDS:g} 秒仍未完成，已停止（模板中可能有无限或过大的循环）；"
            "可设置环境变量 PERF_EXCEL_RENDER_SECONDS 调整"
        ) from None
    except RecursionError:
        raise RenderLimitError("模板递归过深（宏调用自身？），已停止") from None
    except (MemoryError, OverflowError) as exc:
        raise RenderLimitError(f"渲染结果过大（{type(exc).__name__}），已停止") from None
    finally:
        _WATCHDOG.unwatch(watch)


def _size(value: Any) -> int | None:
    if isinstance(value, (str, bytes, list, tuple)):
        return len(value)
    return None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_too_big(operator: str, left: Any, right: Any) -> bool:
    """Whether ``left operator right`` on whole numbers may exceed :data:`MAX_INT_BITS` (decided
    from the operands' sizes, before anything is computed)."""
    if operator == "*":
        return left.bit_length() + right.bit_length() > MAX_INT_BITS + 1
    if operator == "**":
        if right <= 0 or abs(left) <= 1:
            return False
        return right > MAX_INT_BITS or right * math.log2(abs(left)) > MAX_INT_BITS
    return max(left.bit_length(), right.bit_length()) >= MAX_INT_BITS  # + and -


def _call_binop(self: SandboxedEnvironment, context: Any, operator: str, left: Any, right: Any) -> Any:
    if _is_int(left) and _is_int(right):
        if operator != "%" and _int_too_big(operator, left, right):
            what = "乘方" if operator == "**" else "整数运算"
            raise RenderLimitError(f"模板中的{what}结果过大（超过约 100 位数字），已拒绝")
    elif operator == "*":
        for seq, n in ((left, right), (right, left)):
            length = _size(seq)
            if length is not None and isinstance(n, int) and length * max(n, 0) > MAX_ITEMS:
                raise RenderLimitError(f"模板中的重复运算结果过大（{length:,} × {n:,}），已拒绝")
    elif operator == "+":
        a, b = _size(left), _size(right)
        if a is not None and b is not None and a + b > MAX_ITEMS:
            raise RenderLimitError(f"模板中的拼接结果过大（{a + b:,} 项），已拒绝")
    elif operator == "%" and isinstance(left, str) and _WIDE_FORMAT.search(left):
        _check_format(left)
    return self.binop_table[operator](left, right)


def _check_format(text: str) -> None:
    if _WIDE_FORMAT.search(text):
        raise RenderLimitError(f"模板中的格式宽度过大（“{text[:40]}”），已拒绝")


def _bounded_filter(name: str, original: Any, *width_args: int) -> Any:
    def bounded(*args: Any, **kwargs: Any) -> Any:
        for value in list(args[1:]) + list(kwargs.values()):
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 100_000:
                raise RenderLimitError(f"过滤器 {name} 的参数 {value:,} 过大，已拒绝")
        if name == "format" and args and isinstance(args[0], str):
            _check_format(args[0])
        return original(*args, **kwargs)

    bounded.__name__ = getattr(original, "__name__", name)
    if getattr(original, "jinja_pass_arg", None) is not None:
        bounded.jinja_pass_arg = original.jinja_pass_arg  # type: ignore[attr-defined]
    return bounded


def _bounded_replace(original: Any) -> Any:
    def replace(eval_ctx: Any, s: Any, old: Any, new: Any, count: Any = None) -> Any:
        if isinstance(s, str) and isinstance(old, str) and isinstance(new, str) and len(new) > len(old):
            hits = s.count(old) if old else len(s) + 1
            if isinstance(count, int) and count >= 0:
                hits = min(hits, count)
            if len(s) + hits * (len(new) - len(old)) > MAX_ITEMS:
                raise RenderLimitError(f"过滤器 replace 的结果过大（{len(s):,} 字符中 {hits:,} 处替换），已拒绝")
        return original(eval_ctx, s, old, new, count)

    replace.jinja_pass_arg = original.jinja_pass_arg  # type: ignore[attr-defined]
    return replace


def _bounded_join(original: Any) -> Any:
    def join(eval_ctx: Any, value: Any, d: Any = "", attribute: Any = None) -> Any:
        items = list(value)
        size = len(d) * max(len(items) - 1, 0) if isinstance(d, str) else 0
        size += sum(len(item) for item in items if isinstance(item, str))
        if size > MAX_ITEMS:
            raise RenderLimitError(f"过滤器 join 的结果过大（{size:,} 字符），已拒绝")
        return original(eval_ctx, items, d, attribute)

    join.jinja_pass_arg = original.jinja_pass_arg  # type: ignore[attr-defined]
    return join


def install_limits(env: SandboxedEnvironment) -> SandboxedEnvironment:
    """Put the render limits on ``env`` (see the module's docstring); returns ``env``."""
    env.concat = _bounded_concat  # type: ignore[assignment]
    env.intercepted_binops = frozenset({"*", "**", "%", "+", "-"})
    env.call_binop = types.MethodType(_call_binop, env)  # type: ignore[method-assign]
    original_wrap = env.wrap_str_format

    def wrap_str_format(value: Any) -> Any:
        wrapped = original_wrap(value)
        if wrapped is not None:
            _check_format(value.__self__)
        return wrapped

    env.wrap_str_format = wrap_str_format  # type: ignore[method-assign]
    for name in ("center", "indent", "wordwrap", "truncate", "format"):
        if name in env.filters:
            env.filters[name] = _bounded_filter(name, env.filters[name])
    env.filters["replace"] = _bounded_replace(env.filters["replace"])
    env.filters["join"] = _bounded_join(env.filters["join"])
    env.globals.pop("lipsum", None)
    return env
