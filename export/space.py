"""Deploy the app to a Hugging Face Space: upload exactly the files the Space runs, nothing else.

    python -m export.space --list                 # the files, with their sizes
    python -m export.space USER/SPACE             # create the Space if needed (Gradio SDK) and upload them

Needs a Hugging Face token (``huggingface-cli login`` or ``HF_TOKEN``). The README's front matter is
the Space's configuration (``sdk: gradio``, ``app_file: app.py``, ``python_version``); ``requirements.txt``
is what the Space installs. What stays behind: the training code's runs and resumable states
(``resume/``), the slim PyTorch checkpoints, tests, benchmarks and docs. Each uploaded file
is under Hugging Face's 10 MB limit for files outside Git LFS, so the same files can also be pushed
to the Space with plain git (``tests/test_space.py`` checks both that and that these files alone run
the app).
"""

from __future__ import annotations

import argparse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Globs relative to the checkout, one place: the listing, the upload and the test all read this.
SPACE_GLOBS = ("README.md", "app.py", "requirements.txt", "fashiongen/**/*.py",
               "checkpoints/*.onnx", "checkpoints/README.md", "examples/*.png")
MAX_PLAIN_GIT_BYTES = 10 * 1024 * 1024  # Hugging Face refuses larger files pushed outside Git LFS


def space_files(root: Path = ROOT) -> list[Path]:
    """The files a Space needs, relative to ``root``, sorted; every glob must match at least one."""
    files = set()
    for pattern in SPACE_GLOBS:
        found = [path for path in root.glob(pattern) if path.is_file() and "__pycache__" not in path.parts]
        if not found:
            raise FileNotFoundError(f"{pattern}: nothing in {root} matches; is this a full checkout?")
        files.update(path.relative_to(root) for path in found)
    return sorted(files)


def upload(repo_id: str, root: Path = ROOT) -> str:
    """Create the Space ``repo_id`` (Gradio SDK) if it does not exist and commit :func:`space_files` to it;
    returns the commit's URL."""
    from huggingface_hub import CommitOperationAdd, HfApi

    api = HfApi()
    api.create_repo(repo_id, repo_type="space", space_sdk="gradio", exist_ok=True)
    operations = [CommitOperationAdd(path_in_repo=path.as_posix(), path_or_fileobj=root / path)
                  for path in space_files(root)]
    commit = api.create_commit(repo_id, operations, repo_type="space",
                               commit_message="fashiongen: app, serving code, ONNX models and examples")
    return commit.commit_url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repo_id", nargs="?", help="the Space, as USER/SPACE")
    parser.add_argument("--list", action="store_true", help="print the files and their sizes, upload nothing")
    args = parser.parse_args(argv)
    if args.list:
        files = space_files()
        for path in files:
            print(f"{(ROOT / path).stat().st_size:>12,}  {path.as_posix()}")
        print(f"{sum((ROOT / path).stat().st_size for path in files):>12,}  in {len(files)} files")
        return 0
    if not args.repo_id:
        parser.error("give the Space as USER/SPACE, or --list")
    print(upload(args.repo_id))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
