"""Peak memory of loading a hostile learned-model zip: a 2 MB zip whose vocabularies inflate to
hundreds of MB (a "zip bomb"), next to the bundled model.

    python scripts/model_bomb_peak.py            # prints one line per file: size, outcome, peak RSS

Each file is loaded in a fresh child process; the peak is that child's ``ru_maxrss``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

_CHILD = """
import resource, sys
from pathlib import Path
from ticket_processor.learned import load_model
from ticket_processor.triage.taxonomy import load_taxonomy
model, reason = load_model(Path(sys.argv[1]), load_taxonomy(None).names)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(f"{'loaded' if model else 'refused'}; peak {peak} MB; {(reason or '')[:160]}")
"""


def zip_bomb(path: Path, member_mb: int = 255) -> None:
    """The bundled model's header padded to ``member_mb`` MB, and vocabularies of as many MB
    each (a one-letter term repeated: deflate squeezes each into a few hundred KB), just under
    the 256 MB a member could inflate to before the caps."""
    from ticket_processor.learned import bundled_model_path

    with zipfile.ZipFile(bundled_model_path()) as source:
        header = json.loads(source.read("header.json"))
    count = member_mb * 1024 * 1024 // 4
    chunk = b'"a",' * 262_144  # 1 MB; written chunk by chunk, so this process stays small
    pad = json.dumps(header)[:-1].encode() + b', "pad": '
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for name, before, after in (
            ("header.json", pad, b"}"),
            ("words.json", b"", b""),
            ("chars.json", b"", b""),
        ):
            with out.open(name, "w", force_zip64=True) as member:
                member.write(before + b"[")
                for _ in range(count // 262_144 - 1):
                    member.write(chunk)
                member.write(b'"a"]' + after)


def main() -> None:
    from ticket_processor.learned import bundled_model_path

    with tempfile.TemporaryDirectory() as folder:
        bomb = Path(folder) / "bomb.zip"
        zip_bomb(bomb)
        for path in (bundled_model_path(), bomb):
            done = subprocess.run(
                [sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True
            )
            size = path.stat().st_size / (1024 * 1024)
            print(f"{path.name}: {size:.1f} MB zip: {(done.stdout or done.stderr).strip()}")


if __name__ == "__main__":
    main()
